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
    _check_name_or_index(layer, "layer", "a layer name, an index or a layer",
                         f"Conv1D layers: {listing}", keras.layers.Layer)
    if isinstance(layer, int):
        return convs[_in_range(layer, len(convs), "layer", f"Conv1D layers: {listing}")]
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


def model_inputs(model) -> list:
    """The input tensors of `model`, with a clear error when it has none."""
    try:
        inputs = model.inputs
    except AttributeError:
        inputs = None
    if not inputs:
        raise ValueError(
            f"Model {model.name!r} has no defined input. Start it with "
            "keras.Input((length, 4)), or call model.build((None, length, 4)) "
            "before interpreting it."
        )
    return list(inputs)


def input_name(tensor) -> str:
    """The name of an input tensor (its `keras.Input` name)."""
    return str(tensor.name)


def layer_inputs(layer) -> list:
    """The tensors `layer` was first called on (its node 0), as a list."""
    return list(layer._inbound_nodes[0].input_tensors)


def tensor_source(tensor) -> tuple:
    """What computed a symbolic tensor of a functional graph.

    Args:
        tensor: A `KerasTensor` of a functional model's graph.

    Returns:
        `(operation, output_index, inputs)`: the layer or nested model that
        output `tensor`, which of its outputs `tensor` is, and the list of
        tensors that call was given.
    """
    history = tensor._keras_history
    node = history.operation._inbound_nodes[history.node_index]
    return history.operation, history.tensor_index, list(node.input_tensors)


def input_index(model, input=None) -> int:
    """The index in `model.inputs` of the input named or numbered `input`.

    Args:
        model: A built Keras model.
        input: `None` for a model with one input, an input name (the name
            given to `keras.Input`), or an index into `model.inputs`.

    Returns:
        An index into `model.inputs`.

    Raises:
        ValueError: if `input` is unknown, or `None` for a model with
            several inputs; the message lists the inputs.
    """
    inputs = model_inputs(model)
    listing = ", ".join(
        f"{input_name(t)!r} {tuple(t.shape)}" for t in inputs
    )
    if input is None:
        if len(inputs) == 1:
            return 0
        raise ValueError(
            f"Model {model.name!r} has {len(inputs)} inputs: {listing}; name "
            "the one holding the one-hot sequences with input=."
        )
    _check_name_or_index(input, "input", "an input name or an index into "
                         "model.inputs", f"Inputs: {listing}")
    if isinstance(input, int):
        return _in_range(input, len(inputs), "input", f"Inputs: {listing}")
    for index, tensor in enumerate(inputs):
        if input_name(tensor) == input:
            return index
    raise ValueError(
        f"Model {model.name!r} has no input named {input!r}; its inputs: "
        f"{listing}. Received: input={input!r}"
    )


def _check_name_or_index(value, name: str, expected: str, listing: str,
                         *types) -> None:
    """A `TypeError` unless `value` is a name, an index or one of `types`."""
    if isinstance(value, bool) or not isinstance(value, (int, str, *types)):
        raise TypeError(
            f"`{name}` must be None, {expected}. {listing}. "
            f"Received: {name}={value!r}"
        )


def _in_range(index: int, count: int, name: str, listing: str) -> int:
    """`index` into `count` items (negative from the end), or a ValueError."""
    if not -count <= index < count:
        raise ValueError(
            f"`{name}` index {index} is out of range: there are {count}. "
            f"{listing}. Received: {name}={index!r}"
        )
    return index % count


def model_input(model, input=None):
    """The input tensor `input` of `model` (see `input_index`)."""
    return model_inputs(model)[input_index(model, input)]


def read_inputs(model, layer) -> list[int]:
    """The indices of `model.inputs` that `layer` is applied to directly.

    Through nested models too: a nested model must pass the input on
    unchanged, and `layer` be called on it. A layer shared by several inputs
    (say a forward and a reverse-complement strand) reads each of them. Only
    then do the layer's windows map to positions of the input.
    """
    path = path_to(model, layer)
    inner = path[-1]
    reads = {
        index
        for node in layer._inbound_nodes
        for index in [_fed_input(inner, node.input_tensors, 0)]
        if index is not None
    }
    for container, inner in zip(path[-2::-1], path[:0:-1]):
        reads = {
            index
            for node in inner._inbound_nodes
            for position in reads
            for index in [_fed_input(container, node.input_tensors, position)]
            if index is not None
        }
    return sorted(reads)


def _fed_input(container, tensors, position):
    """The index of the `container` input that `tensors[position]` is."""
    if position >= len(tensors):
        return None
    inputs = container.inputs or []
    for index, tensor in enumerate(inputs):
        if tensors[position] is tensor:
            return index
    return None


def reads_model_input(model, layer, input=None) -> bool:
    """Whether `layer` is applied directly to `model`'s input `input`."""
    return input_index(model, input) in read_inputs(model, layer)


def conv_input(model, layer, input=None) -> int:
    """The index in `model.inputs` of the input whose windows `layer` reads.

    Args:
        model: A built Keras model.
        layer: Its Conv1D.
        input: `None` for the one input the layer is applied to, or an
            input name or index (see `input_index`).

    Returns:
        An index into `model.inputs`.

    Raises:
        ValueError: if the layer reads no input (directly, or through the
            layers before it for a deeper Conv1D), reads several and `input`
            is `None`, or does not read `input`; the message lists the
            inputs it reads.
    """
    inputs = model_inputs(model)
    reads = read_inputs(model, layer)
    listing = ", ".join(
        f"{input_name(inputs[i])!r} {tuple(inputs[i].shape)}" for i in reads
    )
    if not reads:
        # A deeper Conv1D: the inputs its output is computed from, read
        # through its receptive field.
        reads = [i for i, tensor in enumerate(inputs) if depends_on(layer.output, tensor)]
        listing = ", ".join(
            f"{input_name(inputs[i])!r} {tuple(inputs[i].shape)}" for i in reads
        )
    if not reads:
        shapes = ", ".join(str(tuple(t.shape)) for t in inputs)
        raise ValueError(
            f"Conv1D {layer.name!r} is not computed from the model's input "
            f"(the one-hot sequences, shape {shapes}), so its windows cannot "
            "be mapped back to DNA."
        )
    if input is None:
        if len(reads) == 1:
            return reads[0]
        raise ValueError(
            f"Conv1D {layer.name!r} is applied to {len(reads)} inputs of "
            f"model {model.name!r}: {listing}. Name the one to read the "
            f"windows from with input=, e.g. input={input_name(inputs[reads[0]])!r}."
        )
    index = input_index(model, input)
    if index not in reads:
        raise ValueError(
            f"Conv1D {layer.name!r} is not applied to input "
            f"{input_name(inputs[index])!r} directly; it reads: {listing}. "
            f"Received: input={input!r}"
        )
    return index


def depends_on(tensor, source, stop=None) -> bool:
    """Whether symbolic `tensor` is computed from `source` (not only
    through `stop`)."""
    seen = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        if current is source:
            return True
        if current is stop or id(current) in seen:
            continue
        seen.add(id(current))
        if getattr(current, "_keras_history", None) is not None:
            stack.extend(tensor_source(current)[2])
    return False


def output_model(model, layer, input=None) -> keras.Model:
    """A functional model from one of `model`'s inputs to `layer`'s output.

    Args:
        model: A built Keras model.
        layer: A layer of `model`, possibly inside nested models.
        input: The input to start from (see `input_index`); the other
            inputs are not needed.

    Returns:
        A `keras.Model` sharing `model`'s weights, mapping that input to
        `layer`'s output (the call of `layer` computed from that input).
    """
    path = path_to(model, layer)
    index = input_index(model, input)
    outer_input = model_inputs(model)[index]
    inputs = keras.Input(
        shape=tuple(outer_input.shape[1:]), dtype=outer_input.dtype
    )
    tensor = inputs
    for container, inner in zip(path, path[1:] + [layer]):
        source = model_inputs(container)[index]
        if isinstance(inner, keras.Model) and inner is not layer:
            # The nested model's input, as the outer graph feeds it.
            index, target = _nested_feed(container, inner, source)
        else:
            target = _output_from(container, inner, source)
        if target is not source:
            tensor = keras.Model(source, target)(tensor)
    return keras.Model(inputs, tensor, name=f"{layer.name}_output")


def _nested_feed(container, inner, source):
    """`(input index, tensor)` by which `container` feeds its input `source`
    to the nested model `inner`."""
    for node in inner._inbound_nodes:
        for position, fed in enumerate(node.input_tensors):
            if depends_on(fed, source):
                return position, fed
    raise ValueError(
        f"Nested model {inner.name!r} does not read input "
        f"{input_name(source)!r} of {container.name!r}."
    )


def _output_from(container, layer, source):
    """The output of the call of `layer` in `container` computed from
    `source`."""
    for node in layer._inbound_nodes:
        output = node.output_tensors[0]
        if depends_on(output, source):
            return output
    raise ValueError(
        f"Layer {layer.name!r} is not computed from input "
        f"{input_name(source)!r} of {container.name!r}."
    )


def downstream_model(model, layer) -> keras.Model:
    """A functional model from `layer`'s output to `model`'s output.

    Rebuilds the part of `model` after `layer` on a new `keras.Input` of
    the layer's output shape, sharing the weights. Nested models are
    walked: the rest of each enclosing model is appended in turn. Where
    the outermost model also feeds inputs past the layer (parallel
    branches, skip connections, other inputs joined later), the downstream
    model takes those inputs too, under their names in `model`, and
    recomputes those branches.

    Args:
        model: A built functional or `Sequential` Keras model with one
            output.
        layer: A layer of `model` (possibly inside nested models) with one
            output, called once.

    Returns:
        A `keras.Model` mapping `activations (batch, *layer output shape)`,
        or `[activations, *inputs]` (each named as the model's input it
        stands for), to the model's output.

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
    tensor = activations
    others = []
    for segment in segments:
        if len(segment.inputs) > 1:
            others = [
                keras.Input(
                    shape=tuple(t.shape[1:]), dtype=t.dtype, name=input_name(t)
                )
                for t in segment.inputs[1:]
            ]
            tensor = segment([tensor, *others])
        else:
            tensor = segment(tensor)
    inputs = [activations, *others] if others else activations
    return keras.Model(inputs, tensor, name=f"after_{layer.name}")


def _segment(model, layer, container, inner, start, end):
    """`container` from `start` (the output of `inner`) to `end`; with the
    model's inputs that `end` also depends on as further inputs."""
    if container is not model:
        try:
            return keras.Model(start, end)
        except ValueError as error:
            raise ValueError(
                f"Cannot split model {model.name!r} at layer {layer.name!r}: "
                f"nested model {container.name!r} feeds its input past "
                f"{inner.name!r} (a skip connection or a parallel branch), "
                f"which filter_influence does not rebuild. Keras said: {error}"
            ) from None
    needed = [t for t in model_inputs(model) if depends_on(end, t, stop=start)]
    return keras.Model([start, *needed] if needed else start, end)


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
            if len(inputs) == 1:
                layer = tensor_source(inputs[0])[0]
                continue
            problem = (
                f"is called on {len(inputs)} inputs; a layer between the "
                "Conv1D and the scanned activation must be called once"
            )
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
        layer = tensor_source(_input_tensors(layer)[0])[0]
    return chain[::-1]


def _input_tensors(layer) -> list:
    return [tensor for node in layer._inbound_nodes for tensor in node.input_tensors]


def _per_position_problem(layer) -> str | None:
    """Why `layer` cannot stand between a Conv1D and its activation, or None."""
    if isinstance(layer, keras.layers.InputLayer):
        return "is an input: the scanned layer does not read the Conv1D"
    if not isinstance(layer, PER_POSITION_LAYERS):
        return "may mix positions or filters, or belongs to another branch"
    if isinstance(layer, keras.layers.BatchNormalization) and layer.axis not in (-1, 2):
        return f"normalises over axis {layer.axis}, not over the filters"
    activation = getattr(layer, "activation", None)
    if getattr(activation, "__name__", "") in ("softmax", "log_softmax"):
        return "applies a softmax, which mixes the filters"
    return None


def input_dtype(model, input=None) -> str:
    """The dtype batches are fed in: the model input's when it is a float
    dtype, else float32 (one-hot data of any dtype becomes floats)."""
    dtype = str(model_input(model, input).dtype)
    return dtype if "float" in dtype else "float32"
