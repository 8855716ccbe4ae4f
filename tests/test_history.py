"""Tests for keras_motifs.history: the per-epoch record of a layer's motifs."""

import argparse
import importlib.util
import math

import keras
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs import Conv1DInterpreter, MotifExtractor, MotifSet
from keras_motifs.history import (
    HISTORY_COLUMNS,
    MotifHistory,
    filter_record,
    read_motif_history,
)

HAS_COMPARE = importlib.util.find_spec("memelite") is not None
needs_compare = pytest.mark.skipif(
    not HAS_COMPARE, reason="needs the compare extra: pip install keras-motifs[compare]"
)
HAS_PLOT = all(importlib.util.find_spec(m) for m in ("logomaker", "matplotlib"))


def tiny_model(length=30, filters=8, width=7):
    inputs = keras.Input((length, 4))
    x = keras.layers.Conv1D(filters, width, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalMaxPooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile("adam", "binary_crossentropy")
    return model


def random_motifs(rng, n=5, width=8, nsites=None):
    counts = rng.dirichlet(np.full(4, 0.4), size=(n, width)) * 40
    nsites = np.full(n, 40) if nsites is None else nsites
    return MotifSet(counts * (np.asarray(nsites) > 0)[:, None, None], nsites)


def loop_information(counts, min_information=0.2):
    """Trimmed information and width of one (width, 4) motif, position by
    position, uniform background."""
    bits = []
    for row in counts:
        total = row.sum()
        p = row / total if total > 0 else np.full(4, 0.25)
        bits.append(sum(q * math.log2(q / 0.25) for q in p if q > 0))
    kept = [i for i, b in enumerate(bits) if b >= min_information]
    if not kept:
        kept = [int(np.argmax(bits))]
    return sum(bits[kept[0]:kept[-1] + 1]), kept[-1] - kept[0] + 1


def test_filter_record_matches_a_loop(rng):
    motifs = random_motifs(rng, n=6, nsites=[40, 40, 0, 40, 40, 40])
    record = filter_record(motifs)
    for i, counts in enumerate(motifs.counts):
        information, width = loop_information(counts)
        assert record["information"][i] == pytest.approx(information)
        assert record["width"][i] == width


class PlainLoop(keras.callbacks.Callback):
    """Extracts and compares by hand at the recorded epochs."""

    def __init__(self, x, every, targets, cutoff, null):
        super().__init__()
        self.x, self.every, self.targets = x, every, targets
        self.cutoff, self.null = cutoff, null
        self.seen = {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from keras_motifs.matching.compare import tomtom

        motifs = Conv1DInterpreter(self.model).extract(
            self.x, threshold=0.0, strands="both").motifs
        comparison = tomtom(motifs, self.targets, null=self.null)
        rows = []
        for i, name in enumerate(motifs.names):
            hits = [hit for hit in comparison.hits if hit.query_id == name]
            best = min(hits, key=lambda hit: hit.q_value) if hits else None
            information, width = loop_information(motifs.counts[i])
            rows.append(dict(
                nsites=int(motifs.nsites[i]), information=information, width=width,
                match_id=best.target_id if best else "",
                q_value=best.q_value if best else math.nan,
                matching=int(best is not None and best.q_value < self.cutoff),
                empirical_p=comparison.calibration.empirical_p[i],
            ))
        null_q = comparison.calibration.null_best_q
        rate = np.mean(null_q < self.cutoff)
        matches = sum(row["matching"] for row in rows)
        fdr = min(1.0, rate * len(rows) / matches) if matches else float(rate > 0)
        self.seen[epoch + 1] = (rows, fdr, dict(logs))


@needs_compare
def test_record_matches_extract_and_tomtom_by_hand(rng, tmp_path):
    pytest.importorskip("pyjaspar")
    from keras_motifs.matching.motif_database import jaspar_motifs

    x = random_one_hot(rng, 64, 30)
    y = rng.integers(0, 2, size=(64, 1)).astype("float32")
    targets = jaspar_motifs(release="JASPAR2016")
    cutoff = 0.5  # loose, so that some filters of a barely trained model match
    record = MotifHistory(tmp_path / "h.tsv", targets=targets, cutoff=cutoff, null=2)
    loop = PlainLoop(x, 2, targets, cutoff, null=2)
    keras.utils.set_random_seed(1)
    history = tiny_model().fit(
        x, y, epochs=4, batch_size=16, verbose=0,
        callbacks=[MotifExtractor(x, tmp_path / "m.meme", every_n_epochs=2,
                                  record=record, strict=True, threshold=0.0,
                                  strands="both"), loop],
    )
    table = read_motif_history(tmp_path / "h.tsv")
    assert table.epochs().tolist() == [2, 4]
    assert sorted(loop.seen) == [2, 4]
    matched = 0
    for epoch, (rows, fdr, logs) in loop.seen.items():
        at = table.epoch == epoch
        assert table.filter[at].tolist() == list(range(8))
        for column in ("nsites", "width", "matching"):
            assert getattr(table, column)[at].tolist() == [r[column] for r in rows]
        assert [table.match_id[i] for i in np.flatnonzero(at)] == [
            r["match_id"] for r in rows
        ]
        for column in ("information", "q_value", "empirical_p"):
            np.testing.assert_allclose(
                getattr(table, column)[at], [r[column] for r in rows], rtol=1e-5
            )
        np.testing.assert_allclose(table.epoch_fdr[at], fdr, rtol=1e-5)
        matched += sum(r["matching"] for r in rows)
        # The logs seen by a later callback carry the same summaries.
        assert logs["motifs_matching"] == sum(r["matching"] for r in rows)
        assert logs["motifs_mean_nsites"] == pytest.approx(
            np.mean([r["nsites"] for r in rows]))
        assert logs["motifs_mean_information"] == pytest.approx(
            np.mean([r["information"] for r in rows]))
        assert logs["motifs_fdr"] == pytest.approx(fdr)
    assert matched > 0  # the comparison columns were exercised
    assert np.isnan(history.history["motifs_matching"][0])
    assert history.history["motifs_matching"][1] == loop.seen[2][2]["motifs_matching"]


def test_table_round_trip_and_atomic_growth(rng, tmp_path):
    path = tmp_path / "h.tsv"
    record = MotifHistory(path, compare=False)
    first = random_motifs(rng, nsites=[40, 0, 40, 40, 40])
    summary = record.record(1, first)
    assert set(summary) == {"motifs_mean_nsites", "motifs_mean_information"}
    assert read_motif_history(path).epochs().tolist() == [1]
    summary3 = record.record(3, random_motifs(rng))
    record.record(1, first)  # an epoch recorded again replaces its rows
    table = read_motif_history(path)
    assert len(table) == 10
    assert table.epochs().tolist() == [1, 3]
    assert table.filter.tolist() == list(range(5)) * 2
    assert table.nsites[:5].tolist() == [40, 0, 40, 40, 40]
    assert np.isnan(table.q_value).all() and table.match_id == [""] * 10
    again = record.table
    for column in HISTORY_COLUMNS:
        np.testing.assert_array_equal(getattr(again, column), getattr(table, column))
    means = table.summary()
    assert means["motifs_mean_information"][1] == pytest.approx(
        summary3["motifs_mean_information"], rel=1e-5)
    assert means["motifs_mean_nsites"].tolist() == [32.0, 40.0]
    assert np.isnan(means["motifs_matching"]).all()
    assert [p.name for p in tmp_path.iterdir()] == ["h.tsv"]  # no temporaries


def test_top_filters_and_series(rng, tmp_path):
    record = MotifHistory(tmp_path / "h.tsv", compare=False)
    sets = [random_motifs(rng) for _ in range(3)]
    for epoch, motifs in enumerate(sets, start=1):
        record.record(epoch, motifs)
    table = record.table
    last = filter_record(sets[-1])["information"]
    assert table.top_filters(3) == np.argsort(-last)[:3].tolist()
    epochs, values = table.series("nsites", 2)
    assert epochs.tolist() == [1, 2, 3] and values.tolist() == [40.0] * 3


@needs_compare
def test_an_epoch_without_sites_is_recorded_without_comparison(tmp_path, rng):
    targets = random_motifs(rng, n=30)
    record = MotifHistory(tmp_path / "h.tsv", targets=targets)
    summary = record.record(1, MotifSet(np.zeros((3, 6, 4)), [0, 0, 0]))
    assert summary["motifs_matching"] == 0
    assert summary["motifs_mean_nsites"] == 0


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(cutoff=0), ValueError, "`cutoff`"),
        (dict(cutoff="0.05"), TypeError, "`cutoff`"),
        (dict(null=0, compare=True), ValueError, "`null`"),
        (dict(null=5, compare=False), ValueError, "compare"),
        (dict(compare="yes"), TypeError, "`compare`"),
        (dict(targets=5, compare=True), TypeError, "`targets`"),
        (dict(release="JASPAR1999", compare=True), ValueError, "JASPAR1999"),
        (dict(min_information="x"), TypeError, "`min_information`"),
    ],
)
def test_bad_options_fail_when_made(tmp_path, options, error, message):
    if options.get("compare") and not HAS_COMPARE:
        pytest.skip("needs the compare extra")
    with pytest.raises(error, match=message):
        MotifHistory(tmp_path / "h.tsv", **options)


def test_bad_paths_and_tables(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MotifHistory(tmp_path / "no" / "h.tsv", compare=False)
    with pytest.raises(TypeError, match="`path`"):
        MotifHistory(3, compare=False)
    (tmp_path / "bad.tsv").write_text("epoch\tfilter\n1\t0\n")
    with pytest.raises(ValueError, match="lacks the column"):
        read_motif_history(tmp_path / "bad.tsv")
    header = "\t".join(HISTORY_COLUMNS)
    (tmp_path / "cell.tsv").write_text(
        f"{header}\n1\t0\tf0\tmany\t1.0\t3\t\t\t\t\t\t\n"
    )
    with pytest.raises(ValueError, match="row 1 has nsites 'many'"):
        read_motif_history(tmp_path / "cell.tsv")
    (tmp_path / "empty.tsv").write_text(f"{header}\n")
    with pytest.raises(ValueError, match="no rows"):
        read_motif_history(tmp_path / "empty.tsv")


@pytest.mark.skipif(not HAS_PLOT, reason="needs the plot extra")
def test_history_command_in_process(rng, tmp_path, capsys):
    from keras_motifs.cli.history import add_history, run_history

    record = MotifHistory(tmp_path / "h.tsv", compare=False)
    for epoch in (1, 2, 3):
        record.record(epoch, random_motifs(rng))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true")
    parser = argparse.ArgumentParser()
    add_history(parser.add_subparsers(), common)
    output = tmp_path / "curves.png"
    args = parser.parse_args(["history", str(tmp_path / "h.tsv"), "-o", str(output)])
    assert args.run is run_history
    assert run_history(args) == 0
    assert output.read_bytes()[:4] == b"\x89PNG"
    assert "3 recorded epochs of 5 filters" in capsys.readouterr().out
    bad = parser.parse_args(["history", str(tmp_path / "h.tsv"), "--top", "0"])
    with pytest.raises(ValueError, match="--top"):
        run_history(bad)
    missing = parser.parse_args(["history", str(tmp_path / "none.tsv")])
    with pytest.raises(FileNotFoundError):
        run_history(missing)
