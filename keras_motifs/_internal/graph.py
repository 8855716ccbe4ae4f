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


def check_model(model) -> None:
    """Raises a `TypeError` naming the fix unless `model` is a Keras model."""
    if isinstance(model, keras.Model):
        return
    hint = ""
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        hint = (
            " To interpret a saved model, load it first: "
            "keras.saving.load_model(path, compile=False)."
        )
    raise TypeError(
        f"Expected a Keras model (keras.Model). Received: model={model!r} of "
        f"type {type(model).__name__}.{hint}"
    )


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
    check_model(model)
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


def path_to(model, layer) -> list:
    """The models from `model` down to the one holding `layer` directly."""
    for candidate, path in iter_layers(model):
        if candidate is layer:
            return path
    raise ValueError(f"Layer {layer.name!r} is not part of {model.name!r}.")


def model_input(model):
    """The one input tensor of `model`, with a clear error otherwise."""
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


def reads_model_input(model, layer) -> bool:
    """Whether `layer` is applied directly to `model`'s input.

    Through nested models too: each model on the way must be called on its
    container's input, and `layer` on the innermost model's input. Only then
    do the layer's windows map to positions of the one-hot DNA.
    """
    path = path_to(model, layer)
    for container, inner in zip(path, path[1:] + [layer]):
        fed = inner._inbound_nodes[0].input_tensors
        if isinstance(fed, (list, tuple)) and len(fed) == 1:
            fed = fed[0]
        if fed is not model_input(container):
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
    path = path_to(model, layer)
    outer_input = model_input(model)
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
        container_input = model_input(container)
        if target is not container_input:
            tensor = keras.Model(container_input, target)(tensor)
    return keras.Model(inputs, tensor, name=f"{layer.name}_output")


def downstream_model(model, layer) -> keras.Model:
    """A functional model from `layer`'s output to `model`'s output.

    Rebuilds the part of `model` after `layer` on a new `keras.Input` of
    the layer's output shape, sharing the weights. Nested models are
    walked: the rest of each enclosing model is appended in turn. Where
    the outermost model also feeds its input past the layer (parallel
    branches, skip connections), the downstream model takes the sequences
    as a second input and recomputes those branches.

    Args:
        model: A built functional or `Sequential` Keras model with one
            input and one output.
        layer: A layer of `model` (possibly inside nested models) with one
            output, called once.

    Returns:
        A `keras.Model` mapping `activations (batch, *layer output shape)`,
        or `[activations, sequences]`, to the model's output.

    Raises:
        ValueError: if the layer is called more than once, a nested model
            feeds its input past the layer, or a model on the way is not
            functional.

    Example:

    >>> head = downstream_model(model, model.get_layer("conv1d"))
    >>> head(conv_activations).shape      # (batch, n_targets)
    """
    inner = layer
    segments = []
    for container in reversed(path_to(model, layer)):
        end = model_output(container)
        start = output_in(container, inner)
        if not segments:
            activations = keras.Input(
                shape=tuple(start.shape[1:]), dtype=start.dtype
            )
        if start is not end:
            segments.append(
                _segment(model, layer, container, inner, start, end)
            )
        inner = container
    sequences = keras.Input(
        shape=tuple(model.inputs[0].shape[1:]), dtype=model.inputs[0].dtype
    )
    tensor = activations
    for segment in segments:
        if len(segment.inputs) == 2:
            tensor = segment([tensor, sequences])
        else:
            tensor = segment(tensor)
    inputs = activations
    if any(len(segment.inputs) == 2 for segment in segments):
        inputs = [activations, sequences]
    return keras.Model(inputs, tensor, name=f"after_{layer.name}")


def _segment(model, layer, container, inner, start, end):
    """`container` from `start` (the output of `inner`) to `end`; with the
    container's input as a second input where `end` also depends on it."""
    try:
        return keras.Model(start, end)
    except ValueError as error:
        if container is not model:
            raise ValueError(
                f"Cannot split model {model.name!r} at layer {layer.name!r}: "
                f"nested model {container.name!r} feeds its input past "
                f"{inner.name!r} (a skip connection or a parallel branch), "
                f"which filter_influence does not rebuild. Keras said: {error}"
            ) from None
    return keras.Model([start, model_input(container)], end)


def model_output(container):
    """The one output tensor of a functional or built Sequential model."""
    outputs = getattr(container, "outputs", None)
    if not outputs:
        raise ValueError(
            f"Model {container.name!r} has no graph of layers (a subclassed "
            "model, or a Sequential never built): filter_influence needs a "
            "functional or built Sequential model to split."
        )
    if len(outputs) != 1:
        raise ValueError(
            f"Model {container.name!r} has {len(outputs)} outputs; "
            "filter_influence needs a model with a single output."
        )
    return outputs[0]


def output_in(container, inner):
    """The tensor that `inner` (a layer or nested model) outputs in the
    graph of `container`; Keras keeps a built Sequential's graph in
    `_functional`."""
    graph = getattr(container, "_functional", None) or container
    nodes = [
        node
        for depth_nodes in getattr(graph, "_nodes_by_depth", {}).values()
        for node in depth_nodes
        if node.operation is inner
    ]
    if len(nodes) != 1:
        raise ValueError(
            f"Layer {inner.name!r} is called {len(nodes)} times in "
            f"{container.name!r}; filter_influence splits the model at a "
            "layer called exactly once (not shared, e.g. between strands)."
        )
    tensors = nodes[0].output_tensors
    if len(tensors) != 1:
        raise ValueError(
            f"Layer {inner.name!r} in {container.name!r} has "
            f"{len(tensors)} outputs; expected one."
        )
    return tensors[0]


# Layers that act on each position and each filter on its own, so the
# activation they output at (position, filter) is a function of the Conv1D's
# output at the same (position, filter) only.
# Of these, the identity when a model is called with training=False.
INFERENCE_IDENTITY_LAYERS = (
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.ActivityRegularization,
    keras.layers.Identity,
)
PER_POSITION_LAYERS = (
    keras.layers.BatchNormalization,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.PReLU,
    keras.layers.ELU,
    *INFERENCE_IDENTITY_LAYERS,
)


def check_activation_layer(conv, target) -> None:
    """Raises unless `target` is computed from `conv` position by position.

    The windows of the scan follow the Conv1D's geometry, so the scanned
    layer must be the Conv1D itself or reached from its output through
    layers that act on each position and filter alone
    (`PER_POSITION_LAYERS`: BatchNormalization over the filters,
    element-wise activations, dropout and noise). A layer of another branch,
    even of the same shape, would give motifs that belong to no filter.

    Args:
        conv: The interpreted `Conv1D`.
        target: The layer whose output is scanned.

    Raises:
        ValueError: naming the layer on the way that breaks the rule.
    """
    if target is conv:
        return
    conv_shape = tuple(conv.output.shape[1:])
    target_shape = tuple(target.output.shape[1:])
    if target_shape != conv_shape:
        raise ValueError(
            f"activation_layer {target.name!r} has output shape "
            f"{target_shape}, which differs from Conv1D {conv.name!r}'s "
            f"{conv_shape}; pick a layer that keeps (positions, filters), "
            "such as the BatchNormalization or Activation after the Conv1D."
        )
    layer = target
    while layer is not conv:
        problem = _per_position_problem(layer)
        if problem is None:
            inputs = _input_tensors(layer)
            if len(inputs) != 1:
                problem = (
                    f"is called on {len(inputs)} inputs; a layer between the "
                    "Conv1D and the scanned activation must be called once, "
                    "on one tensor"
                )
            else:
                layer = inputs[0]._keras_history.operation
                continue
        raise ValueError(
            f"activation_layer {target.name!r} is not computed from Conv1D "
            f"{conv.name!r} position by position: layer {layer.name!r} "
            f"({type(layer).__name__}) {problem}. Scan the Conv1D itself, or "
            "a BatchNormalization/Activation/Dropout that follows it."
        )


def layers_between(conv, target) -> list:
    """The layers from the one after `conv` to `target`, in call order.

    `target` must have passed `check_activation_layer(conv, target)`, so
    each layer on the way is called once, on one tensor.

    Args:
        conv: The interpreted `Conv1D`.
        target: The layer whose output is scanned (`conv` itself gives
            `[]`).

    Returns:
        A list of layers, `target` last.
    """
    chain = []
    layer = target
    while layer is not conv:
        chain.append(layer)
        layer = _input_tensors(layer)[0]._keras_history.operation
    return chain[::-1]


def _input_tensors(layer) -> list:
    return [tensor for node in layer._inbound_nodes for tensor in node.input_tensors]


def _per_position_problem(layer) -> str | None:
    """Why `layer` cannot stand between a Conv1D and its activation, or None."""
    if isinstance(layer, keras.layers.InputLayer):
        return "is an input: the scanned layer does not read the Conv1D"
    if not isinstance(layer, PER_POSITION_LAYERS):
        return "may mix positions or filters, or belongs to another branch"
    if isinstance(layer, keras.layers.BatchNormalization) and layer.axis not in (
        -1,
        2,
    ):
        return f"normalises over axis {layer.axis}, not over the filters"
    activation = getattr(layer, "activation", None)
    if getattr(activation, "__name__", "") in ("softmax", "log_softmax"):
        return "applies a softmax, which mixes the filters"
    return None


def input_dtype(model) -> str:
    """The dtype batches are fed in: the model input's when it is a float
    dtype, else float32 (one-hot data of any dtype becomes floats)."""
    dtype = str(model_input(model).dtype)
    return dtype if "float" in dtype else "float32"
