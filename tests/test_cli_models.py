"""The command line on models and data as users hold them: legacy files,
other lengths, genomic intervals, other motif formats, a quick `--help`."""

import inspect
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from conftest import random_one_hot, shared_file
from legacy_files import keras1_sequential, write_keras1_weights
from keras_motifs import Conv1DInterpreter, read_meme
from keras_motifs.cli import main
from keras_motifs.cli.datafiles import LengthFit, fit_length
from keras_motifs.cli.parser import COMMANDS
from keras_motifs.formats import read_jaspar, read_motifs
from keras_motifs.legacy import load_model

LENGTH = 30
WIDTH = 5
# The site rule of these tests about files and lengths, stated: random
# filters on random data keep almost no site under the default null rule,
# so they count every maximum above 0, on both strands.
RULE = ("--threshold", "0", "--strands", "both")
RULE_OPTIONS = dict(threshold=0.0, strands="both")


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_same_counts(path, motifs, read=read_meme):
    got = read(path)
    kept = motifs.select(nsites_at_least=1)
    np.testing.assert_array_equal(got.nsites, kept.nsites)
    np.testing.assert_allclose(got.probabilities(), kept.probabilities(), atol=2e-6)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((LENGTH, 4)),
        keras.layers.Conv1D(4, WIDTH, activation="relu", name="conv"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1),
    ])
    model.get_layer("conv").bias.assign(np.full(4, -0.2, "float32"))
    path = tmp_path_factory.mktemp("models") / "model.keras"
    model.save(path)
    return path


# --help without TensorFlow.


def test_help_of_every_command_does_not_import_tensorflow():
    names = ["--help"] + [
        re.search(r'add_parser\(\s*"(\w+)"', inspect.getsource(add)).group(1)
        + " --help" for add in COMMANDS
    ]
    script = (
        "import contextlib, io, sys\n"
        "from keras_motifs.cli import main\n"
        f"for argv in {[name.split() for name in names]!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "        assert main(argv) == 0, argv\n"
        "    assert 'usage:' in out.getvalue(), argv\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules))\n"
        "from keras_motifs import MotifExtractor, MotifSet\n"
        "import keras_motifs\n"
        "assert all(hasattr(keras_motifs, name) for name in keras_motifs.__all__)\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "[]", result.stdout  # no Keras for any --help
    assert lines[1] == "True"  # the public names still import it when used
    assert len(names) == len(COMMANDS) + 1 >= 8


# Lengths: an error by default, --pad / --crop when asked.


@pytest.mark.parametrize("pad_with, value", [("uniform", 0.25), ("zeros", 0.0)])
@pytest.mark.parametrize("have", [1, 7, 30, 31, 44])
def test_fit_length_matches_a_plain_loop(rng, have, pad_with, value):
    x = rng.random((3, have, 4)).astype("float32")
    fit = LengthFit(pad=True, crop=True, pad_with=pad_with)
    got = fit_length(x, LENGTH, fit, str)
    expected = np.full((3, LENGTH, 4), value, "float32")
    for i in range(3):
        for j in range(LENGTH):
            source = j + (have - LENGTH) // 2 if have > LENGTH else j - (LENGTH - have) // 2
            if 0 <= source < have:
                expected[i, j] = x[i, source]
    np.testing.assert_array_equal(got, expected)


def test_other_lengths_fail_naming_both_and_the_fix(capsys, tmp_path, model_path, rng):
    short = random_one_hot(rng, 12, 22)
    np.save(tmp_path / "short.npy", short)
    out = tmp_path / "m.meme"
    status, _, err = run(capsys, "extract", model_path, tmp_path / "short.npy", "-o", out)
    assert status == 2 and not out.exists()
    assert "length 22" in err and "length 30" in err and "--pad" in err
    model = keras.saving.load_model(model_path)
    for pad_with, value in (("uniform", 0.25), ("zeros", 0.0)):
        status, _, err = run(capsys, "extract", model_path, tmp_path / "short.npy",
                             "-o", out, "--pad", "--pad-with", pad_with, *RULE)
        assert status == 0, err
        padded = np.full((12, LENGTH, 4), value, "float32")
        padded[:, 4:26] = short
        assert_same_counts(out, Conv1DInterpreter(model).extract(
            padded, **RULE_OPTIONS).motifs)
    long = random_one_hot(rng, 12, 41)
    np.save(tmp_path / "long.npy", long)
    status, _, err = run(capsys, "extract", model_path, tmp_path / "long.npy", "-o", out)
    assert status == 2 and "--crop" in err and "length 41" in err
    status, _, err = run(capsys, "extract", model_path, tmp_path / "long.npy",
                         "-o", out, "--crop", *RULE)
    assert status == 0, err
    assert_same_counts(out, Conv1DInterpreter(model).extract(
        long[:, 5:35], **RULE_OPTIONS).motifs)


# Motif formats.


def test_extract_format_by_suffix_and_convert_between_formats(
        capsys, tmp_path, model_path, rng):
    x = random_one_hot(rng, 40, LENGTH)
    np.save(tmp_path / "x.npy", x)
    motifs = Conv1DInterpreter(keras.saving.load_model(model_path)).extract(
        x, **RULE_OPTIONS).motifs
    status, out, err = run(capsys, "extract", model_path, tmp_path / "x.npy",
                           "-o", tmp_path / "m.npz", *RULE)
    assert status == 0 and "(npz)" in out, err
    got = read_motifs(tmp_path / "m.npz")
    np.testing.assert_array_equal(got.counts, motifs.counts)
    status, _, err = run(capsys, "extract", model_path, tmp_path / "x.npy",
                         "-o", tmp_path / "m.txt", "--format", "transfac", *RULE)
    assert status == 0, err
    assert read_motifs(tmp_path / "m.txt", format="transfac").nsites.tolist() == [
        n for n in motifs.nsites.tolist() if n]
    status, out, err = run(capsys, "convert", tmp_path / "m.npz",
                           "-o", tmp_path / "m.jaspar")
    assert status == 0 and "(jaspar)" in out, err
    jaspar = read_jaspar(tmp_path / "m.jaspar")
    kept = motifs.select(nsites_at_least=1)
    assert np.abs(jaspar.counts - kept.counts).max() <= 1
    status, _, err = run(capsys, "convert", tmp_path / "x.npy", "-o", tmp_path / "y.meme")
    assert status == 2 and "not a motif file" in err


# Legacy files.


MOTIF = "ACGTTG"


def legacy_files(tmp_path):
    """A Keras 1 weights-only file and its JSON, with a Theano-flipped kernel."""
    rng = np.random.default_rng(3)
    true = rng.normal(size=(len(MOTIF), 4, 3)).astype("float32")
    config = keras1_sequential([
        ("Convolution1D", dict(name="conv", nb_filter=3, filter_length=len(MOTIF),
                               border_mode="valid", subsample_length=1,
                               activation="relu", input_dim=4, input_length=LENGTH,
                               batch_input_shape=[None, LENGTH, 4], bias=True)),
        ("Flatten", dict(name="flatten")),
        ("Dense", dict(name="out", output_dim=1, activation="sigmoid")),
    ])
    weights = tmp_path / "weights.hdf5"
    write_keras1_weights(weights, [
        ("conv", [("conv_W", true[::-1][:, None]), ("conv_b", np.zeros(3, "float32"))]),
        ("flatten", []),
        ("out", [("out_W", np.ones((3 * (LENGTH - len(MOTIF) + 1), 1), "float32")),
                 ("out_b", np.zeros(1, "float32"))]),
    ])
    import json
    architecture = tmp_path / "model.json"
    architecture.write_text(json.dumps(config))
    return weights, architecture, true


def test_extract_and_convert_a_legacy_theano_file(capsys, tmp_path, rng):
    weights, architecture, true = legacy_files(tmp_path)
    x = random_one_hot(rng, 60, LENGTH)
    np.save(tmp_path / "x.npy", x)
    results = {}
    for order in ("theano", "tensorflow"):
        out = tmp_path / f"{order}.meme"
        status, _, err = run(capsys, "extract", weights, tmp_path / "x.npy",
                             "--architecture", architecture, "--kernel-order", order,
                             "-o", out, *RULE)
        assert status == 0, err
        model = load_model(weights, architecture=architecture, kernel_order=order)
        assert_same_counts(out, Conv1DInterpreter(model).extract(x, **RULE_OPTIONS).motifs)
        results[order] = read_meme(out)
    np.testing.assert_array_equal(
        load_model(weights, architecture=architecture, kernel_order="theano")
        .get_layer("conv").kernel.numpy(), true)
    assert not np.allclose(results["theano"].counts, results["tensorflow"].counts)
    status, _, err = run(capsys, "extract", weights, tmp_path / "x.npy", "-o",
                         tmp_path / "m.meme")
    assert status == 2 and "--architecture" in err
    status, out, err = run(capsys, "convert", weights, "--architecture", architecture,
                           "--kernel-order", "theano", "-o", tmp_path / "m.keras")
    assert status == 0, err
    converted = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(converted.get_layer("conv").kernel.numpy(), true)


def test_a_legacy_lambda_is_refused_without_unsafe(capsys, tmp_path, rng):
    weights, architecture, _ = legacy_files(tmp_path)
    import json
    config = json.loads(architecture.read_text())
    marker = tmp_path / "ran"
    code = f"lambda x: (open({str(marker)!r}, 'w'), x)[1]"
    config["config"].insert(1, {"class_name": "Lambda", "config": {
        "name": "code", "function": code, "function_type": "lambda"}})
    architecture.write_text(json.dumps(config))
    np.save(tmp_path / "x.npy", random_one_hot(rng, 4, LENGTH))
    status, _, err = run(capsys, "extract", weights, tmp_path / "x.npy",
                         "--architecture", architecture, "-o", tmp_path / "m.meme")
    assert status == 2 and "--unsafe" in err and "Lambda" in err
    assert not marker.exists()


def test_models_are_told_by_content_whatever_the_suffix(capsys, tmp_path, rng, model_path):
    weights, architecture, true = legacy_files(tmp_path)
    hd5 = tmp_path / "in_vivo_ctcf_balanced_model.weights.hd5"
    os.rename(weights, hd5)
    arch = tmp_path / "in_vivo_ctcf_balanced_model.arch.json"
    os.rename(architecture, arch)
    x = random_one_hot(rng, 20, LENGTH)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "m.meme"
    status, _, err = run(capsys, "extract", hd5, tmp_path / "x.npy", "--architecture",
                         arch, "--kernel-order", "theano", "-o", out, "-q", *RULE)
    assert status == 0, err
    model = load_model(hd5, architecture=arch, kernel_order="theano")
    assert_same_counts(out, Conv1DInterpreter(model).extract(x, **RULE_OPTIONS).motifs)
    status, _, err = run(capsys, "extract", arch, tmp_path / "x.npy", "-o", out)
    assert status == 2 and "it is a text file starting with '{" in err
    assert "pass it as --architecture with the weights file" in err


def test_data_and_labels_are_told_by_content_whatever_the_suffix(
        capsys, tmp_path, rng, model_path):
    import h5py

    x = random_one_hot(rng, 20, LENGTH)
    with h5py.File(tmp_path / "x.hd5", "w") as handle:
        handle["x"] = x
    with open(tmp_path / "x.dat", "wb") as handle:
        np.save(handle, x)
    with open(tmp_path / "y.dat", "wb") as handle:
        np.save(handle, np.ones((20, 1), "float32"))
    out = tmp_path / "m.meme"
    expected = Conv1DInterpreter(keras.saving.load_model(model_path)).extract(
        x, **RULE_OPTIONS).motifs
    for data in ("x.hd5", "x.dat"):
        status, _, err = run(capsys, "extract", model_path, tmp_path / data, "-o", out,
                             "-q", *RULE)
        assert status == 0, err
        assert_same_counts(out, expected)
    status, _, err = run(capsys, "influence", model_path, tmp_path / "x.dat",
                         tmp_path / "y.dat", "-o", tmp_path / "i.tsv", "-q")
    assert status == 0, err
    (tmp_path / "x.json").write_text('{"x": 1}')
    status, _, err = run(capsys, "extract", model_path, tmp_path / "x.json", "-o", out)
    assert status == 2 and "it is a text file starting with '{\"x\": 1}'" in err
    assert "expected .npy" in err


def test_a_keras3_lambda_is_refused_with_the_unsafe_advice(capsys, tmp_path, rng):
    inputs = keras.Input((LENGTH, 4))
    x = keras.layers.Conv1D(2, WIDTH, name="conv")(inputs)
    x = keras.layers.Lambda(lambda t: t * 2, name="double")(x)
    keras.Model(inputs, x).save(tmp_path / "lambda.keras")
    np.save(tmp_path / "x.npy", random_one_hot(rng, 4, LENGTH))
    status, _, err = run(capsys, "extract", tmp_path / "lambda.keras", tmp_path / "x.npy",
                         "-o", tmp_path / "m.meme")
    assert status == 2, err
    assert "double (Lambda with a Python lambda); it was not built. Pass --unsafe only " \
        "for a file you trust" in err, err


def test_dna_channels_are_parsed_and_checked(capsys, model_path, tmp_path, rng):
    from keras_motifs.cli.parser import dna_channels
    assert dna_channels("0:4") == [0, 1, 2, 3]
    assert dna_channels("2,3,4,5") == [2, 3, 4, 5]
    np.save(tmp_path / "x.npy", random_one_hot(rng, 4, LENGTH))
    for bad in ("0:3", "1,1,2,3", "a:b", "0:"):
        status, _, err = run(capsys, "extract", model_path, tmp_path / "x.npy",
                             "--dna-channels", bad)
        assert status == 2 and "--dna-channels" in err, bad


# Genomic intervals.


def test_extract_bed_with_genome(capsys, tmp_path, model_path, rng):
    pytest.importorskip("pyfaidx")
    from keras_motifs.data.genome import GenomeIntervals
    chrom = "".join(rng.choice(list("ACGT"), 500))
    (tmp_path / "genome.fa").write_text(f">chr1\n{chrom}\n")
    starts = rng.integers(0, 450, 30)
    (tmp_path / "peaks.bed").write_text(
        "".join(f"chr1\t{s}\t{s + 20}\n" for s in starts))
    out = tmp_path / "m.meme"
    status, _, err = run(capsys, "extract", model_path, tmp_path / "peaks.bed", "-o", out)
    assert status == 2 and "--genome" in err
    status, stdout, err = run(capsys, "extract", model_path, tmp_path / "peaks.bed",
                              "--genome", tmp_path / "genome.fa", "-o", out, *RULE)
    assert status == 0, err
    assert "(30 sequences)" in stdout
    source = GenomeIntervals(tmp_path / "peaks.bed", tmp_path / "genome.fa",
                             length=LENGTH)
    model = keras.saving.load_model(model_path)
    assert_same_counts(out, Conv1DInterpreter(model).extract(
        np.concatenate([np.asarray(x) for x in source]), **RULE_OPTIONS).motifs)
    status, _, err = run(capsys, "extract", model_path, tmp_path / "peaks.bed",
                         "--genome", tmp_path / "missing.fa", "-o", out)
    assert status == 2 and "missing.fa" in err


# DNA plus signal: every kind of DATA the API takes, with --dna-channels.


@pytest.fixture(scope="module")
def signal_model_path(tmp_path_factory):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((LENGTH, 6)),
        keras.layers.Conv1D(4, WIDTH, activation="relu", name="conv"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(1),
    ])
    path = tmp_path_factory.mktemp("models") / "signal.keras"
    model.save(path)
    return path


def signal_data(tmp_path, rng, kind):
    """A DATA file of `kind` and the (n, LENGTH, 4 or 6) array the API scans."""
    import h5py

    x = np.zeros((12, LENGTH, 6), "float32")
    x[..., :4] = random_one_hot(rng, 12, LENGTH)
    x[..., 4:] = rng.random((12, LENGTH, 2))
    if kind == "npy":
        np.save(tmp_path / "x.npy", x)
        return tmp_path / "x.npy", [], x
    if kind == "npz":
        np.savez(tmp_path / "x.npz", x=x)
        return tmp_path / "x.npz", [], x
    if kind == "hdf5":
        with h5py.File(tmp_path / "x.h5", "w") as handle:
            handle["x"] = x
        return tmp_path / "x.h5", [], x
    if kind == "fasta":
        text = ["".join("ACGT"[c] for c in row) for row in x[..., :4].argmax(-1)]
        (tmp_path / "x.fa").write_text("".join(f">s{i}\n{t}\n" for i, t in enumerate(text)))
        return tmp_path / "x.fa", [], x[..., :4]
    pytest.importorskip("pyfaidx")
    from keras_motifs.data.genome import GenomeIntervals
    chrom = "".join(rng.choice(list("ACGT"), 400))
    (tmp_path / "genome.fa").write_text(f">chr1\n{chrom}\n")
    starts = rng.integers(0, 360, 12)
    (tmp_path / "peaks.bed").write_text("".join(f"chr1\t{s}\t{s + 30}\n" for s in starts))
    options = ["--genome", tmp_path / "genome.fa"]
    signals = []
    if kind == "bed+signals":
        pyBigWig = pytest.importorskip("pyBigWig")
        for i in range(2):
            path = tmp_path / f"s{i}.bw"
            handle = pyBigWig.open(str(path), "w")
            handle.addHeader([("chr1", 400)], maxZooms=0)
            handle.addEntries("chr1", 0, values=rng.random(400).tolist(), span=1, step=1)
            handle.close()
            signals.append(path)
            options += ["--signals", path]
    source = GenomeIntervals(tmp_path / "peaks.bed", tmp_path / "genome.fa",
                             length=LENGTH, signals=signals or None)
    return tmp_path / "peaks.bed", options, np.concatenate([np.asarray(b) for b in source])


@pytest.mark.parametrize("kind", ["npy", "npz", "hdf5", "fasta", "bed", "bed+signals"])
def test_dna_plus_signal_data_of_every_kind(capsys, tmp_path, rng, signal_model_path, kind):
    data, options, x = signal_data(tmp_path, rng, kind)
    out = tmp_path / "m.meme"
    status, _, err = run(capsys, "extract", signal_model_path, data, *options, "-o", out,
                         "--dna-channels", "0:4", "-q", *RULE)
    assert status == 0, err
    model = keras.saving.load_model(signal_model_path)
    expected = Conv1DInterpreter(model, dna_channels=range(4)).extract(
        x, **RULE_OPTIONS).motifs
    assert_same_counts(out, expected)
    if kind == "npy":
        table = tmp_path / "influence.tsv"
        status, _, err = run(capsys, "influence", signal_model_path, data, "-o", table,
                             "--dna-channels", "0:4", "-q")
        assert status == 0 and table.exists(), err
    status, _, err = run(capsys, "extract", signal_model_path, data, *options, "-o", out, "-q")
    assert status == 2 and "with --dna-channels (e.g. --dna-channels 0:4" in err, err


# TensorFlow's log lines.


@pytest.mark.slow
def test_tensorflow_log_lines_hidden_unless_verbose(tmp_path, model_path, rng):
    np.save(tmp_path / "x.npy", random_one_hot(rng, 4, LENGTH))
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    outputs = {}
    for flag in ([], ["--verbose"]):
        result = subprocess.run(
            [sys.executable, "-m", "keras_motifs.cli", "extract", str(model_path),
             str(tmp_path / "x.npy"), "-o", str(tmp_path / "m.meme"), "-q", *RULE,
             *flag],
            capture_output=True, text=True, env=environment,
        )
        assert result.returncode == 0, result.stderr
        outputs[bool(flag)] = result.stderr
    assert "cpu_feature_guard" not in outputs[False] and "I0000" not in outputs[False]
    assert "I0000" in outputs[True] or "cpu_feature_guard" in outputs[True]


# Done when: FactorNet's Theano filters give an E-box, unflipped ones do not.


E_BOX = re.compile(r"^(MAX|MYC|USF|TFE|MNT|MLX|MITF|MXI|SREBF|ARNT|BHLHE4|HEY|NPAS|CLOCK)",
                   re.IGNORECASE)


@pytest.mark.slow
def test_factornet_theano_filters_give_an_e_box(tmp_path):
    pytest.importorskip("memelite")
    pytest.importorskip("pyjaspar")
    folder = shared_file("fixtures/legacy/factornet_max")
    peaks = shared_file("fixtures/real/Gm12878.CTCF.top500.w200.fa")
    from keras_motifs.matching.compare import read_comparison
    best = {}
    for order in ("theano", None):
        out = tmp_path / f"{order}.meme"
        argv = ["extract", f"{folder}/final_model.hdf5", "--architecture",
                f"{folder}/model.json", "--input", "input_1", "--dna-channels", "0:4",
                peaks, "-o", out, "--pad", "-q"]
        if order:
            argv += ["--kernel-order", order]
        else:
            argv += ["--kernel-order", "tensorflow"]
        assert main([str(a) for a in argv]) == 0
        table = tmp_path / f"{order}.tsv"
        assert main(["compare", str(out), "-o", str(table), "--threshold", "0.01",
                     "-q"]) == 0
        # Each filter's best JASPAR hit (the lowest q-value, all below 0.01).
        best[order] = {name for _, name, _ in read_comparison(table).values()}
    assert any(E_BOX.match(name or "") for name in best["theano"]), best["theano"]
    assert not any(E_BOX.match(name or "") for name in best[None]), best[None]
