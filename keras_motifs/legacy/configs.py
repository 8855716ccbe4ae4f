"""Keras 0.x and 1 model configurations: reading, safety, kernel order, the graph."""

from __future__ import annotations

import json
import os
import warnings

from keras_motifs._internal.files import existing_file
from keras_motifs.legacy.weights import UNSAFE_HINT, major_version

__all__ = ["LegacyGraph", "Unsupported", "read_architecture"]

_KERAS1_NAMES = {
    "Convolution1D", "Convolution2D", "AtrousConvolution1D", "Merge",
    "MaxoutDense", "Highway",
}
_CONTAINERS = {"Sequential", "Model", "Functional"}


def read_architecture(architecture):
    if isinstance(architecture, dict):
        return architecture
    if isinstance(architecture, (str, os.PathLike)):
        text = os.fspath(architecture)
        if not text.lstrip().startswith("{"):
            existing_file(architecture, "architecture")
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


def iter_configs(config):
    """Every layer configuration nested in a model configuration."""
    if isinstance(config, list):
        for item in config:
            yield from iter_configs(item)
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
                yield from iter_configs(inner[key])
    elif isinstance(inner, list):
        yield from iter_configs(inner)
    if "layers" in config and inner is not config:
        yield from iter_configs(config["layers"])


def _class_name(config):
    return config.get("class_name", config.get("name"))


def check_architecture(config, source: str) -> None:
    """Raises a ValueError unless `config` has the shape of a model's JSON.

    A Sequential model holds a list of layers (`config` itself in Keras 2.1
    and earlier, else `config["layers"]`), a functional one its `layers`,
    `input_layers` and `output_layers`; every layer is an object with a
    class name. Keras 0.x wrote flat layers (`{"name": "Dense", ...}`).

    Args:
        config: The parsed JSON.
        source: Where it comes from, for the message (`"the architecture
            model.json"`).
    """
    problem = _architecture_problem(config)
    if problem:
        raise ValueError(
            f"{source} is not a Keras model's JSON: {problem}. Give the JSON "
            "that model.to_json() wrote for this model (Keras 0.x to 3)."
        )


def _architecture_problem(config) -> str | None:
    if not isinstance(config, dict):
        return f"it is {type(config).__name__}, not a JSON object"
    cls = _class_name(config)
    if not isinstance(cls, str):
        return "it has no class_name (Sequential, Model or Functional)"
    body = config.get("config", config) if "class_name" in config else config
    if cls == "Sequential":
        layers = body if isinstance(body, list) else (
            body.get("layers") if isinstance(body, dict) else None)
        if not isinstance(layers, list) or not layers:
            return "its Sequential config holds no list of layers"
    elif cls in ("Model", "Functional"):
        if not isinstance(body, dict) or not all(
                isinstance(body.get(key), list)
                for key in ("layers", "input_layers", "output_layers")):
            return (f"its {cls} config lacks the lists layers, input_layers "
                    "and output_layers")
        layers = body["layers"]
    else:
        return None  # A Graph, a single layer: refused by name later.
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(_class_name(layer), str) or (
                "class_name" in layer
                and not isinstance(layer.get("config", {}), (dict, list))):
            return (f"layer {i} of its {cls} is {json.dumps(layer)[:60]}, not a "
                    "layer (an object with a class_name and a config)")
    return None


def keras1_layers(config) -> list[str]:
    """The layers written in Keras 0.x/1 terms (`Convolution1D`, `nb_filter`)."""
    found = []
    for layer in iter_configs(config):
        inner = layer.get("config", {})
        cls = _class_name(layer)
        if cls in _KERAS1_NAMES or (
            isinstance(inner, dict)
            and ({"output_dim", "nb_filter", "border_mode", "p"} & set(inner))
            and cls != "Embedding"
        ):
            name = inner.get("name") if isinstance(inner, dict) else None
            found.append(f"{name or cls} ({cls})")
    return found


def is_legacy(config, version):
    major = major_version(version)
    if major is not None:
        return major < 2
    if "class_name" not in config:  # Keras 0.x: {"name": "Sequential", ...}
        return True
    return bool(keras1_layers(config))


def _unsafe_layers(config, known, custom_objects):
    """Names of the layers that carry code: Lambda, function Merges, custom."""
    unsafe = []
    for layer in iter_configs(config):
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


def refuse_unsafe(config, known, safe_mode, custom_objects, path):
    if safe_mode:
        refuse_code(_unsafe_layers(config, known, custom_objects), path)


def lambda_layers(config) -> list[str]:
    """The layers of a Keras 3 configuration holding a Python lambda.

    Keras 3 stores a lambda as `{"class_name": "__lambda__", "config":
    {"code": ...}}`, and its safe mode refuses exactly these.
    """
    found = []
    for layer in iter_configs(config):
        cls = _class_name(layer)
        if cls not in _CONTAINERS and '"__lambda__"' in json.dumps(layer):
            inner = layer.get("config")
            name = inner.get("name", cls) if isinstance(inner, dict) else cls
            found.append(f"{name} ({cls} with a Python lambda)")
    return found


def refuse_code(unsafe: list[str], path) -> None:
    """Raises the one refusal of layers that carry code, if there are any."""
    if unsafe:
        raise ValueError(
            f"The model in {os.fspath(path)!r} has layers that carry Python "
            f"code or custom classes: {', '.join(unsafe)}; it was not built. "
            f"{UNSAFE_HINT} Received: safe_mode=True"
        )


def keras3_known():
    import keras

    return {name for name in dir(keras.layers) if name[:1].isupper()}


def resolve_kernel_order(kernel_order, backend, era, path):
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


class Unsupported(Exception):
    """A legacy layer with no Keras 3 equivalent here."""


def config_value(config, *keys, default=None):
    for key in keys:
        if key in config and config[key] is not None:
            return config[key]
    return default


def normalise_layer(layer):
    """(class_name, config) of a Keras 0.x (flat) or Keras 1 layer config."""
    if "class_name" in layer:
        return layer["class_name"], dict(layer.get("config") or {})
    flat = dict(layer)
    cls = flat.pop("name")
    if "custom_name" in flat:
        flat["name"] = flat.pop("custom_name")
    return cls, flat


def _input_shape_of(cls, config):
    shape = config_value(config, "batch_input_shape")
    if shape is not None:
        return tuple(shape[1:])
    shape = config_value(config, "input_shape")
    if shape is not None:
        return tuple(shape)
    if "input_dim" in config and config["input_dim"] is not None:
        if cls in ("Dense", "MaxoutDense", "Highway"):
            return (config["input_dim"],)
        if cls == "Embedding":
            return (config_value(config, "input_length"),)
        return (config_value(config, "input_length"), config["input_dim"])
    return None


class LegacyGraph:
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
            cls, config = normalise_layer(layer)
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
                    bcls, bconfig = normalise_layer(branch)
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
            cls, config = normalise_layer(layer)
            name = layer.get("name", config.get("name"))
            config["name"] = name
            if cls == "InputLayer":
                shape = tuple(config_value(config, "batch_input_shape", "batch_shape")[1:])
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


def activation_name(config, key="activation"):
    name = config.get(key) or "linear"
    if name not in _ACTIVATIONS:
        raise Unsupported(f"activation {name!r}")
    return name


def padding_name(config):
    mode = config_value(config, "border_mode", "padding", default="valid")
    if mode not in ("valid", "same", "causal"):
        raise Unsupported(f"border_mode {mode!r}")
    return mode
