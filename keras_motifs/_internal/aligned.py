"""Arrays aligned row for row with the sequences: a model's other inputs.

`filter_influence` and `contribution_scores` stream the sequences in
fixed batches; a model with
several inputs also needs, for each batch, the same rows of its other
inputs. They are checked here before any work starts and cut into batches
padded like the sequences.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def check_other_inputs(other_inputs, function, model) -> list:
    """The arrays of `other_inputs` in the order of `function.other_names`.

    Args:
        other_inputs: `{input name: array (N, ...)}` or `None`.
        function: What reads them (the `InfluenceFunction` of
            `_internal/influence_function.py`, or contribution scores'
            explainer): its `other_names`, `other_shapes` and
            `sequence_input` say what the model reads besides the sequences.
        model: The model, for the messages.

    Returns:
        A list of row-sliceable arrays.

    Raises:
        TypeError: if `other_inputs` is not a mapping.
        ValueError: naming the inputs missing, the names unknown, or an
            array of the wrong shape.
    """
    if other_inputs is None:
        other_inputs = {}
    if not isinstance(other_inputs, Mapping):
        raise TypeError(
            "other_inputs must be a dict {input name: array (N, ...)}. "
            f"Received: other_inputs of type {type(other_inputs).__name__}"
        )
    needed = dict(zip(function.other_names, function.other_shapes))
    wanted = ", ".join(
        f"{name!r}: array (N, {', '.join(map(str, shape))})"
        for name, shape in needed.items()
    )
    missing = [name for name in needed if name not in other_inputs]
    if missing:
        raise ValueError(
            f"Model {model.name!r} also reads input(s) {missing} besides "
            "the sequences; pass them as data, one row per sequence, with "
            f"other_inputs={{{wanted}}}."
        )
    unknown = [name for name in other_inputs if name not in needed]
    if unknown:
        raise ValueError(
            f"other_inputs names {unknown}, which model {model.name!r} "
            f"does not read besides the sequences; it needs "
            f"{list(needed) or 'none'} (the sequences input "
            f"{function.sequence_input!r} takes the sequences)."
        )
    arrays = []
    for name, shape in needed.items():
        array = other_inputs[name]
        if not hasattr(array, "shape") or not hasattr(array, "__getitem__"):
            array = np.asarray(array)
        given = tuple(array.shape[1:])
        if len(given) != len(shape) or any(
            d is not None and d != g for d, g in zip(shape, given)
        ):
            raise ValueError(
                f"other_inputs[{name!r}] has shape {tuple(array.shape)}; the "
                f"model's input {name!r} takes (N, "
                f"{', '.join(map(str, shape))})."
            )
        arrays.append(array)
    return arrays


def padded_rows(array, offset, n_valid, batch_size, name, dtype="float32"):
    """Rows `offset:offset + n_valid` of input `name`, zero-padded to
    `batch_size` rows, in `dtype` (the model input's)."""
    rows = np.asarray(array[offset : offset + n_valid], dtype=dtype)
    if rows.dtype.kind == "f" and not np.isfinite(rows).all():
        raise ValueError(f"other_inputs[{name!r}] contains NaN or infinite values.")
    batch = np.zeros((batch_size,) + rows.shape[1:], dtype=dtype)
    batch[:n_valid] = rows
    return batch
