"""Tests for keras_motifs.sources.open_sequences: every kind of input opens
as a SequenceSource that says whether it can be read again, how many
sequences it holds and its channel order, and whose batches are the
sequences in order. Files of arrays (npy, npz, HDF5, DeepSEA .mat) open by
their path, and through the command line's cli.datafiles.read_sequences as
the same SequenceSource."""

import h5py
import keras
import numpy as np
import pytest
import scipy.io
from conftest import random_one_hot

from keras_motifs import OneHotArray
from keras_motifs.sources import fixed_batches
from keras_motifs.cli.datafiles import read_sequences
from keras_motifs.sources import SequenceSource
from keras_motifs.sources import open_sequences


@pytest.fixture
def x(rng):
    return random_one_hot(rng, 23, 7)


def joined(source, batch_size=5):
    return np.concatenate([np.asarray(b) for b in source.batches(batch_size)])


def check(source, x, *, rereadable=True, count=None, alphabet=None):
    assert isinstance(source, SequenceSource)
    assert (source.rereadable, source.count, source.alphabet) == (
        rereadable, count, alphabet)
    np.testing.assert_array_equal(joined(source), x)
    if rereadable:
        np.testing.assert_array_equal(joined(source, 4), x)


def test_arrays(x):
    check(open_sequences(x), x, count=23)
    check(open_sequences(OneHotArray(x, alphabet="AGCT")), x, count=23,
          alphabet="AGCT")
    assert [len(b) for b in open_sequences(x).batches(10)] == [10, 10, 3]


def test_h5py_datasets(x, tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle["x"] = x
    with h5py.File(tmp_path / "x.h5", "r") as handle:
        check(open_sequences(handle["x"]), x, count=23)


def test_tf_data(x):
    tf = pytest.importorskip("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros(23))).batch(6)
    check(open_sequences(dataset), x)


def test_py_dataset(x):
    class Batches(keras.utils.PyDataset):
        alphabet = "AGCT"

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[8 * index : 8 * index + 8], np.zeros(8)

    check(open_sequences(Batches()), x, alphabet="AGCT")


def test_generators_are_one_shot_and_iterables_are_not(x):
    source = open_sequences(x[i : i + 6] for i in range(0, 23, 6))
    check(source, x, rereadable=False)
    assert list(source.batches(5)) == []  # used up
    check(open_sequences([x[:10], (x[10:], None)]), x)
    assert not open_sequences(iter([x])).rereadable and open_sequences([x]).rereadable
    assert open_sequences(x).count == 23 and open_sequences(iter([x])).count is None


def test_fasta_paths(x, tmp_path):
    path = tmp_path / "x.fa"
    texts = ["".join("ACGT"[c] for c in row) for row in x.argmax(-1)]
    path.write_text("".join(f">s{i}\n{t}\n" for i, t in enumerate(texts)))
    check(open_sequences(path), x)
    agct = x[..., [0, 2, 1, 3]]
    check(open_sequences(str(path), alphabet="agct"), agct, alphabet="AGCT")
    codes = np.concatenate(list(open_sequences(path).read_codes(5)))
    assert codes.shape == (23, 7)
    # Read through another function, the source no longer offers the codes
    # that would bypass it.
    source = open_sequences(path)
    halves = source.reading(lambda b: ((x[::2], None) for x, _ in source.read(b)))
    assert halves.read_codes is None and halves.rereadable
    assert sum(len(x) for x in halves.batches(5)) == 3 + 3 + 3 + 3 + 2


def test_genome_intervals(rng, tmp_path):
    pytest.importorskip("pyfaidx")
    from keras_motifs.data.genome import GenomeIntervals

    genome = "".join(rng.choice(list("ACGT"), 300))
    (tmp_path / "genome.fa").write_text(f">chr1\n{genome}\n")
    starts = [0, 40, 100, 250, 17]
    peaks = GenomeIntervals([("chr1", s, s + 20) for s in starts],
                            tmp_path / "genome.fa", length=20, batch_size=2)
    codes = [["ACGT".index(b) for b in genome[s : s + 20]] for s in starts]
    windows = np.eye(4, dtype="float32")[np.array(codes)]
    check(open_sequences(peaks), windows, count=5, alphabet="ACGT")
    assert peaks.batch_size == 2  # reading at another size leaves it


@pytest.mark.parametrize("opener", [open_sequences, read_sequences],
                         ids=["open_sequences", "command-line"])
def test_files_of_arrays(x, tmp_path, opener):
    y = np.arange(46).reshape(23, 2)
    np.save(tmp_path / "x.npy", x)
    check(opener(tmp_path / "x.npy"), x, count=23)
    np.savez(tmp_path / "x.npz", x=x, y=y)
    check(opener(tmp_path / "x.npz"), x, count=23)
    source = read_sequences(tmp_path / "x.npz", labels_key="y")
    check(source, x, count=23)
    assert source.has_labels
    np.testing.assert_array_equal(
        np.concatenate([labels for _, labels in source.read(5)]), y)
    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle["x"] = x
    check(opener(str(tmp_path / "x.h5")), x, count=23)
    # DeepSEA v5 .mat: channels-first, A, G, C, T, labels by name; the
    # suffix says nothing (told by content).
    agct = x[..., [0, 2, 1, 3]]
    scipy.io.savemat(tmp_path / "valid.mat", {
        "validxdata": agct.transpose(0, 2, 1).astype(np.uint8),
        "validdata": y.astype(np.uint8)})
    (tmp_path / "valid.mat").rename(tmp_path / "valid.data")
    source = opener(tmp_path / "valid.data")
    check(source, agct, count=23, alphabet="AGCT")
    assert source.has_labels


def test_sources_pass_through_and_feed_the_batching(x):
    source = open_sequences(x)
    assert open_sequences(source) is source
    rows = [batch[:n] for batch, n in fixed_batches(source, 8)]
    np.testing.assert_array_equal(np.concatenate(rows), x)


def test_errors():
    with pytest.raises(FileNotFoundError, match="sequences file not found: x.npy"):
        open_sequences("x.npy")
    with pytest.raises(ValueError, match="GenomeIntervals"):
        open_sequences("peaks.narrowPeak")
    with pytest.raises(ValueError, match=r"shape \(N, length, 4\)"):
        open_sequences(np.zeros((5, 4)))
    with pytest.raises(TypeError, match="list of strings"):
        open_sequences(["ACGT"])
    with pytest.raises(TypeError, match="received int"):
        open_sequences(42)
