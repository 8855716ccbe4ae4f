"""Finding a Conv1D layer in a model and reaching its output from the input.

Models nest: a functional model may call a `Sequential` that holds the
Conv1D. Keras builds a nested model's graph from its own `Input`, so the
layer's symbolic output is not connected to the outer model's input. This
module walks the nesting and rebuilds one functional model from the outer
input to the wanted layer's output.
"""

from __future__ import annotations

import keras


def iter_layers(model):
    """Yields every layer of `model` in topological order, nested ones too.

    Args:
        model: A Keras model.

    Returns:
        A generator of `(layer, path)` pairs, where `path` is the list of
        models from `model` down to the one that holds `layer` directly.
    """

    def walk(container, path):
        for layer in container.layers:
            yield layer, path
            if isinstance(layer, keras.Model):
                yield from walk(layer, path + [layer])

    yield from walk(model, [model])


def conv1d_layers(model) -> list:
    """All `keras.layers.Conv1D` layers of `model`, in topological order."""
    return [
        layer
        for layer, _ in iter_layers(model)
        if isinstance(layer, keras.layers.Conv1D)
    ]


def find_conv1d(model, layer=None):
    """The Conv1D layer to interpret.

    Args:
        model: A built Keras model.
        layer: `None` for the first Conv1D in topological order (nested
            models included), a layer name, an index into the model's
            Conv1D layers, or the layer object itself.

    Returns:
        The `keras.layers.Conv1D` layer.

    Raises:
        ValueError: if the model has no Conv1D, the name is unknown, the
            index is out of range, or the layer is not a Conv1D. The message
            lists the Conv1D layers the model has.
    """
    convs = conv1d_layers(model)
    listing = ", ".join(repr(c.name) for c in convs) or "none"
    if not convs:
        raise ValueError(
            f"Model {model.name!r} has no Conv1D layer. keras-motifs "
            "interprets the filters of a keras.layers.Conv1D that scans "
            "one-hot DNA; add one or pass the model that holds it."
        )
    if layer is None:
        return convs[0]
    if isinstance(layer, bool) or not isinstance(
        layer, (int, str, keras.layers.Layer)
    ):
        raise TypeError(
            "`layer` must be None, a layer name, an index or a layer; "
            f"received {layer!r}. Conv1D layers: {listing}."
        )
    if isinstance(layer, int):
        if not -len(convs) <= layer < len(convs):
            raise ValueError(
                f"Conv1D index {layer} is out of range: the model has "
                f"{len(convs)} Conv1D layer(s): {listing}."
            )
        return convs[layer]
    if isinstance(layer, str):
        for candidate, _ in iter_layers(model):
            if candidate.name == layer:
                layer = candidate
                break
        else:
            raise ValueError(
                f"No layer named {layer!r} in model {model.name!r}. "
                f"Conv1D layers: {listing}."
            )
    if not isinstance(layer, keras.layers.Conv1D):
        raise ValueError(
            f"Layer {layer.name!r} is a {type(layer).__name__}, not a "
            f"Conv1D. Conv1D layers: {listing}."
        )
    if all(layer is not c for c in convs):
        raise ValueError(
            f"Layer {layer.name!r} is not part of model {model.name!r}. "
            f"Conv1D layers: {listing}."
        )
    return layer


def find_layer(model, name_or_layer):
    """Any layer of `model`, nested models included, by name or object."""
    for candidate, _ in iter_layers(model):
        if candidate is name_or_layer or candidate.name == name_or_layer:
            return candidate
    raise ValueError(
        f"No layer {name_or_layer!r} in model {model.name!r}."
    )


def _path_to(model, layer):
    for candidate, path in iter_layers(model):
        if candidate is layer:
            return path
    raise ValueError(f"Layer {layer.name!r} is not part of {model.name!r}.")


def _single_input(model):
    try:
        inputs = model.inputs
    except AttributeError:
        inputs = None
    if inputs is None:
        raise ValueError(
            f"Model {model.name!r} has no defined input. Start it with "
            "keras.Input((length, 4)), or call model.build((None, length, 4)) "
            "before interpreting it."
        )
    if len(inputs) != 1:
        raise ValueError(
            f"Model {model.name!r} must have exactly one input (the one-hot "
            f"sequences); it has {len(inputs)}."
        )
    return inputs[0]


def model_input(model):
    """The one input tensor of `model`, with a clear error otherwise."""
    return _single_input(model)


def reads_model_input(model, layer) -> bool:
    """Whether `layer` is applied directly to `model`'s input.

    Through nested models too: each model on the way must be called on its
    container's input, and `layer` on the innermost model's input. Only then
    do the layer's windows map to positions of the one-hot DNA.
    """
    path = _path_to(model, layer)
    for container, inner in zip(path, path[1:] + [layer]):
        fed = inner._inbound_nodes[0].input_tensors
        if isinstance(fed, (list, tuple)) and len(fed) == 1:
            fed = fed[0]
        if fed is not _single_input(container):
            return False
    return True


def output_model(model, layer) -> keras.Model:
    """A functional model from `model`'s input to the output of `layer`.

    Args:
        model: A built Keras model with one input.
        layer: A layer of `model`, possibly inside nested models.

    Returns:
        A `keras.Model` sharing `model`'s weights, mapping its input to
        `layer`'s output.
    """
    path = _path_to(model, layer)
    outer_input = _single_input(model)
    inputs = keras.Input(
        shape=tuple(outer_input.shape[1:]), dtype=outer_input.dtype
    )
    tensor = inputs
    for container, inner in zip(path, path[1:] + [layer]):
        if isinstance(inner, keras.Model) and inner is not layer:
            # The nested model's input, as the outer graph feeds it.
            target = inner._inbound_nodes[0].input_tensors
        else:
            target = inner.output
        if isinstance(target, (list, tuple)):
            target = target[0]
        container_input = _single_input(container)
        if target is not container_input:
            tensor = keras.Model(container_input, target)(tensor)
    return keras.Model(inputs, tensor, name=f"{layer.name}_output")
