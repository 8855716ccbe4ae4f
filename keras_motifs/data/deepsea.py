"""DeepSEA's data files: `.mat` and `.h5` loaders and the strand layout.

DeepSEA (Zhou & Troyanskaya, 2015) ships its data in three formats, all with
one-hot DNA in the channel order A, G, C, T:

- `train.mat`: MATLAB v7.3 (HDF5) in MATLAB's axis order, `trainxdata` of
  h5py shape `(length, 4, N)` and `traindata` of shape `(919, N)`. It holds
  about 17 GB: `keras_motifs.data.deepsea_train.DeepSEATrainSequence`
  streams it in chunks.
- `valid.mat`, `test.mat`: MATLAB v5, `validxdata`/`testxdata` of shape
  `(N, 4, length)` and `validdata`/`testdata` of shape `(N, 919)`:
  `load_deepsea_mat`.
- Prediction inputs such as DeepSEA's `example.h5`: HDF5 with one dataset
  `<name>xdata` of shape `(N, 4, length)` and no labels: `load_deepsea_h5`.

Every DeepSEA file holds all forward windows first, then their reverse
complements in the same order; `forward_half` keeps the forward windows and
`average_strands` averages the predictions of each window's two strands.
The target names live in `keras_motifs.data.deepsea_targets`. The loaders
return sequences as `(N, length, 4)` `OneHotArray`s that carry
`alphabet="AGCT"`, so motif extraction reorders the channels to ACGT itself.
"""

from __future__ import annotations

import os
import struct

import numpy as np
import scipy.io

from keras_motifs._internal.files import existing_file, open_hdf5
from keras_motifs.data.deepsea_layout import DEEPSEA_ALPHABET, deepsea_keys
from keras_motifs.data.deepsea_layout import describe_shapes, file_format
from keras_motifs.data.deepsea_layout import forward_count
from keras_motifs.data.deepsea_layout import hdf5_shapes, is_matlab_order
from keras_motifs.data.deepsea_layout import wrong_format
from keras_motifs.onehot_array import OneHotArray

__all__ = [
    "average_strands", "forward_half", "load_deepsea",
    "load_deepsea_h5", "load_deepsea_mat",
]


def forward_half(array):
    """The forward windows of DeepSEA data: the first half of the rows.

    Args:
        array: Sequences `(N, length, 4)`, labels `(N, 919)` or predictions,
            with the `N / 2` forward windows first and their reverse
            complements after.

    Returns:
        `array[: N // 2]` (a view).

    Example:

    >>> x_forward = forward_half(x)  # x of shape (8, 1000, 4) -> (4, 1000, 4)
    """
    return array[: forward_count(len(array), "The array")]


def average_strands(predictions) -> np.ndarray:
    """Average the predictions of each window's forward and reverse strand.

    DeepSEA scores a window as the mean of the predictions for the window
    and its reverse complement; pair the result with `forward_half(y)`.

    Args:
        predictions: Array `(N, ...)` for a DeepSEA file, forward windows
            first, reverse complements after.

    Returns:
        Array `(N // 2, ...)`: the mean of rows `i` and `i + N // 2`.

    Example:

    >>> scores = average_strands(model.predict(x))
    >>> evaluate_targets(scores, y=forward_half(y))
    """
    predictions = np.asarray(predictions)
    half = forward_count(len(predictions), "`predictions`")
    return (predictions[:half] + predictions[half:]) / 2


def _check_mat5_complete(path: str):
    """Raise OSError when a MATLAB v5 file ends inside one of its variables.

    scipy lists the variables of a truncated file without complaint; each
    top-level variable starts with an 8-byte tag holding its byte count.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        endian = "<" if handle.read(128)[126:128] == b"IM" else ">"
        position = 128
        while position + 8 <= size:
            handle.seek(position)
            _, nbytes = struct.unpack(endian + "II", handle.read(8))
            position += 8 + nbytes
    if position != size:
        needed = position if position > size else position + 8
        raise OSError(
            f"{path} is a truncated MATLAB v5 file: its variables need at "
            f"least {needed} bytes, the file holds {size}."
        )


def _read_mat5(reader, path: str, **kwargs):
    """Call a scipy.io MATLAB reader, naming the file when it fails."""
    try:
        return reader(path, **kwargs)
    except Exception as error:
        raise OSError(
            f"Cannot read {path} as MATLAB v5 (truncated or damaged?): {error}"
        ) from None


def is_training_layout(path) -> bool:
    """Whether an HDF5 file holds DeepSEA data in `train.mat`'s axis order.

    Such files (`<split>xdata` `(length, 4, N)` with `<split>data` `(T, N)`)
    are streamed with `DeepSEATrainSequence`, whatever their file name.

    Args:
        path: An HDF5 file.

    Returns:
        `True` for MATLAB's axis order, `False` otherwise.
    """
    with open_hdf5(existing_file(path, "DeepSEA data")) as handle:
        shapes = hdf5_shapes(handle)
    try:
        xkey, ykey = deepsea_keys(shapes, path)
    except ValueError:
        return False
    return is_matlab_order(shapes[xkey], shapes.get(ykey))


def _one_hot(x_n4l) -> OneHotArray:
    """`(N, 4, length)` -> contiguous `(N, length, 4)` tagged with AGCT."""
    return OneHotArray(
        np.ascontiguousarray(np.swapaxes(x_n4l, 1, 2)), alphabet=DEEPSEA_ALPHABET
    )


def load_deepsea_mat(path, *, forward_only: bool = False):
    """Read a DeepSEA MATLAB v5 file (`valid.mat`, `test.mat`).

    The keys are found by name: one `<split>xdata` array of shape
    `(N, 4, length)` (channels A, G, C, T) and its labels `<split>data` of
    shape `(N, num_targets)`.

    Args:
        path: Path of the `.mat` file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        `(x, y)`: `x` an `OneHotArray` `(N, length, 4)` with
        `alphabet="AGCT"`, `y` an array `(N, num_targets)`, both as stored
        (uint8 for DeepSEA's files).

    Example:

    >>> x, y = load_deepsea_mat("valid.mat")
    >>> x.shape, x.alphabet, y.shape
    ((8000, 1000, 4), 'AGCT', (8000, 919))
    """
    path = existing_file(path, "DeepSEA data")
    if file_format(path) != "mat5":
        raise wrong_format(
            path,
            "HDF5 (MATLAB v7.3, like DeepSEA's train.mat)",
            "DeepSEATrainSequence (training files) or load_deepsea_h5",
        )
    _check_mat5_complete(path)
    shapes = {
        name: shape for name, shape, _ in _read_mat5(scipy.io.whosmat, path)
    }
    xkey, ykey = deepsea_keys(shapes, path)
    if ykey is None:
        raise ValueError(
            f"{path}: found sequences {xkey!r} but no labels "
            f"{xkey[:-5] + 'data'!r}; found {describe_shapes(shapes)}."
        )
    xshape, yshape = shapes[xkey], shapes[ykey]
    if (
        len(xshape) != 3
        or xshape[1] != 4
        or len(yshape) != 2
        or yshape[0] != xshape[0]
    ):
        raise ValueError(
            f"{path}: expected {xkey} of shape (N, 4, length) and {ykey} of "
            f"shape (N, num_targets); found {xkey} {tuple(xshape)}, {ykey} "
            f"{tuple(yshape)}."
        )
    arrays = _read_mat5(scipy.io.loadmat, path, variable_names=[xkey, ykey])
    x, y = arrays[xkey], arrays[ykey]
    if forward_only:
        x, y = forward_half(x), forward_half(y)
    return _one_hot(x), np.ascontiguousarray(y)


def load_deepsea_h5(path, *, forward_only: bool = False) -> OneHotArray:
    """Read DeepSEA prediction inputs from HDF5 (e.g. DeepSEA's `example.h5`).

    The file holds one dataset `<name>xdata` of shape `(N, 4, length)`,
    channels A, G, C, T. Training files in MATLAB's axis order
    (`trainxdata` of shape `(length, 4, N)`) are refused: stream them with
    `DeepSEATrainSequence`.

    Args:
        path: Path of the HDF5 file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        An `OneHotArray` `(N, length, 4)` with `alphabet="AGCT"`.

    Example:

    >>> x = load_deepsea_h5("example.h5")
    >>> x.shape, x.alphabet
    ((8, 1000, 4), 'AGCT')
    """
    path = existing_file(path, "DeepSEA data")
    if file_format(path) != "hdf5":
        raise wrong_format(
            path, "MATLAB v5 (like valid.mat)", "load_deepsea_mat"
        )
    with open_hdf5(path) as handle:
        shapes = hdf5_shapes(handle)
        xkey, ykey = deepsea_keys(shapes, path)
        xshape = shapes[xkey]
        if is_matlab_order(xshape, shapes.get(ykey)):
            raise wrong_format(
                path,
                f"a training file in MATLAB's axis order ({xkey} {xshape}, "
                f"{ykey} {shapes[ykey]})",
                "DeepSEATrainSequence, which streams it",
            )
        if len(xshape) != 3 or xshape[1] != 4:
            raise ValueError(
                f"{path}: expected {xkey} of shape (N, 4, length), found "
                f"{tuple(xshape)}."
            )
        rows = slice(forward_count(xshape[0], xkey) if forward_only else None)
        try:
            x = handle[xkey][rows]
        except OSError as error:
            raise OSError(f"Cannot read {xkey} from {path}: {error}") from None
    return _one_hot(x)


def load_deepsea(path, *, forward_only: bool = False):
    """Read a DeepSEA file whole, choosing the reader from the file's format.

    MATLAB v5 files (`valid.mat`, `test.mat`) go to `load_deepsea_mat`, HDF5
    prediction inputs (`example.h5`) to `load_deepsea_h5`. The 17 GB
    `train.mat` is refused with a pointer to `DeepSEATrainSequence`.

    Args:
        path: Path of the DeepSEA file.
        forward_only: Keep the forward windows only (the first half).

    Returns:
        `(x, y)`: `x` an `OneHotArray` `(N, length, 4)` with
        `alphabet="AGCT"`; `y` the labels `(N, num_targets)`, or `None` for
        prediction inputs, which carry no labels.

    Example:

    >>> x, y = load_deepsea("test.mat", forward_only=True)
    """
    path = existing_file(path, "DeepSEA data")
    if file_format(path) == "mat5":
        return load_deepsea_mat(path, forward_only=forward_only)
    return load_deepsea_h5(path, forward_only=forward_only), None


