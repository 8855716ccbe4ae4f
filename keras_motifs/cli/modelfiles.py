"""Loading the saved model a command is given, of any Keras era."""

from __future__ import annotations

import keras_motifs.models.initializers  # noqa: F401  (registers its serializables)
from keras_motifs import legacy
from keras_motifs._internal.files import existing_file
from keras_motifs.legacy.weights import UNSAFE_HINT


def load_model(
    path,
    *,
    architecture: str | None = None,
    kernel_order: str | None = None,
    unsafe: bool = False,
):
    """Loads a saved model (`.keras`, Keras 2 `.h5`, Keras 0.x/1) for inference.

    Everything goes through `keras_motifs.legacy.load_model`, which tells
    files apart by their first bytes, not their suffix: a `.keras` (zip)
    file to Keras 3's loader, a Keras 2 `.h5` full model to Keras 3's loader
    or tf-keras, Keras 0.x/1 files (weights with `architecture`) translated.
    Loading is safe unless `unsafe`: files whose layers carry Python code
    are refused. The layers of `keras_motifs` (such as `MotifInitializer`)
    are registered first, so models built with them load.

    Args:
        path: The model file.
        architecture: The model's JSON for a weights-only file, or `None`.
        kernel_order: `"theano"`, `"tensorflow"` or `None` (see
            `keras_motifs.legacy.load_model`).
        unsafe: Allow `Lambda` layers and custom classes (`--unsafe`).

    Returns:
        A `keras.Model`.

    Example:

    >>> model = load_model("final_model.hdf5", architecture="model.json",
    ...                    kernel_order="theano")
    """
    path = existing_file(path, "MODEL")
    if architecture is not None:
        architecture = existing_file(architecture, "--architecture")
    try:
        return legacy.load_model(
            path,
            architecture=architecture,
            kernel_order=kernel_order,
            safe_mode=not unsafe,
        )
    except ValueError as error:
        message = str(error).replace(f"{UNSAFE_HINT} Received: safe_mode=True", (
            "Pass --unsafe only for a file you trust: its code would run when "
            "the model is built.")).replace("safe_mode=False", "--unsafe")
        raise ValueError(message.replace("architecture=", "--architecture ")) from None
    except Exception as error:  # Keras raises many types for bad files.
        raise ValueError(
            f"Cannot load a Keras model from {path}: {type(error).__name__}: "
            f"{error}"
        ) from None
