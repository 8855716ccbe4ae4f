"""One output of a model, and its gradient with respect to the input, compiled
for the active Keras backend.

The forward pass goes through `compile_for_backend` (a `tf.function`, a
`jax.jit` of the stateless model, or eager PyTorch). The gradient is each
backend's own: `tf.GradientTape`, `jax.value_and_grad`, `torch.autograd`.
Each is compiled once and called on batches of one shape.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_motifs._internal.scan import compile_for_backend


def predict_function(model, target):
    """`f(x, *others) -> values (batch,)` numpy, compiled once.

    Args:
        model: The Keras model (its weights, for compilation).
        target: `target(x, *others) -> (batch,)` written with `keras.ops`.

    Returns:
        A function of numpy batches returning a float32 numpy array.
    """
    compiled = compile_for_backend(target, model)

    def predict(x, *others):
        return _numpy(compiled(x, *others))

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


def _numpy(tensor) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float32)
