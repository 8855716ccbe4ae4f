"""The Koo & Eddy benchmark: data, metrics on a hand-computed case, a tiny run."""

import dataclasses

import numpy as np
import pytest

from keras_motifs.benchmark import BenchmarkResult, benchmark_metrics, run_benchmark
from keras_motifs.data.planted import KOO_EDDY_MOTIFS, mixture_dataset
from keras_motifs.motifs import MotifSet


@dataclasses.dataclass
class FakeHit:
    query_id: str
    target_id: str
    target_name: str
    q_value: float


class FakeComparison:
    """Best hits as `Comparison.best()` gives them, and the queries."""

    def __init__(self, best, n_filters, others=()):
        self._best = best
        self.hits = list(best) + list(others)
        self.queries = MotifSet(np.ones((n_filters, 4, 4)))

    def best(self):
        return self._best


def planted_set():
    return MotifSet(np.ones((3, 5, 4)), names=["MA0001.1", "MA0002.2", "MA0003.1"],
                    alt_names=["AAA", "BBB", "CCC"])


def test_metrics_hand_computed():
    # 10 filters: filter0 and filter1 find MA0001 (another version, same TF
    # name); filter2 finds BBB by name through another matrix; filter3 finds
    # CCC but not significantly; filter4 finds an unplanted motif; the rest
    # have no hit.
    best = [
        FakeHit("filter0", "MA0001.3", "aaa", 1e-5),
        FakeHit("filter1", "MA0001.1", "AAA", 0.01),
        FakeHit("filter2", "MA9999.1", "BBB", 0.049),
        FakeHit("filter3", "MA0003.1", "CCC", 0.2),
        FakeHit("filter4", "MA0500.1", "OTHER", 0.001),
    ]
    metrics = benchmark_metrics(FakeComparison(best, 10), planted_set(), cutoff=0.05,
                                rule="best")
    assert metrics == {
        "coverage": 2,            # MA0001 and MA0002 (by name); not MA0003
        "n_planted": 3,
        "match_fraction": 3 / 10,  # filters 0, 1, 2
        "match_any": 4 / 10,       # filters 0, 1, 2, 4
        "n_filters": 10,
    }
    loose = benchmark_metrics(FakeComparison(best, 10), planted_set(), cutoff=0.5,
                              rule="best")
    assert loose["coverage"] == 3 and loose["match_any"] == 0.5
    # rule "any": later hits count too, when the filter matches at all and
    # the hit itself is below the cutoff
    others = [
        FakeHit("filter4", "MA0003.2", "ccc", 0.03),   # filter4 finds CCC
        FakeHit("filter0", "MA0002.1", "X", 0.06),      # too weak
        FakeHit("filter3", "MA0002.1", "X", 0.01),      # filter3 matches nothing
    ]
    metrics = benchmark_metrics(FakeComparison(best, 10, others), planted_set(),
                                cutoff=0.05)
    assert metrics["coverage"] == 3
    assert metrics["match_fraction"] == 4 / 10      # filters 0, 1, 2, 4
    assert metrics["match_any"] == 4 / 10


def test_mixture_dataset_counts_labels_strands():
    x, y, info = mixture_dataset(KOO_EDDY_MOTIFS, 600, 200, 0)
    assert x.shape == (600, 200, 4) and y.shape == (600, 12)
    per_sequence = y.sum(axis=1)
    assert per_sequence.min() == 1 and per_sequence.max() == 5
    assert set(np.unique(per_sequence)) == {1, 2, 3, 4, 5}
    # every label is a site and every site a label
    assert len(info.sequence) == int(y.sum())
    np.testing.assert_array_equal(y[info.sequence, info.motif], 1)
    assert info.motifs.alt_names[:3] == ["Arid3a", "CEBPB", "FOSL1"]
    # both strands, about half each
    assert 0.4 < info.strand.mean() < 0.6
    # each site is where and on the strand it is said to be: read on its
    # strand it fits the motif better than read on the other one, and far
    # better than random DNA
    widths = np.diff(info.motifs.bounds, axis=1)[:, 0]
    logp = np.log(info.motifs.probabilities(pseudocount=0.01))
    right, wrong = [], []
    for i in range(300):
        s, k, start = info.sequence[i], info.motif[i], info.start[i]
        window = x[s, start : start + widths[k]]
        forward, reverse = (window * logp[k, : widths[k]]).sum(), (window[::-1, ::-1] * logp[k, : widths[k]]).sum()
        right.append(reverse if info.strand[i] else forward)
        wrong.append(forward if info.strand[i] else reverse)
    assert np.mean(np.array(right) > np.array(wrong)) > 0.9
    # sites do not overlap within a sequence
    for s in range(50):
        here = info.sequence == s
        spans = sorted(zip(info.start[here], info.start[here] + widths[info.motif[here]]))
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize(
    "kwargs, error",
    [({"min_motifs": 0}, ValueError), ({"max_motifs": 13}, ValueError),
     ({"min_motifs": 3, "max_motifs": 2}, ValueError), ({"n": 1.5}, TypeError)],
)
def test_mixture_dataset_bad_arguments(kwargs, error):
    arguments = {"n": 10, **kwargs}
    with pytest.raises(error, match="Received"):
        mixture_dataset(KOO_EDDY_MOTIFS, arguments.pop("n"), 200, 0, **arguments)


@pytest.mark.parametrize(
    "kwargs, error",
    [({"model": "cnn-7"}, ValueError), ({"model": 3}, TypeError),
     ({"seeds": []}, ValueError), ({"settings": ["fast"]}, ValueError),
     ({"n_sequences": 5}, ValueError), ({"cutoff": 0}, ValueError),
     ({"train": False}, ValueError), ({"settings": {"a": 1}}, TypeError)],
)
def test_bad_arguments_fail_before_training(kwargs, error):
    with pytest.raises(error, match="Received"):
        run_benchmark(**kwargs)


def test_result_table_and_tsv(tmp_path):
    rows = [
        {"seed": s, "setting": name, "coverage": c, "match_fraction": f,
         "match_any": a, "null_match_rate": 0.01, "fdr": 0.02, "matches": 5,
         "n_planted": 12, "n_filters": 30}
        for s, name, c, f, a in [(0, "defaults", 12, 0.5, 0.6), (1, "defaults", 10, 0.3, 0.4),
                                 (0, "classic", 11, 0.4, 0.5), (1, "classic", 11, 0.4, 0.5)]
    ]
    result = BenchmarkResult(rows, {"defaults": {}, "classic": {}}, ["test"])
    table = result.table()
    assert table[0]["coverage_mean"] == 11 and table[0]["coverage_sd"] == pytest.approx(np.sqrt(2))
    assert table[1]["match_fraction_sd"] == 0
    assert "11.0/12" in result.summary()
    text = open(result.write_tsv(tmp_path / "b.tsv")).read().splitlines()
    assert text[0] == "# test" and text[1].startswith("setting\tseeds\tcoverage_mean")
    per_seed = open(result.write_tsv(tmp_path / "s.tsv", per_seed=True)).read()
    assert len(per_seed.splitlines()) == 2 + 4


def parse(argv):
    import argparse

    from keras_motifs.cli.benchmark import add_benchmark

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true")
    parser = argparse.ArgumentParser()
    add_benchmark(parser.add_subparsers(dest="command"), common)
    return parser.parse_args(argv)


def test_cli_arguments():
    args = parse(["benchmark", "--full", "--seeds", "3", "4", "--model", "cnn-2"])
    assert args.full and args.seeds == [3, 4] and args.model == "cnn-2"
    assert args.settings == ["defaults", "classic"] and args.command_name == "benchmark"
    args = parse(["benchmark", "--settings", "null-0.01", "basset-0.5",
                  "top-500", "cap-500"])
    assert args.settings == ["null-0.01", "basset-0.5", "top-500", "cap-500"]
    assert args.layers is None
    assert parse(["benchmark", "--layers", "0", "1"]).layers == [0, 1]


def test_every_setting_is_a_valid_site_rule():
    from keras_motifs.benchmark import SETTINGS
    from keras_motifs.interpreter import check_extract_options

    assert {"null-0.01", "basset-0.5", "top-500", "cap-500"} <= set(SETTINGS)
    for options in SETTINGS.values():
        check_extract_options(**options)
    assert SETTINGS["top-500"] == {"threshold": -np.inf, "max_sites": 500}


@pytest.mark.slow
def test_tiny_end_to_end(tmp_path, capsys):
    pytest.importorskip("memelite")
    from keras_motifs.cli.benchmark import run_benchmark as run_command

    result = run_benchmark("cnn-50", seeds=[0], n_sequences=300, epochs=1,
                           null_copies=2, verbose=0)
    assert [row["setting"] for row in result.rows] == ["defaults", "classic"]
    for row in result.rows:
        assert 0 <= row["coverage"] <= 12 and row["n_filters"] == 30
        assert 0 <= row["match_fraction"] <= row["match_any"] <= 1
        assert 0 <= row["null_match_rate"] <= 1
    args = parse(["benchmark", "-q", "--model", "cnn-2", "--seeds", "1",
                  "--sequences", "200", "--epochs", "1", "--settings", "classic",
                  "--layers", "0", "1", "-o", str(tmp_path / "b.tsv")])
    assert run_command(args) == 0
    out = capsys.readouterr().out
    assert "classic @ 1" in out and "coverage" in out
    assert (tmp_path / "b.tsv").read_text().count("\nclassic @ 0\t") == 1



def test_layers_name_the_settings_and_an_unknown_layer_fails_before_training():
    import keras

    with pytest.raises(ValueError, match="out of range"):
        run_benchmark("cnn-2", seeds=[0], n_sequences=100, epochs=1, layers=[0, 5],
                      verbose=0)
    inputs = keras.Input((200, 4))
    hidden = keras.layers.Conv1D(4, 9, activation="relu")(inputs)
    hidden = keras.layers.Conv1D(3, 5, activation="relu")(
        keras.layers.MaxPooling1D(2)(hidden))
    outputs = keras.layers.Dense(12)(keras.layers.GlobalMaxPooling1D()(hidden))
    result = run_benchmark(keras.Model(inputs, outputs), train=False, seeds=[0],
                           n_sequences=60, layers=[0, 1], null_copies=1,
                           settings=("classic",), verbose=0)
    assert [row["setting"] for row in result.rows] == ["classic @ 0", "classic @ 1"]
    assert [row["n_filters"] for row in result.rows] == [4, 3]
    assert [entry["setting"] for entry in result.table()] == ["classic @ 0", "classic @ 1"]


def test_batch_norm_variant_and_its_names():
    from keras_motifs.benchmark import MODELS, koo_eddy_model, named_model

    model = koo_eddy_model(2, batch_norm=True)
    names = [layer.name for layer in model.layers]
    first = names.index("conv1")
    assert names[first:first + 4] == ["conv1", "conv1_bn", "conv1_relu",
                                      names[first + 3]]
    assert model.get_layer("conv1").activation.__name__ == "linear"
    assert type(model.layers[first + 3]).__name__ == "MaxPooling1D"
    assert model.get_layer("conv1").kernel.shape == (19, 4, 30)
    plain = koo_eddy_model(2)
    assert plain.get_layer("conv1").activation.__name__ == "relu"
    assert not any("BatchNormalization" == type(layer).__name__ for layer in plain.layers)
    assert named_model("CNN-50-BN").name == "cnn_50_bn" and named_model("cnn-2").name == "cnn_2"
    assert {"cnn-50-bn", "cnn-2-bn"} <= set(MODELS)
    assert parse(["benchmark", "--model", "cnn-2-bn"]).model == "cnn-2-bn"
    with pytest.raises(TypeError, match="Received: batch_norm="):
        koo_eddy_model(2, batch_norm="yes")


def test_a_setting_names_the_scanned_layer(monkeypatch):
    import keras

    import keras_motifs.interpreter as interpreter_module

    inputs = keras.Input((200, 4))
    hidden = keras.layers.Conv1D(4, 9, name="scan")(inputs)
    hidden = keras.layers.BatchNormalization(name="bn")(hidden)
    hidden = keras.layers.Activation("relu", name="relu")(hidden)
    outputs = keras.layers.Dense(12)(keras.layers.GlobalMaxPooling1D()(hidden))
    model = keras.Model(inputs, outputs)
    scanned = []

    class Recording(interpreter_module.Conv1DInterpreter):
        def extract(self, sequences, **options):
            scanned.append((self.activation_layer, options))
            return super().extract(sequences, **options)

    monkeypatch.setattr(interpreter_module, "Conv1DInterpreter", Recording)
    settings = {"conv": {"activation_layer": None, "strands": "forward"},
                "relu": {"activation_layer": "relu", "strands": "forward"}}
    result = run_benchmark(model, train=False, seeds=[0], n_sequences=60,
                           null_copies=1, settings=settings, verbose=0)
    assert [row["setting"] for row in result.rows] == ["conv", "relu"]
    assert [(None if layer is None else layer.name, options)
            for layer, options in scanned] == [
        (None, {"strands": "forward"}), ("relu", {"strands": "forward"})]
    with pytest.raises(ValueError, match="nope"):
        run_benchmark(model, train=False, seeds=[0], n_sequences=60,
                      settings={"x": {"activation_layer": "nope"}}, verbose=0)
    assert len(scanned) == 2  # the bad layer failed before any scan
