"""The scan engines: what they are (`ScanEngine`), which one runs, and
building it.

Both engines are a `ScanEngine`: a batch in, each filter's maxima
(`scan`) or its summed windows above the cutoffs (`count`) out, in the
data's channel order.

`"keras"` runs the interpreted layers as one compiled function per batch
on the backend's device (`scan.py`). `"onehot"` scans base codes with
table lookups on the CPU (`onehot_scan.py`), several times faster than
the framework's convolution there. `"auto"` takes the one-hot engine when
all of these hold, and the Keras path otherwise:

- the backend sees no GPU or TPU and no `tf.distribute` strategy with
  several replicas is active (on an accelerator the framework is faster);
- the layers fold (`onehot_fold.fold_layers`): the Conv1D, optionally a
  BatchNormalization and an order-keeping activation after it, float32
  compute; dropout and noise layers between them are the identity when
  scanning;
- the model reads 4 channels (no extra signal tracks).

Per batch, data that base codes cannot represent exactly (arbitrary
float weights) go to the Keras path even under `"onehot"`: the one-hot
engine's batches come as base codes `(B, L)`, the others as rows
`(B, L, channels)`, and `batch_engine` tells them apart.
"""

from __future__ import annotations

from typing import Protocol

import keras
import numpy as np

from keras_motifs._internal.alphabet import channel_complement
from keras_motifs._internal.checks import one_of
from keras_motifs._internal.graph import INFERENCE_IDENTITY_LAYERS
from keras_motifs._internal.graph import layers_between
from keras_motifs._internal.onehot_fold import UnsupportedLayers, fold_layers
from keras_motifs._internal.onehot_scan import OneHotScanFunction
from keras_motifs._internal.scan import ScanFunction, replica_count

ENGINES = ("auto", "keras", "onehot")


class ScanEngine(Protocol):
    """What an engine is to the interpreter: one batch in, per filter its
    maximum or its summed windows out. `ScanFunction` (Keras) and
    `OneHotScanFunction` are the two.

    A batch is `(B, L, channels)` one-hot rows for the Keras engine and
    `(B, L)` base codes for the one-hot engine (`batch_engine`).
    """

    def scan(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(best, position, strand)`, each `(B, filters)`: the activated
        maximum, its first output position and its strand (1 = reverse)."""

    def count(self, x, n_valid: int, thresholds, maxima: bool = False) -> tuple:
        """`(counts, sites)`: the windows `(filters, width * channels)` of
        the first `n_valid` rows whose maximum is above the filter's
        threshold, summed in the data's channel order, and how many; with
        `maxima`, `scan`'s three arrays after them."""


def build_engine(kind: str, *, length: int, alphabet: str, strands: str,
                 conv, target, activation_model, geometry, dna_channels,
                 n_channels: int, count_inside: bool) -> ScanEngine:
    """The `kind` engine for batches of `length` positions.

    Args:
        kind: `"keras"` or `"onehot"` (`choose_engine`, `batch_engine`).
        length: Sequence length of every batch.
        alphabet: The data's channel order.
        strands: `"forward"` or `"both"`.
        conv: The interpreted `Conv1D`.
        target: The scanned layer (`conv` or its activation layer).
        activation_model: The Keras model from the input to `target`.
        geometry: The windows' `ConvGeometry` (or receptive field).
        dna_channels: The DNA channels of the input.
        n_channels: Channels of the input.
        count_inside: Count the positions inside the sequence (signal
            channels are averaged over them).

    Returns:
        A `ScanEngine`. The one-hot engine is built from the weights as
        they are now.
    """
    if kind == "onehot":
        batchnorm, activation = foldable_layers(conv, target)
        return OneHotScanFunction.from_layers(
            conv, batchnorm, activation, input_length=length,
            alphabet=alphabet, complement=strands == "both",
        )
    complement = (channel_complement(alphabet, dna_channels, n_channels)
                  if strands == "both" else None)
    return ScanFunction(activation_model, geometry, length,
                        complement=complement, count_inside=count_inside)


def batch_engine(x) -> str:
    """The engine that scans batch `x`: `"onehot"` for base codes
    `(B, L)` (`sources.code_batches`), `"keras"` for one-hot rows
    `(B, L, channels)`."""
    return "onehot" if x.ndim == 2 else "keras"


def check_engine(engine) -> str:
    """`engine` checked: one of `ENGINES`."""
    return one_of(engine, "engine", ENGINES)


def accelerator_visible() -> bool:
    """True when the Keras backend computes on a GPU or TPU."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_logical_devices("GPU")
                    or tf.config.list_logical_devices("TPU"))
    if backend == "jax":
        import jax

        return jax.default_backend() != "cpu"
    if backend == "torch":
        import torch

        return bool(torch.cuda.is_available())
    return False


def foldable_layers(conv, target):
    """`(batchnorm, activation_layer)` to fold after `conv` up to `target`.

    Args:
        conv: The interpreted `Conv1D`.
        target: The scanned layer (`conv` itself, or a later layer that
            passed `graph.check_activation_layer`).

    Returns:
        The `BatchNormalization` (or `None`) and the activation layer (or
        `None`), in the order `fold_layers` takes them.

    Raises:
        UnsupportedLayers: the chain is not Conv1D [-> BatchNormalization]
            [-> Activation/ReLU] (with dropout or noise anywhere between).
    """
    chain = [layer for layer in layers_between(conv, target)
             if not isinstance(layer, INFERENCE_IDENTITY_LAYERS)]
    batchnorm = activation = None
    if chain and isinstance(chain[0], keras.layers.BatchNormalization):
        batchnorm = chain.pop(0)
    if chain and isinstance(chain[0], (keras.layers.Activation,
                                       keras.layers.ReLU)):
        activation = chain.pop(0)
    if chain:
        names = ", ".join(f"{layer.name!r} ({type(layer).__name__})"
                          for layer in chain)
        raise UnsupportedLayers(
            "the one-hot engine folds a BatchNormalization and one "
            f"Activation or ReLU after the Conv1D; the scanned chain also "
            f"holds {names}"
        )
    return batchnorm, activation


def onehot_problem(model_input, conv, target, alphabet) -> str | None:
    """Why the layers cannot be scanned by the one-hot engine, or `None`."""
    channels = model_input.shape[-1]
    if channels != 4:
        return f"the model reads {channels} channels, not 4 (DNA only)"
    for layer in (conv, target):
        if str(layer.compute_dtype) != "float32":
            return (f"layer {layer.name!r} computes in {layer.compute_dtype}, "
                    "not float32")
    try:
        batchnorm, activation = foldable_layers(conv, target)
        fold_layers(conv, batchnorm, activation, alphabet=alphabet)
    except UnsupportedLayers as error:
        return str(error)
    return None


def choose_engine(
    engine: str, model_input, conv, target, alphabet, *, limitation=None
) -> str:
    """The engine to run, `"keras"` or `"onehot"`, for the checked `engine`.

    Args:
        engine: `"auto"`, `"keras"` or `"onehot"`.
        model_input: The model's symbolic input.
        conv: The interpreted `Conv1D`.
        target: The scanned layer.
        alphabet: The channel order the model reads.
        limitation: Why the caller cannot use the one-hot engine (a deeper
            Conv1D, reordered channels), or `None`.

    Returns:
        `"keras"` or `"onehot"`.

    Raises:
        ValueError: `engine="onehot"` where the one-hot engine cannot run,
            saying why.
    """
    engine = check_engine(engine)
    if engine == "keras":
        return "keras"
    problem = limitation or onehot_problem(model_input, conv, target, alphabet)
    if problem is None and replica_count() > 1:
        problem = ("a tf.distribute strategy with several replicas is "
                   "active")
    if engine == "onehot" and problem is not None:
        raise ValueError(
            f"engine='onehot' cannot scan Conv1D {conv.name!r}: {problem}. "
            "Pass engine='keras' (or 'auto', which falls back by itself). "
            "Received: engine='onehot'"
        )
    if problem is not None:
        return "keras"
    if engine == "auto" and accelerator_visible():
        return "keras"
    return "onehot"
