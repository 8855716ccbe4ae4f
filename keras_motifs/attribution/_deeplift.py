"""DeepLIFT's rescale rule, as DeepSHAP applies it, on a model's graph of
layers.

`DeepLift(model, index, select)` walks the layers between the DNA input
`index` and the model's outputs, refusing (before any work) a layer whose
rule is not written here, and is then the function `f(x, r, *others) ->
(explained output at x, multipliers (batch, length, channels))` of a batch
of sequences `x` and their references `r`, written with `keras.ops` and the
backend's vector-Jacobian product (`_gradients.vjp`), for `predict_function`
to compile.

The rules, from the output back to the input, of the differences from the
reference `delta = value at x - value at r` carried by each layer:

- linear layers (Conv1D and Dense before their activation, inference
  BatchNormalization, average pooling, reshapes, padding, crops, merges by
  addition or concatenation, dropout and noise, the identity in inference):
  their vector-Jacobian product, exact since `delta out = J delta in`;
- elementwise nonlinearities `y = f(z)` (the activation of Conv1D, Dense and
  Activation layers, ReLU, LeakyReLU, ELU, PReLU): the rescale rule,
  multiplier `(f(z_x) - f(z_r)) / (z_x - z_r)`, or `f'` at the midpoint
  `(z_x + z_r) / 2` where `|z_x - z_r| < 1e-6`;
- max pooling (MaxPooling1D, GlobalMaxPooling1D): DeepSHAP's rule (shap's
  `deep_tf.maxpool`): `delta out = max(x) - max(r)` goes to the input that
  is the maximum at `x` when `max(x) > max(r)`, else to the maximum at `r`,
  divided by that input's own `delta` (zero where `|delta| < 1e-7`), so the
  differences still add up.

Layers that do not depend on the DNA input (those of the other inputs) run
as they are: their difference from the reference is zero.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_motifs._internal.graph import INFERENCE_IDENTITY_LAYERS, model_inputs
from keras_motifs.attribution._gradients import vjp

# Below these differences from the reference, the rescale rule takes the
# slope at the midpoint, and max pooling gives no multiplier (DeepSHAP's).
_RESCALE_TOLERANCE = 1e-6
_MAX_POOL_TOLERANCE = 1e-7

_LINEAR_LAYERS = (
    keras.layers.BatchNormalization,
    keras.layers.Flatten,
    keras.layers.Reshape,
    keras.layers.Permute,
    keras.layers.AveragePooling1D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.ZeroPadding1D,
    keras.layers.Cropping1D,
    keras.layers.UpSampling1D,
    keras.layers.Add,
    keras.layers.Subtract,
    keras.layers.Average,
    keras.layers.Concatenate,
    *INFERENCE_IDENTITY_LAYERS,
)
# A linear map then an elementwise `layer.activation`.
_ACTIVATED_LAYERS = (keras.layers.Conv1D, keras.layers.Dense)
# Elementwise functions of one input.
_ELEMENTWISE_LAYERS = (
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.PReLU,
)
_MAX_LAYERS = (keras.layers.MaxPooling1D, keras.layers.GlobalMaxPooling1D)
SUPPORTED_LAYERS = (
    _ACTIVATED_LAYERS + _ELEMENTWISE_LAYERS + _MAX_LAYERS + _LINEAR_LAYERS
)
# The activations of `keras.activations` that act on each value alone.
ELEMENTWISE_ACTIVATIONS = tuple(
    name for name in (
        "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu",
        "gelu", "silu", "mish", "softplus", "softsign", "sigmoid",
        "hard_sigmoid", "hard_silu", "log_sigmoid", "tanh", "hard_tanh",
        "tanh_shrink", "exponential", "squareplus", "sparse_plus",
    )
    if hasattr(keras.activations, name)
)
_ACTIVATION_FUNCTIONS = {
    getattr(keras.activations, name) for name in ELEMENTWISE_ACTIVATIONS
}


def supported_layers() -> str:
    """The layers and activations DeepLIFT takes, in words."""
    names = ", ".join(layer.__name__ for layer in SUPPORTED_LAYERS)
    return (f"{names}; activations {', '.join(ELEMENTWISE_ACTIVATIONS)}")


class DeepLift:
    """The multipliers of DeepLIFT's rescale rule for one model output.

    Args:
        model: A functional or Sequential Keras model.
        index: The index in `model.inputs` of the DNA input.
        select: `select(predictions) -> (batch,)`, the explained output,
            linear in the predictions (a column, or a sum): it is
            differentiated at `x`.

    Raises:
        ValueError: naming every layer between the DNA input and the
            outputs that has no rule here (and its class), before any work.
    """

    def __init__(self, model, index: int, select):
        graph = getattr(model, "_functional", None) or model
        by_depth = getattr(graph, "_nodes_by_depth", None)
        if not by_depth:
            raise ValueError(
                f"Model {model.name!r} has no graph of layers (a subclassed "
                "model): method='deeplift' walks the layers of a functional "
                "or Sequential model. Use method='integrated_gradients'."
            )
        self.index = index
        self.select = select
        self.inputs = model_inputs(model)
        self.outputs = list(model.outputs)
        structure = getattr(model, "output", None)
        self.structure = self.outputs[0] if structure is None else structure
        # Tensors that depend on the DNA input: their nodes take a rule.
        self.dependent = {id(self.inputs[index])}
        self.steps, refused = [], []
        for depth in sorted(by_depth, reverse=True):
            for node in by_depth[depth]:
                if node.is_input:
                    continue
                tracked = any(id(t) in self.dependent for t in node.input_tensors)
                if tracked:
                    problem = _problem(node.operation)
                    if problem:
                        refused.append(problem)
                    self.dependent.update(id(t) for t in node.outputs)
                self.steps.append((node, tracked))
        if refused:
            raise ValueError(
                f"method='deeplift' has no rule for {'; '.join(refused)} in "
                f"model {model.name!r}. It supports {supported_layers()}. "
                "Use method='integrated_gradients' (the same references, "
                "any differentiable model) or method='ism'."
            )

    def __call__(self, x, r, *others):
        """`(explained output at x (batch,), multipliers like x)`."""
        n = ops.shape(x)[0]
        fed = [ops.concatenate([o, o], axis=0) for o in others]
        fed.insert(self.index, ops.concatenate([x, r], axis=0))
        values = {id(t): v for t, v in zip(self.inputs, fed)}
        pre_activation = {}
        for node, tracked in self.steps:
            layer = node.operation
            args, kwargs = node.arguments.fill_in(values)
            if tracked and isinstance(layer, _ACTIVATED_LAYERS):
                z = _without_activation(layer, args, kwargs)
                pre_activation[id(node)] = z
                outputs = layer.activation(z)
            else:
                outputs = _call(layer, args, kwargs)
            for tensor, value in zip(node.outputs, keras.tree.flatten(outputs)):
                values[id(tensor)] = value

        def explained(*outputs_at_x):
            predictions = keras.tree.pack_sequence_as(
                self.structure, list(outputs_at_x))
            return ops.cast(self.select(predictions), "float32")

        at_x = [values[id(t)][:n] for t in self.outputs]
        target = explained(*at_x)
        cotangents = {}
        for tensor, g in zip(self.outputs, vjp(explained, at_x, ops.ones_like(target))):
            _accumulate(cotangents, tensor, g)
        for node, tracked in reversed(self.steps):
            output = node.outputs[0]
            if not tracked or id(output) not in cotangents:
                continue
            sources = [t for t in node.input_tensors if id(t) in self.dependent]
            for tensor, g in zip(sources, self._backward(
                node, sources, values, pre_activation, cotangents[id(output)], n
            )):
                _accumulate(cotangents, tensor, g)
        source = self.inputs[self.index]
        multipliers = cotangents.get(id(source))
        if multipliers is None:
            multipliers = ops.zeros_like(x)
        return target, multipliers

    def _backward(self, node, sources, values, pre_activation, g, n):
        """The multipliers of `sources` (a node's DNA-dependent inputs) from
        those of its output, `g`."""
        layer = node.operation
        output = values[id(node.outputs[0])]
        if isinstance(layer, _MAX_LAYERS):
            (source,) = sources
            return [_max_pool(layer, values[id(source)], output, g, n)]
        at_x = {id(t): values[id(t)][:n] for t in node.input_tensors}

        def linear(*inputs):
            local = dict(at_x)
            local.update((id(t), v) for t, v in zip(sources, inputs))
            args, kwargs = node.arguments.fill_in(local)
            if isinstance(layer, _ACTIVATED_LAYERS):
                return _without_activation(layer, args, kwargs)
            return _call(layer, args, kwargs)

        primals = [at_x[id(t)] for t in sources]
        if isinstance(layer, _ACTIVATED_LAYERS):
            z = pre_activation[id(node)]
            g = g * _rescale(layer.activation, z, output, n)
            return vjp(linear, primals, g)
        if isinstance(layer, _ELEMENTWISE_LAYERS):
            z = values[id(sources[0])]
            return [g * _rescale(lambda v: _call(layer, (v,), {}), z, output, n)]
        return vjp(linear, primals, g)


def _problem(layer) -> str | None:
    """Why DeepLIFT has no rule for `layer`, in words, or `None`."""
    kind = type(layer).__name__
    if type(layer) not in SUPPORTED_LAYERS:
        return f"layer {layer.name!r} ({kind})"
    activation = getattr(layer, "activation", None)
    if isinstance(layer, _ACTIVATED_LAYERS + (keras.layers.Activation,)) and (
        activation not in _ACTIVATION_FUNCTIONS
    ):
        name = getattr(activation, "__name__", repr(activation))
        return (f"layer {layer.name!r} ({kind}) with activation {name!r}, "
                "not elementwise or not known")
    return None


def _call(layer, args, kwargs):
    """`layer(*args, **kwargs)` in inference mode, as a functional model
    calls it."""
    if "training" in getattr(layer, "_call_context_args", ()):
        kwargs = {**kwargs, "training": False}
    return layer(*args, **kwargs)


def _without_activation(layer, args, kwargs):
    """A Conv1D's or Dense's output before its activation."""
    activation = layer.activation
    layer.activation = keras.activations.linear
    try:
        return _call(layer, args, kwargs)
    finally:
        layer.activation = activation


def _rescale(function, z, y, n):
    """The rescale multipliers of `y = function(z)` (elementwise), at rows
    `:n` (x) against rows `n:` (r)."""
    delta = z[:n] - z[n:]
    small = ops.abs(delta) < _RESCALE_TOLERANCE
    midpoint = (z[:n] + z[n:]) / 2
    (slope,) = vjp(function, [midpoint], ops.ones_like(y[:n]))
    ratio = (y[:n] - y[n:]) / ops.where(small, ops.ones_like(delta), delta)
    return ops.where(small, slope, ops.cast(ratio, slope.dtype))


def _max_pool(layer, inputs, outputs, g, n):
    """DeepSHAP's max-pooling multipliers of the input."""
    x_out, r_out = outputs[:n], outputs[n:]
    higher = ops.maximum(x_out, r_out)

    def pool(v):
        return _call(layer, (v,), {})

    (through_x,) = vjp(pool, [inputs[:n]], g * (higher - r_out))
    (through_r,) = vjp(pool, [inputs[n:]], g * (x_out - higher))
    delta = inputs[:n] - inputs[n:]
    small = ops.abs(delta) < _MAX_POOL_TOLERANCE
    routed = (through_x + through_r) / ops.where(small, ops.ones_like(delta), delta)
    return ops.where(small, ops.zeros_like(routed), routed)


def _accumulate(cotangents, tensor, g) -> None:
    """Adds `g` to the multipliers of `tensor` (used by several layers)."""
    key = id(tensor)
    cotangents[key] = g if key not in cotangents else cotangents[key] + g
