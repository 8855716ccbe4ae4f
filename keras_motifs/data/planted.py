"""Planted-motif data: random DNA with sites of known motifs.

`planted_dataset` samples sites of given motifs (JASPAR matrices or any
`MotifSet`) into uniform random DNA, one label per motif, and says where
every site went; `recovered_motifs` says which filters of a trained model
found each planted motif. The demo and the benchmarks use them to check
that the filters learn what was planted.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_motifs._internal.alphabet import ALPHABET, complement_indices
from keras_motifs._internal.checks import integer, number, positive_int
from keras_motifs.jaspar import jaspar_motifs
from keras_motifs.compare import same_motif
from keras_motifs.motifs import MotifSet
from keras_motifs.null import DEFAULT_CUTOFF

PLANTED_RELEASE = "JASPAR2024"
# The 12 motifs of Koo & Eddy (2019), as the JASPAR 2016 CORE vertebrate
# matrices of their transcription factors (read offline through pyjaspar):
# Arid3a, CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1, YY1.
KOO_EDDY_MOTIFS = (
    "MA0151.1", "MA0466.1", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.2",
    "MA0052.2", "MA0502.1", "MA0079.3", "MA0083.2", "MA0137.3", "MA0095.2",
)


@dataclasses.dataclass
class PlantedSites:
    """Where `planted_dataset` put each motif site.

    Args:
        motifs: The planted motifs (`MotifSet`, A, C, G, T), in label order:
            label `k` of `y` says whether motif `k` was planted.
        sequence: `(m,)` index of the sequence holding each site.
        motif: `(m,)` index of each site's motif in `motifs`.
        start: `(m,)` first position of each site in its sequence.
        strand: `(m,)` 0 for a site as the motif reads, 1 for its reverse
            complement.

    Example:

    >>> x, y, info = planted_dataset(["MA0139.2"], 100, 200, 0)
    >>> info.motifs.alt_names, int(info.start[0]) >= 0
    (['CTCF'], True)
    """

    motifs: MotifSet
    sequence: np.ndarray
    motif: np.ndarray
    start: np.ndarray
    strand: np.ndarray



def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    try:
        return np.random.default_rng(integer(seed, "rng", minimum=0))
    except TypeError:
        raise TypeError(
            "`rng` must be a numpy Generator or an integer seed. "
            f"Received: rng={seed!r}"
        ) from None



def _planted_motifs(motif_ids, release) -> MotifSet:
    if isinstance(motif_ids, MotifSet):
        return motif_ids
    return jaspar_motifs(list(motif_ids), release=release)



def planted_dataset(
    motif_ids,
    n: int,
    length: int,
    rng=None,
    *,
    rate: float = 0.4,
    release: str | None = PLANTED_RELEASE,
):
    """Random DNA with sites of known motifs planted in it.

    Each sequence is uniform random DNA. Each motif is planted in each
    sequence independently with probability `rate`, at most once, as a site
    sampled base by base from the motif's probabilities, in either
    orientation with equal chance. Sites in one sequence never overlap:
    the free bases are split at random into the gaps between them.

    Args:
        motif_ids: JASPAR matrix IDs (`["MA0139.2", ...]`, read offline with
            `keras_motifs.jaspar.jaspar_motifs` from `release`), or a
            `MotifSet` to plant directly.
        n: Number of sequences.
        length: Sequence length; at least the summed widths of the motifs.
        rng: A `numpy.random.Generator` or an integer seed.
        rate: Probability in (0, 1] that a motif is planted in a sequence.
        release: JASPAR release the IDs are read from.

    Returns:
        `(x, y, info)`: `x` float32 one-hot `(n, length, 4)` in A, C, G, T
        order; `y` float32 `(n, n_motifs)`, 1 where the motif was planted;
        `info` a `PlantedSites` with the motifs and every site's position.

    Example:

    >>> x, y, info = planted_dataset(["MA0139.2", "MA0138.3"], 1000, 200, 0)
    >>> x.shape, y.shape, y.mean(axis=0).round(1).tolist()
    ((1000, 200, 4), (1000, 2), [0.4, 0.4])
    """
    motifs = _planted_motifs(motif_ids, release)
    n = positive_int(n, "n")
    length = positive_int(length, "length")
    rng = _rng(rng)
    rate = number(rate, "rate", minimum=0, maximum=1, open_minimum=True)
    widths = np.diff(motifs.bounds, axis=1)[:, 0]
    if widths.sum() > length:
        raise ValueError(
            f"length {length} is too short to hold one site of each of the "
            f"{len(motifs)} motifs ({int(widths.sum())} bases in all)."
        )
    y = rng.random((n, len(motifs))) < rate
    return _plant(motifs, y, widths, length, rng)


def mixture_dataset(
    motif_ids,
    n: int,
    length: int = 200,
    rng=None,
    *,
    min_motifs: int = 1,
    max_motifs: int = 5,
    release: str | None = PLANTED_RELEASE,
):
    """Random DNA with 1 to 5 different motifs in each sequence (Koo & Eddy).

    The synthetic data of Koo & Eddy (2019): each sequence is uniform random
    DNA holding `k` sites, `k` drawn uniformly from `min_motifs` to
    `max_motifs`, of `k` different motifs drawn uniformly from
    `motif_ids`, each sampled base by base from the motif's probabilities,
    in either orientation with equal chance, without overlaps (the free
    bases are split at random into the gaps, as in `planted_dataset`).
    One label per motif.

    Args:
        motif_ids: JASPAR matrix IDs or a `MotifSet`, as `planted_dataset`.
        n: Number of sequences.
        length: Sequence length.
        rng: A `numpy.random.Generator` or an integer seed.
        min_motifs: Fewest motifs a sequence holds, at least 1.
        max_motifs: Most motifs a sequence holds, at most the number of
            motifs.
        release: JASPAR release the IDs are read from.

    Returns:
        `(x, y, info)` as `planted_dataset`: `y[i].sum()` is the number of
        motifs of sequence `i`.

    Example:

    >>> x, y, info = mixture_dataset(KOO_EDDY_MOTIFS, 1000, 200, 0)
    >>> int(y.sum(axis=1).min()), int(y.sum(axis=1).max())
    (1, 5)
    """
    motifs = _planted_motifs(motif_ids, release)
    n = positive_int(n, "n")
    length = positive_int(length, "length")
    min_motifs = positive_int(min_motifs, "min_motifs")
    max_motifs = positive_int(max_motifs, "max_motifs")
    if not min_motifs <= max_motifs <= len(motifs):
        raise ValueError(
            f"Expected 1 <= min_motifs <= max_motifs <= {len(motifs)} (the "
            f"number of motifs). Received: min_motifs={min_motifs}, "
            f"max_motifs={max_motifs}"
        )
    rng = _rng(rng)
    widths = np.diff(motifs.bounds, axis=1)[:, 0]
    if np.sort(widths)[::-1][:max_motifs].sum() > length:
        raise ValueError(
            f"length {length} is too short to hold the {max_motifs} widest "
            f"motifs. Received: length={length}"
        )
    counts = rng.integers(min_motifs, max_motifs + 1, size=n)
    y = np.zeros((n, len(motifs)), dtype=bool)
    for row, count in enumerate(counts):
        y[row, rng.choice(len(motifs), size=count, replace=False)] = True
    return _plant(motifs, y, widths, length, rng)


def _plant(motifs, y, widths, length, rng):
    """`(x, y, info)` with a site of motif `k` in each sequence where
    `y[:, k]`, in random order and orientation, without overlaps."""
    n = len(y)
    sequence, motif = np.nonzero(y)
    start = _site_starts(y, widths, length, rng)
    strand = rng.integers(0, 2, size=len(sequence)).astype(np.int8)
    codes = rng.integers(0, 4, size=(n, length))
    for k, probabilities in enumerate(motifs.matrices("probabilities")):
        here = motif == k
        sites = _sample_sites(probabilities, int(here.sum()), rng)
        reverse = strand[here] == 1
        sites[reverse] = complement_indices(ALPHABET)[sites[reverse, ::-1]]
        columns = start[here, None] + np.arange(widths[k])
        codes[sequence[here, None], columns] = sites
    x = np.eye(4, dtype="float32")[codes]
    info = PlantedSites(motifs, sequence, motif, start, strand)
    return x, y.astype("float32"), info



def _sample_sites(probabilities, count, rng) -> np.ndarray:
    """`(count, width)` base codes drawn position by position."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random((count, len(probabilities), 1))
    codes = (draws > cumulative[None, :, :3]).sum(axis=-1)
    return codes



def _site_starts(y, widths, length, rng) -> np.ndarray:
    """Start of each planted site, in `np.nonzero(y)` order, without overlaps.

    In each sequence the planted motifs are put in random order and the
    free bases (length minus their widths) are cut at uniformly drawn
    points into the gaps before, between and after them.
    """
    starts = np.zeros(y.shape, dtype=np.int64)
    for row, planted in enumerate(y):
        chosen = rng.permutation(np.flatnonzero(planted))
        free = length - widths[chosen].sum()
        gaps = np.diff(
            np.sort(rng.integers(0, free + 1, size=len(chosen))), prepend=0
        )
        starts[row, chosen] = (
            np.cumsum(gaps) + np.cumsum(widths[chosen]) - widths[chosen]
        )
    return starts[np.nonzero(y)]



def recovered_motifs(
    planted: MotifSet, comparison, *, q_threshold: float = DEFAULT_CUTOFF
) -> dict:
    """Which filters found each planted motif.

    A filter finds a planted motif when its best hit (lowest p-value) in
    `comparison` has a q-value below `q_threshold` and is the planted
    matrix in any version (`MA0139.1` for `MA0139.2`) or a matrix of the
    same transcription factor (the same `alt_name`, ignoring case).

    Args:
        planted: The planted motifs; `names` are matrix IDs and `alt_names`
            transcription factors, as `jaspar_motifs` gives them.
        comparison: A `keras_motifs.compare.Comparison` of the filters.
        q_threshold: Largest q-value (exclusive) of a recovering hit.

    Returns:
        `{planted matrix ID: [filter names]}`, an empty list where no
        filter found the motif.

    Example:

    >>> recovered_motifs(planted, tomtom(motifs, release=DEMO_RELEASE))
    {'MA0139.2': ['filter4', 'filter15'], ...}
    """
    recovered = {}
    for matrix_id, tf_name in zip(planted.names, planted.alt_names):
        recovered[matrix_id] = [
            hit.query_id
            for hit in comparison.best()
            if hit.q_value < q_threshold
            and same_motif(hit, matrix_id, tf_name)
        ]
    return recovered
