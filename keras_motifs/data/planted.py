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
from keras_motifs.matching.motif_database import jaspar_motifs
from keras_motifs.matching.compare import same_motif
from keras_motifs.motifs import MotifSet
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF

__all__ = [
    "KOO_EDDY_MOTIFS", "PlantedSites", "koo_eddy_dataset",
    "koo_eddy_split", "planted_dataset", "recovered_motifs",
]

PLANTED_RELEASE = "JASPAR2024"
# The 12 motifs of Koo & Eddy (2019): the first matrix of each factor's name
# in their `pfm_vertebrates.txt`, JASPAR 2016 CORE vertebrates (read offline
# through pyjaspar). Arid3a, CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB,
# SP1, SRF, STAT1, YY1.
KOO_EDDY_RELEASE = "JASPAR2016"
KOO_EDDY_MOTIFS = (
    "MA0151.1", "MA0466.2", "MA0477.1", "MA0062.2", "MA0496.1", "MA0058.3",
    "MA0052.3", "MA0502.1", "MA0079.3", "MA0083.3", "MA0137.3", "MA0095.2",
)
# P(1..5 sites in a sequence) of their generator.
KOO_EDDY_SITE_COUNTS = (0.50, 0.25, 0.17, 0.05, 0.03)
KOO_EDDY_SIZE = 25_000


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
            `keras_motifs.matching.motif_database.jaspar_motifs` from `release`), or a
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


def koo_eddy_dataset(n: int = KOO_EDDY_SIZE, rng=None, *,
                     length: int = 200):
    """The synthetic data of Koo & Eddy (2019), drawn as their generator does.

    Their notebook (`0_Generate_synthetic_dataset.ipynb` in
    p-koo/learning_sequence_motifs), step by step:

    - the 12 JASPAR 2016 CORE vertebrate matrices of `KOO_EDDY_MOTIFS`,
      counts divided by column sums (no pseudocount), each followed by its
      reverse complement: 24 oriented matrices;
    - per sequence, `k` sites with P(k = 1..5) = `KOO_EDDY_SITE_COUNTS`
      (0.50, 0.25, 0.17, 0.05, 0.03), each an oriented matrix drawn
      uniformly *with replacement* (a factor may appear twice, in either
      orientation);
    - the sites in the order drawn, without overlaps, separated by `k + 1`
      gaps: `k + 1` uniform numbers scaled to the free bases and rounded,
      drawn again until the rounded gaps add up;
    - every base drawn from its column (uniform background outside sites);
    - one label per factor, whatever its orientation or count.

    The draws are independent, so the first 70 % form as random a training
    set as a permutation would; `koo_eddy_split` gives Koo's 70/10/20.

    Args:
        n: Number of sequences (Koo & Eddy: 25,000).
        rng: A `numpy.random.Generator` or an integer seed.
        length: Sequence length (Koo & Eddy: 200).

    Returns:
        `(x, y, info)` as `planted_dataset`: `x` float32 `(n, length, 4)` in
        A, C, G, T order, `y` float32 `(n, 12)`, `info` a `PlantedSites`
        listing every site (a sequence may hold the same motif twice).

    Example:

    >>> x, y, info = koo_eddy_dataset(1000, 0)
    >>> x.shape, y.shape, len(info.motifs)
    ((1000, 200, 4), (1000, 12), 12)
    """
    motifs = jaspar_motifs(list(KOO_EDDY_MOTIFS), release=KOO_EDDY_RELEASE)
    n = positive_int(n, "n")
    length = positive_int(length, "length")
    rng = _rng(rng)
    widths = np.diff(motifs.bounds, axis=1)[:, 0]
    if widths.max() * len(KOO_EDDY_SITE_COUNTS) >= length:
        raise ValueError(
            f"length {length} cannot hold {len(KOO_EDDY_SITE_COUNTS)} sites "
            f"of the widest motif ({int(widths.max())} bases). "
            f"Received: length={length}"
        )
    probabilities = [
        matrix[:width]
        for matrix, width in zip(motifs.matrices("probabilities"), widths)
    ]
    reverse = complement_indices(ALPHABET)
    oriented = [
        matrix
        for forward in probabilities
        for matrix in (forward, forward[::-1, reverse])
    ]
    site_counts = rng.choice(
        np.arange(1, len(KOO_EDDY_SITE_COUNTS) + 1), size=n,
        p=KOO_EDDY_SITE_COUNTS,
    )
    codes = rng.integers(0, 4, size=(n, length))
    y = np.zeros((n, len(motifs)), dtype="float32")
    sites = {"sequence": [], "motif": [], "start": [], "strand": []}
    for row, count in enumerate(site_counts):
        chosen = rng.integers(0, len(oriented), size=count)
        site_widths = widths[chosen // 2]
        gaps = _rounded_gaps(count + 1, length - int(site_widths.sum()), rng)
        starts = np.cumsum(gaps[:-1]) + np.cumsum(site_widths) - site_widths
        for index, start in zip(chosen, starts):
            matrix = oriented[index]
            codes[row, start:start + len(matrix)] = _sample_sites(
                matrix, 1, rng)[0]
            y[row, index // 2] = 1
            for key, value in zip(sites, (row, index // 2, start, index % 2)):
                sites[key].append(value)
    info = PlantedSites(
        motifs,
        *(np.asarray(values, dtype=dtype) for values, dtype in zip(
            sites.values(), (np.int64, np.int64, np.int64, np.int8)))
    )
    return np.eye(4, dtype="float32")[codes], y, info


def koo_eddy_split(n: int) -> tuple[slice, slice, slice]:
    """Koo & Eddy's training, validation and test parts (70/10/20 %) of
    `n` sequences, as slices.

    Example:

    >>> koo_eddy_split(25_000)
    (slice(0, 17500, None), slice(17500, 20000, None), slice(20000, 25000, None))
    """
    n = positive_int(n, "n")
    n_train, n_valid = int(round(0.7 * n)), int(round(0.1 * n))
    return (slice(0, n_train), slice(n_train, n_train + n_valid),
            slice(n_train + n_valid, n))


def _rounded_gaps(count: int, free: int, rng) -> np.ndarray:
    """`count` gaps adding up to `free`: uniform numbers scaled to `free`
    and rounded, drawn again until the rounded ones add up (Koo & Eddy)."""
    while True:
        gaps = rng.random(count)
        gaps = np.round(gaps / gaps.sum() * free).astype(np.int64)
        if gaps.sum() == free:
            return gaps


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
        comparison: A `keras_motifs.matching.compare.Comparison` of the filters.
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
