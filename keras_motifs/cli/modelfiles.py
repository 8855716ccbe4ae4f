"""Loading the saved model a command is given."""

from __future__ import annotations

import zipfile

import h5py
import keras

import keras_motifs.initializers  # noqa: F401  (registers its serializables)
from keras_motifs._internal.files import existing_file


def load_model(path):
    """Loads a saved Keras model (`.keras` or legacy `.h5`) for inference.

    The model is loaded with `safe_mode=True` and without compiling; the
    layers of `keras_motifs` (such as `MotifInitializer`) are registered
    first, so models built with them load.

    Args:
        path: The model file.

    Returns:
        A `keras.Model`.

    Example:

    >>> model = load_model("danq.keras")
    """
    path = existing_file(path, "MODEL")
    lower = path.lower()
    if lower.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ValueError(
                f"{path} is not a Keras model: a .keras file is a zip archive."
            )
    elif lower.endswith(".h5"):
        if not h5py.is_hdf5(path):
            raise ValueError(f"{path} is not a Keras model: it is not HDF5.")
    else:
        raise ValueError(
            f"Cannot load a model from {path}: expected a .keras or .h5 file."
        )
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for bad files.
        raise ValueError(
            f"Cannot load a Keras model from {path}: {type(error).__name__}: "
            f"{error}"
        ) from None
