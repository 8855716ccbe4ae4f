"""Keras 0.x, 1 and 2 weight files: reading them and their array layouts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import h5py
import numpy as np

from keras_motifs._internal.checks import one_of
from keras_motifs._internal.files import existing_file

__all__ = ["LegacyWeights", "flip", "read_weights"]

KERNEL_ORDERS = ("theano", "tensorflow")

# Keras <= 2: hard_sigmoid(x) = clip(0.2 x + 0.5); Keras 3: clip(x / 6 + 0.5).
HARD_SIGMOID_SCALE = np.float32(0.2 * 6.0)

UNSAFE_HINT = (
    "Pass safe_mode=False (on the command line: --unsafe) only for a file "
    "you trust: its code would run when the model is built."
)


@dataclass
class LegacyWeights:
    """The weight arrays of a Keras 0.x, 1 or 2 HDF5 file, layer by layer.

    `layers` maps each layer name (`"layer_{i}"` in a Keras 0.x file) to its
    arrays in stored order, `names` to their stored names (`"param_{j}"` in
    Keras 0.x).

    Args:
        layout: `"keras0"` (`layer_{i}/param_{j}`), `"keras1"` or `"keras2"`
            (`layer_names` and `weight_names` attributes).
        layers: Layer name to list of `np.ndarray`.
        names: Layer name to list of weight names.
        keras_version: The version the file records, or `None`.
        backend: The backend the file records, or `None`.

    Example:

    >>> weights = read_weights("danq_weights.hdf5")
    >>> weights.layout, weights.layers["layer_0"][0].shape
    ('keras0', (320, 4, 26, 1))
    """

    layout: str
    layers: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    keras_version: str | None = None
    backend: str | None = None


def attribute_text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return attribute_text(value.item())
    return str(value)


def _weights_group(group, layout, keras_version, backend, path) -> LegacyWeights:
    weights = LegacyWeights(layout, keras_version=keras_version, backend=backend)
    for name in group.attrs["layer_names"]:
        name = attribute_text(name)
        layer = _member(group, name, path, "layer_names")
        names = [attribute_text(n) for n in layer.attrs.get("weight_names", [])]
        weights.layers[name] = [np.asarray(_member(layer, n, path, "weight_names"))
                                for n in names]
        weights.names[name] = names
    return weights


def _member(group, name, path, listed_in):
    """`group[name]`, or a ValueError naming the file and what lists it."""
    try:
        return group[name]
    except KeyError:
        raise ValueError(
            f"{os.fspath(path)}: {listed_in} of group {group.name!r} lists "
            f"{name!r}, but the file holds no such entry (it has "
            f"{sorted(group.keys())[:8]}); the weights file is damaged or was "
            "edited: save the weights again."
        ) from None


def read_weights(path) -> LegacyWeights:
    """Reads the weights of a Keras 0.x, 1 or 2 HDF5 file, in stored layout.

    Keras 0.x `save_weights` wrote `nb_layers` and one group `layer_{i}` per
    layer of the Sequential model (weightless layers included) holding
    `param_{j}` datasets; Keras 1 and 2 wrote `layer_names` and, per layer
    group, `weight_names` (a full Keras 2 model keeps them under
    `model_weights`). Arrays come back as stored: see `conv1d_kernel` and
    `lstm_weights` for their Keras 3 layout.

    Args:
        path: An `.h5`/`.hdf5` file.

    Returns:
        A `LegacyWeights`.

    Raises:
        ValueError: when the file holds none of these layouts.

    Example:

    >>> read_weights("final_model.hdf5").layers["convolution1d_1"][0].shape
    (34, 1, 6, 64)
    """
    path = existing_file(path, "path")
    with h5py.File(path, "r") as f:
        version = attribute_text(f.attrs.get("keras_version"))
        backend = attribute_text(f.attrs.get("backend"))
        if "nb_layers" in f.attrs:
            weights = LegacyWeights("keras0", keras_version=version, backend=backend)
            for i in range(int(f.attrs["nb_layers"])):
                group = _member(f, f"layer_{i}", path, "nb_layers")
                count = int(group.attrs.get("nb_params", len(group)))
                name = f"layer_{i}"
                weights.layers[name] = [
                    np.asarray(_member(group, f"param_{j}", path, "nb_params"))
                    for j in range(count)]
                weights.names[name] = [f"param_{j}" for j in range(count)]
            return weights
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in group.attrs:
            raise ValueError(
                "Expected a Keras weights file: `layer_{i}/param_{j}` groups "
                "(Keras 0.x) or a `layer_names` attribute (Keras 1 and 2). "
                f"Received: path={os.fspath(path)!r} with top-level entries "
                f"{sorted(f.keys())[:8]}"
            )
        version = version or attribute_text(group.attrs.get("keras_version"))
        backend = backend or attribute_text(group.attrs.get("backend"))
        layout = "keras1" if major_version(version) in (None, 1) else "keras2"
        return _weights_group(group, layout, version, backend, path)


def flip(kernel, axes):
    index = [slice(None)] * kernel.ndim
    for axis in axes:
        index[axis] = slice(None, None, -1)
    return kernel[tuple(index)]


def conv1d_kernel(kernel, *, kernel_order: str = "tensorflow", filters=None):
    """A Keras 0.x/1/2 `Convolution1D` kernel in Keras 3 layout.

    Keras 0.x and 1.0 stored `(nb_filter, input_dim, filter_length, 1)`,
    Keras 1.1+ `(filter_length, 1, input_dim, nb_filter)`, Keras 2
    `(filter_length, input_dim, nb_filter)`. Keras 3 wants
    `(kernel_size, channels, filters)`. A kernel trained on Theano was
    applied as a true convolution: `kernel_order="theano"` reverses it
    along its length so Keras 3's cross-correlation computes the same.

    Args:
        kernel: The stored array.
        kernel_order: `"theano"` or `"tensorflow"`.
        filters: The layer's `nb_filter`, to tell the two 4-D layouts apart
            where the shape alone cannot (`None`: by the shape).

    Returns:
        A `(kernel_size, channels, filters)` float array.

    Example:

    >>> conv1d_kernel(np.zeros((320, 4, 26, 1)), kernel_order="theano").shape
    (26, 4, 320)
    """
    check_kernel_order(kernel_order)
    kernel = np.asarray(kernel)
    if kernel.ndim == 4 and kernel.shape[3] == 1 and (
        kernel.shape[1] != 1 or (filters is not None and kernel.shape[0] == filters
                                 and kernel.shape[3] != filters)
    ):
        kernel = np.transpose(kernel[:, :, :, 0], (2, 1, 0))
    elif kernel.ndim == 4 and kernel.shape[1] == 1:
        kernel = kernel[:, 0]
    elif kernel.ndim != 3:
        raise ValueError(
            "Expected a Convolution1D kernel of shape (filter_length, 1, "
            "input_dim, nb_filter), (nb_filter, input_dim, filter_length, 1) "
            f"or (filter_length, input_dim, nb_filter). Received: "
            f"kernel.shape={kernel.shape}"
        )
    if kernel_order == "theano":
        kernel = kernel[::-1]
    return np.ascontiguousarray(kernel)


def _by_gate(arrays, names, gates, default_order):
    """Per gate (W, U, b) from per-gate arrays, by name where names end in _g."""
    found = {}
    if names and all(re.search(r"_[WUb]_[a-z]$", n or "") for n in names):
        for name, array in zip(names, arrays):
            found[(name[-3], name[-1])] = array
    else:
        for k, gate in enumerate(default_order):
            for j, kind in enumerate("WUb"):
                found[(kind, gate)] = arrays[3 * k + j]
    return [found[(kind, g)] for kind in "WUb" for g in gates]


def lstm_weights(arrays, *, names=None, recurrent_activation="hard_sigmoid"):
    """Keras 0.x/1 LSTM weights as Keras 3's `[kernel, recurrent_kernel, bias]`.

    Keras 0.x and 1 (`consume_less="cpu"` or `"mem"`) stored one matrix per
    gate, in the order `W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o,
    U_o, b_o`; Keras 3 concatenates the gates as i, f, c, o. Three arrays
    (Keras 1 `consume_less="gpu"`, Keras 2) are already concatenated in that
    order. With `recurrent_activation="hard_sigmoid"` the i, f and o columns
    are scaled by 1.2 so Keras 3's `hard_sigmoid` (slope 1/6) gives the
    Keras <= 2 one (slope 0.2).

    Args:
        arrays: The 12 (or 3) stored arrays.
        names: Their stored names (`"lstm_1_W_i"`, ...), used for the gate
            order when given; `None` takes the stored order above.
        recurrent_activation: The layer's `inner_activation`.

    Returns:
        `[kernel (input_dim, 4 units), recurrent_kernel (units, 4 units),
        bias (4 units,)]`.

    Example:

    >>> kernel, recurrent, bias = lstm_weights(weights.layers["layer_3"][:12])
    """
    arrays = [np.asarray(a, dtype="float32") for a in arrays]
    if len(arrays) == 12:
        parts = _by_gate(arrays, names, "ifco", "icfo")
        arrays = [np.concatenate(parts[4 * k:4 * k + 4], axis=-1) for k in range(3)]
    elif len(arrays) != 3:
        raise ValueError(
            "Expected 12 LSTM arrays (W, U, b per gate) or 3 (kernel, "
            f"recurrent kernel, bias). Received: {len(arrays)} arrays"
        )
    if recurrent_activation == "hard_sigmoid":
        arrays = [scale_gates(a, 4, (0, 1, 3)) for a in arrays]
    return arrays


def gru_weights(arrays, names, recurrent_activation):
    arrays = [np.asarray(a, dtype="float32") for a in arrays]
    if len(arrays) == 9:
        parts = _by_gate(arrays, names, "zrh", "zrh")
        arrays = [np.concatenate(parts[3 * k:3 * k + 3], axis=-1) for k in range(3)]
    if recurrent_activation == "hard_sigmoid":
        arrays = [scale_gates(a, 3, (0, 1)) for a in arrays]
    return arrays


def scale_gates(array, gates, which):
    array = np.array(array, dtype="float32")
    units = array.shape[-1] // gates
    for gate in which:
        array[..., gate * units:(gate + 1) * units] *= HARD_SIGMOID_SCALE
    return array


def check_kernel_order(kernel_order, allow_none=False):
    """`kernel_order` if it is one of `KERNEL_ORDERS` (or `None` when allowed)."""
    if kernel_order is None and allow_none:
        return None
    return one_of(kernel_order, "kernel_order", KERNEL_ORDERS)


def major_version(version):
    match = re.match(r"\s*(\d+)", version or "")
    return int(match.group(1)) if match else None
