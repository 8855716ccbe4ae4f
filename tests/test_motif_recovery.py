"""The Koo & Eddy benchmark: data, metrics on a hand-computed case, a tiny run."""

import dataclasses

import numpy as np
import pytest

from keras_motifs.analysis.motif_recovery import BenchmarkResult, benchmark_metrics, run_benchmark
from keras_motifs.data.planted import (
    KOO_EDDY_MOTIFS,
    KOO_EDDY_SITE_COUNTS,
    koo_eddy_dataset,
    koo_eddy_split,
)
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


def test_koo_eddy_dataset_reproduces_their_generator():
    n = 6000
    x, y, info = koo_eddy_dataset(n, 0)
    assert x.shape == (n, 200, 4) and y.shape == (n, 12)
    np.testing.assert_array_equal(x.sum(axis=-1), 1)
    # their 12 JASPAR 2016 matrices, in label order
    assert info.motifs.names == list(KOO_EDDY_MOTIFS) == [
        "MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
        "MA0052.3", "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2"]
    assert info.motifs.alt_names == ["Arid3a", "CEBPB", "FOSL1", "Gabpa", "MAFK",
                                     "MAX", "MEF2A", "NFYB", "SP1", "SRF", "STAT1",
                                     "YY1"]
    # sites per sequence: P(1..5) = 0.50, 0.25, 0.17, 0.05, 0.03 (4 sd bands)
    per_sequence = np.bincount(info.sequence, minlength=n)
    observed = np.bincount(per_sequence, minlength=6)[1:] / n
    expected = np.array(KOO_EDDY_SITE_COUNTS)
    assert np.all(np.abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / n))
    assert per_sequence.min() == 1 and per_sequence.max() == 5
    # with replacement: a factor can appear twice in a sequence
    pairs = np.unique(np.stack([info.sequence, info.motif]), axis=1).shape[1]
    assert pairs < len(info.sequence)
    # one label per factor, whatever its count or orientation
    expected_y = np.zeros_like(y)
    expected_y[info.sequence, info.motif] = 1
    np.testing.assert_array_equal(y, expected_y)
    # factors uniform, orientations half and half
    assert np.all(np.abs(np.bincount(info.motif) / len(info.motif) - 1 / 12) < 0.01)
    assert 0.47 < info.strand.mean() < 0.53
    # each site is where and on the strand it is said to be, and sites keep
    # their order without overlapping
    widths = np.diff(info.motifs.bounds, axis=1)[:, 0]
    logp = np.log(info.motifs.probabilities(pseudocount=0.01))
    right, wrong = [], []
    for i in range(400):
        s, k, start = info.sequence[i], info.motif[i], info.start[i]
        window = x[s, start : start + widths[k]]
        forward = (window * logp[k, : widths[k]]).sum()
        reverse = (window[::-1, ::-1] * logp[k, : widths[k]]).sum()
        right.append(reverse if info.strand[i] else forward)
        wrong.append(forward if info.strand[i] else reverse)
    assert np.mean(np.array(right) > np.array(wrong)) > 0.9
    for s in range(200):
        here = np.flatnonzero(info.sequence == s)
        spans = list(zip(info.start[here], info.start[here] + widths[info.motif[here]]))
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
        assert spans[0][0] >= 0 and spans[-1][1] <= 200


def test_koo_eddy_split_is_70_10_20():
    train, valid, test = koo_eddy_split(25_000)
    assert (train.stop - train.start, valid.stop - valid.start,
            test.stop - test.start) == (17_500, 2_500, 5_000)
    assert train.stop == valid.start and valid.stop == test.start


def test_koo_eddy_dataset_bad_arguments():
    with pytest.raises(TypeError, match="Received"):
        koo_eddy_dataset(1.5, 0)
    with pytest.raises(ValueError, match="Received: length=60"):
        koo_eddy_dataset(10, 0, length=60)


@pytest.mark.parametrize(
    "kwargs, error",
    [({"model": "cnn-7"}, ValueError), ({"model": 3}, TypeError),
     ({"seeds": []}, ValueError), ({"settings": ["fast"]}, ValueError),
     ({"n_sequences": 5}, ValueError), ({"cutoff": 0}, ValueError),
     ({"train": False}, ValueError), ({"settings": {"a": 1}}, TypeError),
     ({"min_auc": 1.5}, ValueError), ({"min_auc": "high"}, TypeError)],
)
def test_bad_arguments_fail_before_training(kwargs, error, monkeypatch):
    import keras_motifs.analysis.motif_recovery as benchmark

    def no_data(*args, **kwargs):
        raise AssertionError("data drawn before the arguments were checked")

    monkeypatch.setattr(benchmark, "koo_eddy_dataset", no_data)
    with pytest.raises(error, match="Received"):
        run_benchmark(**kwargs)
    with pytest.raises(ValueError, match="Koo & Eddy's rule reads the first Conv1D"):
        run_benchmark("cnn-2", settings=["koo"], layers=[1])


def test_untrained_models_are_not_scored(monkeypatch):
    import keras_motifs.analysis.motif_recovery as benchmark

    scored = []
    monkeypatch.setattr(benchmark, "_extract",
                        lambda *args: scored.append(args) or 1 / 0)
    with pytest.raises(ValueError, match=r"did not train.*min_auc=0"):
        run_benchmark("cnn-50", seeds=[0], n_sequences=200, epochs=1, verbose=0)
    assert not scored


def test_result_table_and_tsv(tmp_path):
    from keras_motifs.analysis.motif_recovery import METRICS, PUBLISHED

    rows = [
        {"seed": s, "setting": name, "auc": 0.96, "coverage": c,
         "match_fraction": f, "match_any": a, "null_match_rate": 0.01,
         "fdr": 0.02, "koo_coverage": c, "koo_match_fraction": f,
         "koo_match_any": a, "matches": 5, "n_planted": 12, "n_filters": 30}
        for s, name, c, f, a in [(0, "defaults", 12, 0.5, 0.6), (1, "defaults", 10, 0.3, 0.4),
                                 (0, "classic", 11, 0.4, 0.5), (1, "classic", 11, 0.4, 0.5)]
    ]
    result = BenchmarkResult(rows, {"defaults": {}, "classic": {}}, ["test"],
                             PUBLISHED["cnn-50"])
    table = result.table()
    assert table[0]["coverage_mean"] == 11 and table[0]["coverage_sd"] == pytest.approx(np.sqrt(2))
    assert table[1]["match_fraction_sd"] == 0
    summary = result.summary()
    assert "11.0/12" in summary and "0.960 +- 0.000" in summary
    assert summary.splitlines()[-1].startswith("Koo & Eddy, committed")
    assert "0.965" in summary.splitlines()[-1]
    text = open(result.write_tsv(tmp_path / "b.tsv")).read().splitlines()
    assert text[0] == "# test"
    assert text[1].split("\t")[:4] == ["setting", "seeds", "auc_mean", "auc_sd"]
    assert len(text[1].split("\t")) == 2 + 2 * len(METRICS)
    per_seed = open(result.write_tsv(tmp_path / "s.tsv", per_seed=True)).read()
    assert len(per_seed.splitlines()) == 2 + 4


def parse(argv):
    import argparse

    from keras_motifs.cli.recovery import add_benchmark

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true")
    parser = argparse.ArgumentParser()
    add_benchmark(parser.add_subparsers(dest="command"), common)
    return parser.parse_args(argv)


def test_cli_arguments():
    args = parse(["benchmark", "--quick", "--seeds", "3", "4", "--model", "cnn-2",
                  "--min-auc", "0", "--model-dir", "models"])
    assert args.quick and args.seeds == [3, 4] and args.model == "cnn-2"
    assert args.min_auc == 0 and args.model_dir == "models"
    args = parse(["benchmark"])
    assert args.settings == ["defaults", "classic", "koo"] and args.command_name == "benchmark"
    assert args.seeds == [0, 1, 2, 3, 4] and not args.quick
    args = parse(["benchmark", "--settings", "null-0.01", "basset-0.5",
                  "top-500", "cap-500"])
    assert args.settings == ["null-0.01", "basset-0.5", "top-500", "cap-500"]
    assert args.layers is None
    assert parse(["benchmark", "--layers", "0", "1"]).layers == [0, 1]


def test_every_setting_is_a_valid_site_rule():
    from keras_motifs.analysis.motif_recovery import SETTINGS
    from keras_motifs.site_rules import SiteRule
    from keras_motifs.interpreter import check_extract_options

    assert {"null-0.01", "basset-0.5", "top-500", "cap-500"} <= set(SETTINGS)
    for name, options in SETTINGS.items():
        if name != "koo":
            check_extract_options(**options)
    assert SETTINGS["top-500"] == {
        "site_rule": SiteRule(threshold=-np.inf, max_sites=500),
        "strands": "forward"}
    assert SETTINGS["defaults"] == {}


@pytest.mark.slow
def test_tiny_end_to_end(tmp_path, capsys):
    pytest.importorskip("memelite")
    from keras_motifs.cli.recovery import run_benchmark as run_command

    result = run_benchmark("cnn-50", seeds=[0], n_sequences=300, epochs=1,
                           null_copies=2, min_auc=0, verbose=0,
                           model_dir=tmp_path / "models")
    assert [row["setting"] for row in result.rows] == ["defaults", "classic", "koo"]
    for row in result.rows:
        assert 0 <= row["coverage"] <= 12 and row["n_filters"] == 30
        assert 0 <= row["match_fraction"] <= row["match_any"] <= 1
        assert 0 <= row["koo_match_fraction"] <= row["koo_match_any"] <= 1
        assert 0 <= row["null_match_rate"] <= 1 and 0 <= row["auc"] <= 1
    assert "held-out macro ROC AUC: seed 0 " in result.summary()
    saved = list((tmp_path / "models").iterdir())
    assert [path.name for path in saved] == ["cnn-50-n300-seed0.keras"]
    again = run_benchmark("CNN-50", seeds=[0], n_sequences=300, epochs=1,
                          null_copies=2, min_auc=0, verbose=0, settings=["classic"],
                          model_dir=tmp_path / "models")
    assert again.rows[0]["auc"] == result.rows[0]["auc"]  # the saved model
    assert list((tmp_path / "models").iterdir()) == saved  # loaded, not retrained
    args = parse(["benchmark", "-q", "--model", "cnn-2", "--seeds", "1",
                  "--sequences", "200", "--epochs", "1", "--settings", "classic",
                  "--layers", "0", "1", "--min-auc", "0", "-o",
                  str(tmp_path / "b.tsv")])
    assert run_command(args) == 0
    out = capsys.readouterr().out
    assert "classic @ 1" in out and "coverage" in out and "Koo & Eddy, committed" in out
    assert (tmp_path / "b.tsv").read_text().count("\nclassic @ 0\t") == 1


def test_layers_name_the_settings_and_an_unknown_layer_fails_before_training():
    import keras

    with pytest.raises(ValueError, match="out of range"):
        run_benchmark("cnn-2", seeds=[0], n_sequences=100, epochs=1, layers=[0, 5],
                      min_auc=0, verbose=0)
    inputs = keras.Input((200, 4))
    hidden = keras.layers.Conv1D(4, 9, activation="relu")(inputs)
    hidden = keras.layers.Conv1D(3, 5, activation="relu")(
        keras.layers.MaxPooling1D(2)(hidden))
    outputs = keras.layers.Dense(12)(keras.layers.GlobalMaxPooling1D()(hidden))
    result = run_benchmark(keras.Model(inputs, outputs), train=False, seeds=[0],
                           n_sequences=60, layers=[0, 1], null_copies=1,
                           settings=("classic",), min_auc=0, verbose=0)
    assert [row["setting"] for row in result.rows] == ["classic @ 0", "classic @ 1"]
    assert [row["n_filters"] for row in result.rows] == [4, 3]
    assert [entry["setting"] for entry in result.table()] == ["classic @ 0", "classic @ 1"]


@pytest.mark.parametrize("name, pools, l1", [("cnn-50", (50, 2), 1e-6),
                                              ("cnn-2", (2, 50), 0.0)])
def test_models_are_koo_and_eddys_layer_for_layer(name, pools, l1):
    from keras_motifs.analysis.motif_recovery import MODELS, named_model

    model = named_model(name)
    layers = [(type(layer).__name__, layer.name) for layer in model.layers[1:]]
    assert layers == [
        ("Conv1D", "conv1"), ("BatchNormalization", "conv1_bn"),
        ("Activation", "conv1_relu"), ("MaxPooling1D", "conv1_pool"),
        ("Dropout", "conv1_dropout"),
        ("Conv1D", "conv2"), ("BatchNormalization", "conv2_bn"),
        ("Activation", "conv2_relu"), ("MaxPooling1D", "conv2_pool"),
        ("Dropout", "conv2_dropout"), ("Flatten", "flatten"),
        ("Dense", "fc1"), ("BatchNormalization", "fc1_bn"),
        ("Activation", "fc1_relu"), ("Dropout", "fc1_dropout"),
        ("Dense", "output"),
    ]
    config = {layer.name: layer.get_config() for layer in model.layers}
    assert (config["conv1"]["filters"], config["conv1"]["kernel_size"]) == (30, (19,))
    assert (config["conv2"]["filters"], config["conv2"]["kernel_size"]) == (128, (5,))
    assert config["fc1"]["units"] == 512 and config["output"]["units"] == 12
    for hidden in ("conv1", "conv2", "fc1"):
        assert config[hidden]["use_bias"] is False
        assert config[hidden]["activation"] == "linear"
        assert model.get_layer(f"{hidden}_relu").get_config()["activation"] == "relu"
    for layer in ("conv1", "conv2", "fc1", "output"):
        regularizer = model.get_layer(layer).kernel_regularizer.get_config()
        assert regularizer["l2"] == pytest.approx(1e-6)
        assert regularizer["l1"] == pytest.approx(l1)
    assert (config["conv1_pool"]["pool_size"], config["conv2_pool"]["pool_size"]) == (
        (pools[0],), (pools[1],))
    assert [config[f"{layer}_dropout"]["rate"] for layer in ("conv1", "conv2", "fc1")] == [
        0.1, 0.1, 0.5]
    assert config["output"]["activation"] == "sigmoid"
    np.testing.assert_allclose(model.get_layer("output").bias.numpy(), 0.05)
    assert config["conv1"]["padding"] == config["conv2"]["padding"] == "same"
    # Koo's count of trainable parameters (BatchNormalization's moving
    # statistics are not trained)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 160_048
    optimizer = model.optimizer.get_config()
    assert optimizer["learning_rate"] == pytest.approx(1e-3)
    assert optimizer["beta_1"] == pytest.approx(0.95)
    assert model.loss == "binary_crossentropy"
    assert set(MODELS) == {"cnn-50", "cnn-2"}
    assert parse(["benchmark", "--model", "cnn-2"]).model == "cnn-2"


def scanned_model(width=7, filters=5, padding="same"):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((40, 4))
    hidden = keras.layers.Conv1D(filters, width, padding=padding, use_bias=False,
                                 name="conv1")(inputs)
    hidden = keras.layers.BatchNormalization(name="conv1_bn")(hidden)
    hidden = keras.layers.Activation("relu", name="conv1_relu")(hidden)
    outputs = keras.layers.Dense(2)(keras.layers.GlobalMaxPooling1D()(hidden))
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(1)
    bn = model.get_layer("conv1_bn")
    bn.set_weights([rng.uniform(0.5, 2, filters), rng.normal(0, 1, filters),
                    rng.normal(0, 1, filters), rng.uniform(0.5, 2, filters)])
    return model


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_koo_filter_motifs_against_a_plain_loop(padding):
    import keras

    from keras_motifs.analysis.motif_recovery import koo_filter_motifs

    model = scanned_model(padding=padding)
    x = np.eye(4, dtype="float32")[np.random.default_rng(2).integers(0, 4, (30, 40))]
    motifs = koo_filter_motifs(model, x, batch_size=7)
    activation = keras.Model(model.inputs[0], model.get_layer("conv1_relu").output)
    values = np.asarray(activation(x, training=False))
    assert (values.max(axis=(0, 1)) > 0).all()  # every filter has sites
    width, pad = 7, 3 if padding == "same" else 0
    for k in range(5):
        cutoff = 0.5 * values[:, :, k].max()
        counts, total, nsites = np.zeros((width, 4)), 0.0, 0
        for n in range(len(x)):
            for j in range(values.shape[1]):
                if values[n, j, k] > cutoff:
                    for i in range(width):
                        if 0 <= j - pad + i < 40:
                            counts[i] += values[n, j, k] * x[n, j - pad + i]
                    total += values[n, j, k]
                    nsites += 1
        assert motifs.nsites[k] == nsites
        np.testing.assert_allclose(motifs.counts[k], counts * nsites / total, rtol=1e-4)


def test_koo_clip_keeps_informative_columns_and_three_more():
    from keras_motifs.analysis.motif_recovery import koo_clip
    from keras_motifs.motifs import MotifSet

    flat, sharp = [1, 1, 1, 1], [10, 0, 0, 0]
    counts = np.array([[flat] * 5 + [sharp] * 3 + [flat] * 11,
                       [sharp] + [flat] * 18,
                       [flat] * 19], dtype=float)
    clipped = koo_clip(MotifSet(counts))
    assert clipped.bounds.tolist() == [[2, 11], [0, 4], [0, 19]]
    np.testing.assert_array_equal(clipped.counts, counts)


def test_koo_metrics_hand_computed():
    from keras_motifs.analysis.motif_recovery import koo_metrics
    from keras_motifs.matching.motif_database import jaspar_motifs

    pytest.importorskip("pyjaspar")
    planted = jaspar_motifs(list(KOO_EDDY_MOTIFS), release="JASPAR2016")
    hits = [
        FakeHit("filter0", "MA0601.1", "Arid3b", 0.02),  # accepted for Arid3a
        FakeHit("filter0", "MA0466.2", "CEBPB", 0.01),   # lower q: CEBPB
        FakeHit("filter1", "MA0060.2", "NFYA", 0.3),     # accepted for NFYB
        FakeHit("filter2", "MA0139.1", "CTCF", 0.001),   # not planted
        FakeHit("filter3", "MA0773.1", "MEF2D", 0.04),   # accepted for MEF2A
        FakeHit("filter4", "MA0601.1", "Arid3b", 0.05),  # Arid3a
    ]
    metrics = koo_metrics(FakeComparison([], 10, hits), planted)
    assert metrics == {"koo_coverage": 4, "koo_match_fraction": 4 / 10,
                       "koo_match_any": 5 / 10}


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
                           null_copies=1, settings=settings, min_auc=0, verbose=0)
    assert [row["setting"] for row in result.rows] == ["conv", "relu"]
    assert [(None if layer is None else layer.name, options)
            for layer, options in scanned] == [
        (None, {"strands": "forward"}), ("relu", {"strands": "forward"})]
    with pytest.raises(ValueError, match="nope"):
        run_benchmark(model, train=False, seeds=[0], n_sequences=60,
                      settings={"x": {"activation_layer": "nope"}}, verbose=0)
    assert len(scanned) == 2  # the bad layer failed before any scan
