"""Trained genomic models of every Keras era, loaded into Keras 3.

Genomic models were published with the Keras of their day: Keras 0.x
weights-only files (`layer_{i}/param_{j}`, DanQ, DragoNN), Keras 1 weights
with a JSON architecture (`layer/layer_W` groups, FactorNet) and Keras 2
`.h5` full models. `load_model` reads all of them into a Keras 3 model for
inference, `convert` writes that model as a Keras 3 `.keras` file.

Routes:

- `.keras`: Keras 3's own loader.
- Keras 2 `.h5` full models (or Keras 2 JSON with a weights file): Keras 3's
  loader first; where it fails (it cannot read the configurations of early
  Keras 2 releases) the file is read by `tf-keras` (Keras 2 itself, imported
  only on this route), written again in its current Keras 2 format and read
  by Keras 3. Keras 2 reads every Keras 2 file it ever wrote, so this route
  converts more files correctly than a re-implementation of its
  configuration history would.
- Keras 0.x and Keras 1 files: their configurations (`Convolution1D`,
  `nb_filter`, `Merge`, ...) are translated here layer by layer, and their
  weights re-laid out (kernels, one matrix per LSTM gate, ...).

Two silent differences are corrected on every legacy route: Theano stored
convolution kernels flipped (see `kernel_order`), and Keras up to 2 computed
`hard_sigmoid` as `clip(0.2 x + 0.5, 0, 1)` where Keras 3 uses slope 1/6;
gates and layers with that activation get their pre-activation weights
scaled by 1.2, so the Keras 3 model computes what the original did with
Keras 3's own `hard_sigmoid` (the file stays loadable without this package).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field

import h5py
import numpy as np

from keras_motifs._internal.files import write_atomically

__all__ = ["LegacyWeights", "conv1d_kernel", "convert", "load_model",
           "lstm_weights", "read_weights"]

KERNEL_ORDERS = ("theano", "tensorflow")

# Keras <= 2: hard_sigmoid(x) = clip(0.2 x + 0.5); Keras 3: clip(x / 6 + 0.5).
_HARD_SIGMOID_SCALE = np.float32(0.2 * 6.0)

_UNSAFE_HINT = (
    "Pass safe_mode=False (on the command line: --unsafe) only for a file "
    "you trust: its code would run when the model is built."
)


# --------------------------------------------------------------- weights --


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


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return str(value)


def _weights_group(group, layout, keras_version, backend) -> LegacyWeights:
    weights = LegacyWeights(layout, keras_version=keras_version, backend=backend)
    for name in group.attrs["layer_names"]:
        name = _text(name)
        layer = group[name]
        names = [_text(n) for n in layer.attrs.get("weight_names", [])]
        weights.layers[name] = [np.asarray(layer[n]) for n in names]
        weights.names[name] = names
    return weights


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
    path = _existing_path(path, "path")
    with h5py.File(path, "r") as f:
        version = _text(f.attrs.get("keras_version"))
        backend = _text(f.attrs.get("backend"))
        if "nb_layers" in f.attrs:
            weights = LegacyWeights("keras0", keras_version=version, backend=backend)
            for i in range(int(f.attrs["nb_layers"])):
                group = f[f"layer_{i}"]
                count = int(group.attrs.get("nb_params", len(group)))
                name = f"layer_{i}"
                weights.layers[name] = [np.asarray(group[f"param_{j}"])
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
        version = version or _text(group.attrs.get("keras_version"))
        backend = backend or _text(group.attrs.get("backend"))
        layout = "keras1" if _major(version) in (None, 1) else "keras2"
        return _weights_group(group, layout, version, backend)


def _flip(kernel, axes):
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
    _check_kernel_order(kernel_order)
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
        arrays = [_scale_gates(a, 4, (0, 1, 3)) for a in arrays]
    return arrays


def _gru_weights(arrays, names, recurrent_activation):
    arrays = [np.asarray(a, dtype="float32") for a in arrays]
    if len(arrays) == 9:
        parts = _by_gate(arrays, names, "zrh", "zrh")
        arrays = [np.concatenate(parts[3 * k:3 * k + 3], axis=-1) for k in range(3)]
    if recurrent_activation == "hard_sigmoid":
        arrays = [_scale_gates(a, 3, (0, 1)) for a in arrays]
    return arrays


def _scale_gates(array, gates, which):
    array = np.array(array, dtype="float32")
    units = array.shape[-1] // gates
    for gate in which:
        array[..., gate * units:(gate + 1) * units] *= _HARD_SIGMOID_SCALE
    return array


# ------------------------------------------------------------- checks --


def _existing_path(path, name):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"Expected {name} to be a file path (str or os.PathLike). "
            f"Received: {name}={path!r}"
        )
    if not os.path.isfile(path):
        raise ValueError(
            f"Expected {name} to be an existing file. Received: "
            f"{name}={os.fspath(path)!r}"
        )
    return path


def _check_kernel_order(kernel_order, allow_none=False):
    if kernel_order is None and allow_none:
        return
    if kernel_order not in KERNEL_ORDERS:
        raise ValueError(
            f"Expected kernel_order to be one of {KERNEL_ORDERS}"
            f"{' or None' if allow_none else ''}. Received: "
            f"kernel_order={kernel_order!r}"
        )


def _major(version):
    match = re.match(r"\s*(\d+)", version or "")
    return int(match.group(1)) if match else None


# ------------------------------------------------------ configurations --

_KERAS1_NAMES = {
    "Convolution1D", "Convolution2D", "AtrousConvolution1D", "Merge",
    "MaxoutDense", "Highway",
}
_CONTAINERS = {"Sequential", "Model", "Functional"}


def _read_architecture(architecture):
    if isinstance(architecture, dict):
        return architecture
    if isinstance(architecture, (str, os.PathLike)):
        text = os.fspath(architecture)
        if not text.lstrip().startswith("{"):
            _existing_path(architecture, "architecture")
            with open(architecture, encoding="utf8") as handle:
                text = handle.read()
        try:
            config = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                "Expected architecture to be a model's JSON (a path to it, "
                f"its text or the parsed dict). Received: architecture="
                f"{text[:60]!r}... ({error})"
            ) from None
        if isinstance(config, dict):
            return config
    raise TypeError(
        "Expected architecture to be a JSON file path, JSON text or a dict. "
        f"Received: architecture={architecture!r}"
    )


def _iter_configs(config):
    """Every layer configuration nested in a model configuration."""
    if isinstance(config, list):
        for item in config:
            yield from _iter_configs(item)
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config or ("name" in config and isinstance(
            config.get("name"), str) and config["name"][:1].isupper()):
        yield config
    inner = config.get("config", config)
    if isinstance(inner, dict):
        for key in ("layers", "layer", "cell", "cells", "forward_layer",
                    "backward_layer"):
            if key in inner:
                yield from _iter_configs(inner[key])
    elif isinstance(inner, list):
        yield from _iter_configs(inner)
    if "layers" in config and inner is not config:
        yield from _iter_configs(config["layers"])


def _class_name(config):
    return config.get("class_name", config.get("name"))


def _is_legacy(config, version):
    major = _major(version)
    if major is not None:
        return major < 2
    if "class_name" not in config:  # Keras 0.x: {"name": "Sequential", ...}
        return True
    for layer in _iter_configs(config):
        inner = layer.get("config", {})
        if _class_name(layer) in _KERAS1_NAMES or (
            isinstance(inner, dict)
            and ({"output_dim", "nb_filter", "border_mode", "p"} & set(inner))
            and _class_name(layer) != "Embedding"
        ):
            return True
    return False


def _unsafe_layers(config, known, custom_objects):
    """Names of the layers that carry code: Lambda, function Merges, custom."""
    unsafe = []
    for layer in _iter_configs(config):
        cls = _class_name(layer)
        inner = layer.get("config", layer)
        name = inner.get("name", cls) if isinstance(inner, dict) else cls
        if cls == "Lambda":
            unsafe.append(f"{name} (Lambda)")
        elif cls == "Merge" and isinstance(inner, dict) and (
            inner.get("mode_type", "raw") != "raw"
            or inner.get("output_shape_type", "raw") not in ("raw", None)
        ):
            unsafe.append(f"{name} (Merge with a Python function)")
        elif cls not in known and cls not in _CONTAINERS:
            unsafe.append(f"{name} ({cls}, a custom class)")
    return unsafe


def _refuse_unsafe(config, known, safe_mode, custom_objects, path):
    unsafe = _unsafe_layers(config, known, custom_objects)
    if unsafe and safe_mode:
        raise ValueError(
            f"The model in {os.fspath(path)!r} has layers that carry Python "
            f"code or custom classes: {', '.join(unsafe)}; it was not built. "
            f"{_UNSAFE_HINT} Received: safe_mode=True"
        )


def _keras3_known():
    import keras

    return {name for name in dir(keras.layers) if name[:1].isupper()}


# ----------------------------------------------------- kernel order --


def _resolve_kernel_order(kernel_order, backend, era, path):
    if kernel_order is not None:
        return kernel_order
    if backend:
        return "theano" if backend.lower() == "theano" else "tensorflow"
    assumed = "theano" if era < 2 else "tensorflow"
    reason = (
        "Keras 0.x and 1 models, the published genomic ones (DanQ, DragoNN, "
        "FactorNet) among them, were mostly trained on Theano"
        if era < 2 else "Keras 2 files record their backend and TensorFlow "
        "was its default"
    )
    warnings.warn(
        f"{os.fspath(path)!r} does not record the backend it was trained "
        f"with; assuming kernel_order={assumed!r} ({reason}). Pass "
        "kernel_order='theano' or kernel_order='tensorflow' to choose: a "
        "wrong choice reverses every convolution kernel.",
        stacklevel=3,
    )
    return assumed


# ------------------------------------------------- Keras 0.x/1 graphs --


class _Unsupported(Exception):
    """A legacy layer with no Keras 3 equivalent here."""


def _get(config, *keys, default=None):
    for key in keys:
        if key in config and config[key] is not None:
            return config[key]
    return default


def _normalise(layer):
    """(class_name, config) of a Keras 0.x (flat) or Keras 1 layer config."""
    if "class_name" in layer:
        return layer["class_name"], dict(layer.get("config") or {})
    flat = dict(layer)
    cls = flat.pop("name")
    if "custom_name" in flat:
        flat["name"] = flat.pop("custom_name")
    return cls, flat


def _input_shape_of(cls, config):
    shape = _get(config, "batch_input_shape")
    if shape is not None:
        return tuple(shape[1:])
    shape = _get(config, "input_shape")
    if shape is not None:
        return tuple(shape)
    if "input_dim" in config and config["input_dim"] is not None:
        if cls in ("Dense", "MaxoutDense", "Highway"):
            return (config["input_dim"],)
        if cls == "Embedding":
            return (_get(config, "input_length"),)
        return (_get(config, "input_length"), config["input_dim"])
    return None


class _Graph:
    """A Keras 0.x/1 model as a functional graph of normalised layers."""

    def __init__(self, config):
        self.layers = {}   # name -> (cls, config)
        self.order = []    # (name, [(inbound name, node, tensor)]) per call
        self.weight_keys = {}  # name -> ("name", n) | ("index", i)
        self.inputs = []
        self.outputs = []
        self._counts = {}
        cls = _class_name(config)
        body = config.get("config", config) if "class_name" in config else config
        if cls == "Sequential":
            layers = body if isinstance(body, list) else body.get("layers", body)
            self.outputs = [self._sequential(layers, None, index_weights=(
                "class_name" not in config))]
        elif cls in ("Model", "Functional"):
            self._functional(body)
        elif cls == "Graph":
            raise ValueError(
                "Keras 0.x Graph models are not supported; rebuild the model "
                "in code and load its weights with read_weights. Received: "
                "class_name='Graph'"
            )
        else:
            raise ValueError(
                "Expected a Sequential or Model architecture. Received: "
                f"class_name={cls!r}"
            )

    def _name(self, cls, config):
        name = config.get("name")
        if not name:
            count = self._counts.get(cls, 0) + 1
            self._counts[cls] = count
            name = f"{cls.lower()}_{count}"
            while name in self.layers:
                count += 1
                name = f"{cls.lower()}_{count}"
        return name

    def _add(self, cls, config, inbound, weight_key=None):
        name = self._name(cls, config)
        config = dict(config, name=name)
        self.layers[name] = (cls, config)
        self.order.append((name, inbound))
        self.weight_keys[name] = weight_key or ("name", name)
        return (name, 0, 0)

    def _new_input(self, shape, dtype="float32"):
        ref = self._add("InputLayer", {"shape": shape, "dtype": dtype}, [])
        self.inputs.append(ref)
        return ref

    def _sequential(self, layers, current, index_weights, index_offset=0):
        for i, layer in enumerate(layers):
            cls, config = _normalise(layer)
            key = ("index", index_offset + i) if index_weights else None
            if cls == "InputLayer":
                current = self._new_input(tuple(config["batch_input_shape"][1:]),
                                          config.get("input_dtype", "float32"))
                continue
            if current is None and cls not in ("Merge", "Sequential"):
                shape = _input_shape_of(cls, config)
                if shape is None:
                    raise ValueError(
                        "Expected the first layer of a Sequential model to "
                        "state its input shape (batch_input_shape, "
                        "input_shape or input_dim). Received: layer "
                        f"{cls} with config keys {sorted(config)}"
                    )
                current = self._new_input(shape, config.get("input_dtype", "float32"))
            if cls == "Sequential":
                inner = config.get("layers", layer.get("config"))
                current = self._sequential(inner, current, index_weights=False)
            elif cls == "Merge" and "layers" in config:
                ends = []
                before = len(self.order)
                for branch in config["layers"]:
                    bcls, bconfig = _normalise(branch)
                    sub = bconfig.get("layers") if bcls == "Sequential" else [branch]
                    if bcls == "Sequential" and sub is None:
                        sub = branch.get("config")
                    ends.append(self._sequential(sub, current, index_weights=False))
                if index_weights:
                    # Keras 0.x stored a Merge's branch weights in its own
                    # group, branch after branch.
                    for name, _ in self.order[before:]:
                        self.weight_keys[name] = ("index", index_offset + i)
                merge = {k: v for k, v in config.items() if k != "layers"}
                current = self._add("Merge", merge, [ends])
            else:
                current = self._add(cls, config, [[current]], key)
        return current

    def _functional(self, body):
        for layer in body["layers"]:
            cls, config = _normalise(layer)
            name = layer.get("name", config.get("name"))
            config["name"] = name
            if cls == "InputLayer":
                shape = tuple(_get(config, "batch_input_shape", "batch_shape")[1:])
                self.layers[name] = (cls, {"shape": shape, "name": name,
                                           "dtype": config.get("input_dtype", "float32")})
                self.order.append((name, []))
                self.weight_keys[name] = ("name", name)
                continue
            nodes = [[tuple(ref[:3]) for ref in node] for node in layer["inbound_nodes"]]
            self.layers[name] = (cls, config)
            self.weight_keys[name] = ("name", name)
            self.order.append((name, nodes))
        self.inputs = [tuple(ref[:3]) for ref in body["input_layers"]]
        self.outputs = [tuple(ref[:3]) for ref in body["output_layers"]]


_ACTIVATIONS = {"relu", "sigmoid", "tanh", "softmax", "linear", "softplus",
                "softsign", "hard_sigmoid", "elu", "selu", "exponential"}


def _activation(config, key="activation"):
    name = config.get(key) or "linear"
    if name not in _ACTIVATIONS:
        raise _Unsupported(f"activation {name!r}")
    return name


def _padding(config):
    mode = _get(config, "border_mode", "padding", default="valid")
    if mode not in ("valid", "same", "causal"):
        raise _Unsupported(f"border_mode {mode!r}")
    return mode


class _Builder:
    """Makes Keras 3 layers for a `_Graph` and fills in their weights."""

    def __init__(self, graph, weights, kernel_order, keras_version, custom_objects):
        self.graph = graph
        self.weights = weights
        self.kernel_order = kernel_order
        self.std_batchnorm = _major(keras_version) == 0 or (
            weights is not None and weights.layout == "keras0")
        self.custom_objects = custom_objects or {}
        self.cursor = {}
        self.onehot_th = self._onehot_th_inputs()

    # Keras 0.x/1 one-hot images: (1, 4, L) "th" inputs read by a Conv2D
    # spanning the four rows, i.e. a Conv1D on (L, 4).
    def _onehot_th_inputs(self):
        consumers = {}
        for name, nodes in self.graph.order:
            for node in nodes:
                for ref in node:
                    consumers.setdefault(ref[0], []).append(name)
        found = set()
        for name, (cls, config) in self.graph.layers.items():
            if cls != "InputLayer" or tuple(config["shape"])[:2] != (1, 4) or (
                    len(config["shape"]) != 3):
                continue
            users = consumers.get(name, [])
            if users and all(self._spans_rows(u) for u in users):
                found.add(name)
        return found

    def _spans_rows(self, name):
        cls, config = self.graph.layers[name]
        return (cls in ("Convolution2D", "Conv2D")
                and _get(config, "dim_ordering", "data_format") in ("th", "channels_first")
                and _get(config, "nb_row", default=(config.get("kernel_size") or [0])[0]) == 4)

    def take(self, name, count):
        """The next `count` stored arrays (and names) of a layer."""
        if count == 0:
            return [], []
        if self.weights is None:
            raise ValueError("no weights")
        kind, key = self.graph.weight_keys[name]
        if kind == "index":
            key = f"layer_{key}"
        if key not in self.weights.layers:
            raise ValueError(
                f"Expected weights for layer {name!r} in the weights file "
                f"(group {key!r}); it has {list(self.weights.layers)[:12]}"
            )
        start = self.cursor.get(key, 0)
        arrays = self.weights.layers[key][start:start + count]
        names = self.weights.names[key][start:start + count]
        if len(arrays) != count:
            raise ValueError(
                f"Expected {count} weight arrays for layer {name!r} in group "
                f"{key!r}; it holds {len(self.weights.layers[key]) - start}"
            )
        self.cursor[key] = start + count
        return arrays, names

    def make(self, name, input_shapes):
        """(call(tensors) -> tensor, set_weights()) for one legacy layer."""
        import keras
        from keras import layers as L

        cls, c = self.graph.layers[name]

        def plain(layer, convert=None, count=0):
            def set_weights():
                arrays, names = self.take(name, count)
                if count:
                    layer.set_weights(convert(arrays, names))
            return (lambda xs: layer(xs[0] if len(xs) == 1 else xs)), set_weights

        bias = bool(c.get("bias", c.get("use_bias", True)))
        if cls == "InputLayer":
            shape = tuple(c["shape"])
            if name in self.onehot_th:
                shape = (shape[2], 4)
            tensor = keras.Input(shape=shape, dtype=c.get("dtype") or "float32", name=name)
            return (lambda xs: tensor), (lambda: None)
        if cls in ("Convolution1D", "AtrousConvolution1D", "Conv1D"):
            act = _activation(c)
            filters = _get(c, "nb_filter", "filters")
            layer = L.Conv1D(
                filters, _get(c, "filter_length", "kernel_size"),
                strides=_get(c, "subsample_length", "strides", default=1),
                padding=_padding(c), dilation_rate=_get(c, "atrous_rate", default=1),
                activation=act, use_bias=bias, name=name)

            def conv(arrays, names):
                kernel = conv1d_kernel(arrays[0], kernel_order=self.kernel_order,
                                       filters=filters)
                return _hard_sigmoid_scaled([kernel] + arrays[1:], act)
            return plain(layer, conv, 1 + bias)
        if cls in ("Convolution2D", "Conv2D"):
            return self._conv2d(name, c, bias, input_shapes)
        if cls == "Dense":
            act = _activation(c)
            layer = L.Dense(_get(c, "output_dim", "units"), activation=act,
                            use_bias=bias, name=name)
            return plain(layer, lambda a, n: _hard_sigmoid_scaled(a, act), 1 + bias)
        if cls == "Activation":
            act = _activation(c)
            if act == "hard_sigmoid":
                scale = L.Rescaling(float(_HARD_SIGMOID_SCALE), name=f"{name}_slope")
                layer = L.Activation(act, name=name)
                return (lambda xs: layer(scale(xs[0]))), (lambda: None)
            return plain(L.Activation(act, name=name))
        if cls == "Dropout":
            return plain(L.Dropout(float(_get(c, "p", "rate", default=0.0)), name=name))
        if cls == "SpatialDropout1D":
            return plain(L.SpatialDropout1D(float(_get(c, "p", "rate", default=0.0)), name=name))
        if cls == "Flatten":
            return plain(L.Flatten(data_format="channels_last", name=name))
        if cls in ("MaxPooling1D", "AveragePooling1D"):
            size = _get(c, "pool_length", "pool_size", default=2)
            size = size[0] if isinstance(size, (list, tuple)) else size
            stride = _get(c, "stride", "strides", default=size)
            stride = stride[0] if isinstance(stride, (list, tuple)) else stride
            kind = L.MaxPooling1D if cls == "MaxPooling1D" else L.AveragePooling1D
            return plain(kind(size, stride, padding=_padding(c), name=name))
        if cls in ("MaxPooling2D", "AveragePooling2D"):
            size = tuple(_get(c, "pool_size", default=(2, 2)))
            stride = tuple(_get(c, "strides", default=size))
            kind = L.MaxPooling2D if cls == "MaxPooling2D" else L.AveragePooling2D
            return plain(kind(size, stride, padding=_padding(c),
                              data_format=_data_format(c), name=name))
        if cls in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
            return plain(getattr(L, cls)(name=name))
        if cls == "ZeroPadding1D":
            return plain(L.ZeroPadding1D(c.get("padding", 1), name=name))
        if cls == "Reshape":
            return plain(L.Reshape(tuple(c["target_shape"]), name=name))
        if cls == "Permute":
            return plain(L.Permute(tuple(c["dims"]), name=name))
        if cls == "Embedding":
            layer = L.Embedding(c["input_dim"], c["output_dim"], name=name)
            return plain(layer, lambda a, n: a, 1)
        if cls == "BatchNormalization":
            return self._batchnorm(name, c)
        if cls in ("LSTM", "GRU"):
            layer, convert, count = self._recurrent(cls, c, name)
            return plain(layer, convert, count)
        if cls == "Bidirectional":
            icls, ic = _normalise(c["layer"])
            if icls not in ("LSTM", "GRU"):
                raise _Unsupported(f"Bidirectional({icls})")
            inner, convert, count = self._recurrent(icls, ic, ic.get("name", "rnn"))
            mode = c.get("merge_mode", "concat")
            if mode not in ("concat", "sum", "mul", "ave"):
                raise _Unsupported(f"Bidirectional merge_mode {mode!r}")
            layer = L.Bidirectional(inner, merge_mode=mode, name=name)

            def both(arrays, names):
                return (convert(arrays[:count], names[:count])
                        + convert(arrays[count:], names[count:]))
            return plain(layer, both, 2 * count)
        if cls == "TimeDistributed":
            icls, ic = _normalise(c["layer"])
            if icls != "Dense":
                raise _Unsupported(f"TimeDistributed({icls})")
            ibias = bool(ic.get("bias", ic.get("use_bias", True)))
            act = _activation(ic)
            inner = L.Dense(_get(ic, "output_dim", "units"), activation=act,
                            use_bias=ibias, name=ic.get("name") or f"{name}_dense")
            layer = L.TimeDistributed(inner, name=name)
            return plain(layer, lambda a, n: _hard_sigmoid_scaled(a, act), 1 + ibias)
        if cls == "Merge":
            mode = c.get("mode", "sum")
            kinds = {"sum": L.Add, "mul": L.Multiply, "ave": L.Average,
                     "max": L.Maximum}
            if mode == "concat":
                layer = L.Concatenate(axis=c.get("concat_axis", -1), name=name)
            elif mode in kinds:
                layer = kinds[mode](name=name)
            else:
                raise _Unsupported(f"Merge mode {mode!r}")
            return (lambda xs: layer(list(xs))), (lambda: None)
        if cls in self.custom_objects:
            layer = self.custom_objects[cls].from_config(c)
            count = len(self.weights.layers.get(name, [])) if self.weights else 0
            return plain(layer, lambda a, n: a, count)
        raise _Unsupported(f"class {cls!r}")

    def _conv2d(self, name, c, bias, input_shapes):
        from keras import layers as L

        act = _activation(c)
        filters = _get(c, "nb_filter", "filters")
        rows = _get(c, "nb_row", default=(c.get("kernel_size") or [None])[0])
        cols = _get(c, "nb_col", default=(c.get("kernel_size") or [None, None])[1])
        strides = tuple(_get(c, "subsample", "strides", default=(1, 1)))
        th = _data_format(c) == "channels_first"
        source = self._source_input(name)
        if source in self.onehot_th:
            # A first-layer Conv2D spanning all four rows of a (1, 4, L)
            # image is the Conv1D on (L, 4) it stands for.
            conv = L.Conv1D(filters, cols, strides=strides[1], padding=_padding(c),
                            activation=act, use_bias=bias, name=name)
            back = L.Permute((2, 1), name=f"{name}_channels_first")
            image = L.Reshape((filters, 1, -1), name=f"{name}_as_image")

            def convert(arrays, names):
                kernel = _th_kernel(arrays[0], th, self.kernel_order)  # (r, c, in, f)
                kernel = np.transpose(kernel[:, :, 0, :], (1, 0, 2))     # (c, r=4, f)
                return _hard_sigmoid_scaled([kernel] + arrays[1:], act)

            def call(xs):
                return image(back(conv(xs[0])))

            def set_weights():
                arrays, names = self.take(name, 1 + bias)
                conv.set_weights(convert(arrays, names))
            return call, set_weights
        layer = L.Conv2D(filters, (rows, cols), strides=strides, padding=_padding(c),
                         data_format=_data_format(c), activation=act,
                         use_bias=bias, name=name)

        def set_weights():
            arrays, names = self.take(name, 1 + bias)
            kernel = _th_kernel(arrays[0], th, self.kernel_order)
            layer.set_weights(_hard_sigmoid_scaled([kernel] + arrays[1:], act))
        return (lambda xs: layer(xs[0])), set_weights

    def _source_input(self, name):
        for layer, nodes in self.graph.order:
            if layer == name and nodes and len(nodes[0]) == 1:
                return nodes[0][0][0]
        return None

    def _batchnorm(self, name, c):
        from keras import layers as L

        mode = c.get("mode", 0)
        if mode != 0:
            raise _Unsupported(f"BatchNormalization mode {mode}")
        epsilon = float(c.get("epsilon", 1e-3))
        axis = c.get("axis", -1)
        layer = L.BatchNormalization(axis=axis, momentum=float(c.get("momentum", 0.99)),
                                     epsilon=0.0 if self.std_batchnorm else epsilon,
                                     name=name)

        def convert(arrays, names):
            gamma, beta, mean, spread = [np.asarray(a, "float32") for a in arrays]
            if self.std_batchnorm:
                # Keras 0.x: (x - mean) / (std + epsilon).
                spread = np.square(spread + np.float32(epsilon))
            # Keras 1.1+ stored the variance under the name running_std.
            return [gamma, beta, mean, spread]

        def set_weights():
            arrays, names = self.take(name, 4)
            layer.set_weights(convert(arrays, names))
        return (lambda xs: layer(xs[0])), set_weights

    def _recurrent(self, cls, c, name):
        from keras import layers as L

        if c.get("stateful"):
            raise _Unsupported(f"stateful {cls}")
        units = _get(c, "output_dim", "units")
        act = _activation(c)
        inner = _activation(c, "inner_activation") if "inner_activation" in c else (
            _activation(c, "recurrent_activation") if "recurrent_activation" in c
            else "hard_sigmoid")
        common = dict(activation=act, recurrent_activation=inner,
                      return_sequences=bool(c.get("return_sequences", False)),
                      go_backwards=bool(c.get("go_backwards", False)), name=name)
        if cls == "LSTM":
            layer = L.LSTM(units, **common)
            return layer, (lambda a, n: lstm_weights(a, names=n, recurrent_activation=inner)), 12
        layer = L.GRU(units, reset_after=False, **common)
        return layer, (lambda a, n: _gru_weights(a, n, inner)), 9


def _data_format(c):
    value = _get(c, "dim_ordering", "data_format", default="th")
    return "channels_first" if value in ("th", "channels_first") else "channels_last"


def _th_kernel(kernel, th, kernel_order):
    """A Keras 0.x/1 Convolution2D kernel as (rows, cols, in, filters)."""
    kernel = np.asarray(kernel)
    if th:
        kernel = np.transpose(kernel, (2, 3, 1, 0))
    if kernel_order == "theano":
        kernel = _flip(kernel, (0, 1))
    return np.ascontiguousarray(kernel)


def _hard_sigmoid_scaled(arrays, activation):
    if activation != "hard_sigmoid":
        return list(arrays)
    return [np.asarray(a, "float32") * _HARD_SIGMOID_SCALE for a in arrays]


def _build_legacy(config, weights, kernel_order, keras_version, partial,
                  custom_objects, path):
    import keras

    graph = _Graph(config)
    builder = _Builder(graph, weights, kernel_order, keras_version, custom_objects)
    tensors = {}      # (layer, node) -> tensor
    made = {}
    calls = {}
    failed = {}       # layer -> reason
    feeding = []      # tensors read by a layer that did not convert
    for name, nodes in graph.order:
        if not nodes:
            nodes = [[]]
        for node in nodes:
            refs = [(ref[0], ref[1]) for ref in node]
            if any(ref not in tensors for ref in refs):
                continue
            inputs = [tensors[ref] for ref in refs]
            try:
                if name not in made:
                    made[name] = builder.make(name, [x.shape for x in inputs])
                    first = True
                else:
                    first = False
                call, set_weights = made[name]
                out = call(inputs)
                if first:
                    set_weights()
            except _Unsupported as error:
                cls = graph.layers[name][0]
                failed[name] = f"{cls}: {error}"
                if not partial:
                    raise ValueError(
                        f"Layer {name!r} of {os.fspath(path)!r} cannot be "
                        f"converted to Keras 3 ({failed[name]}). Pass "
                        "partial=True to load the model up to that layer "
                        "(enough to extract motifs from its first "
                        "convolution). Received: partial=False"
                    ) from None
                feeding.extend(x for x in inputs if all(x is not f for f in feeding))
                made.pop(name, None)
                break
            index = calls.get(name, 0)
            calls[name] = index + 1
            tensors[(name, index)] = out
    inputs = [tensors[(ref[0], ref[1])] for ref in graph.inputs
              if (ref[0], ref[1]) in tensors]
    outputs = [tensors[(ref[0], ref[1])] for ref in graph.outputs
               if (ref[0], ref[1]) in tensors]
    for tensor in feeding:
        if all(tensor is not o for o in outputs) and all(tensor is not i for i in inputs):
            outputs.append(tensor)
    if failed:
        warnings.warn(
            f"Loaded {os.fspath(path)!r} only up to the layers that convert: "
            + "; ".join(f"{k} ({v})" for k, v in failed.items())
            + " and what follows them were left out; the model's outputs are "
            "the tensors those layers read.", stacklevel=3)
    if not outputs:
        raise ValueError(
            f"No layer of {os.fspath(path)!r} could be converted: {failed}")
    name = (config.get("config") or {}).get("name") if isinstance(
        config.get("config"), dict) else None
    return keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0],
                       name=name or "legacy_model")


# ------------------------------------------------------ Keras 2 route --


def _walk_layers(layer):
    yield layer
    for attr in ("layers",):
        for sub in getattr(layer, attr, None) or []:
            if sub is not layer:
                yield from _walk_layers(sub)
    for attr in ("layer", "forward_layer", "backward_layer"):
        sub = getattr(layer, attr, None)
        if sub is not None and sub is not layer:
            yield from _walk_layers(sub)


def _fix_keras2(model, kernel_order):
    """Theano kernels flipped back; hard_sigmoid gates rescaled."""
    import keras

    hard = keras.activations.hard_sigmoid
    seen = set()
    for layer in _walk_layers(model):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, (keras.layers.Bidirectional,)):
            continue
        weights = layer.get_weights()
        if kernel_order == "theano" and isinstance(
                layer, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)):
            rank = weights[0].ndim - 2
            weights[0] = np.ascontiguousarray(_flip(weights[0], range(rank)))
            layer.set_weights(weights)
        if isinstance(layer, keras.layers.LSTM) and layer.cell.recurrent_activation is hard:
            layer.set_weights([_scale_gates(w, 4, (0, 1, 3)) for w in weights])
        elif isinstance(layer, keras.layers.GRU) and layer.cell.recurrent_activation is hard:
            layer.set_weights([_scale_gates(w, 3, (0, 1)) for w in weights])
        elif getattr(layer, "activation", None) is hard and weights and not isinstance(
                layer, (keras.layers.LSTM, keras.layers.GRU)):
            layer.set_weights(_hard_sigmoid_scaled(weights, "hard_sigmoid"))
        elif isinstance(layer, keras.layers.Activation) and layer.activation is hard:
            warnings.warn(
                f"Layer {layer.name!r} applies hard_sigmoid, whose slope is "
                "0.2 in Keras <= 2 and 1/6 in Keras 3; its outputs differ "
                "from the original model's.", stacklevel=3)
    return model


def _load_keras2(path, safe_mode, custom_objects):
    """A Keras 2 .h5 full model: Keras 3's loader, else through tf-keras."""
    import keras

    try:
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       compile=False, safe_mode=safe_mode)
    except Exception as keras3_error:  # noqa: BLE001 - the fallback decides
        first = keras3_error
    try:
        import tf_keras
    except ImportError:
        raise ValueError(
            f"Keras 3 cannot read the Keras 2 model {os.fspath(path)!r} "
            f"({type(first).__name__}: {first}); install tf-keras "
            "(`pip install tf-keras`) to read it through Keras 2."
        ) from first
    try:
        old = tf_keras.models.load_model(path, compile=False,
                                         custom_objects=custom_objects)
    except Exception as error:
        raise ValueError(
            f"Neither Keras 3 ({type(first).__name__}: {first}) nor tf-keras "
            f"({type(error).__name__}: {error}) could read {os.fspath(path)!r}."
        ) from error
    handle, temporary = tempfile.mkstemp(suffix=".h5")
    os.close(handle)
    try:
        old.save(temporary, save_format="h5", include_optimizer=False)
        with h5py.File(temporary, "r+") as f:
            config = json.loads(_text(f.attrs["model_config"]))
            f.attrs["model_config"] = json.dumps(_keras3_arguments(config, path))
        return keras.saving.load_model(temporary, custom_objects=custom_objects,
                                       compile=False, safe_mode=safe_mode)
    finally:
        os.unlink(temporary)


_KEPT_ARGUMENTS = {"name", "trainable", "dtype", "autocast", "activity_regularizer",
                   "input_dim", "input_shape", "batch_input_shape", "batch_shape",
                   "batch_size", "sparse", "ragged"}


def _keras3_arguments(config, path):
    """Drops the Keras 2 arguments Keras 3 layers no longer take.

    Keras 3 refuses unknown arguments (`time_major` of a tf-keras LSTM, for
    one). Those left at their default are dropped silently, others with a
    warning naming them.
    """
    import inspect

    import keras

    for layer in _iter_configs(config):
        cls = getattr(keras.layers, str(layer.get("class_name")), None)
        inner = layer.get("config")
        if not isinstance(cls, type) or not isinstance(inner, dict):
            continue
        allowed = set(_KEPT_ARGUMENTS)
        for base in cls.__mro__:
            if "__init__" in vars(base):
                allowed |= set(inspect.signature(base.__init__).parameters)
        for key in sorted(set(inner) - allowed):
            value = inner.pop(key)
            if value not in (None, False, 0, [], {}):
                warnings.warn(
                    f"Layer {inner.get('name')!r} of {os.fspath(path)!r}: Keras 3 "
                    f"has no argument {key}={value!r}; it was left out.",
                    stacklevel=4)
    return config


@contextlib.contextmanager
def _full_model_file(architecture, weights_path):
    """A temporary Keras 2 full-model file from a JSON and a weights file."""
    handle, temporary = tempfile.mkstemp(suffix=".h5")
    os.close(handle)
    try:
        with h5py.File(weights_path, "r") as src, h5py.File(temporary, "w") as dst:
            dst.attrs["model_config"] = json.dumps(architecture)
            for key in ("keras_version", "backend"):
                value = architecture.get(key, src.attrs.get(key))
                if value is not None:
                    dst.attrs[key] = value
            group = dst.create_group("model_weights")
            for key, value in src.attrs.items():
                group.attrs[key] = value
            for key in src:
                src.copy(src[key], group, name=key)
        yield temporary
    finally:
        os.unlink(temporary)


# ---------------------------------------------------------------- API --


def load_model(
    path,
    *,
    architecture=None,
    kernel_order: str | None = None,
    safe_mode: bool = True,
    custom_objects: dict | None = None,
    partial: bool = False,
):
    """Loads a trained model of any Keras era as a Keras 3 model.

    `.keras` files go to Keras 3's loader. HDF5 files are read by what wrote
    them: a Keras 2 full model by Keras 3's loader or, where that fails,
    through tf-keras; Keras 0.x and 1 files (a full model, or weights with
    `architecture=`) are translated layer by layer. Convolution kernels
    trained on Theano are flipped back (`kernel_order`) and `hard_sigmoid`
    keeps its Keras <= 2 slope, so the model predicts what the original did.

    Args:
        path: A `.keras`, `.h5` or `.hdf5` file.
        architecture: For a weights-only file: the model's JSON (a path, the
            text or the parsed dict) as `model.to_json()` wrote it, Keras 0.x
            to 2.
        kernel_order: `"theano"` (stored kernels are flipped: flip them
            back), `"tensorflow"` (keep them) or `None`: the backend the file
            records, else (with a warning) Theano for Keras 0.x/1 files and
            TensorFlow for Keras 2.
        safe_mode: Refuse, before building anything, files whose layers carry
            Python code (`Lambda`, a `Merge` with a function) or custom
            classes. `False` only for files you trust.
        custom_objects: Custom classes and functions by name, as for
            `keras.saving.load_model` (needs `safe_mode=False` for legacy
            files that use them).
        partial: With `False` a Keras 0.x/1 layer that has no Keras 3
            equivalent here raises; with `True` the model is loaded up to it,
            with a warning naming it: its outputs are the tensors that layer
            read (the first convolution, enough for motifs, comes across).

    Returns:
        An uncompiled Keras 3 `keras.Model`.

    Raises:
        ValueError: a missing file, an unknown layout, an unsafe file with
            `safe_mode=True`, an unconvertible layer with `partial=False`.
        TypeError: arguments of the wrong type.

    Example:

    >>> model = load_model("final_model.hdf5", architecture="model.json",
    ...                    kernel_order="theano")
    >>> model.get_layer("convolution1d_1").kernel.shape
    (34, 6, 64)
    """
    path = _existing_path(path, "path")
    _check_kernel_order(kernel_order, allow_none=True)
    for flag, value in (("safe_mode", safe_mode), ("partial", partial)):
        if not isinstance(value, bool):
            raise TypeError(f"Expected {flag} to be True or False. Received: "
                            f"{flag}={value!r}")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError("Expected custom_objects to be a dict or None. "
                        f"Received: custom_objects={custom_objects!r}")
    config = None if architecture is None else _read_architecture(architecture)

    import keras

    if str(path).endswith(".keras") or _is_zip(path):
        if config is not None or kernel_order == "theano":
            raise ValueError(
                "A Keras 3 .keras file holds its architecture and TensorFlow-"
                "order kernels; leave architecture and kernel_order unset. "
                f"Received: architecture={architecture!r}, "
                f"kernel_order={kernel_order!r}")
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       compile=False, safe_mode=safe_mode)
    try:
        with h5py.File(path, "r") as f:
            stored = f.attrs.get("model_config")
            version = _text(f.attrs.get("keras_version"))
            backend = _text(f.attrs.get("backend"))
    except OSError as error:
        raise ValueError(
            "Expected a .keras file or an HDF5 (.h5/.hdf5) Keras file. "
            f"Received: path={os.fspath(path)!r} ({error})") from None
    if stored is not None:
        if config is not None:
            raise ValueError(
                "The file is a full model and holds its architecture; leave "
                f"architecture unset. Received: architecture={architecture!r}")
        config = json.loads(_text(stored))
    elif config is None:
        raise ValueError(
            f"{os.fspath(path)!r} holds weights only; pass its architecture "
            "(the model's JSON) as architecture=. Received: architecture=None")
    version = version or config.get("keras_version")
    backend = backend or config.get("backend")
    legacy = _is_legacy(config, version)
    known = (_LEGACY_BUILTINS if legacy else _keras3_known()) - {"Lambda"}
    _refuse_unsafe(config, known, safe_mode, custom_objects, path)
    if legacy:
        weights = read_weights(path)
        era = 0 if (weights.layout == "keras0" or _major(version) == 0) else 1
        order = _resolve_kernel_order(kernel_order, backend or weights.backend, era, path)
        return _build_legacy(config, weights, order, version or weights.keras_version,
                             partial, custom_objects, path)
    order = _resolve_kernel_order(kernel_order, backend, 2, path)
    if stored is not None:
        model = _load_keras2(path, safe_mode, custom_objects)
    else:
        with _full_model_file(config, path) as full:
            model = _load_keras2(full, safe_mode, custom_objects)
    return _fix_keras2(model, order)


_LEGACY_CONVERTED = {
    "InputLayer", "Convolution1D", "AtrousConvolution1D", "Conv1D",
    "Convolution2D", "Conv2D", "Dense", "Activation", "Dropout",
    "SpatialDropout1D", "Flatten", "MaxPooling1D", "AveragePooling1D",
    "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling1D",
    "GlobalAveragePooling1D", "ZeroPadding1D", "Reshape", "Permute",
    "Embedding", "BatchNormalization", "LSTM", "GRU", "Bidirectional",
    "TimeDistributed", "Merge", "Sequential",
}


# Built-in classes of Keras 0.x/1 that carry no code but are not converted:
# with partial=True the model is loaded up to them.
_LEGACY_BUILTINS = _LEGACY_CONVERTED | {
    "Highway", "MaxoutDense", "TimeDistributedDense", "SimpleRNN",
    "Convolution3D", "AtrousConvolution2D", "SeparableConvolution2D",
    "Deconvolution2D", "LocallyConnected1D", "LocallyConnected2D",
    "UpSampling1D", "UpSampling2D", "Cropping1D", "Cropping2D",
    "ZeroPadding2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D",
    "MaxPooling3D", "AveragePooling3D", "SpatialDropout2D", "GaussianNoise",
    "GaussianDropout", "PReLU", "LeakyReLU", "ELU", "ParametricSoftplus",
    "ThresholdedReLU", "SReLU", "RepeatVector", "Masking",
    "ActivityRegularization", "ConvLSTM2D", "Graph",
}


def _is_zip(path):
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def convert(path, output, **options) -> str:
    """Converts a model of any Keras era into a Keras 3 `.keras` file.

    The model is read as `load_model` reads it and written atomically:
    `output` is either the whole new file or left as it was.

    Args:
        path: The model file (see `load_model`).
        output: The `.keras` file to write.
        **options: `architecture`, `kernel_order`, `safe_mode`,
            `custom_objects`, `partial`, as for `load_model`.

    Returns:
        `output` as a string.

    Example:

    >>> convert("final_model.hdf5", "factornet.keras",
    ...         architecture="model.json", kernel_order="theano")
    'factornet.keras'
    """
    if not isinstance(output, (str, os.PathLike)) or not os.fspath(output).endswith(".keras"):
        raise ValueError(f"Expected output to be a path ending in .keras. "
                         f"Received: output={output!r}")
    allowed = {"architecture", "kernel_order", "safe_mode", "custom_objects", "partial"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"Expected options among {sorted(allowed)}. Received: "
                        f"{sorted(unknown)}")
    directory = os.path.dirname(os.path.abspath(os.fspath(output)))
    if not os.path.isdir(directory):
        raise ValueError(f"Expected output's directory to exist. Received: "
                         f"output={os.fspath(output)!r}")
    model = load_model(path, **options)
    with tempfile.TemporaryDirectory() as scratch:
        staged = os.path.join(scratch, "model.keras")
        model.save(staged)
        with open(staged, "rb") as handle:
            data = handle.read()
    return write_atomically(output, data)
