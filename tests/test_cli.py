"""Tests for the `keras-motifs` command line and the built-in demo."""

import csv
import os
import re
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
import scipy.io

from conftest import ROOT, random_one_hot, shared_file
from keras_motifs import Conv1DInterpreter, one_hot, read_meme
from keras_motifs.cli import main
from keras_motifs.matching.compare import read_comparison
from keras_motifs.cli.datafiles import selected_batches
from keras_motifs.sources import SequenceSource
from keras_motifs.motifs import MotifSet

LENGTH = 30
N = 40
FILTERS = 6
# The site rule of the tests about mechanics (formats, readers, channels,
# labels), stated: random filters on random data keep almost no site under
# the default null rule, so these tests count every maximum above 0, on
# both strands (the defaults before "null:0.01", forward).
RULE = ("--threshold", "0", "--strands", "both")
RULE_OPTIONS = dict(threshold=0.0, strands="both")


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((LENGTH, 4)),
            keras.layers.Conv1D(FILTERS, 5, activation="relu", name="conv"),
            keras.layers.Conv1D(3, 3, activation="relu", name="second"),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(2, activation="sigmoid"),
        ]
    )
    # Biases below zero so a threshold of 0 keeps only part of the windows.
    conv = model.get_layer("conv")
    conv.bias.assign(np.full(FILTERS, -0.3, dtype="float32"))
    return model


@pytest.fixture(scope="module")
def files(model, tmp_path_factory):
    """A saved model and the same random sequences in several formats."""
    directory = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    x = random_one_hot(rng, N, LENGTH)
    y = (rng.random((N, 2)) < 0.5).astype("float32")
    paths = {"x": x, "y": y, "dir": directory}
    paths["keras"] = str(directory / "model.keras")
    model.save(paths["keras"])
    paths["npy"] = str(directory / "x.npy")
    np.save(paths["npy"], x)
    paths["labels"] = str(directory / "y.npy")
    np.save(paths["labels"], y)
    paths["npz"] = str(directory / "x.npz")
    np.savez(paths["npz"], y=y, x=x)  # labels first: x is the first 3-D array
    paths["h5"] = str(directory / "x.h5")
    with h5py.File(paths["h5"], "w") as handle:
        handle["labels"] = y
        handle["group/sequences"] = x
    return paths


def run(capsys, *argv):
    """`main(argv)` in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def expected(model, x, **options):
    return Conv1DInterpreter(
        model,
        options.pop("layer", None),
        alphabet=options.pop("alphabet", None),
    ).extract(x, **options).motifs


def assert_same_motifs(path, motifs):
    """The MEME file holds `motifs` (those with sites), to print precision."""
    written = read_meme(path)
    kept = motifs.select(nsites_at_least=1)
    assert written.names == kept.names
    np.testing.assert_array_equal(written.nsites, kept.nsites)
    np.testing.assert_allclose(
        written.probabilities(), kept.probabilities(), atol=2e-6
    )


# extract


@pytest.mark.parametrize(
    "source, extra, rows",
    [
        ("npy", [], slice(None)),
        ("npz", [], slice(None)),
        ("npz", ["--key", "x"], slice(None)),
        ("h5", [], slice(None)),
        (
            "h5",
            ["--key", "group/sequences", "--max-sequences", "13"],
            slice(13),
        ),
        ("npy", ["--max-sequences", "1000"], slice(None)),
    ],
)
def test_extract_formats_match_interpreter(
    capsys, tmp_path, model, files, source, extra, rows
):
    out = tmp_path / "motifs.meme"
    status, stdout, err = run(
        capsys, "extract", files["keras"], files[source], "-o", out, *extra,
        *RULE,
    )
    assert status == 0, err
    motifs = expected(model, files["x"][rows], **RULE_OPTIONS)
    assert_same_motifs(out, motifs)
    assert stdout.strip().endswith(str(out))
    assert f"({len(files['x'][rows])} sequences)" in stdout
    assert "sequence" in err  # the progress bar, on stderr


def test_extract_options_are_passed_on(capsys, tmp_path, model, files):
    out = tmp_path / "motifs.meme"
    status, _, err = run(
        capsys,
        "extract",
        files["keras"],
        files["npy"],
        "-o",
        out,
        "--threshold",
        "0.1",
        "--relative-threshold",
        "0.6",
        "--strands",
        "both",
        "--batch-size",
        "7",
        "--layer",
        "0",
        "--quiet",
    )
    assert status == 0 and err == ""
    motifs = expected(
        model,
        files["x"],
        layer=0,
        threshold=0.1,
        relative_threshold=0.6,
        strands="both",
    )
    assert_same_motifs(out, motifs)


@pytest.mark.parametrize("source", ["npy", "h5"])
@pytest.mark.parametrize("flags, options", [
    (["--threshold", "null:0.25", "--null-sequences", "40"],
     dict(threshold="null:0.25", null_sequences=40)),
    (["--relative-threshold", "0.3", "--relative-to", "mean"],
     dict(relative_threshold=0.3, relative_to="mean")),
    (["--threshold=-inf", "--max-sites", "7"],
     dict(threshold=-np.inf, max_sites=7)),
])
def test_extract_site_rules_are_passed_on(capsys, tmp_path, model, files,
                                          source, flags, options):
    out = tmp_path / "motifs.meme"
    status, stdout, err = run(capsys, "extract", files["keras"],
                              files[source], "-o", out, "--batch-size", "16",
                              *flags)
    assert status == 0, err
    motifs = expected(model, files["x"], **options)
    assert_same_motifs(out, motifs)
    assert f"({N} sequences)" in stdout  # the counting pass, not both
    if "max_sites" in options:
        assert (motifs.nsites <= 7).all() and (motifs.nsites == 7).any()


def test_extract_defaults_match_the_interpreter_defaults(capsys, tmp_path):
    """No rule flags: the default null rule ("null:0.01", forward), as
    `Conv1DInterpreter.extract` with no rule arguments, on a filter that
    finds its word in half the sequences."""
    from keras_motifs.formats import read_npz

    # 8 long: shuffled copies of such data rebuild a 6-mer (ACGTAC) in over
    # 1% of them, and the null cutoff then lies on the word itself.
    word = "ACGTACGG"
    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((LENGTH, 4)),
            keras.layers.Conv1D(4, len(word), activation="relu", name="conv"),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(1),
        ]
    )
    conv = model.get_layer("conv")
    kernel, bias = conv.kernel.numpy(), conv.bias.numpy()
    kernel[..., 0] = 3 * one_hot(word)[0]  # 24 - 10 = 14 on the word
    bias[0] = -10
    conv.kernel.assign(kernel)
    conv.bias.assign(bias)
    model_path = tmp_path / "word.keras"
    model.save(model_path)
    rng = np.random.default_rng(5)
    x = random_one_hot(rng, 200, LENGTH)
    for i in range(0, 200, 2):
        start = rng.integers(0, LENGTH - len(word) + 1)
        x[i, start : start + len(word)] = one_hot(word)[0]
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "motifs.npz"
    status, stdout, err = run(
        capsys, "extract", model_path, tmp_path / "x.npy", "-o", out, "-q"
    )
    assert status == 0, err
    direct = Conv1DInterpreter(model).extract(x).motifs
    assert direct.nsites[0] > 0
    assert direct.nsites[0] >= 100  # the planted words at least
    got = read_npz(out)
    np.testing.assert_array_equal(got.nsites, direct.nsites)
    np.testing.assert_array_equal(got.counts, direct.counts)
    assert "(200 sequences)" in stdout


def test_extract_legacy_h5_model_and_alphabet(capsys, tmp_path, model, files):
    h5_model = tmp_path / "model.h5"
    model.save(h5_model)
    agct = files["x"][..., [0, 2, 1, 3]]
    np.save(tmp_path / "agct.npy", agct)
    out = tmp_path / "motifs.meme"
    status, _, err = run(
        capsys,
        "extract",
        h5_model,
        tmp_path / "agct.npy",
        "--alphabet",
        "agct",
        "-o",
        out,
        *RULE,
    )
    assert status == 0, err
    assert_same_motifs(out, expected(model, agct, alphabet="AGCT", **RULE_OPTIONS))


def test_extract_fasta_with_n_is_encoded_on_the_fly(capsys, tmp_path, model):
    rng = np.random.default_rng(1)
    records = [
        "".join(rng.choice(list("ACGTN"), LENGTH, p=[0.24] * 4 + [0.04]))
        for _ in range(25)
    ]
    records[0] = records[0][:-4]  # a short record: padded only with --pad
    fasta = tmp_path / "seqs.fa"
    fasta.write_text(
        "".join(f">s{i}\n{s.lower()}\n" for i, s in enumerate(records))
    )
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    out = tmp_path / "motifs.meme"
    status, stdout, err = run(capsys, "extract", model_path, fasta, "-o", out)
    assert status == 2 and not out.exists()
    assert "record 0 ('s0')" in err and "length 26" in err and "length 30" in err
    assert "--pad" in err
    status, stdout, err = run(
        capsys, "extract", model_path, fasta, "-o", out, "--pad"
    )
    assert status == 0, err
    x = one_hot(records, length=LENGTH)
    assert_same_motifs(out, expected(model, x))
    assert "(25 sequences)" in stdout


def test_extract_targets_from_npz_labels(capsys, tmp_path, model, files):
    out = tmp_path / "motifs.meme"
    status, stdout, err = run(
        capsys,
        "extract",
        files["keras"],
        files["npz"],
        "--labels-key",
        "y",
        "--targets",
        "1",
        "--max-sequences",
        "9",
        "--batch-size",
        "4",
        "-o",
        out,
        *RULE,
    )
    assert status == 0, err
    rows = [i for i in range(N) if files["y"][i, 1] > 0][:9]
    assert_same_motifs(out, expected(model, files["x"][rows], **RULE_OPTIONS))
    assert "(9 sequences)" in stdout


@pytest.mark.parametrize("version", ["v5", "v7.3", "v7.3 named .h5"])
def test_extract_deepsea_mat_targets(capsys, tmp_path, model, files, version):
    """DeepSEA-like valid.mat (MATLAB v5, (N, 4, length)) and train.mat
    (HDF5, (length, 4, N), streamed, whatever its suffix): AGCT, 919 labels,
    --targets NRSF."""
    from keras_motifs.data import label_indices

    rng = np.random.default_rng(2)
    x = files["x"]
    y = (rng.random((N, 919)) < 0.01).astype(np.uint8)
    y[::3, label_indices("NRSF")[5]] = 1
    agct = x[..., [0, 2, 1, 3]]
    path = tmp_path / ("data.h5" if version.endswith(".h5") else "data.mat")
    if version == "v5":
        scipy.io.savemat(
            path,
            {
                "validxdata": agct.transpose(0, 2, 1).astype(np.uint8),
                "validdata": y,
            },
        )
    else:
        with h5py.File(path, "w") as handle:
            handle["trainxdata"] = agct.transpose(1, 2, 0).astype(np.uint8)
            handle["traindata"] = y.T
    out = tmp_path / "motifs.meme"
    status, _, err = run(
        capsys, "extract", files["keras"], path, "--targets", "NRSF", "-o", out,
        *RULE,
    )
    assert status == 0, err
    keep = y[:, label_indices("NRSF")].any(axis=1)
    assert 0 < keep.sum() < N
    assert_same_motifs(
        out, expected(model, agct[keep], alphabet="AGCT", **RULE_OPTIONS)
    )


def test_extract_deepsea_channels_first_hdf5(capsys, tmp_path, model, files):
    path = tmp_path / "example.h5"
    agct = files["x"][..., [0, 2, 1, 3]]
    with h5py.File(path, "w") as handle:
        handle["testxdata"] = agct.transpose(0, 2, 1).astype(np.uint8)
    out = tmp_path / "motifs.meme"
    status, _, err = run(capsys, "extract", files["keras"], path, "-o", out,
                         *RULE)
    assert status == 0, err
    assert_same_motifs(out, expected(model, agct, alphabet="AGCT", **RULE_OPTIONS))


def test_extract_shared_deepsea_example(capsys, tmp_path):
    """DeepSEA's real example.h5 (8 x 1000 bp, AGCT) through the command."""
    example = shared_file("fixtures/danq/deepsea_example.h5")
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((1000, 4)), keras.layers.Conv1D(4, 9)]
    )
    model_path = tmp_path / "wide.keras"
    model.save(model_path)
    out = tmp_path / "motifs.meme"
    status, _, err = run(capsys, "extract", model_path, example, "-o", out,
                         *RULE)
    assert status == 0, err
    with h5py.File(example, "r") as handle:
        agct = handle["testxdata"][()].transpose(0, 2, 1).astype("float32")
    assert_same_motifs(out, expected(model, agct, alphabet="AGCT", **RULE_OPTIONS))


def test_selected_batches_match_a_loop(rng):
    """Target selection and the cap, against a row-by-row loop."""
    x = random_one_hot(rng, 57, 6)
    y = (rng.random((57, 5)) < 0.3).astype(np.uint8)

    def batches(batch_size):
        for start in range(0, 57, batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]

    data = SequenceSource(batches, rereadable=True, count=57, has_labels=True)
    for cap in (None, 1, 8, 100):
        seen = []
        parts = list(
            selected_batches(
                data, 10, targets="0,3", max_sequences=cap, on_batch=seen.append
            )
        )
        rows = [i for i in range(57) if y[i, 0] or y[i, 3]]
        rows = rows if cap is None else rows[:cap]
        np.testing.assert_array_equal(
            np.concatenate([p[0] for p in parts]), x[rows]
        )
        np.testing.assert_array_equal(
            np.concatenate([p[1] for p in parts]), y[rows]
        )
        assert sum(seen) == len(rows)


# compare, logos, report, influence


@pytest.fixture(scope="module")
def jaspar_meme(tmp_path_factory):
    pytest.importorskip("pyjaspar")
    pytest.importorskip("memelite")
    from keras_motifs.matching.motif_database import jaspar_motifs

    directory = tmp_path_factory.mktemp("meme")
    motifs = jaspar_motifs(
        ["MA0139.2", "MA0138.3", "MA0080.7"], release="JASPAR2024"
    )
    # Queries named like filters, their counts perturbed a little.
    rng = np.random.default_rng(4)
    noisy = motifs.counts + rng.uniform(0, 3, motifs.counts.shape) * (
        motifs.counts.sum(axis=-1, keepdims=True) > 0
    )
    queries = MotifSet(noisy, motifs.nsites, bounds=motifs.bounds)
    paths = {
        "queries": directory / "queries.meme",
        "jaspar": directory / "db.meme",
    }
    queries.to_meme(paths["queries"])
    motifs.to_meme(paths["jaspar"])
    return paths


def test_compare_with_jaspar_release(capsys, tmp_path, jaspar_meme):
    out = tmp_path / "tomtom.tsv"
    status, stdout, err = run(
        capsys,
        "compare",
        jaspar_meme["queries"],
        "--release",
        "JASPAR2024",
        "-o",
        out,
    )
    assert status == 0, err
    best = read_comparison(out)
    assert {k: v[:2] for k, v in best.items()} == {
        "filter0": ("MA0139.2", "CTCF"),
        "filter1": ("MA0138.3", "REST"),
        "filter2": ("MA0080.7", "Spi1"),
    }
    assert all(v[2] < 1e-3 for v in best.values())
    assert "3 of 3 motifs match JASPAR2024 CORE vertebrates" in stdout


def test_compare_with_a_meme_db_and_options(capsys, tmp_path, jaspar_meme):
    out = tmp_path / "tomtom.tsv"
    status, stdout, err = run(
        capsys,
        "compare",
        jaspar_meme["queries"],
        "--db",
        jaspar_meme["jaspar"],
        "--threshold",
        "0.9",
        "--evalue",
        "--no-trim",
        "-o",
        out,
    )
    assert status == 0
    assert "keras-motifs: warning: tomtom was given 3 target motifs" in err
    lines = out.read_text().splitlines()
    assert any(
        "queries not trimmed" in line for line in lines if line.startswith("#")
    )
    best = read_comparison(out)
    assert [best[f"filter{i}"][0] for i in range(3)] == [
        "MA0139.2",
        "MA0138.3",
        "MA0080.7",
    ]


def test_logos(capsys, tmp_path, jaspar_meme):
    out = tmp_path / "logos"
    status, stdout, err = run(
        capsys,
        "logos",
        jaspar_meme["queries"],
        "-o",
        out,
        "--kind",
        "probability",
        "--trim",
        "0.5",
        "--dpi",
        "40",
    )
    assert status == 0, err
    names = sorted(os.listdir(out))
    assert names == [
        "filter0.png",
        "filter1.png",
        "filter2.png",
        "overview.png",
    ]
    from matplotlib.image import imread

    for name in names:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        rgb = imread(out / name)[..., :3]
        coloured = np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.3)
        assert coloured > 0.005, name  # letters were drawn
    overview = imread(out / "overview.png")
    assert overview.shape[1] > imread(out / "filter0.png").shape[1]
    assert "Wrote 3 logos" in stdout


def test_report_with_comparison_and_influence(capsys, tmp_path, jaspar_meme):
    table = tmp_path / "tomtom.tsv"
    assert (
        run(
            capsys,
            "compare",
            jaspar_meme["queries"],
            "--db",
            jaspar_meme["jaspar"],
            "-o",
            table,
        )[0]
        == 0
    )
    influence = tmp_path / "influence.tsv"
    influence.write_text(
        "filter\tname\tloss_delta\ttarget0\n"
        "0\tfilter0\t0.125\t-0.5\n2\tfilter2\t-0.0625\t0.25\n"
    )
    out = tmp_path / "report.html"
    status, stdout, err = run(
        capsys,
        "report",
        jaspar_meme["queries"],
        "--comparison",
        table,
        "--influence",
        influence,
        "--title",
        "My <motifs>",
        "-o",
        out,
    )
    assert status == 0, err
    html = out.read_text()
    for text in (
        "MA0139.2",
        "CTCF",
        "REST",
        "0.125",
        "-0.0625",
        "My &lt;motifs&gt;",
        "loss_delta",
    ):
        assert text in html


def test_report_with_patterns(capsys, tmp_path, jaspar_meme):
    """--patterns: the patterns' table below the filters, linked to them by
    Tomtom alone (no seqlets or scores in the files)."""
    jaspar = read_meme(jaspar_meme["jaspar"])  # MA0139.2, MA0138.3, MA0080.7
    patterns = tmp_path / "patterns.meme"
    jaspar[[0, 2]]._replace(names=["pos_pattern_0", "neg_pattern_0"]).to_meme(
        patterns)
    table = tmp_path / "patterns.tsv"
    status, _, err = run(capsys, "compare", patterns, "--db",
                         jaspar_meme["jaspar"], "-o", table)
    assert status == 0, err
    out = tmp_path / "report.html"
    status, stdout, err = run(
        capsys, "report", jaspar_meme["queries"], "--patterns", patterns,
        "--pattern-comparison", table, "-o", out,
    )
    assert status == 0, err
    assert "Wrote a report of 3 motifs and 2 patterns (2 linked" in stdout
    filters, found = out.read_text().split("<h2>Patterns: what the model uses</h2>")
    rows = found.split("<tr>")[2:]
    assert len(rows) == 2 and "CTCF (MA0139.2)" in rows[0]
    assert re.search(r"<td>filter0 \(q [0-9.e-]+\)</td>", rows[0])
    assert re.search(r"<td>filter2 \(q [0-9.e-]+\)</td>", rows[1])
    assert "Tomtom similarity alone" in found and "of seqlets" not in found
    # The filter table names each filter's patterns; without scores, no
    # "used" or "contribution / background".
    assert "<td>pos_pattern_0</td>" in filters.split("<tr>")[2]
    assert ">used<" not in filters and "contribution / background" not in filters
    # Errors, before any work (here: before --bootstrap refuses a MEME file).
    text = tmp_path / "notes.txt"
    text.write_text("patterns: see notes\n")
    for argv, needle in [
        (["--patterns", tmp_path / "missing.meme"],
         "--patterns file not found: "),
        (["--patterns", text], "notes.txt, line 1"),
        (["--patterns", jaspar_meme["queries"]],
         "holds motifs named like those of MOTIFS (filter0, filter1, filter2)"),
        (["--pattern-comparison", table], "pass --patterns too"),
    ]:
        assert needle in one_line_error(
            capsys, "report", jaspar_meme["queries"], "--bootstrap", "5",
            *argv, "-o", tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


@pytest.fixture(scope="module")
def loaded(files):
    return keras.saving.load_model(files["keras"], compile=False)


def all_rows(y):
    return np.ones(len(y), bool)


@pytest.mark.parametrize(
    "data, labels, extra, rows, batch_size",
    [
        # LABELS from an .npz file (its first 2-D array).
        ("npy", "npz", ["--batch-size", "16"], all_rows, 16),
        # A .npy LABELS file with --max-sequences scores the first sequences.
        ("npy", "labels", ["--max-sequences", "11"], lambda y: np.arange(len(y)) < 11, 256),
        # Labels inside DATA, selected by --targets, give the same as a subset.
        ("npz", None, ["--labels-key", "y", "--targets", "0"], lambda y: y[:, 0] > 0, 256),
    ],
    ids=["labels-npz", "labels-npy-max-sequences", "labels-key-targets"],
)
def test_influence_matches_filter_influence(
    capsys, tmp_path, files, loaded, data, labels, extra, rows, batch_size
):
    from keras_motifs.analysis.influence import filter_influence

    out = tmp_path / "influence.tsv"
    argv = ["influence", files["keras"], files[data]]
    argv += [files[labels]] if labels else []
    status, stdout, err = run(capsys, *argv, *extra, "-o", out)
    assert status == 0, err
    keep = rows(files["y"])
    assert 0 < keep.sum()
    reference = filter_influence(
        loaded, files["x"][keep], files["y"][keep], batch_size=batch_size
    )
    with open(out, newline="") as handle:
        table = list(csv.DictReader(handle, delimiter="\t"))
    assert [row["name"] for row in table] == [f"filter{i}" for i in range(FILTERS)]
    assert [int(row["filter"]) for row in table] == list(range(FILTERS))
    np.testing.assert_allclose(
        [float(row["loss_delta"]) for row in table],
        reference.loss_delta,
        rtol=1e-4,
        atol=1e-7,
    )
    assert np.ptp(reference.loss_delta) > 0  # the filters differ


# help and errors


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["extract"],
        ["compare"],
        ["logos"],
        ["report"],
        ["influence"],
        ["bootstrap"],
        ["demo"],
    ],
)
def test_help(capsys, command):
    status, stdout, _ = run(capsys, *command, "--help")
    assert status == 0
    assert stdout.startswith(
        f"usage: keras-motifs {' '.join(command)}".rstrip()
    )


def one_line_error(capsys, *argv):
    status, stdout, err = run(capsys, *argv)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keras-motifs: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_errors_are_one_line(capsys, tmp_path, model, files):
    dense = model.layers[-1].name
    model, npy = files["keras"], files["npy"]
    np.save(tmp_path / "y5.npy", files["y"][:5])
    (tmp_path / "text.keras").write_text("not a model")
    np.save(tmp_path / "flat.npy", files["x"][:, :, 0])
    np.save(tmp_path / "five.npy", np.zeros((3, LENGTH, 5), "float32"))
    np.save(tmp_path / "short.npy", files["x"][:, :20])
    (tmp_path / "x.csv").write_text("1,2")
    with h5py.File(tmp_path / "empty.h5", "w") as handle:
        handle["y"] = np.zeros(3)
    cases = {
        ("extract", tmp_path / "missing.keras", npy): "not found",
        ("extract", model, tmp_path / "missing.npy"): "not found",
        ("extract", tmp_path / "text.keras", npy): "not a Keras model",
        ("extract", npy, npy): "it is a numpy .npy array",
        ("extract", model, tmp_path / "flat.npy"): "shape (N, length, 4)",
        ("extract", model, tmp_path / "five.npy"): "4 channels",
        ("extract", model, tmp_path / "short.npy"): "length 30",
        ("extract", model, tmp_path / "x.csv"): "expected .npy",
        ("extract", model, tmp_path / "empty.h5"): "no 3-D dataset",
        ("extract", model, files["npz"], "--key", "nope"): "no array 'nope'",
        ("extract", model, npy, "--layer", "nope"): "No layer named 'nope'",
        ("extract", model, npy, "--layer", dense): "is a Dense, not a Conv1D",
        ("extract", model, npy, "--layer", "7"): "out of range",
        ("extract", model, npy, "--targets", "NRSF"): "--targets needs labels",
        (
            "extract",
            model,
            files["npz"],
            "--labels-key",
            "y",
            "--targets",
            "NRSF",
        ): "919",
        ("extract", model, npy, "--alphabet", "ACGU"): "alphabet",
        ("extract", model, npy, "--relative-threshold", "2"): "(0, 1)",
        ("extract", model, npy, "--batch-size", "0"): "positive integer",
        ("extract", model, npy, "--threshold", "null:2"): "null:P",
        # 100 null maxima expect 0.1 above a null:0.001 cutoff, not 10.
        (
            "extract",
            model,
            npy,
            "--threshold",
            "null:0.001",
            "--null-sequences",
            "100",
        ): "needs at least 10000 null sequences",
        ("extract", model, npy, "--max-sites", "0"): "positive integer",
        ("extract", model, npy, "--relative-to", "max"): "invalid choice",
        (
            "extract",
            model,
            npy,
            "-o",
            tmp_path / "no" / "m.meme",
        ): "does not exist",
        ("extract", model, npy, "--bogus"): "unrecognized arguments",
        ("extract",): "required",
        ("frobnicate",): "invalid choice",
        ("compare", tmp_path / "missing.meme"): "not found",
        ("compare", npy): "expected a MEME motif file",
        ("logos", tmp_path / "missing.meme"): "not found",
        ("report", files["npy"]): "expected a MEME motif file",
        ("influence", model, npy, tmp_path / "missing.npy"): "not found",
        ("influence", model, npy, tmp_path / "y5.npy"): "LABELS hold 5 rows",
    }
    for argv, needle in cases.items():
        assert needle in one_line_error(capsys, *argv), argv


@pytest.mark.slow
def test_console_script_in_a_subprocess(tmp_path, model, files):
    # `python -m` runs the package of this checkout (run from its root).
    command = [sys.executable, "-m", "keras_motifs.cli"]
    out = tmp_path / "motifs.meme"
    done = subprocess.run(
        command + ["extract", files["keras"], files["npy"], "-o", str(out),
                   *RULE],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote ")
    assert_same_motifs(out, expected(model, files["x"], **RULE_OPTIONS))
    assert "40/40" in done.stderr
    done = subprocess.run(
        command + ["extract", files["keras"], str(tmp_path / "missing.npy")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("keras-motifs: error: DATA")
    )
    assert "Traceback" not in done.stderr


# the demo


@pytest.mark.slow
def test_demo_quick(capsys, tmp_path):
    pytest.importorskip("pyjaspar")
    pytest.importorskip("memelite")
    pytest.importorskip("logomaker")
    out = tmp_path / "demo"
    status, stdout, err = run(
        capsys, "demo", "--quick", "--out", out, "--seed", "1"
    )
    assert status == 0, err
    expected_files = {
        "motifs.meme",
        "tomtom.tsv",
        "logos",
        "report.html",
        "model.keras",
        "sequences.npz",
        "planted.meme",
    }
    assert expected_files <= set(os.listdir(out))
    motifs = read_meme(out / "motifs.meme")
    logos = set(os.listdir(out / "logos"))
    assert logos == {f"{name}.png" for name in motifs.names} | {"overview.png"}
    planted = read_meme(out / "planted.meme")
    assert planted.names == [
        "MA0139.2",
        "MA0035.5",
        "MA0080.7",
        "MA0466.4",
        "MA0138.3",
    ]
    # What the demo claims, checked against the Tomtom table it wrote: a
    # planted motif is recovered when some filter's best hit (lowest q) is
    # that matrix in any version, or the same factor, at q < 0.05.
    claimed = re.match(r"Recovered (\d+) of (\d+) planted motifs", stdout)
    assert claimed, stdout
    best = read_comparison(out / "tomtom.tsv")
    assert set(best) <= set(motifs.names)
    found = {
        matrix_id
        for matrix_id, factor in zip(planted.names, planted.alt_names)
        for target_id, target_name, q_value in best.values()
        if q_value < 0.05
        and (
            target_id.split(".")[0] == matrix_id.split(".")[0]
            or target_name.lower() == factor.lower()
        )
    }
    assert (int(claimed[1]), int(claimed[2])) == (len(found), 5)
    # --seed 1 --quick recovered 5 of 5 when measured; allow one miss.
    assert len(found) >= 4, stdout
    for matrix_id in planted.names:
        line = next(line for line in stdout.splitlines() if matrix_id in line)
        assert ("not recovered" in line) == (matrix_id not in found), line
    assert "Epoch 1/" in err  # training progress on stderr
    with np.load(out / "sequences.npz") as data:
        assert data["x"].shape[1:] == (200, 4) and data["y"].shape[1] == 5
    # The saved model and sequences work with the other commands.
    status, _, err = run(
        capsys,
        "extract",
        out / "model.keras",
        out / "sequences.npz",
        "--key",
        "x",
        "-o",
        tmp_path / "again.meme",
        "--quiet",
    )
    assert status == 0, err


@pytest.mark.parametrize("command", ["extract", "influence"])
def test_targets_with_no_positive_sequence(capsys, tmp_path, files, command):
    data = tmp_path / "none.npz"
    np.savez(data, x=files["x"], y=np.zeros((len(files["x"]), 3), "float32"))
    argv = [command, files["keras"], data, "--labels-key", "y", "--targets", "2",
            "-o", tmp_path / "out.tsv"]
    assert "No sequence is positive for --targets 2" in one_line_error(capsys, *argv)


def test_report_of_a_binary_comparison_names_the_file(capsys, tmp_path):
    motifs = tmp_path / "m.meme"
    MotifSet(np.eye(4)[None].repeat(2, 0) * 5).to_meme(motifs)
    binary = tmp_path / "tomtom.tsv"
    binary.write_bytes(bytes(range(256)) * 4)
    status, _, err = run(
        capsys, "report", motifs, "--comparison", binary, "-o", tmp_path / "r.html"
    )
    assert status == 2
    assert "tomtom.tsv is not a text table" in err
    assert not (tmp_path / "r.html").exists()


def test_demo_with_a_negative_seed_leaves_nothing_behind(capsys, tmp_path):
    out = tmp_path / "demo"
    status, _, err = run(capsys, "demo", "--quick", "--seed", "-1", "--out", out)
    assert status == 2
    assert "`seed` must be an integer >= 0. Received: seed=-1" in err
    assert not out.exists()


def test_extract_writes_where_and_for_whom_filters_fire(capsys, tmp_path, model, files):
    from keras_motifs._internal.tsv import read_tsv

    with_labels = tmp_path / "labelled.tsv"
    status, _, err = run(capsys, "extract", files["keras"], files["npz"], "--labels-key",
                         "y", "-o", tmp_path / "m.meme", "--firing", with_labels, "-q",
                         *RULE)
    assert status == 0, err
    expected = Conv1DInterpreter(model).extract(files["x"], labels=files["y"],
                                                **RULE_OPTIONS)
    rows = read_tsv(with_labels, ("filter", "nsites", "forward", "reverse", "best_auc"))
    assert [int(r["nsites"]) for r in rows] == expected.motifs.nsites.tolist()
    names, aucs = expected.firing.best_target()
    np.testing.assert_allclose([float(r["best_auc"]) for r in rows], aucs, rtol=1e-5)
    assert [r["best_target"] for r in rows] == list(names)
    strands = expected.firing.strand_counts
    assert [(int(r["forward"]), int(r["reverse"])) for r in rows] == [tuple(s) for s in strands]
    without = tmp_path / "plain.tsv"
    status, _, err = run(capsys, "extract", files["keras"], files["npy"], "-o",
                         tmp_path / "n.meme", "--firing", without, "-q", *RULE)
    assert status == 0, err
    assert "best_auc" not in read_tsv(without)[0]


# Block counts: extract --blocks, bootstrap, report --bootstrap.


def test_blocks_round_trip(capsys, tmp_path, model, files, jaspar_meme):
    from keras_motifs._internal.tsv import read_tsv
    from keras_motifs.analysis.bootstrap import bootstrap
    from keras_motifs.formats import read_extraction

    npz = tmp_path / "motifs.npz"
    status, _, err = run(capsys, "extract", files["keras"], files["npy"],
                         "-o", npz, "--blocks", "4", "--batch-size", "10", "-q",
                         *RULE)
    assert status == 0, err
    extraction = read_extraction(npz)
    direct = expected(model, files["x"], **RULE_OPTIONS)
    np.testing.assert_array_equal(extraction.motifs.counts, direct.counts)
    for b in range(4):  # batches of 10 dealt round robin: block b is batch b
        part = expected(model, files["x"][b * 10:(b + 1) * 10], **RULE_OPTIONS)
        np.testing.assert_array_equal(extraction.blocks.counts[b], part.counts)
    table = tmp_path / "bootstrap.tsv"
    status, _, err = run(capsys, "bootstrap", npz, "-o", table, "--db",
                         jaspar_meme["jaspar"], "--resamples", "30", "-q")
    assert status == 0, err
    rows = read_tsv(table, ("information_low", "match_stability"))
    _, low, _ = bootstrap(extraction, 30).total_information()
    assert [float(row["information_low"]) for row in rows] == pytest.approx(low, rel=1e-5)
    report = tmp_path / "report.html"
    status, _, err = run(capsys, "report", npz, "-o", report, "--bootstrap", "20")
    assert status == 0, err
    assert "information low" in report.read_text()


def test_blocks_errors(capsys, tmp_path, files):
    status, _, err = run(capsys, "extract", files["keras"], files["npy"],
                         "-o", tmp_path / "m.meme", "--blocks", "4")
    assert status == 2 and "npz" in err and not (tmp_path / "m.meme").exists()
    status, _, err = run(capsys, "extract", files["keras"], files["npy"],
                         "-o", tmp_path / "m.npz")
    assert status == 0
    status, _, err = run(capsys, "bootstrap", tmp_path / "m.npz", "--no-match",
                         "-o", tmp_path / "b.tsv")
    assert status == 2 and "blocks" in err and not (tmp_path / "b.tsv").exists()
