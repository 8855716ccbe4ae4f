"""One output of a model, and its gradient with respect to the input, compiled
for the active Keras backend.

The forward pass goes through `compile_for_backend` (a `tf.function`, a
`jax.jit` of the stateless model, or eager PyTorch). The gradient is each
backend's own: `tf.GradientTape`, `jax.value_and_grad`, `torch.autograd`;
so is `vjp`, the vector-Jacobian product of one layer that DeepLIFT's
backward walk takes. Each is compiled once and called on batches of one
shape.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_motifs._internal.scan import compile_for_backend


def predict_function(model, target):
    """`f(*inputs) -> values` numpy, compiled once.

    Args:
        model: The Keras model (its weights, for compilation).
        target: `target(*inputs)` written with `keras.ops`, returning a
            tensor (e.g. `(batch,)` values) or a tuple of tensors.

    Returns:
        A function of numpy batches returning a float32 numpy array, or a
        tuple of them.
    """
    compiled = compile_for_backend(target, model)

    def predict(*inputs):
        return keras.tree.map_structure(_numpy, compiled(*inputs))

    return predict


def gradient_function(model, target):
    """`f(x, *others) -> (values (batch,), d values / d x)` numpy, compiled.

    The gradient of each row's value with respect to that row of `x` (rows
    do not interact: the model runs with `training=False`).

    Args:
        model: The Keras model (its weights, for compilation).
        target: `target(x, *others) -> (batch,)` written with `keras.ops`.

    Returns:
        A function of numpy batches returning two float32 numpy arrays.
    """
    compiled = compile_for_backend(_value_and_gradient(target), model)

    def gradient(x, *others):
        values, grads = compiled(x, *others)
        return _numpy(values), _numpy(grads)

    return gradient


def _value_and_gradient(target):
    """`target` and its input gradient, through the backend's autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        def tensorflow_gradient(x, *others):
            with tf.GradientTape() as tape:
                tape.watch(x)
                values = target(x, *others)
            return values, tape.gradient(values, x)

        return tensorflow_gradient
    if backend == "jax":
        import jax

        def jax_gradient(x, *others):
            def total(x):
                values = target(x, *others)
                return values.sum(), values

            (_, values), grads = jax.value_and_grad(total, has_aux=True)(x)
            return values, grads

        return jax_gradient
    if backend == "torch":
        import torch

        def torch_gradient(x, *others):
            x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
            others = [keras.ops.convert_to_tensor(o) for o in others]
            with torch.enable_grad():
                values = target(x, *others)
                (grads,) = torch.autograd.grad(values.sum(), x)
            return values.detach(), grads

        return torch_gradient
    raise ValueError(
        f"Gradients need the TensorFlow, JAX or PyTorch backend of Keras; "
        f"the active backend is {backend!r}. Set KERAS_BACKEND, or use "
        "method='ism', which only runs the model forward."
    )


def vjp(function, primals: list, cotangent) -> list:
    """The vector-Jacobian product of `function` at `primals`, through the
    backend's autodiff: the gradient of `sum(cotangent * function(*primals))`
    with respect to each primal.

    Args:
        function: `function(*primals) -> tensor` written with `keras.ops`
            (e.g. a layer call).
        primals: The tensors to differentiate at.
        cotangent: A tensor of the shape of `function`'s output.

    Returns:
        A list of tensors, one per primal, of its shape (zeros where the
        output does not depend on it).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            for primal in primals:
                tape.watch(primal)
            output = function(*primals)
        return list(tape.gradient(
            output, primals, output_gradients=tf.cast(cotangent, output.dtype),
            unconnected_gradients=tf.UnconnectedGradients.ZERO))
    if backend == "jax":
        import jax

        output, backward = jax.vjp(function, *primals)
        return list(backward(cotangent.astype(output.dtype)))
    if backend == "torch":
        import torch

        primals = [p.detach().requires_grad_(True) for p in primals]
        with torch.enable_grad():
            output = function(*primals)
            grads = torch.autograd.grad(
                output, primals, grad_outputs=cotangent.to(output.dtype),
                allow_unused=True)
        return [torch.zeros_like(p) if g is None else g
                for p, g in zip(primals, grads)]
    raise ValueError(
        f"DeepLIFT needs the TensorFlow, JAX or PyTorch backend of Keras; the "
        f"active backend is {backend!r}. Set KERAS_BACKEND, or use "
        "method='ism', which only runs the model forward."
    )


def _numpy(tensor) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float32)
