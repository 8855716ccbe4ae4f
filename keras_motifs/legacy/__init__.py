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

import json
import os
import tempfile
import zipfile

import h5py

from keras_motifs._internal.checks import boolean
from keras_motifs._internal.files import (
    check_writable,
    describe_file,
    existing_file,
    file_kind,
    write_atomically,
)
from keras_motifs.legacy.builder import build_legacy
from keras_motifs.legacy.configs import (
    check_architecture,
    is_legacy,
    keras1_layers,
    keras3_known,
    lambda_layers,
    read_architecture,
    refuse_code,
    refuse_unsafe,
    resolve_kernel_order,
)
from keras_motifs.legacy.keras2 import fix_keras2, full_model_file, load_keras2
from keras_motifs.legacy.weights import (
    KERNEL_ORDERS,
    LegacyWeights,
    attribute_text,
    check_kernel_order,
    conv1d_kernel,
    lstm_weights,
    major_version,
    read_weights,
)

__all__ = ["KERNEL_ORDERS", "LegacyWeights", "conv1d_kernel", "convert", "load_model",
           "lstm_weights", "read_weights", "save_model"]


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
        path: A Keras 3 `.keras` file (a zip archive) or a Keras 0.x to 2
            HDF5 file (`.h5`, `.hdf5`, `.hd5`, ...): files are told apart by
            their first bytes, not their suffix.
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
    path = existing_file(path, "path")
    check_kernel_order(kernel_order, allow_none=True)
    safe_mode = boolean(safe_mode, "safe_mode")
    partial = boolean(partial, "partial")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError("Expected custom_objects to be a dict or None. "
                        f"Received: custom_objects={custom_objects!r}")
    config = None if architecture is None else read_architecture(architecture)
    shown = os.fspath(path)
    kind = file_kind(path)

    import keras

    if kind == "zip":
        if config is not None or kernel_order == "theano":
            raise ValueError(
                "A Keras 3 .keras file holds its architecture and TensorFlow-"
                "order kernels; leave architecture and kernel_order unset. "
                f"Received: architecture={architecture!r}, "
                f"kernel_order={kernel_order!r}")
        if safe_mode:
            refuse_code(lambda_layers(_keras3_config(path)), path)
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       compile=False, safe_mode=safe_mode)
    if kind != "hdf5":
        json_hint = ""
        if describe_file(path).startswith("a text file starting with '{"):
            json_hint = (" It looks like a model's JSON: pass it as "
                         "architecture= with the weights file.")
        raise ValueError(
            f"{shown} is not a Keras model file: it is {describe_file(path)}, "
            "where a Keras 3 model is a zip archive (.keras) and a Keras 0.x "
            f"to 2 model or weights file is HDF5, whatever its suffix.{json_hint}")
    try:
        with h5py.File(path, "r") as f:
            stored = f.attrs.get("model_config")
            version = attribute_text(f.attrs.get("keras_version"))
            backend = attribute_text(f.attrs.get("backend"))
    except OSError as error:
        raise ValueError(
            f"Cannot read {shown} as HDF5 (truncated or damaged?): {error}"
        ) from None
    source = "the architecture"
    if stored is not None:
        if config is not None:
            raise ValueError(
                "The file is a full model and holds its architecture; leave "
                f"architecture unset. Received: architecture={architecture!r}")
        source = f"the model_config of {shown}"
        try:
            config = json.loads(attribute_text(stored))
        except ValueError as error:
            raise ValueError(
                f"{source} is not JSON ({error}): the file is damaged; save "
                "the model again.") from None
    elif config is None:
        raise ValueError(
            f"{shown!r} holds weights only; pass its architecture "
            "(the model's JSON) as architecture=. Received: architecture=None")
    check_architecture(config, source)
    said = f"The file {shown}" if version else source.capitalize()
    version = version or config.get("keras_version")
    backend = backend or config.get("backend")
    legacy = is_legacy(config, version)
    older = keras1_layers(config)
    if not legacy and older and version:
        raise ValueError(
            f"{said} says keras_version {version!r}, but layers of {source} "
            f"are written in Keras 0.x/1 terms: {', '.join(older[:3])}"
            f"{' ...' if len(older) > 3 else ''}. The two conflict: correct or "
            "remove keras_version in the architecture's JSON (it is then read "
            "as the Keras 1 model it is), or give the JSON the model's Keras 2 "
            f"code wrote. Received: keras_version={version!r}")
    known = (_LEGACY_BUILTINS if legacy else keras3_known()) - {"Lambda"}
    refuse_unsafe(config, known, safe_mode, custom_objects, path)
    if legacy:
        weights = read_weights(path)
        era = 0 if (weights.layout == "keras0" or major_version(version) == 0) else 1
        order = resolve_kernel_order(kernel_order, backend or weights.backend, era, path)
        return build_legacy(config, weights, order, version or weights.keras_version,
                             partial, custom_objects, path)
    order = resolve_kernel_order(kernel_order, backend, 2, path)
    if stored is not None:
        model = load_keras2(path, safe_mode, custom_objects)
    else:
        with full_model_file(config, path) as full:
            model = load_keras2(full, safe_mode, custom_objects, shown=shown)
    return fix_keras2(model, order)


def _keras3_config(path) -> dict:
    """The model configuration of a `.keras` archive (its config.json)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("config.json"))
    except KeyError:
        raise ValueError(
            f"{os.fspath(path)} is a zip archive without config.json, not a "
            "Keras 3 .keras model (a .npz array file?)."
        ) from None
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ValueError(
            f"Cannot read {os.fspath(path)} as a Keras 3 .keras model "
            f"(damaged?): {error}"
        ) from None


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
    check_writable(output)
    return save_model(load_model(path, **options), output)


def save_model(model, output) -> str:
    """Writes `model` as a Keras 3 `.keras` file, atomically.

    Args:
        model: A Keras 3 model, such as `load_model` returns.
        output: The `.keras` file to write.

    Returns:
        `output` as a string.

    Example:

    >>> save_model(load_model("model.h5"), "model.keras")
    'model.keras'
    """
    check_writable(output)
    with tempfile.TemporaryDirectory() as scratch:
        staged = os.path.join(scratch, "model.keras")
        model.save(staged)
        with open(staged, "rb") as handle:
            data = handle.read()
    return write_atomically(output, data)
