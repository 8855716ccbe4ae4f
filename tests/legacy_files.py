"""Model files written the way Keras 0.x, 1 and 2 wrote them, for the tests.

Keras 0.x `save_weights`: attribute `nb_layers`, one group `layer_{i}` per
layer of the Sequential model (weightless ones too) with attribute
`nb_params` and datasets `param_{j}`. Keras 1 `save_weights`: attribute
`layer_names`, one group per layer with attribute `weight_names` (an empty
float array for a weightless layer) and one dataset per weight name. Keras 2
full models are written by tf-keras itself; `as_keras21_sequential` rewrites
one's configuration the way Keras 2.1 stored a Sequential model (a list of
layer configurations).

Each function returns plain numpy references that the tests compare with:
`conv1d`, `lstm` and `hard_sigmoid` compute what Keras 1 on Theano did.
"""

import json

import h5py
import numpy as np


def write_keras0_weights(path, params):
    """Writes `params` (a list per layer of arrays) as Keras 0.x did."""
    with h5py.File(path, "w") as f:
        f.attrs["nb_layers"] = len(params)
        for k, arrays in enumerate(params):
            group = f.create_group(f"layer_{k}")
            group.attrs["nb_params"] = len(arrays)
            for n, array in enumerate(arrays):
                dataset = group.create_dataset(f"param_{n}", array.shape, dtype=array.dtype)
                dataset[:] = array


def write_keras1_weights(path, layers, model_config=None, keras_version=None):
    """Writes `layers` (a list of `(name, [(weight_name, array)])`) as Keras 1 did.

    With `model_config` the file is a Keras 1 full model instead: the
    configuration goes to the `model_config` attribute and the weights to a
    `model_weights` group.
    """
    with h5py.File(path, "w") as f:
        root = f
        if model_config is not None:
            f.attrs["model_config"] = json.dumps(model_config).encode("utf8")
            root = f.create_group("model_weights")
        if keras_version is not None:
            f.attrs["keras_version"] = keras_version.encode("utf8")
        root.attrs["layer_names"] = np.array([name.encode("utf8") for name, _ in layers])
        for name, weights in layers:
            group = root.create_group(name)
            names = [w.encode("utf8") for w, _ in weights]
            group.attrs["weight_names"] = np.array(names) if names else np.array([])
            for weight_name, array in weights:
                dataset = group.create_dataset(weight_name, array.shape, dtype=array.dtype)
                dataset[:] = array


def as_keras21_sequential(path, keras_version="2.1.6", backend="tensorflow"):
    """Rewrites a tf-keras Sequential `.h5` as Keras 2.1 stored it."""
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        layers = config["config"]["layers"]
        layers = [layer for layer in layers if layer["class_name"] != "InputLayer"]
        first = layers[0]["config"]
        first["batch_input_shape"] = first.get("batch_input_shape") or (
            config["config"]["layers"][0]["config"]["batch_input_shape"])
        config["config"] = layers
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        f.attrs["keras_version"] = keras_version.encode("utf8")
        f.attrs["backend"] = backend.encode("utf8")


def layer(class_name, name, inbound=None, **config):
    """A Keras 1 functional layer entry (`inbound`: one call per list)."""
    config["name"] = name
    return {"class_name": class_name, "name": name, "config": config,
            "inbound_nodes": [[[n, i, 0] for n, i in call] for call in inbound or []]}


def keras1_model(layers, inputs, outputs):
    """A Keras 1 functional model configuration."""
    return {"class_name": "Model", "keras_version": "1.1.1", "config": {
        "name": "model_1", "layers": layers,
        "input_layers": [[n, 0, 0] for n in inputs],
        "output_layers": [[n, 0, 0] for n in outputs]}}


def keras1_sequential(layers):
    """A Keras 1 Sequential configuration (`layers`: (class_name, config))."""
    return {"class_name": "Sequential", "keras_version": "1.2.2",
            "config": [{"class_name": c, "config": dict(k)} for c, k in layers]}


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def conv1d(x, kernel, bias):
    """Cross-correlation, 'valid': kernel (width, channels, filters)."""
    width = kernel.shape[0]
    steps = x.shape[1] - width + 1
    out = np.zeros((x.shape[0], steps, kernel.shape[2]))
    for t in range(steps):
        out[:, t] = np.einsum("nwc,wcf->nf", x[:, t:t + width], kernel)
    return out + bias


def lstm(x, gates, go_backwards=False, inner=hard_sigmoid):
    """Keras 0.x/1 LSTM; `gates[g] = (W, U, b)` for g in 'icfo'; all states."""
    units = gates["i"][2].shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    steps = range(x.shape[1])
    outputs = []
    for t in (reversed(steps) if go_backwards else steps):
        z = {g: x[:, t] @ W + h @ U + b for g, (W, U, b) in gates.items()}
        i, f, o = inner(z["i"]), inner(z["f"]), inner(z["o"])
        c = f * c + i * np.tanh(z["c"])
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def random_gates(rng, inputs, units, prefix):
    """Per-gate LSTM weights, stored names and arrays in Keras 1 order."""
    gates = {g: (rng.normal(0, 0.5, (inputs, units)).astype("float32"),
                 rng.normal(0, 0.5, (units, units)).astype("float32"),
                 rng.normal(0, 0.5, units).astype("float32")) for g in "icfo"}
    stored = [(f"{prefix}_{kind}_{g}", gates[g]["WUb".index(kind)])
              for g in "icfo" for kind in "WUb"]
    return gates, stored
