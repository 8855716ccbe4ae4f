"""Keras 2 files: Keras 3's loader, else through tf-keras."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings

import h5py
import numpy as np

from keras_motifs.legacy.builder import hard_sigmoid_scaled
from keras_motifs.legacy.configs import iter_configs
from keras_motifs.legacy.weights import attribute_text, flip, scale_gates

__all__ = ["fix_keras2", "load_keras2"]


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


def fix_keras2(model, kernel_order):
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
            weights[0] = np.ascontiguousarray(flip(weights[0], range(rank)))
            layer.set_weights(weights)
        if isinstance(layer, keras.layers.LSTM) and layer.cell.recurrent_activation is hard:
            layer.set_weights([scale_gates(w, 4, (0, 1, 3)) for w in weights])
        elif isinstance(layer, keras.layers.GRU) and layer.cell.recurrent_activation is hard:
            layer.set_weights([scale_gates(w, 3, (0, 1)) for w in weights])
        elif getattr(layer, "activation", None) is hard and weights and not isinstance(
                layer, (keras.layers.LSTM, keras.layers.GRU)):
            layer.set_weights(hard_sigmoid_scaled(weights, "hard_sigmoid"))
        elif isinstance(layer, keras.layers.Activation) and layer.activation is hard:
            warnings.warn(
                f"Layer {layer.name!r} applies hard_sigmoid, whose slope is "
                "0.2 in Keras <= 2 and 1/6 in Keras 3; its outputs differ "
                "from the original model's.", stacklevel=3)
    return model


def load_keras2(path, safe_mode, custom_objects, shown=None):
    """A Keras 2 .h5 full model: Keras 3's loader, else through tf-keras.

    `shown` is the path the user gave, when `path` is a temporary file made
    from it (see `full_model_file`): messages name it, not the temporary.
    """
    import keras

    shown = os.fspath(path) if shown is None else os.fspath(shown)

    def text(error):
        return f"{type(error).__name__}: {error}".replace(os.fspath(path), shown)

    try:
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       compile=False, safe_mode=safe_mode)
    except Exception as keras3_error:  # noqa: BLE001 - the fallback decides
        first = keras3_error
    try:
        import tf_keras
    except ImportError:
        raise ValueError(
            f"Keras 3 cannot read the Keras 2 model {shown!r} ({text(first)}); "
            "install tf-keras (`pip install tf-keras`) to read it through "
            "Keras 2."
        ) from None
    try:
        old = tf_keras.models.load_model(path, compile=False,
                                         custom_objects=custom_objects)
    except Exception as error:
        raise ValueError(
            f"Neither Keras 3 ({text(first)}) nor tf-keras ({text(error)}) "
            f"could read {shown!r}."
        ) from None
    handle, temporary = tempfile.mkstemp(suffix=".h5")
    os.close(handle)
    try:
        old.save(temporary, save_format="h5", include_optimizer=False)
        with h5py.File(temporary, "r+") as f:
            config = json.loads(attribute_text(f.attrs["model_config"]))
            f.attrs["model_config"] = json.dumps(_keras3_arguments(config, shown))
        try:
            return keras.saving.load_model(temporary, custom_objects=custom_objects,
                                           compile=False, safe_mode=safe_mode)
        except Exception as error:
            message = text(error).replace(temporary, shown)
            raise ValueError(
                f"tf-keras read {shown!r}, but Keras 3 cannot build the model "
                f"it holds ({message})."
            ) from None
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

    for layer in iter_configs(config):
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
def full_model_file(architecture, weights_path):
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
