"""Motifs as position frequency counts: the model every other module shares.

A `MotifSet` holds `n` motifs of a common `width` as counts of shape
`(n, width, 4)` in A, C, G, T column order, with the number of sites
(`nsites`) each motif was built from, the index of the filter it came from,
its name, an optional alternate name, a background letter distribution and the
`[start, end)` span (`bounds`) of each motif's informative positions.

Counts are kept rather than probabilities so that scans of the same layer over
several shards of data add up exactly (`sum(shards)`). A window that ran past
a sequence edge contributes nothing at the positions outside the sequence, so
a position's row sum may be less than `nsites`: probabilities normalise each
position by its own row sum, and a position with no counts at all takes the
background distribution.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator, Sequence

import numpy as np

from keras_motifs._internal.alphabet import UNIFORM_BACKGROUND, check_background
from keras_motifs._internal.matrices import consensus_of, information, log_odds
from keras_motifs._internal.matrices import row_probabilities

__all__ = ["Motif", "MotifSet"]


def _show(array) -> str:
    """A short text of an array for error messages."""
    return np.array2string(np.asarray(array), threshold=12, separator=", ")


def check_motif_set(motifs, name: str = "motifs", *, non_empty=False):
    """`motifs` if it is a `MotifSet` (with a motif when `non_empty`)."""
    if not isinstance(motifs, MotifSet):
        raise TypeError(f"`{name}` must be a MotifSet. Received: {name} of "
                        f"type {type(motifs).__name__}")
    if non_empty and len(motifs) == 0:
        raise ValueError(f"`{name}` is an empty MotifSet; expected a motif.")
    return motifs


def _check_identifier(value, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    if not value or len(value.split()) != 1:
        raise ValueError(
            f"{what} must be a non-empty string without whitespace "
            f"(a MEME motif identifier), got {value!r}"
        )
    return value


@dataclasses.dataclass(eq=False)
class Motif:
    """One motif of a `MotifSet`, cut to its informative span.

    Args:
        name: Motif identifier (no whitespace).
        alt_name: Alternate name (e.g. a transcription factor), or `None`.
        filter: Index of the filter in its layer.
        counts: Position frequency counts of shape `(width, 4)`, A, C, G, T.
        nsites: Number of sites (windows) the counts were built from.
        background: Letter frequencies of shape `(4,)`, A, C, G, T.

    Example:

    >>> motif = MotifSet(np.eye(4)[None] * 10)[0]
    >>> motif.consensus()
    'ACGT'
    """

    name: str
    alt_name: str | None
    filter: int
    counts: np.ndarray
    nsites: int
    background: np.ndarray = dataclasses.field(
        default_factory=UNIFORM_BACKGROUND.copy
    )

    @property
    def width(self) -> int:
        """Number of positions."""
        return self.counts.shape[0]

    def probabilities(self, pseudocount: float = 0.0) -> np.ndarray:
        """Letter probabilities `(width, 4)`; see `MotifSet.probabilities`."""
        return row_probabilities(self.counts, pseudocount, self.background)

    def pwm(self, pseudocount: float = 0.1, background=None) -> np.ndarray:
        """Log2-odds matrix `(width, 4)`; see `MotifSet.pwm`."""
        if background is None:
            background = self.background
        return log_odds(self.counts, pseudocount, background)

    def information_content(
        self, pseudocount: float = 0.0, background=None
    ) -> np.ndarray:
        """Bits per position `(width,)`; see `MotifSet.information_content`."""
        if background is None:
            background = self.background
        return information(self.counts, pseudocount, background)

    def consensus(self) -> str:
        """Most frequent letter at each position (`N` where there are no counts)."""
        return consensus_of(self.counts)


class MotifSet:
    """Position frequency counts of `n` motifs of a common width.

    Each motif is a `(width, 4)` matrix of letter counts in A, C, G, T order,
    built from `nsites` sites. Probabilities normalise each position by its
    own row sum (windows that ran past a sequence edge leave fewer counts at
    the edge positions); a position without counts takes the background.
    `bounds` marks the informative `[start, end)` span of each motif: the
    counts always keep the full width, and `trim` only narrows the bounds.
    Arrays are read-only; methods return new sets.

    Args:
        counts: Array-like `(n, width, 4)` of non-negative counts.
        nsites: Integers `(n,)`. Defaults to the rounded largest row sum of
            each motif's counts.
        names: `n` motif identifiers without whitespace. Defaults to
            `"filter<i>"` with `i` from `filters`.
        alt_names: `n` alternate names (`None` for none), or `None`.
        filters: Integers `(n,)`, index of each motif's filter in its layer.
            Defaults to `0..n-1`.
        background: Letter frequencies `(4,)`, A, C, G, T. Defaults to uniform.
        bounds: Integers `(n, 2)`, `[start, end)` of each motif's informative
            span. Defaults to the full width.
    Example:

    >>> counts = np.random.default_rng(0).integers(0, 10, size=(3, 8, 4))
    >>> motifs = MotifSet(counts)
    >>> motifs.probabilities().shape
    (3, 8, 4)
    >>> motifs.trim(min_information=0.2).bounds.shape
    (3, 2)
    """

    __array_ufunc__ = None  # `motifs + array` raises TypeError, not broadcasts.

    def __init__(
        self,
        counts,
        nsites=None,
        *,
        names: Sequence[str] | None = None,
        alt_names: Sequence[str | None] | None = None,
        filters=None,
        background=None,
        bounds=None,
    ):
        self.counts = self._check_counts(counts)
        n, width = self.counts.shape[:2]
        self.nsites = self._check_integers(
            np.rint(self.counts.sum(axis=-1).max(axis=-1, initial=0.0))
            if nsites is None
            else nsites,
            "nsites",
            (n,),
        )
        if np.any(self.nsites < 0):
            raise ValueError(f"nsites must be >= 0, got {_show(self.nsites)}")
        self.filters = self._check_integers(
            np.arange(n) if filters is None else filters, "filters", (n,)
        )
        self.names = (
            [f"filter{i}" for i in self.filters]
            if names is None
            else self._check_names(names, n)
        )
        self.alt_names = self._check_alt_names(alt_names, n)
        self.background = check_background(background)
        self.bounds = self._check_bounds(bounds, n, width)
        for array in (self.counts, self.nsites, self.filters, self.background, self.bounds):
            array.flags.writeable = False

    @staticmethod
    def _check_counts(counts) -> np.ndarray:
        try:
            array = np.array(counts, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(
                "counts must be a numeric array of shape (n, width, 4), "
                f"got {type(counts).__name__}: {error}"
            ) from None
        if array.ndim != 3 or array.shape[-1] != 4 or array.shape[1] < 1:
            raise ValueError(
                "counts must have shape (n, width, 4) with width >= 1 "
                f"(A, C, G, T columns), got shape {array.shape}"
            )
        if not np.all(np.isfinite(array)):
            raise ValueError("counts must be finite, got NaN or infinite values")
        if np.any(array < 0):
            raise ValueError(f"counts must be >= 0, got minimum {array.min():g}")
        return array

    @staticmethod
    def _check_integers(values, what: str, shape: tuple) -> np.ndarray:
        array = np.asarray(values)
        if array.shape != shape:
            raise ValueError(f"{what} must have shape {shape}, got {array.shape}")
        if array.dtype.kind not in "iuf" or not np.array_equal(array, np.rint(array)):
            raise ValueError(f"{what} must be integers, got {_show(array)}")
        return array.astype(np.int64)

    @staticmethod
    def _check_names(names, n: int) -> list[str]:
        names = list(names)
        if len(names) != n:
            raise ValueError(f"names must hold {n} names, got {len(names)}")
        return [_check_identifier(name, "a motif name") for name in names]

    @staticmethod
    def _check_alt_names(alt_names, n: int) -> list[str | None]:
        if alt_names is None:
            return [None] * n
        alt_names = list(alt_names)
        if len(alt_names) != n:
            raise ValueError(
                f"alt_names must hold {n} names or None, got {len(alt_names)}"
            )
        return [
            None if name is None or name == ""
            else _check_identifier(name, "an alternate motif name")
            for name in alt_names
        ]

    @classmethod
    def _check_bounds(cls, bounds, n: int, width: int) -> np.ndarray:
        if bounds is None:
            return np.tile(np.array([0, width], dtype=np.int64), (n, 1))
        array = cls._check_integers(bounds, "bounds", (n, 2))
        bad = (array[:, 0] < 0) | (array[:, 0] >= array[:, 1]) | (array[:, 1] > width)
        if np.any(bad):
            raise ValueError(
                f"bounds must satisfy 0 <= start < end <= width ({width}), got "
                f"{_show(array[bad])} for motifs {_show(np.flatnonzero(bad))}"
            )
        return array

    @classmethod
    def from_probabilities(cls, probabilities, nsites, **kwargs) -> "MotifSet":
        """Builds a set from letter probabilities and site counts.

        Args:
            probabilities: Array-like `(n, width, 4)`, A, C, G, T.
            nsites: Integers `(n,)`; counts are `probabilities * nsites`.
            **kwargs: Other `MotifSet` arguments (names, filters, ...).

        Returns:
            A `MotifSet`.

        Example:

        >>> motifs = MotifSet.from_probabilities(np.full((2, 5, 4), 0.25), [10, 20])
        >>> motifs.counts[1, 0].tolist()
        [5.0, 5.0, 5.0, 5.0]
        """
        probabilities = cls._check_counts(probabilities)
        nsites = cls._check_integers(nsites, "nsites", probabilities.shape[:1])
        return cls(probabilities * nsites[:, None, None], nsites, **kwargs)

    @classmethod
    def from_motifs(cls, motifs: Sequence[Motif], *, background=None) -> "MotifSet":
        """Stacks `Motif`s of any widths into one set.

        Narrower motifs are padded on the right with zero counts and get the
        bounds `(0, motif.width)`.

        Args:
            motifs: A non-empty sequence of `Motif`.
            background: Letter frequencies of the set. Defaults to the first
                motif's background.

        Returns:
            A `MotifSet` of width `max(motif.width)`.

        Example:

        >>> motifs = MotifSet(np.ones((3, 6, 4)))
        >>> MotifSet.from_motifs(list(motifs.trim(0.5)) + list(motifs)).width
        6
        """
        motifs = list(motifs)
        if not motifs or not all(isinstance(m, Motif) for m in motifs):
            raise TypeError("from_motifs expects a non-empty sequence of Motif")
        widths = [np.shape(motif.counts)[0] for motif in motifs]
        counts = np.zeros((len(motifs), max(widths), 4))
        for row, motif in zip(counts, motifs):
            row[: len(motif.counts)] = motif.counts
        return cls(
            counts,
            [motif.nsites for motif in motifs],
            names=[motif.name for motif in motifs],
            alt_names=[motif.alt_name for motif in motifs],
            filters=[motif.filter for motif in motifs],
            background=motifs[0].background if background is None else background,
            bounds=[(0, width) for width in widths],
        )

    @property
    def width(self) -> int:
        """Number of positions of every motif's counts."""
        return self.counts.shape[1]

    def __len__(self) -> int:
        return self.counts.shape[0]

    def __repr__(self) -> str:
        return f"<MotifSet {len(self)} motifs, width {self.width}>"

    def _replace(self, index=slice(None), **changes) -> "MotifSet":
        """A new set of the motifs at `index`, with some attributes changed."""
        index = np.arange(len(self))[index]
        kwargs = dict(
            counts=self.counts[index],
            nsites=self.nsites[index],
            names=[self.names[i] for i in index],
            alt_names=[self.alt_names[i] for i in index],
            filters=self.filters[index],
            background=self.background,
            bounds=self.bounds[index],
        )
        kwargs.update(changes)
        return MotifSet(kwargs.pop("counts"), kwargs.pop("nsites"), **kwargs)

    def __getitem__(self, index) -> "Motif | MotifSet":
        if isinstance(index, (int, np.integer)):
            i = range(len(self))[index]
            start, end = self.bounds[i]
            return Motif(
                name=self.names[i],
                alt_name=self.alt_names[i],
                filter=int(self.filters[i]),
                counts=self.counts[i, start:end].copy(),
                nsites=int(self.nsites[i]),
                background=self.background.copy(),
            )
        if isinstance(index, slice):
            return self._replace(index)
        index = np.asarray(index)
        if index.size == 0:
            index = index.astype(np.int64)
        if index.dtype == bool and index.shape != (len(self),):
            raise IndexError(f"a boolean mask must have shape ({len(self)},), "
                             f"got {index.shape}")
        if index.dtype != bool and index.dtype.kind not in "iu":
            raise TypeError(
                "MotifSet indices must be an int, a slice, integers or a boolean "
                f"mask, got {index.dtype}"
            )
        return self._replace(index.reshape(-1) if index.dtype != bool else index)

    def __iter__(self) -> Iterator[Motif]:
        return (self[i] for i in range(len(self)))

    def __add__(self, other) -> "MotifSet":
        if isinstance(other, int) and other == 0:
            return self
        if not isinstance(other, MotifSet):
            return NotImplemented
        if self.width != other.width:
            raise ValueError(
                "only MotifSets of the same layer can be added, got widths "
                f"{self.width} and {other.width}"
            )
        if not np.array_equal(self.filters, other.filters):
            raise ValueError(
                "only MotifSets of the same layer can be added (same filters in "
                f"the same order), got filters {_show(self.filters)} and "
                f"{_show(other.filters)}"
            )
        if not np.allclose(self.background, other.background):
            raise ValueError(
                "only MotifSets with the same background can be added, got "
                f"{self.background.tolist()} and {other.background.tolist()}"
            )
        bounds = np.stack([np.minimum(self.bounds[:, 0], other.bounds[:, 0]),
                           np.maximum(self.bounds[:, 1], other.bounds[:, 1])], axis=1)
        return self._replace(
            counts=self.counts + other.counts,
            nsites=self.nsites + other.nsites,
            bounds=bounds,
        )

    def __radd__(self, other) -> "MotifSet":
        return self.__add__(other)

    def probabilities(self, pseudocount: float = 0.0, background=None) -> np.ndarray:
        """Letter probabilities of every position.

        Each position is normalised by its own row sum after adding
        `pseudocount` spread over the letters by the background; a position
        without counts (and no pseudocount) takes the background.

        Args:
            pseudocount: Total pseudocount added to each position.
            background: Letter frequencies to spread the pseudocount by.
                Defaults to the set's background.

        Returns:
            Array `(n, width, 4)` whose rows sum to 1.

        Example:

        >>> MotifSet([[[3, 1, 0, 0]]]).probabilities().tolist()
        [[[0.75, 0.25, 0.0, 0.0]]]
        """
        if background is None:
            background = self.background
        return row_probabilities(self.counts, pseudocount, background)

    def pwm(self, pseudocount: float = 0.1, background=None) -> np.ndarray:
        """Log2-odds position weight matrices.

        `log2(p / background)` with `p` from `probabilities(pseudocount,
        background)`; a letter with probability 0 scores `-inf`.

        Args:
            pseudocount: Total pseudocount added to each position.
            background: Letter frequencies. Defaults to the set's background.

        Returns:
            Array `(n, width, 4)` of log2 odds.

        Example:

        >>> MotifSet([[[4, 4, 0, 0]]]).pwm(pseudocount=0.0)[0, 0, :2].tolist()
        [1.0, 1.0]
        """
        if background is None:
            background = self.background
        return log_odds(self.counts, pseudocount, background)

    def information_content(self, pseudocount: float = 0.0, background=None) -> np.ndarray:
        """Information content of every position in bits.

        The relative entropy `sum(p * log2(p / background))` of each
        position's probabilities to the background (`0 * log 0 = 0`).

        Args:
            pseudocount: Total pseudocount added to each position.
            background: Letter frequencies. Defaults to the set's background.

        Returns:
            Array `(n, width)`.

        Example:

        >>> MotifSet([[[8, 0, 0, 0], [2, 2, 2, 2]]]).information_content().tolist()
        [[2.0, 0.0]]
        """
        if background is None:
            background = self.background
        return information(self.counts, pseudocount, background)

    def trim(self, min_information: float = 0.2, pseudocount: float = 0.0) -> "MotifSet":
        """Narrows each motif's bounds to drop uninformative edges.

        Within the current bounds, the new bounds run from the first to the
        last position whose information content is at least
        `min_information`; a motif without such a position keeps its single
        most informative position. Counts are unchanged.

        Args:
            min_information: Threshold in bits.
            pseudocount: Passed to `information_content`.

        Returns:
            A `MotifSet` with narrower (or equal) bounds.

        Example:

        >>> MotifSet([[[1, 1, 1, 1], [8, 0, 0, 0], [1, 1, 1, 1]]]).trim(0.5).bounds.tolist()
        [[1, 2]]
        """
        min_information = float(min_information)
        information = self.information_content(pseudocount)
        positions = np.arange(self.width)
        inside = (positions >= self.bounds[:, :1]) & (positions < self.bounds[:, 1:])
        information = np.where(inside, information, -np.inf)
        keep = information >= min_information
        best = np.argmax(information, axis=1)
        none = ~keep.any(axis=1)
        keep[none, best[none]] = True
        start = np.argmax(keep, axis=1)
        end = self.width - np.argmax(keep[:, ::-1], axis=1)
        return self._replace(bounds=np.stack([start, end], axis=1))

    def reverse_complement(self) -> "MotifSet":
        """The motifs of the opposite strand.

        Positions are reversed and A<->T, C<->G swapped (the A, C, G, T columns
        reversed); bounds are mirrored and the background complemented.

        Returns:
            A `MotifSet` with the same names, filters and nsites.

        Example:

        >>> MotifSet(np.eye(4)[None, :2] * 5).reverse_complement().consensus()
        ['GT']
        """
        bounds = self.width - self.bounds[:, ::-1]
        return self._replace(
            counts=self.counts[:, ::-1, ::-1],
            background=self.background[::-1],
            bounds=bounds,
        )

    def select(self, nsites_at_least: int = 1) -> "MotifSet":
        """The motifs built from at least `nsites_at_least` sites.

        Args:
            nsites_at_least: Minimum number of sites.

        Returns:
            A `MotifSet`, possibly empty.

        Example:

        >>> len(MotifSet(np.ones((2, 3, 4)), [0, 4]).select())
        1
        """
        return self[self.nsites >= nsites_at_least]

    def matrices(self, kind: str = "probabilities", pseudocount: float | None = None) -> list:
        """Each motif's matrix cut to its bounds.

        Args:
            kind: `"counts"`, `"probabilities"` or `"pwm"`.
            pseudocount: Passed to `probabilities` or `pwm`; defaults to their
                own defaults (0 and 0.1).

        Returns:
            A list of `n` arrays of shape `(end - start, 4)`.

        Example:

        >>> [m.shape for m in MotifSet(np.ones((2, 5, 4)), bounds=[(0, 5), (1, 3)]).matrices()]
        [(5, 4), (2, 4)]
        """
        if kind == "counts":
            full = self.counts
        elif kind == "probabilities":
            full = self.probabilities(0.0 if pseudocount is None else pseudocount)
        elif kind == "pwm":
            full = self.pwm(0.1 if pseudocount is None else pseudocount)
        else:
            raise ValueError(
                f"kind must be 'counts', 'probabilities' or 'pwm', got {kind!r}"
            )
        return [matrix[start:end].copy() for matrix, (start, end) in zip(full, self.bounds)]

    def consensus(self) -> list[str]:
        """Most frequent letter at each position within bounds (`N` for none).

        Returns:
            A list of `n` strings.

        Example:

        >>> MotifSet([[[0, 0, 9, 1], [0, 0, 0, 0]]]).consensus()
        ['GN']
        """
        return [consensus_of(counts) for counts in self.matrices("counts")]

    def to_meme(self, path, **kwargs):
        """Writes the set in MEME minimal format; see `meme.write_meme`.

        Args:
            path: Output file.
            **kwargs: Passed to `keras_motifs.formats.meme.write_meme`.

        Returns:
            `path`.

        Example:

        >>> MotifSet(np.ones((2, 5, 4))).to_meme("motifs.meme")
        'motifs.meme'
        """
        from keras_motifs.formats.meme import write_meme_file

        return write_meme_file(self, path, **kwargs)
