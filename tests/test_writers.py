"""Every file the package writes is written whole or not at all.

An end-to-end concern across modules: each public writer (MEME files, the
Tomtom, influence and AUC tables, the HTML report, logo grids) is run with
its write failing in each way a write can fail, and must leave the old file
as it was and no partial or temporary file behind.
"""

import errno
import importlib.util
import os

import numpy as np
import pytest

from keras_motifs._internal import files
from keras_motifs.motifs import MotifSet

HAS_PLOT_EXTRA = all(
    importlib.util.find_spec(name) for name in ("logomaker", "matplotlib")
)
needs_plot = pytest.mark.skipif(
    not HAS_PLOT_EXTRA, reason='needs the plot extra: pip install "keras-motifs[plot]"'
)
OLD = b"old contents\n"


def motifs():
    counts = np.random.default_rng(0).integers(1, 9, size=(3, 6, 4))
    return MotifSet(counts, names=["m0", "m1", "m2"])


def write_meme(path):
    from keras_motifs.formats.meme import write_meme

    return write_meme(motifs(), path)


def to_meme(path):
    return motifs().to_meme(path)


def comparison_tsv(path):
    from keras_motifs.matching.compare import Comparison, Hit

    hits = [Hit("m0", "MA0139.1", "CTCF", 0, 1e-4, 1e-3, 1e-3, 6, "ACGTAC", "ACGTAC",
                "+", 0)]
    return Comparison(hits, motifs(), MotifSet(np.ones((1, 6, 4))), ["test"]).write_tsv(path)


def influence_tsv(path):
    from keras_motifs.analysis.influence import FilterInfluence

    return FilterInfluence([0.5, -0.25], np.zeros((2, 1))).write_tsv(path)


def evaluation_tsv(path):
    from keras_motifs.analysis.evaluation import evaluate_targets

    rng = np.random.default_rng(1)
    labels = (rng.random((20, 2)) < 0.5).astype(np.uint8)
    return evaluate_targets(rng.random((20, 2)), y=labels, names=["a", "b"]).write_tsv(path)


def report(path):
    from keras_motifs.report import write_report

    return write_report(motifs(), path, dpi=20)


def logo_grid(path):
    from keras_motifs.plots import plot_logo_grid

    return plot_logo_grid(motifs(), path, dpi=20)


WRITERS = [
    pytest.param(write_meme, "m.meme", id="write_meme"),
    pytest.param(to_meme, "m.meme", id="MotifSet.to_meme"),
    pytest.param(comparison_tsv, "tomtom.tsv", id="Comparison.write_tsv"),
    pytest.param(influence_tsv, "influence.tsv", id="FilterInfluence.write_tsv"),
    pytest.param(evaluation_tsv, "aucs.tsv", id="TargetEvaluation.write_tsv"),
    pytest.param(report, "report.html", id="write_report", marks=needs_plot),
    pytest.param(logo_grid, "grid.png", id="plot_logo_grid", marks=needs_plot),
]


class FullDisk:
    """A file object whose writes fail as on a full disk, after a first byte."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[:1])
        self.file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.mark.parametrize("writer, name", WRITERS)
def test_writes_the_file(tmp_path, writer, name):
    path = tmp_path / name
    path.write_bytes(OLD)
    assert os.fspath(writer(path)) == str(path)
    assert path.read_bytes() != OLD and path.stat().st_size > 20
    assert os.listdir(tmp_path) == [name]


@pytest.mark.parametrize("failure", ["rename", "full disk"])
@pytest.mark.parametrize("writer, name", WRITERS)
def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch, writer, name, failure):
    path = tmp_path / name
    path.write_bytes(OLD)
    if failure == "rename":

        def fail(source, target):
            raise OSError("rename failed")

        monkeypatch.setattr(files.os, "replace", fail)
        message = "rename failed"
    else:
        fdopen = os.fdopen
        monkeypatch.setattr(
            files.os, "fdopen", lambda *a, **k: FullDisk(fdopen(*a, **k))
        )
        message = "No space left"
    with pytest.raises(OSError, match=message):
        writer(path)
    monkeypatch.undo()
    assert path.read_bytes() == OLD
    assert os.listdir(tmp_path) == [name]  # no temporary file left


@pytest.mark.parametrize("writer, name", WRITERS)
def test_missing_directory_is_named_and_not_created(tmp_path, writer, name):
    with pytest.raises(FileNotFoundError, match="missing.*does not exist"):
        writer(tmp_path / "missing" / name)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere"
)
@pytest.mark.parametrize("writer, name", WRITERS)
def test_read_only_directory_is_named(tmp_path, writer, name):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(PermissionError, match="locked.*not writable"):
            writer(locked / name)
        assert os.listdir(locked) == []
    finally:
        locked.chmod(0o700)
