"""Where each output position of a Conv1D reads its input.

A Conv1D output position `j` covers the input positions
`j * strides - pad_left + i * dilation_rate` for `i in range(kernel_size)`.
Everything about padding ("valid", "same", "causal"), strides and dilation
reduces to `pad_left`, which this module computes the way Keras does.
"""

from __future__ import annotations

import dataclasses



@dataclasses.dataclass(frozen=True)
class ConvGeometry:
    """The receptive field of a Conv1D layer over its input sequence.

    Args:
        kernel_size: Width of the filters.
        strides: Step between output positions.
        dilation_rate: Step between the input positions of one window.
        padding: `"valid"`, `"same"` or `"causal"`.

    Example:

    >>> geometry = ConvGeometry(kernel_size=3, strides=1, dilation_rate=1,
    ...                         padding="same")
    >>> geometry.pad_left(10), geometry.output_length(10)
    (1, 10)
    """

    kernel_size: int
    strides: int = 1
    dilation_rate: int = 1
    padding: str = "valid"

    @classmethod
    def from_layer(cls, layer) -> "ConvGeometry":
        """The geometry of a `keras.layers.Conv1D` layer."""
        return cls(
            kernel_size=int(layer.kernel_size[0]),
            strides=int(layer.strides[0]),
            dilation_rate=int(layer.dilation_rate[0]),
            padding=str(layer.padding).lower(),
        )

    @property
    def span(self) -> int:
        """Number of input positions from a window's first to its last."""
        return (self.kernel_size - 1) * self.dilation_rate + 1

    def output_length(self, input_length: int) -> int:
        """Number of output positions for an input of `input_length`."""
        if self.padding == "valid":
            return max(0, (input_length - self.span) // self.strides + 1)
        return -(-input_length // self.strides)

    def pad_left(self, input_length: int) -> int:
        """Input positions added before the sequence by the padding."""
        if self.padding == "valid":
            return 0
        if self.padding == "causal":
            return self.span - 1
        total = max(
            (self.output_length(input_length) - 1) * self.strides
            + self.span
            - input_length,
            0,
        )
        return total // 2

    def pad_right(self, input_length: int) -> int:
        """Input positions the last window reads past the sequence's end."""
        return pad_right(self, input_length)


def pad_right(geometry, input_length: int) -> int:
    """Input positions the last window of `geometry` reads past the end.

    Args:
        geometry: A `ConvGeometry` or anything with its interface (the
            receptive field of a deeper layer).
        input_length: The sequence length.

    Returns:
        The number of padding positions after the sequence.
    """
    return max(
        0,
        (geometry.output_length(input_length) - 1) * geometry.strides
        + geometry.span
        - geometry.pad_left(input_length)
        - input_length,
    )
