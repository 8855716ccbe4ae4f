"""Keras initializers that seed Conv1D kernels with known DNA motifs.

`MotifInitializer` writes motifs (a `MotifSet` or JASPAR matrix IDs) into
part of a Conv1D kernel of shape `(kernel_size, 4, filters)`, as the
DanQ-JASPAR model did, and fills everything else as Keras' default
Glorot-uniform initializer would. Keras/TensorFlow convolutions are
cross-correlations, so motifs are written unflipped: kernel row `j` scores
the sequence letter at window position `j`.
"""

import math
import random
from typing import NamedTuple

import keras
import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, check_alphabet
from keras_motifs._internal.checks import integer, number
from keras_motifs.matching.motif_database import jaspar_motifs, jaspar_releases
from keras_motifs.motifs import Motif, MotifSet

__all__ = ["MotifBiasInitializer", "MotifInitializer", "MotifPlacement"]


class MotifPlacement(NamedTuple):
    """Where `MotifInitializer` writes one motif into a kernel.

    Attributes:
        filter: Index of the kernel's output filter.
        motif: Index of the motif in the initializer's motifs.
        name: Name of the motif.
        reverse_complement: Whether the motif's reverse complement is written.
        offset: Kernel position of the motif's first column; negative when a
            motif longer than the kernel is centre-cropped.
    """

    filter: int
    motif: int
    name: str
    reverse_complement: bool
    offset: int


@keras.saving.register_keras_serializable(package="keras_motifs")
class MotifInitializer(keras.initializers.Initializer):
    """Initialize Conv1D kernels with DNA motifs at random offsets.

    The first `round(fraction * filters)` filters of the kernel are seeded,
    each with one motif (a random subset of the motifs when there are more
    than seeded filters; fewer filters are seeded when there are fewer
    motifs). Of the seeded filters, `reverse_complement_fraction` hold the
    reverse complement of a motif that is also seeded forward. Each motif's
    probabilities minus 0.25 are written at a random offset inside the
    kernel; motifs longer than the kernel are centre-cropped. All other
    weights are drawn as `keras.initializers.GlorotUniform` draws them.

    Pair it with `MotifBiasInitializer(len(placements))` for the layer's
    bias (uniform on [-1, 0] for the seeded filters, zero for the others),
    so that the seeded filters fire only on good matches.

    Args:
        motifs: A `MotifSet`, or a JASPAR matrix ID or list of IDs (loaded
            with `jaspar_motifs(ids, release=jaspar_release)`).
        fraction: Fraction of the layer's filters to seed, in [0, 1].
            Defaults to `0.5`.
        reverse_complement_fraction: Fraction of the seeded filters that
            hold a reverse complement, in [0, 1]. Defaults to `0.01`.
        seed: Optional integer seed. An initializer seeded with an integer
            or `None` gives the same kernel at every call, as Keras' own
            initializers do.
        alphabet: Letter order of the layer's input channels, a permutation
            of `"ACGT"`; the kernel's channels follow it. Defaults to
            `"ACGT"`.
        jaspar_release: JASPAR release used when `motifs` are IDs. Defaults
            to the newest available release.

    Example:

    >>> initializer = MotifInitializer(["MA0139.1"], fraction=0.25, seed=1)
    >>> placements = initializer.placements((30, 4, 8))
    >>> placements[0].name
    'MA0139.1'
    >>> layer = keras.layers.Conv1D(
    ...     8, 30, kernel_initializer=initializer,
    ...     bias_initializer=MotifBiasInitializer(len(placements), seed=1))
    """

    def __init__(
        self,
        motifs,
        *,
        fraction: float = 0.5,
        reverse_complement_fraction: float = 0.01,
        seed: int | None = None,
        alphabet: str = "ACGT",
        jaspar_release: str | None = None,
    ):
        self.fraction = _check_fraction("fraction", fraction)
        self.reverse_complement_fraction = _check_fraction(
            "reverse_complement_fraction", reverse_complement_fraction
        )
        self.seed = _check_seed(seed)
        self._seed = random.randint(1, 10**9) if seed is None else self.seed
        self.alphabet = check_alphabet(alphabet)
        self.ids = None
        self.jaspar_release = None
        if isinstance(motifs, (str, list, tuple)):
            self.ids = [motifs] if isinstance(motifs, str) else list(motifs)
            self.jaspar_release = jaspar_release or jaspar_releases()[0]
            motifs = jaspar_motifs(self.ids, release=self.jaspar_release)
        if not isinstance(motifs, MotifSet):
            raise TypeError(
                "`motifs` must be a MotifSet or a list of JASPAR matrix IDs. "
                f"Received: motifs of type {type(motifs).__name__}"
            )
        if len(motifs) == 0:
            raise ValueError("`motifs` is empty: expected at least one motif.")
        self.names = list(motifs.names)
        self.probabilities = motifs.matrices("probabilities")

    def placements(self, shape) -> list[MotifPlacement]:
        """Which motif goes into which filter, at which offset.

        The same placements are used by every call with this `shape`.

        Args:
            shape: Kernel shape `(kernel_size, 4, filters)`.

        Returns:
            A list of `MotifPlacement`, one per seeded filter, in filter
            order.

        Example:

        >>> MotifInitializer(motifs, seed=0).placements((26, 4, 320))[:1]
        [MotifPlacement(filter=0, motif=0, name='MA0004.1',
        reverse_complement=False, offset=7)]
        """
        return self._placements(_check_shape(shape), self._rng())[0]

    def __call__(self, shape, dtype=None):
        """Return a seeded kernel of the given shape.

        Args:
            shape: Kernel shape `(kernel_size, 4, filters)`.
            dtype: Optional dtype; defaults to `keras.config.floatx()`.

        Returns:
            A tensor of shape `shape`.
        """
        shape = _check_shape(shape)
        kernel_size = shape[0]
        placements, kernel = self._placements(shape, self._rng())
        channels = [ALPHABET.index(letter) for letter in self.alphabet]
        for placement in placements:
            motif = self._motif(placement)[:, channels] - 0.25
            start = max(placement.offset, 0)
            end = min(placement.offset + len(motif), kernel_size)
            motif = motif[start - placement.offset : end - placement.offset]
            kernel[start:end, :, placement.filter] = motif
        return keras.ops.convert_to_tensor(
            kernel, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        if self.ids is not None:
            motifs = list(self.ids)
        else:
            motifs = {
                "names": self.names,
                "probabilities": [p.tolist() for p in self.probabilities],
            }
        return {
            "motifs": motifs,
            "fraction": self.fraction,
            "reverse_complement_fraction": self.reverse_complement_fraction,
            "seed": self.seed,
            "alphabet": self.alphabet,
            "jaspar_release": self.jaspar_release,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        motifs = config.pop("motifs")
        if not isinstance(motifs, dict):
            return cls(motifs, **config)
        initializer = cls(
            _motif_set(motifs["names"], motifs["probabilities"]), **config
        )
        # Keep the saved matrices bit for bit (MotifSet renormalises rows).
        initializer.probabilities = [
            np.array(matrix, dtype="float64")
            for matrix in motifs["probabilities"]
        ]
        return initializer

    def _rng(self):
        return np.random.default_rng(self._seed)

    def _motif(self, placement):
        """Probabilities (width, 4) of a placement's motif, A,C,G,T order."""
        probabilities = self.probabilities[placement.motif]
        if placement.reverse_complement:
            return probabilities[::-1, ::-1]
        return probabilities

    def _placements(self, shape, rng):
        """Placements and the Glorot-uniform background kernel."""
        kernel_size, _, filters = shape
        n_seeded = round(self.fraction * filters)
        n_reverse = round(self.reverse_complement_fraction * n_seeded)
        n_forward = min(n_seeded - n_reverse, len(self.names))
        n_reverse = min(n_reverse, n_forward)
        forward = np.sort(rng.choice(len(self.names), n_forward, replace=False))
        reverse = np.sort(rng.choice(forward, n_reverse, replace=False))
        seeds = [(i, False) for i in forward] + [(i, True) for i in reverse]
        placements = []
        for filter_index, (motif_index, reverse_complement) in enumerate(seeds):
            width = len(self.probabilities[motif_index])
            if width <= kernel_size:
                offset = int(rng.integers(0, kernel_size - width + 1))
            else:
                offset = -((width - kernel_size) // 2)
            placements.append(
                MotifPlacement(
                    filter_index,
                    int(motif_index),
                    self.names[motif_index],
                    reverse_complement,
                    offset,
                )
            )
        fan_in, fan_out = kernel_size * shape[1], kernel_size * filters
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=shape)
        return placements, kernel


@keras.saving.register_keras_serializable(package="keras_motifs")
class MotifBiasInitializer(keras.initializers.Initializer):
    """Bias initializer to pair with `MotifInitializer`.

    DanQ-JASPAR drew the bias of its motif-seeded filters from U(-1, 0), so
    that a seeded filter (weights `probability - 0.25`) stays silent on
    background sequence and fires on good matches, and left the other
    filters' bias at zero. `MotifInitializer` seeds the first filters, so
    this initializer draws the first `seeded` biases uniformly from
    `[minval, maxval)` and sets the rest to zero.

    Args:
        seeded: Number of seeded filters, `len(initializer.placements(shape))`
            for the kernel's `MotifInitializer`; `None` for all filters.
        minval: Lower bound of the seeded filters' bias. Defaults to `-1.0`.
        maxval: Upper bound of the seeded filters' bias. Defaults to `0.0`.
        seed: Optional integer seed; as with Keras' initializers, every call
            gives the same values.

    Example:

    >>> kernel_initializer = MotifInitializer(motifs, seed=0)
    >>> seeded = len(kernel_initializer.placements((26, 4, 320)))
    >>> layer = keras.layers.Conv1D(
    ...     320, 26, kernel_initializer=kernel_initializer,
    ...     bias_initializer=MotifBiasInitializer(seeded, seed=0))
    """

    def __init__(
        self,
        seeded: int | None = None,
        *,
        minval: float = -1.0,
        maxval: float = 0.0,
        seed: int | None = None,
    ):
        if seeded is not None:
            integer(seeded, "seeded", minimum=0)
        if not minval <= maxval:
            raise ValueError(
                "`minval` must not exceed `maxval`. "
                f"Received: minval={minval!r}, maxval={maxval!r}"
            )
        self.seeded = None if seeded is None else int(seeded)
        self.minval = float(minval)
        self.maxval = float(maxval)
        self.seed = _check_seed(seed)
        self._seed = random.randint(1, 10**9) if seed is None else self.seed

    def __call__(self, shape, dtype=None):
        """Return the bias, of shape `(filters,)`.

        Args:
            shape: Bias shape `(filters,)`.
            dtype: Optional dtype; defaults to `keras.config.floatx()`.

        Returns:
            A tensor of shape `shape`.
        """
        shape = tuple(int(size) for size in shape)
        if len(shape) != 1:
            raise ValueError(
                "MotifBiasInitializer initializes a bias of shape (filters,). "
                f"Received: shape={shape}"
            )
        rng = np.random.default_rng(self._seed)
        bias = np.zeros(shape)
        seeded = shape[0] if self.seeded is None else min(self.seeded, shape[0])
        bias[:seeded] = rng.uniform(self.minval, self.maxval, size=seeded)
        return keras.ops.convert_to_tensor(
            bias, dtype=dtype or keras.config.floatx()
        )

    def get_config(self):
        return {
            "seeded": self.seeded,
            "minval": self.minval,
            "maxval": self.maxval,
            "seed": self.seed,
        }


def _check_seed(seed):
    return None if seed is None else integer(seed, "seed")


def _check_fraction(name, value):
    return number(value, name, minimum=0.0, maximum=1.0)


def _check_shape(shape):
    shape = tuple(int(size) for size in shape)
    if len(shape) != 3 or shape[1] != len(ALPHABET) or min(shape) < 1:
        raise ValueError(
            "MotifInitializer seeds Conv1D kernels of shape "
            f"(kernel_size, 4, filters). Received: shape={shape}"
        )
    return shape


def _motif_set(names, probabilities):
    """A `MotifSet` of variable-width probability matrices."""
    return MotifSet.from_motifs(
        [
            Motif(name=name, alt_name=None, filter=i, counts=np.asarray(p),
                  nsites=1)
            for i, (name, p) in enumerate(zip(names, probabilities))
        ]
    )
