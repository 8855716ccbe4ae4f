"""The receptive field of a deeper Conv1D on the input sequence.

A Conv1D that is not applied to the input reads it through other layers.
Walking the graph from the layer back to the input gives, for each of its
output positions `j`, the input positions it depends on: a window of width
`W` starting at `j * S - P(L)`, where `S` is the product of the strides on
the way and `P(L)` the padding added on the left, which depends on the
sequence length `L` where a strided layer pads "same".

- Conv1D, SeparableConv1D, DepthwiseConv1D and MaxPooling1D /
  AveragePooling1D widen the window by `(size - 1) * dilation * S` and
  multiply `S` by their stride; their padding ("valid", "same", "causal")
  is computed as Keras pads (`ConvGeometry`).
- Per-position layers (`graph.PER_POSITION_LAYERS`, Dense and
  LayerNormalization over the channels) pass the window through.
- Concatenate (of channels), Add, Subtract, Multiply, Average, Maximum and
  Minimum of branches give the smallest window holding every branch's.
- Anything else (recurrent layers, attention, Flatten, Reshape, global
  pooling, upsampling, raw ops) is refused with a message naming it.

Inside the window a dilated layer may skip positions; the window is the
smallest contiguous one holding every position the output depends on, and
like a Conv1D's window it is clipped at the sequence edges by the scan.
"""

from __future__ import annotations

import dataclasses

import keras

from keras_motifs._internal.geometry import ConvGeometry, pad_right
from keras_motifs._internal.graph import PER_POSITION_LAYERS, layer_inputs
from keras_motifs._internal.graph import model_input, path_to, tensor_source

WINDOW_LAYERS = (
    keras.layers.Conv1D,
    keras.layers.SeparableConv1D,
    keras.layers.DepthwiseConv1D,
    keras.layers.MaxPooling1D,
    keras.layers.AveragePooling1D,
)
MERGE_LAYERS = (
    keras.layers.Concatenate,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Multiply,
    keras.layers.Average,
    keras.layers.Maximum,
    keras.layers.Minimum,
)


@dataclasses.dataclass(frozen=True)
class ReceptiveField:
    """Input window of each output position of a layer deeper than the input.

    It has the interface of `ConvGeometry` that the scan reads: output
    position `j` covers input positions `j * strides - pad_left(L) + i` for
    `i in range(kernel_size)` (`dilation_rate` is 1, `span` is
    `kernel_size`).

    Args:
        steps: The graph from the input to the layer, in topological order:
            per step `(geometry, parents)`: the input `(None, ())`, a
            windowed layer `(ConvGeometry, (parent,))` or a merge of
            branches `(None, (parent, ...))`. The last step is the layer.
        kernel_size: Width of the window (computed by `from_steps`).
        strides: Input positions between the windows of neighbouring
            output positions.
        padding: `"valid"`, `"same"` or `"causal"` when every windowed
            layer on the way pads so, else `"mixed"`; for messages.

    Example:

    >>> conv = ConvGeometry(kernel_size=5)
    >>> pool = ConvGeometry(kernel_size=2, strides=2)
    >>> field = ReceptiveField.from_steps(
    ...     ((None, ()), (conv, (0,)), (pool, (1,)), (conv, (2,))))
    >>> field.kernel_size, field.strides, field.output_length(100)
    (14, 2, 44)
    """

    steps: tuple
    kernel_size: int
    strides: int
    padding: str = "valid"
    dilation_rate: int = 1

    @classmethod
    def from_steps(cls, steps, input_length: int | None = None) -> "ReceptiveField":
        """The field of the last of `steps`, its width and stride computed.

        The left padding of a strided "same" layer depends on its input
        length modulo its stride, so with merged branches the width can
        depend on `L`: it is the largest over one period of lengths
        (`input_length` only, when the model fixes it).

        Raises:
            ValueError: if merged branches advance by different strides.
        """
        steps = tuple(steps)
        strides = _strides(steps)
        # Long enough for every layer on the way to output a position.
        first = strides * sum(g.span for g, _ in steps if g is not None) + 1
        lengths = [input_length] if input_length else range(first, first + strides)
        evaluated = [_evaluate(steps, length) for length in lengths]
        widths = [width for n, _, width in evaluated if n]
        paddings = {g.padding for g, _ in steps if g is not None}
        return cls(
            steps=steps,
            kernel_size=max(widths, default=1),
            strides=strides,
            padding=paddings.pop() if len(paddings) == 1 else "mixed",
        )

    @property
    def span(self) -> int:
        """Number of input positions from a window's first to its last."""
        return self.kernel_size

    def output_length(self, input_length: int) -> int:
        """Number of output positions for an input of `input_length`."""
        return _evaluate(self.steps, input_length)[0]

    def pad_left(self, input_length: int) -> int:
        """Input positions before the sequence in the first window."""
        return _evaluate(self.steps, input_length)[1]

    def pad_right(self, input_length: int) -> int:
        """Input positions the last window reads past the sequence's end."""
        return pad_right(self, input_length)


def _strides(steps) -> int:
    """The stride of every step's output on the input; refuses merges of
    branches that advance by different strides."""
    strides = []
    for geometry, parents in steps:
        if not parents:
            strides.append(1)
        elif geometry is not None:
            strides.append(strides[parents[0]] * geometry.strides)
        else:
            branch = {strides[i] for i in parents}
            if len(branch) != 1:
                raise ValueError(
                    "Branches merged on the way to the layer advance by "
                    f"different strides on the input ({sorted(branch)}), so "
                    "its positions have no one window on the sequence."
                )
            strides.append(branch.pop())
    return strides[-1]


def _evaluate(steps, input_length: int) -> tuple:
    """`(output_length, pad_left, width)` of the last step for sequences of
    `input_length`; length 0 where merged branches differ in length."""
    values = []
    for geometry, parents in steps:
        if not parents:
            values.append((input_length, 1, 0, 1))
        elif geometry is not None:
            n, stride, pad, width = values[parents[0]]
            values.append((
                geometry.output_length(n),
                stride * geometry.strides,
                pad + geometry.pad_left(n) * stride,
                width + (geometry.span - 1) * stride,
            ))
        else:
            branches = [values[i] for i in parents]
            lengths = {b[0] for b in branches}
            pad = max(b[2] for b in branches)
            width = max(pad - b[2] + b[3] for b in branches)
            n = lengths.pop() if len(lengths) == 1 else 0
            values.append((n, branches[0][1], pad, width))
    n, _, pad, width = values[-1]
    return n, pad, width


def receptive_field(model, layer, input=None) -> ReceptiveField:
    """The receptive field of `layer` on `model`'s input, from the graph.

    Args:
        model: A built functional or Sequential Keras model.
        input: The input whose positions the field counts (`None` for a
            model with one input, a name or an index).
        layer: A `Conv1D` of `model` (nested models included), called once
            or more (its first call is used, as `layer.output` is).

    Returns:
        A `ReceptiveField` with the interface of `ConvGeometry`.

    Raises:
        ValueError: naming the first layer on the way that mixes positions
            in a way the window cannot describe, or if branches of
            different strides are merged.

    Example:

    >>> field = receptive_field(model, model.get_layer("conv2"))
    >>> field.kernel_size, field.strides
    (26, 2)
    """
    tracer = _Tracer(layer)
    path = path_to(model, layer)
    bindings = {id(model_input(model, input)): 0}
    for container in path[1:]:
        (fed,) = layer_inputs(container)
        bindings = {id(model_input(container)): tracer.trace(fed, bindings)}
    inputs = layer_inputs(layer)
    if len(inputs) != 1:
        tracer.refuse(layer, "is called on several tensors")
    parent = tracer.trace(inputs[0], bindings)
    tracer.steps.append((ConvGeometry.from_layer(layer), (parent,)))
    length = model_input(model, input).shape[1]
    field = ReceptiveField.from_steps(tracer.steps, length)
    expected = layer.output.shape[1]
    if length and expected is not None and field.output_length(length) != expected:
        raise ValueError(
            f"The receptive field of {layer.name!r} gives "
            f"{field.output_length(length)} output positions for sequences "
            f"of {length}, but Keras gives {expected}: a layer on the way "
            "changes the positions in a way keras-motifs does not follow."
        )
    return field


class _Tracer:
    """Walks the graph back from a layer to the input, recording steps."""

    def __init__(self, layer):
        self.layer = layer
        self.steps = [(None, ())]
        self.memo = {}

    def trace(self, tensor, bindings) -> int:
        """The step index that computes `tensor`; `bindings` maps the input
        tensor of each model being walked to the step that feeds it."""
        if id(tensor) in bindings:
            return bindings[id(tensor)]
        key = (id(tensor), id(bindings))
        if key not in self.memo:
            self.memo[key] = self._step(tensor, bindings)
        return self.memo[key]

    def _step(self, tensor, bindings) -> int:
        operation, index, inputs = tensor_source(tensor)
        if isinstance(operation, keras.Model):
            inner = {
                id(model_input(operation)): self.trace(inputs[0], bindings)
            }
            return self.trace(operation.outputs[index], inner)
        if isinstance(operation, keras.layers.InputLayer):
            self.refuse(operation, "is an input other than the sequences")
        if isinstance(operation, MERGE_LAYERS):
            if isinstance(operation, keras.layers.Concatenate) and (
                operation.axis not in (-1, len(tensor.shape) - 1)
            ):
                self.refuse(operation, "concatenates along the positions")
            parents = tuple(self.trace(t, bindings) for t in inputs)
            self.steps.append((None, parents))
            return len(self.steps) - 1
        if len(inputs) != 1:
            self.refuse(operation, "is called on several tensors")
        if isinstance(operation, WINDOW_LAYERS):
            if operation.data_format != "channels_last":
                self.refuse(operation, "is channels-first")
            parent = self.trace(inputs[0], bindings)
            self.steps.append((_window_geometry(operation), (parent,)))
            return len(self.steps) - 1
        if _passes_positions(operation, inputs[0]):
            return self.trace(inputs[0], bindings)
        self.refuse(
            operation,
            "mixes positions, or acts on them in a way keras-motifs does "
            "not know",
        )

    def refuse(self, operation, problem):
        raise ValueError(
            f"Cannot map the filters of Conv1D {self.layer.name!r} back to "
            f"the DNA: it reads the input through layer {operation.name!r} "
            f"({type(operation).__name__}), which {problem}. keras-motifs "
            "follows Conv1D, pooling, per-position layers (BatchNormalization, "
            "Activation, Dropout, Dense over channels) and Concatenate/Add "
            "of branches; interpret a Conv1D reached only through those, or "
            "the first Conv1D."
        )


def _window_geometry(layer) -> ConvGeometry:
    """The window of a convolution or pooling layer over its input."""
    if isinstance(layer, (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D)):
        return ConvGeometry(
            kernel_size=int(layer.pool_size[0]),
            strides=int(layer.strides[0]),
            padding=str(layer.padding).lower(),
        )
    return ConvGeometry.from_layer(layer)


def _passes_positions(layer, tensor) -> bool:
    """Whether `layer` computes each output position from the same input
    position alone (it may mix the channels there)."""
    if isinstance(layer, PER_POSITION_LAYERS):
        return True
    last = (-1, len(tensor.shape) - 1)
    if isinstance(layer, keras.layers.Dense):
        return len(tensor.shape) == 3
    if isinstance(layer, keras.layers.LayerNormalization):
        return all(axis in last for axis in layer.axis)
    return False
