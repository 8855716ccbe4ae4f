"""Files of one-hot sequences: `.npy`, `.npz`, HDF5 and DeepSEA `.mat`.

`open_sequence_file` opens such a file as a
`keras_motifs.sources.SequenceSource`, told by its content, not its suffix:
`.npy` memory-mapped, HDF5 datasets read lazily, `.npz` and DeepSEA's
MATLAB v5 `valid.mat`/`test.mat` read once, its v7.3 `train.mat` streamed.
Arrays stored channels-first `(N, 4, length)`, as DeepSEA stores them, are
transposed on the fly, and DeepSEA's files declare their channel order
A, G, C, T. `keras_motifs.sources.open_sequences` opens these paths through
this module, and so does the command line for its DATA, LABELS and
`--other-input` files.
"""

from __future__ import annotations

import zipfile

import h5py
import numpy as np

from keras_motifs._internal.files import describe_file, existing_file, file_kind
from keras_motifs._internal.files import open_hdf5
from keras_motifs.data import DeepSEATrainSequence, is_training_layout
from keras_motifs.data import load_deepsea, load_deepsea_mat
from keras_motifs.sources import SequenceSource, array_source

__all__ = ["LABEL_DIMS", "open_sequence_file", "read_array"]

SEQUENCE_DIMS = (3,)
#: The ranks of an array of labels, `(N,)` or `(N, targets)`.
LABEL_DIMS = (1, 2)


def open_sequence_file(path, *, key: str | None = None,
                       labels_key: str | None = None) -> SequenceSource:
    """Opens a file of one-hot sequences as a `SequenceSource`.

    Args:
        path: A `.npy`, `.npz` (array `key`, default the first 3-D one),
            HDF5 (dataset `key`, default a DeepSEA `<split>xdata` or the
            first 3-D dataset) or DeepSEA `.mat` file (`valid.mat`,
            `test.mat`, or `train.mat`, streamed), told by its content.
        key: Name of the array or dataset holding the sequences.
        labels_key: Name of an array or dataset of labels `(N, targets)`
            in the same `.npz` or HDF5 file. DeepSEA files bring their own.

    Returns:
        A `SequenceSource`: `has_labels` where the file holds labels,
        `alphabet` `"AGCT"` for DeepSEA's files.

    Raises:
        FileNotFoundError: for a path that names no file.
        ValueError: for a file of another kind, or a key that is not there
            (naming the arrays the file holds).

    Example:

    >>> source = open_sequence_file("valid.mat")
    >>> source.count, source.alphabet, source.has_labels
    (8000, 'AGCT', True)
    """
    path = existing_file(path, "sequences")
    kind = file_kind(path)
    if kind == "npy":
        if key is not None or labels_key is not None:
            raise ValueError(
                f"{path} is a .npy file, which holds one array: key and "
                "labels_key do not apply (--key, --labels-key on the command "
                "line); give labels as a separate file."
            )
        return _array_data(_load_npy(path), None, path)
    if kind == "zip":
        return _npz_data(path, key, labels_key)
    if kind == "hdf5" and not path.lower().endswith(".mat"):
        return _hdf5_data(path, key, labels_key)
    if kind in ("hdf5", "matlab"):
        if key is not None or labels_key is not None:
            raise ValueError(
                f"{path} is a DeepSEA .mat file, whose arrays are found by "
                "name: key and labels_key do not apply (--key, --labels-key "
                "on the command line)."
            )
        return _mat_data(path)
    raise ValueError(
        f"Cannot read sequences from {path}: it is {describe_file(path)}; "
        "expected .npy, .npz, HDF5 or DeepSEA .mat (told by their content), "
        "FASTA (by its suffix) or BED/narrowPeak intervals with their genome."
    )


def read_array(path, *, key: str | None = None, dims=LABEL_DIMS,
               what: str = "the array"):
    """Reads one array from a `.npy`, `.npz` or HDF5 file.

    Args:
        path: The file.
        key: Array or dataset name in a `.npz` or HDF5 file; default the
            first one of a rank in `dims`.
        dims: The ranks an unnamed array may have.
        what: What the file is, for the messages (`"LABELS"`,
            `"--other-input dna_rc"`).

    Returns:
        A numpy array (a read-only memory map for `.npy`).

    Example:

    >>> read_array("side.npz", key="side", what="--other-input side").shape
    (2000, 3)
    """
    path = existing_file(path, what)
    kind = file_kind(path)
    if kind == "npy":
        return _load_npy(path)
    if kind == "zip":
        with _open_npz(path) as archive:
            return archive[_npz_key(archive, key, path, dims)]
    if kind == "hdf5":
        with open_hdf5(path) as handle:
            return handle[_hdf5_key(handle, key, path, dims)][()]
    raise ValueError(
        f"Cannot read {what} from {path}: it is {describe_file(path)}; "
        "expected a .npy, .npz or HDF5 file."
    )


def _load_npy(path: str):
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise ValueError(
            f"Cannot read {path} as a .npy array: {error}"
        ) from None


def _open_npz(path: str):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"Cannot read {path} as a .npz archive: {error}"
        ) from None


def _describe_dims(dims) -> str:
    return " or ".join(f"{n}-D" for n in dims)


def _npz_key(archive, key, path, dims) -> str:
    """`key`, or the first array of `archive` with a rank in `dims`."""
    if key is not None:
        if key not in archive.files:
            raise ValueError(
                f"{path} has no array {key!r}; it holds {archive.files}."
            )
        return key
    for name in archive.files:
        if archive[name].ndim in dims:
            return name
    raise ValueError(
        f"{path} holds no {_describe_dims(dims)} array (arrays: "
        f"{archive.files}); name the one to read (key=, --key on the "
        "command line)."
    )


def _hdf5_key(handle, key, path, dims) -> str:
    """`key`, or the first dataset of `handle` with a rank in `dims`."""
    datasets = []
    handle.visititems(
        lambda name, item: (
            datasets.append((name, item.shape))
            if isinstance(item, h5py.Dataset)
            else None
        )
    )
    listing = ", ".join(f"{name} {shape}" for name, shape in datasets) or "none"
    if key is not None:
        if not isinstance(handle.get(key), h5py.Dataset):
            raise ValueError(
                f"{path} has no dataset {key!r}; datasets: {listing}."
            )
        return key
    for name, shape in datasets:
        if len(shape) in dims:
            return name
    raise ValueError(
        f"{path} holds no {_describe_dims(dims)} dataset (datasets: "
        f"{listing}); name the one to read (key=, --key on the command "
        "line)."
    )


def _npz_data(path, key, labels_key) -> SequenceSource:
    with _open_npz(path) as archive:
        x = archive[_npz_key(archive, key, path, SEQUENCE_DIMS)]
        y = None
        if labels_key is not None:
            y = archive[_npz_key(archive, labels_key, path, LABEL_DIMS)]
    return _array_data(x, y, path)


def _hdf5_data(path, key, labels_key) -> SequenceSource:
    handle = open_hdf5(path)
    if key is None and labels_key is None and _is_deepsea(handle):
        handle.close()
        if is_training_layout(path):
            return _mat_data(path)
        x, y = load_deepsea(path)
        return _array_data(x, y, path, alphabet=x.alphabet)
    x = handle[_hdf5_key(handle, key, path, SEQUENCE_DIMS)]
    y = None
    if labels_key is not None:
        y = handle[_hdf5_key(handle, labels_key, path, LABEL_DIMS)][()]
    return _array_data(x, y, path)


def _is_deepsea(handle) -> bool:
    """Whether an HDF5 file holds a DeepSEA `<split>xdata` of (N, 4, length)."""
    names = [name for name in handle if name.lower().endswith("xdata")]
    return len(names) == 1 and _channels_first(handle[names[0]].shape)


def _mat_data(path) -> SequenceSource:
    if not h5py.is_hdf5(path):
        x, y = load_deepsea_mat(path)
        return _array_data(x, y, path, alphabet=x.alphabet)
    # MATLAB v7.3, DeepSEA's 17 GB train.mat: streamed in file order.
    sequence = DeepSEATrainSequence(path, shuffle=False)

    def read(batch_size):
        stream = DeepSEATrainSequence(path, batch_size, shuffle=False)
        try:
            for index in range(len(stream)):
                yield stream[index]
        finally:
            stream.close()

    return SequenceSource(read, rereadable=True, count=sequence.num_samples,
                          alphabet=sequence.alphabet, has_labels=True)


def _channels_first(shape) -> bool:
    return len(shape) == 3 and shape[1] == 4 and shape[2] != 4


def _array_data(x, y, path, alphabet=None) -> SequenceSource:
    source = array_source(x, y, alphabet=alphabet,
                          channels_first=_channels_first(x.shape))
    if y is not None and len(y) != len(x):
        raise ValueError(
            f"{path}: the labels hold {len(y)} rows but there are {len(x)} "
            "sequences; expected one row of labels per sequence."
        )
    return source
