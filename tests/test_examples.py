"""The examples run end to end (small arguments) and write their outputs."""

import importlib.util
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
import scipy.io
from conftest import ROOT

from keras_motifs import read_meme
from keras_motifs.data import DeepSEATrainSequence, label_indices, load_deepsea_mat

EXAMPLES = ROOT / "examples"


def run_example(name, *args, cwd):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
    return completed.stdout


def tsv_rows(path):
    return [line.split("\t") for line in path.read_text().splitlines()]


def best_site_probability(motifs, site):
    """Highest mean probability of `site`'s bases over motifs and offsets."""
    best = 0.0
    for p in motifs.probabilities():
        for offset in range(len(p) - len(site) + 1):
            rows = p[offset : offset + len(site)]
            best = max(best, np.mean([r["ACGT".index(b)] for r, b in zip(rows, site)]))
    return best


@pytest.mark.slow
def test_toy_planted_kmer(tmp_path):
    out = run_example(
        "toy_planted_kmer.py", "--n", "600", "--epochs", "2", "--out", "toy.meme",
        cwd=tmp_path,
    )
    motifs = read_meme(tmp_path / "toy.meme")
    assert motifs.width == 12 and len(motifs) >= 1
    assert "validation accuracy" in out
    # Even briefly trained, a filter holds the k-mer (random: about 0.3).
    assert best_site_probability(motifs, "AAAAAAAA") > 0.45


@pytest.mark.slow
def test_custom_model(tmp_path):
    out = run_example(
        "custom_model.py", "--n", "600", "--epochs", "2", "--out-dir", "out",
        cwd=tmp_path,
    )
    for name in ("motif_long.meme", "motif_long_relu.meme"):
        motifs = read_meme(tmp_path / "out" / name)
        assert motifs.width == 24 and len(motifs) >= 1
    rows = tsv_rows(tmp_path / "out" / "influence.tsv")
    assert rows[0] == ["filter", "name", "loss_delta", "bound"]
    assert len(rows) == 1 + 16
    site = out.split("best match to ")[1].split(":")[0]
    motifs = read_meme(tmp_path / "out" / "motif_long.meme")
    assert best_site_probability(motifs, site) > 0.5


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_danq_smoke_files_have_deepsea_formats(tmp_path):
    danq = load_example("danq_deepsea")
    danq.write_smoke_data(tmp_path, length=60)
    train = tmp_path / "train.mat"
    assert scipy.io.matlab.matfile_version(str(train)) == (2, 0)  # v7.3
    with h5py.File(train, "r") as handle:
        n = danq.SMOKE_WINDOWS["train"] * 2
        assert handle["trainxdata"].shape == (60, 4, n)
        assert handle["traindata"].shape == (919, n)
    sequence = DeepSEATrainSequence(train, batch_size=n, shuffle=False)
    x, y = sequence[0]
    half = n // 2
    # Forward windows first, then their reverse complements (AGCT order).
    np.testing.assert_array_equal(x[half:], x[:half, ::-1, ::-1])
    np.testing.assert_array_equal(y[half:], y[:half])
    assert (x.sum(axis=-1) == 1).all()
    for split in ("valid", "test"):
        path = tmp_path / f"{split}.mat"
        assert scipy.io.matlab.matfile_version(str(path)) == (1, 0)  # v5
        shapes = {name: shape for name, shape, _ in scipy.io.whosmat(str(path))}
        n = danq.SMOKE_WINDOWS[split] * 2
        assert shapes == {f"{split}xdata": (n, 4, 60), f"{split}data": (n, 919)}
        x, y = load_deepsea_mat(path)
        assert x.alphabet == "AGCT" and x.shape == (n, 60, 4)
        assert 0 < y[:, label_indices("NRSF")].mean() < 1


@pytest.mark.slow
def test_danq_deepsea_smoke(tmp_path):
    out = run_example("danq_deepsea.py", "--smoke", "--out-dir", "out", cwd=tmp_path)
    out_dir = tmp_path / "out"
    motifs = read_meme(out_dir / "nrsf_motifs.meme")
    assert motifs.width == 26 and len(motifs) >= 1
    aucs = tsv_rows(out_dir / "aucs.tsv")
    assert len(aucs) == 1 + 919
    influence = tsv_rows(out_dir / "influence.tsv")
    assert influence[0][:3] == ["filter", "name", "loss_delta"]
    assert len(influence) == 1 + 16 and len(influence[0]) == 3 + 919
    assert (out_dir / "danq.keras").stat().st_size > 0
    if importlib.util.find_spec("logomaker"):
        assert "DanQ NRSF motifs" in (out_dir / "report.html").read_text()
    assert "mean ROC AUC" in out


def test_danq_deepsea_needs_data_or_smoke(capsys):
    # The argument check, in this process: starting Python and TensorFlow
    # again would only test `main`'s exit status through `raise SystemExit`.
    danq = load_example("danq_deepsea")
    with pytest.raises(SystemExit) as exited:
        danq.main([])
    assert exited.value.code == 2
    assert "give either --data-dir or --smoke" in capsys.readouterr().err


@pytest.mark.slow
def test_sharded_dask_equals_one_scan(tmp_path):
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask[distributed] is not installed")
    out = run_example(
        "sharded_dask.py", "--smoke", "--shards", "3", "--workers", "1",
        "--out", "s.meme",
        cwd=tmp_path,
    )
    assert "equal to one scan of all sequences: True" in out
    assert len(read_meme(tmp_path / "s.meme")) == 16
