"""Tests for keras_motifs.data.deepsea: DeepSEA files, streaming, target names.

Small files are written here in DeepSEA's exact formats (MATLAB v5 through
scipy, MATLAB v7.3 through h5py in MATLAB's axis order) from known DNA
strings, and read back through the loaders.
"""

import csv
import pickle

import h5py
import numpy as np
import pytest
import scipy.io
from conftest import shared_file

from keras_motifs.data import DeepSEATrainSequence
from keras_motifs.data import average_strands
from keras_motifs.data import deepsea_labels
from keras_motifs.data import forward_half
from keras_motifs.data import label_indices
from keras_motifs.data import load_deepsea
from keras_motifs.data import load_deepsea_h5
from keras_motifs.data import load_deepsea_mat
from keras_motifs.data import positive_for
from keras_motifs.sequences import reverse_complement

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}
NRSF = [184, 223, 269, 292, 313, 314, 351, 373, 377, 382, 383, 399]


# --- helpers


def random_dna(rng, n, length):
    return ["".join(rng.choice(list("ACGT"), size=length)) for _ in range(n)]


def with_reverse_complements(sequences):
    """DeepSEA's layout: the forward windows, then their reverse complements."""
    reverse = ["".join(COMPLEMENT[b] for b in reversed(s)) for s in sequences]
    return sequences + reverse


def deepsea_n4l(sequences):
    """(N, 4, length) uint8, channels A, G, C, T, written base by base."""
    x = np.zeros((len(sequences), 4, len(sequences[0])), dtype=np.uint8)
    for i, sequence in enumerate(sequences):
        for position, base in enumerate(sequence):
            x[i, "AGCT".index(base), position] = 1
    return x


def decode_as(x, alphabet):
    """Strings of a (N, length, 4) one-hot array in the given channel order."""
    x = np.asarray(x)
    assert (x.sum(axis=-1) == 1).all()
    return ["".join(alphabet[c] for c in row.argmax(-1)) for row in x]


def decode(x):
    """Strings of a OneHotArray, read in its own alphabet."""
    return decode_as(x, x.alphabet)


def write_v5(path, sequences, y, split="valid"):
    scipy.io.savemat(
        path, {f"{split}xdata": deepsea_n4l(sequences), f"{split}data": y}
    )
    return path


def write_v73(path, sequences, y, matlab_header=True, split="train"):
    """MATLAB v7.3 the way MATLAB writes it: transposed, 512-byte header."""
    userblock = 512 if matlab_header else 0
    with h5py.File(path, "w", userblock_size=userblock) as handle:
        handle[f"{split}xdata"] = deepsea_n4l(sequences).transpose(2, 1, 0)
        handle[f"{split}data"] = np.asarray(y).T
    if matlab_header:
        text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 ."
        with open(path, "r+b") as handle:
            handle.write(text.ljust(116) + b"\0" * 8 + b"\x00\x02IM")
    return path


def random_labels(rng, n, targets=7):
    return (rng.random((n, targets)) < 0.3).astype(np.uint8)


# --- labels


def test_labels_match_shared_table():
    with open(shared_file("deepsea/labels.tsv"), newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    labels = deepsea_labels()
    assert len(labels) == 919 == len(rows)
    for target, row in zip(labels, rows):
        assert target == (
            int(row["index"]),
            row["cell_type"],
            row["assay"],
            row["treatment"],
        )


def test_label_indices_nrsf():
    assert label_indices("NRSF") == NRSF
    assert label_indices("nrsf") == NRSF
    assert label_indices(["NRSF"]) == NRSF
    labels = deepsea_labels()
    assert [i for i, t in enumerate(labels) if t.index != i] == []
    assert labels[223].name == "GM12878|NRSF|None"


def test_label_selection_against_loop():
    labels = deepsea_labels()
    expected = [
        t.index
        for t in labels
        if t.cell_type == "GM12878"
        and t.treatment == "None"
        and t.assay in ("CTCF", "DNase")
    ]
    found = label_indices(
        ["ctcf", "DNASE"], cell_type="gm12878", treatment="none"
    )
    assert found == expected and len(found) >= 2
    treated = deepsea_labels(treatment="EtOH_0.02pct")
    assert treated == [t for t in labels if t.treatment == "EtOH_0.02pct"]
    assert label_indices("NRSF", cell_type="K562") == [
        t.index for t in labels if (t.assay, t.cell_type) == ("NRSF", "K562")
    ]


def test_label_selection_errors():
    with pytest.raises(ValueError, match="NRSFX"):
        label_indices("NRSFX")
    with pytest.raises(ValueError, match="cell_type"):
        label_indices(cell_type="nowhere")
    with pytest.raises(TypeError, match="assay"):
        label_indices(5)
    # Valid values whose combination matches nothing give an empty list.
    assert label_indices("NRSF", cell_type="8988T") == []


# --- helpers on arrays


def test_positive_for_against_loop(rng):
    x = rng.random((60, 5, 4))
    y = (rng.random((60, 10)) < 0.1).astype(np.uint8)
    targets = [2, 7]
    keep = [i for i in range(60) if y[i, 2] or y[i, 7]]
    assert len(keep) > 3
    x_kept, y_kept = positive_for(x, y, targets)
    np.testing.assert_array_equal(x_kept, x[keep])
    np.testing.assert_array_equal(y_kept, y[keep])
    x_kept, y_kept = positive_for(x, y, targets, limit=3)
    np.testing.assert_array_equal(y_kept, y[keep[:3]])
    with pytest.raises(ValueError, match="column indices"):
        positive_for(x, y, [10])
    with pytest.raises(ValueError, match="shape"):
        positive_for(x, y[:5], targets)
    with pytest.raises(ValueError, match="limit"):
        positive_for(x, y, targets, limit=-1)


def test_forward_half_and_average_strands(rng):
    predictions = rng.random((10, 3))
    expected = [
        [(predictions[i, t] + predictions[i + 5, t]) / 2 for t in range(3)]
        for i in range(5)
    ]
    np.testing.assert_allclose(average_strands(predictions), expected)
    np.testing.assert_array_equal(forward_half(predictions), predictions[:5])
    with pytest.raises(ValueError, match="even"):
        forward_half(predictions[:7])
    with pytest.raises(ValueError, match="even"):
        average_strands(predictions[:7])


# --- MATLAB v5


@pytest.mark.parametrize("length", [1000, 37])
def test_load_deepsea_mat_values_orientation_channels(tmp_path, rng, length):
    forward = random_dna(rng, 3, length)
    forward[0] = "ACGT" + forward[0][4:]
    sequences = with_reverse_complements(forward)
    y = random_labels(rng, 6)
    path = write_v5(tmp_path / "valid.mat", sequences, y)

    x, labels = load_deepsea_mat(path)
    assert x.shape == (6, length, 4) and x.alphabet == "AGCT"
    assert decode(x) == sequences
    # Position 0 is the first base; channel order A, G, C, T.
    np.testing.assert_array_equal(
        x[0, :4], [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]
    )
    np.testing.assert_array_equal(labels, y)
    # The loaded alphabet drives the package's reverse complement.
    np.testing.assert_array_equal(reverse_complement(x[:3]), x[3:])

    x_forward, y_forward = load_deepsea_mat(path, forward_only=True)
    assert decode(x_forward) == sequences[:3]
    np.testing.assert_array_equal(y_forward, y[:3])

    x_any, y_any = load_deepsea(str(path))
    np.testing.assert_array_equal(x_any, x)
    np.testing.assert_array_equal(y_any, y)


def test_load_deepsea_mat_test_split(tmp_path, rng):
    sequences = random_dna(rng, 4, 12)
    path = write_v5(
        tmp_path / "test.mat", sequences, random_labels(rng, 4), "test"
    )
    x, _ = load_deepsea_mat(path)
    assert decode(x) == sequences


# --- HDF5 prediction inputs


def test_deepsea_example_reverse_complement_halves():
    path = shared_file("fixtures/danq/deepsea_example.h5")
    x = load_deepsea_h5(path)
    assert x.shape == (8, 1000, 4) and x.alphabet == "AGCT"
    with h5py.File(path, "r") as handle:
        raw = handle["testxdata"][()]
    for i in range(8):
        for c in range(4):
            np.testing.assert_array_equal(x[i, :, c], raw[i, c, :])
    strings = decode(x)
    for i in range(4):
        expected = "".join(COMPLEMENT[b] for b in reversed(strings[i]))
        assert strings[i + 4] == expected
    np.testing.assert_array_equal(reverse_complement(x[:4]), x[4:])
    np.testing.assert_array_equal(
        load_deepsea_h5(path, forward_only=True), x[:4]
    )
    x_any, y_any = load_deepsea(path)
    assert y_any is None
    np.testing.assert_array_equal(x_any, x)


def test_load_deepsea_h5_values(tmp_path, rng):
    sequences = random_dna(rng, 5, 21)
    path = tmp_path / "example.h5"
    with h5py.File(path, "w") as handle:
        handle["testxdata"] = deepsea_n4l(sequences)
    x = load_deepsea_h5(path)
    assert decode_as(x, "AGCT") == sequences


# --- MATLAB v7.3 streaming


@pytest.fixture
def train_file(tmp_path, rng):
    """A v7.3 train file of 23 forward windows + their reverse complements."""
    sequences = with_reverse_complements(random_dna(rng, 23, 1000))
    y = random_labels(rng, len(sequences), targets=5)
    path = write_v73(tmp_path / "train.mat", sequences, y)
    return path, sequences, y


def collect(sequence, order=None):
    batches = [
        sequence[i]
        for i in (order if order is not None else range(len(sequence)))
    ]
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    return batches, x, y


def test_train_sequence_file_order(train_file):
    path, sequences, y = train_file
    train = DeepSEATrainSequence(
        path, batch_size=4, chunk_size=8, shuffle=False
    )
    assert train.alphabet == "AGCT" and train.num_samples == 46
    assert (train.sequence_length, train.num_targets, train.num_chunks) == (
        1000,
        5,
        6,
    )
    # Chunks of 8 rows in batches of 4: 2 batches each, the last chunk (6
    # rows) one of 4 and one of 2.
    assert len(train) == 12
    batches, x, labels = collect(train)
    assert [len(b[0]) for b in batches] == [4] * 11 + [2]
    assert x.dtype == np.float32 and labels.dtype == np.float32
    assert decode_as(x, "AGCT") == sequences
    np.testing.assert_array_equal(labels, y)
    with pytest.raises(IndexError):
        train[12]


def test_train_sequence_shuffles_every_row_once(train_file):
    path, sequences, y = train_file
    row_of = {s: i for i, s in enumerate(sequences)}
    assert len(row_of) == len(sequences)
    train = DeepSEATrainSequence(path, batch_size=3, chunk_size=9, seed=1)
    orders = []
    for _ in range(3):
        batches, x, labels = collect(train)
        rows = [row_of[s] for s in decode_as(x, "AGCT")]
        assert sorted(rows) == list(range(46))
        np.testing.assert_array_equal(labels, y[rows])
        # A batch never straddles two chunks.
        for batch in batches:
            chunks = {row_of[s] // 9 for s in decode_as(batch[0], "AGCT")}
            assert len(chunks) == 1
        orders.append(rows)
        train.on_epoch_end()
    assert orders[0] != list(range(46))
    assert orders[0] != orders[1] != orders[2]
    again = DeepSEATrainSequence(path, batch_size=3, chunk_size=9, seed=1)
    _, x, _ = collect(again)
    assert [row_of[s] for s in decode_as(x, "AGCT")] == orders[0]


def test_train_sequence_forward_only_and_dtype(train_file):
    path, sequences, y = train_file
    train = DeepSEATrainSequence(
        path, batch_size=5, forward_only=True, shuffle=False, dtype="uint8"
    )
    assert train.num_samples == 23 and len(train) == 5
    _, x, labels = collect(train)
    assert x.dtype == np.uint8
    assert decode_as(x, "AGCT") == sequences[:23]
    np.testing.assert_array_equal(labels, y[:23])


def test_train_sequence_reads_chunks_only(train_file, monkeypatch):
    path, _, _ = train_file
    reads = []
    original = h5py.Dataset.__getitem__

    def recording(dataset, selection):
        result = original(dataset, selection)
        reads.append((dataset.name, result.shape))
        return result

    monkeypatch.setattr(h5py.Dataset, "__getitem__", recording)
    train = DeepSEATrainSequence(path, batch_size=4, chunk_size=8, seed=0)
    collect(train)
    # One read of x and one of y per chunk, each at most chunk_size columns.
    assert len(reads) == 2 * train.num_chunks
    for name, shape in reads:
        assert shape[-1] <= 8
        assert shape in {(1000, 4, shape[-1]), (5, shape[-1])}


def test_train_sequence_warns_on_random_batch_order(train_file):
    path, _, _ = train_file
    train = DeepSEATrainSequence(path, batch_size=1, chunk_size=8, seed=0)
    order = np.random.default_rng(0).permutation(len(train))
    with pytest.warns(UserWarning, match="shuffle=False"):
        collect(train, order)


def test_train_sequence_pickles(train_file):
    path, _, _ = train_file
    train = DeepSEATrainSequence(path, batch_size=4, chunk_size=8, seed=3)
    first = train[0]
    copy = pickle.loads(pickle.dumps(train))
    np.testing.assert_array_equal(copy[0][0], first[0])
    np.testing.assert_array_equal(copy[5][1], train[5][1])
    train.close()
    np.testing.assert_array_equal(train[0][0], first[0])


def test_train_sequence_fits_a_model(train_file):
    import keras

    path, _, _ = train_file
    train = DeepSEATrainSequence(
        path, batch_size=8, chunk_size=16, seed=0, workers=2
    )
    model = keras.Sequential(
        [
            keras.Input((1000, 4)),
            keras.layers.Conv1D(2, 9),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(5, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    history = model.fit(train, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["loss"]).all()


def test_train_sequence_plain_hdf5_without_matlab_header(tmp_path, rng):
    sequences = random_dna(rng, 6, 30)
    y = random_labels(rng, 6)
    path = write_v73(tmp_path / "train.mat", sequences, y, matlab_header=False)
    _, x, labels = collect(
        DeepSEATrainSequence(path, batch_size=4, shuffle=False)
    )
    assert decode_as(x, "AGCT") == sequences
    np.testing.assert_array_equal(labels, y)


def test_train_sequence_argument_errors(train_file):
    path, _, _ = train_file
    with pytest.raises(ValueError, match="batch_size"):
        DeepSEATrainSequence(path, batch_size=0)
    with pytest.raises(ValueError, match="chunk_size"):
        DeepSEATrainSequence(path, batch_size=10, chunk_size=5)


# --- wrong files


def test_wrong_format_for_each_reader(tmp_path, rng, train_file):
    train_path, _, _ = train_file
    v5 = write_v5(
        tmp_path / "valid.mat", random_dna(rng, 2, 10), random_labels(rng, 2)
    )
    with pytest.raises(ValueError, match="DeepSEATrainSequence") as error:
        load_deepsea_mat(train_path)
    assert str(train_path) in str(error.value)
    with pytest.raises(ValueError, match="load_deepsea_mat") as error:
        DeepSEATrainSequence(v5)
    assert str(v5) in str(error.value)
    with pytest.raises(ValueError, match="load_deepsea_mat"):
        load_deepsea_h5(v5)
    with pytest.raises(ValueError, match="DeepSEATrainSequence"):
        load_deepsea_h5(train_path)
    with pytest.raises(ValueError, match="DeepSEATrainSequence"):
        load_deepsea(train_path)


def test_missing_keys_are_listed(tmp_path, rng):
    x = deepsea_n4l(random_dna(rng, 2, 10))
    no_labels = tmp_path / "nolabels.mat"
    scipy.io.savemat(no_labels, {"validxdata": x, "other": np.zeros(3)})
    with pytest.raises(ValueError, match="no labels 'validdata'.*other"):
        load_deepsea_mat(no_labels)
    no_x = tmp_path / "nox.mat"
    scipy.io.savemat(no_x, {"sequences": x})
    with pytest.raises(ValueError, match=r"xdata.*sequences \(2, 4, 10\)"):
        load_deepsea_mat(no_x)
    h5 = tmp_path / "nox.h5"
    with h5py.File(h5, "w") as handle:
        handle["x"] = x
    with pytest.raises(ValueError, match=r"x \(2, 4, 10\)"):
        load_deepsea_h5(h5)


def test_wrong_shapes_are_reported(tmp_path, rng):
    bad_channels = tmp_path / "channels.mat"
    scipy.io.savemat(
        bad_channels,
        {
            "validxdata": np.zeros((3, 5, 10), np.uint8),
            "validdata": np.zeros((3, 7), np.uint8),
        },
    )
    with pytest.raises(ValueError, match=r"\(N, 4, length\).*\(3, 5, 10\)"):
        load_deepsea_mat(bad_channels)
    bad_rows = tmp_path / "rows.mat"
    scipy.io.savemat(
        bad_rows,
        {
            "validxdata": np.zeros((3, 4, 10), np.uint8),
            "validdata": np.zeros((2, 7), np.uint8),
        },
    )
    with pytest.raises(ValueError, match=r"validdata \(2, 7\)"):
        load_deepsea_mat(bad_rows)
    samples_first = tmp_path / "samples_first.h5"
    with h5py.File(samples_first, "w") as handle:
        handle["trainxdata"] = np.zeros((6, 4, 30), np.uint8)
        handle["traindata"] = np.zeros((6, 7), np.uint8)
    with pytest.raises(ValueError, match=r"MATLAB's axis order.*\(6, 4, 30\)"):
        DeepSEATrainSequence(samples_first)
    odd = tmp_path / "odd.h5"
    with h5py.File(odd, "w") as handle:
        handle["testxdata"] = np.zeros((3, 4, 30), np.uint8)
    with pytest.raises(ValueError, match="even"):
        load_deepsea_h5(odd, forward_only=True)


@pytest.mark.parametrize("matlab_header", [True, False])
def test_truncated_hdf5(tmp_path, rng, matlab_header):
    path = write_v73(
        tmp_path / "train.mat",
        random_dna(rng, 40, 200),
        random_labels(rng, 40),
        matlab_header=matlab_header,
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="truncated") as error:
        DeepSEATrainSequence(path)
    assert str(path) in str(error.value)


def test_truncated_mat5(tmp_path, rng):
    path = write_v5(
        tmp_path / "valid.mat", random_dna(rng, 40, 200), random_labels(rng, 40)
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="truncated") as error:
        load_deepsea_mat(path)
    assert str(path) in str(error.value)


def test_not_a_data_file(tmp_path):
    with pytest.raises(IsADirectoryError, match="directory"):
        load_deepsea(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.mat"):
        load_deepsea_mat(tmp_path / "missing.mat")
    text = tmp_path / "notes.txt"
    text.write_text("not DeepSEA data\n" * 20)
    with pytest.raises(ValueError, match="neither HDF5"):
        load_deepsea(text)
    with pytest.raises(ValueError, match="neither HDF5"):
        DeepSEATrainSequence(text)


def test_a_damaged_chunk_names_the_file_and_windows(tmp_path, rng):
    path = tmp_path / "train.mat"
    sequences = random_dna(rng, 40, 20)
    with h5py.File(path, "w") as handle:
        handle.create_dataset(
            "trainxdata", data=deepsea_n4l(sequences).transpose(2, 1, 0),
            chunks=(20, 4, 10), compression="gzip",
        )
        handle["traindata"] = random_labels(rng, 40).T
        offset = handle["trainxdata"].id.get_chunk_info(2).byte_offset
    with open(path, "r+b") as handle:  # garble the third chunk (windows 20-29)
        handle.seek(offset)
        handle.write(b"\xff" * 64)
    stream = DeepSEATrainSequence(path, batch_size=10, chunk_size=10, shuffle=False)
    stream[0]  # an intact chunk reads
    with pytest.raises(OSError, match=r"windows 20 to 29.*train\.mat.*damaged"):
        stream[2]


@pytest.mark.parametrize("batch_size, error", [(True, TypeError), (0, ValueError), (2.5, TypeError)])
def test_booleans_and_fractions_are_not_batch_sizes(tmp_path, rng, batch_size, error):
    path = write_v73(tmp_path / "train.mat", random_dna(rng, 4, 20), random_labels(rng, 4))
    with pytest.raises(error, match="`batch_size` must be a positive integer"):
        DeepSEATrainSequence(path, batch_size=batch_size)
