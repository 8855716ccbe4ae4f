"""How sure is a motif? A block bootstrap of its counts.

`Conv1DInterpreter.extract(x, blocks=B)` keeps each filter's counts per
block of sequences (`Extraction.blocks`, a `BlockCounts`). Drawing `B`
blocks with replacement and summing their counts gives one resample of
every motif at once; over `resamples` draws, the percentiles of each
column's probabilities and of the information content (per position and in
total over each motif's bounds) are the bootstrap bands: `bootstrap(extraction)`
gives a `MotifBootstrap`.

`match_stability` asks whether the best database match would change on
other data: it compares all resampled motifs with the database in one
`keras_motifs.matching.compare.tomtom` call and gives, per filter, the fraction of
resamples whose best match is the same transcription factor as the full
data's (same matrix in any version, or the same TF name ignoring case, as
`keras_motifs.matching.compare.same_motif` decides); NaN where the full data's
motif has no match.

Blocks are contiguous runs of sequences, so sites that are correlated
within a run (neighbouring genomic windows) stay together, and the bands
are wide when few blocks carry a motif.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from keras_motifs._internal.blocks import BlockCounts
from keras_motifs._internal.checks import integer, number, positive_int
from keras_motifs._internal.matrices import information, row_probabilities
from keras_motifs._internal.tsv import write_tsv
from keras_motifs.matching.compare import same_motif, tomtom
from keras_motifs.extraction import Extraction
from keras_motifs.motifs import MotifSet

__all__ = ["BlockCounts", "MatchStability", "MotifBootstrap", "bootstrap",
           "match_stability", "resample_weights"]


@dataclasses.dataclass(frozen=True, eq=False)
class MatchStability:
    """Per filter, how often the best match of a resample is the full data's.

    Attributes:
        names: The motif names.
        target_ids: The full data's best match of each motif (`""` for none).
        target_names: Its target name (`""` for none or unnamed).
        q_values: Its q-value (NaN for none).
        stability: `(n,)` fraction of resamples whose best match is the same
            TF (NaN where the full data has no match).
        resamples: Number of resamples.
    """

    names: list
    target_ids: list
    target_names: list
    q_values: np.ndarray
    stability: np.ndarray
    resamples: int


@dataclasses.dataclass(frozen=True, eq=False)
class MotifBootstrap:
    """Bootstrap bands of motifs with block counts; see `bootstrap`.

    Attributes:
        motifs: The `MotifSet` resampled.
        blocks: Its `BlockCounts`.
        weights: `(resamples, blocks)` how often each block was drawn.
        level: Coverage of the bands, e.g. 0.95 for the 2.5 and 97.5
            percentiles.
        pseudocount: Pseudocount of the probabilities.
        probabilities: `(n, width, 4)` of the full data.
        probability_low, probability_high: `(n, width, 4)` band.
        information: `(n, width)` bits per position of the full data.
        information_low, information_high: `(n, width)` band.
        information_samples: `(resamples, n, width)` bits per position of
            each resample.
        stability: A `MatchStability`, or `None` (see `with_stability`).

    Example:

    >>> result = bootstrap(extraction, 100)
    >>> total, low, high = result.total_information()
    """

    motifs: MotifSet
    blocks: BlockCounts
    weights: np.ndarray
    level: float
    pseudocount: float
    probabilities: np.ndarray
    probability_low: np.ndarray
    probability_high: np.ndarray
    information: np.ndarray
    information_low: np.ndarray
    information_high: np.ndarray
    information_samples: np.ndarray
    stability: MatchStability | None = None

    @property
    def resamples(self) -> int:
        """Number of resamples."""
        return len(self.weights)

    def __repr__(self) -> str:
        return (f"<MotifBootstrap {len(self.motifs)} motifs, {self.resamples} "
                f"resamples of {self.weights.shape[1]} blocks, level "
                f"{self.level:g}>")

    def total_information(self, bounds=None) -> tuple:
        """Total bits of each motif over `bounds` and its band.

        Args:
            bounds: `(n, 2)` `[start, end)` spans, e.g. of
                `motifs.trim(0.2)`; defaults to the motifs' bounds.

        Returns:
            `(total, low, high)`, each `(n,)`.
        """
        bounds = self.motifs.bounds if bounds is None else np.asarray(bounds)
        positions = np.arange(self.motifs.width)
        inside = (positions >= bounds[:, :1]) & (positions < bounds[:, 1:])
        total = (self.information * inside).sum(axis=-1)
        samples = (self.information_samples * inside).sum(axis=-1)
        low, high = _band(samples, self.level)
        return total, low, high

    def resampled(self) -> MotifSet:
        """All resampled motifs as one `MotifSet` of `resamples * n` motifs:
        resample `r` of motif `i` at `r * n + i`, named `<name>_r<r>`."""
        return _resampled(self.motifs, self.blocks, self.weights)

    def with_stability(self, targets=None, **tomtom_options) -> "MotifBootstrap":
        """The same bands with `match_stability` over these resamples.

        Args:
            targets: The database, as for `keras_motifs.matching.compare.tomtom`.
            **tomtom_options: Passed to `tomtom`.

        Returns:
            A `MotifBootstrap` whose `stability` is set.
        """
        stability = match_stability(self, targets, **tomtom_options)
        return dataclasses.replace(self, stability=stability)

    def write_tsv(self, path) -> str:
        """Writes one row per motif as a TSV, atomically.

        Columns: `filter`, `name`, `nsites`, `information` (total bits over
        the motif's bounds), `information_low`, `information_high` (its
        band) and, with `stability`, `best_match`, `best_match_name`,
        `q_value` and `match_stability`.

        Args:
            path: Output file; its directory must exist.

        Returns:
            `path`, as a str.

        Example:

        >>> bootstrap(extraction).with_stability().write_tsv("bootstrap.tsv")
        'bootstrap.tsv'
        """
        total, low, high = self.total_information()
        header = ["filter", "name", "nsites", "information", "information_low",
                  "information_high"]
        stable = self.stability
        if stable is not None:
            header += ["best_match", "best_match_name", "q_value",
                       "match_stability"]
        rows = []
        for i, (f, name, n) in enumerate(zip(
                self.motifs.filters, self.motifs.names, self.motifs.nsites)):
            row = [str(f), name, str(n)] + [_cell(v[i]) for v in (total, low, high)]
            if stable is not None:
                row += [stable.target_ids[i], stable.target_names[i],
                        _cell(stable.q_values[i]), _cell(stable.stability[i])]
            rows.append(row)
        comments = [
            f"block bootstrap: {self.resamples} resamples of "
            f"{self.weights.shape[1]} blocks, {self.level:g} percentile "
            f"bands, pseudocount {self.pseudocount:g}; information in bits "
            "over each motif's bounds"
        ]
        return write_tsv(path, header, rows, comments=comments)


def resample_weights(n_blocks: int, resamples: int, seed: int = 0) -> np.ndarray:
    """How often each block is drawn in each resample, `(resamples, blocks)`.

    Resample `r` draws `n_blocks` blocks with replacement: the `r`-th row of
    `numpy.random.default_rng(seed).integers(0, n_blocks, (resamples,
    n_blocks))`.

    Example:

    >>> resample_weights(4, 2).sum(axis=1).tolist()
    [4, 4]
    """
    draws = np.random.default_rng(seed).integers(0, n_blocks, (resamples, n_blocks))
    weights = np.zeros((resamples, n_blocks), np.int64)
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1)
    return weights


def bootstrap(extraction: Extraction, resamples: int = 100, *, seed: int = 0,
              level: float = 0.95, pseudocount: float = 0.0) -> MotifBootstrap:
    """Bootstrap bands of motifs from their counts per block of sequences.

    Each resample draws as many blocks as there are, with replacement
    (`resample_weights`), and sums their counts; the bands are the
    `(1 - level) / 2` and `(1 + level) / 2` quantiles over the resamples
    (numpy's linear interpolation) of each column's probabilities and of
    the information content per position. All resamples are computed at
    once.

    Args:
        extraction: A `keras_motifs.Extraction` with block counts, from
            `Conv1DInterpreter.extract(x, blocks=B)` or
            `keras_motifs.formats.npz.read_extraction` of a file written
            from one.
        resamples: Number of resamples.
        seed: Seed of the draws.
        level: Coverage of the bands, in (0, 1).
        pseudocount: Total pseudocount added to each position (as in
            `MotifSet.probabilities`).

    Returns:
        A `MotifBootstrap`.

    Example:

    >>> extraction = Conv1DInterpreter(model).extract(x, blocks=20)
    >>> result = bootstrap(extraction, 100)
    >>> result.information_low.shape          # (filters, width)
    (16, 24)
    """
    motifs, blocks = _check_blocked(extraction)
    resamples = positive_int(resamples, "resamples")
    seed = integer(seed, "seed", minimum=0)
    level = number(level, "level", minimum=0, maximum=1, open_minimum=True,
                   open_maximum=True, hint="The coverage of the bands, e.g. 0.95.")
    pseudocount = number(pseudocount, "pseudocount", minimum=0)
    weights = resample_weights(len(blocks), resamples, seed)
    counts = np.tensordot(weights.astype(np.float64), blocks.counts, axes=1)
    background = motifs.background
    samples = row_probabilities(counts, pseudocount, background)
    bits = information(counts, pseudocount, background)
    probability_low, probability_high = _band(samples, level)
    information_low, information_high = _band(bits, level)
    return MotifBootstrap(
        motifs=motifs, blocks=blocks, weights=weights, level=level, pseudocount=pseudocount,
        probabilities=motifs.probabilities(pseudocount),
        probability_low=probability_low, probability_high=probability_high,
        information=motifs.information_content(pseudocount),
        information_low=information_low, information_high=information_high,
        information_samples=bits,
    )


def match_stability(extraction, targets=None, resamples: int = 100, seed: int = 0,
                    **tomtom_options) -> MatchStability:
    """Per motif, how often resampled data give the same best match.

    The full data's motifs and all `resamples` resamples of each are
    compared with `targets` in one `keras_motifs.matching.compare.tomtom` call with
    `tomtom_options`; each motif's best hit (lowest p-value, so lowest
    q-value) is compared with its resamples' best hits by
    `keras_motifs.matching.compare.same_motif` (the same matrix in any version,
    or the same TF name ignoring case). A resample without a hit counts as
    a different match.

    Args:
        extraction: A `keras_motifs.Extraction` with block counts, or a
            `MotifBootstrap` (then its resamples are used and `resamples`
            and `seed` are ignored).
        targets: The database: `None` for JASPAR, a MEME file or a
            `MotifSet`, as for `tomtom`.
        resamples: Number of resamples.
        seed: Seed of the draws (`resample_weights`).
        **tomtom_options: Other `tomtom` arguments (`threshold`,
            `release`, `distance`, ...).

    Returns:
        A `MatchStability`; `stability` is NaN for motifs without a match.

    Example:

    >>> stable = match_stability(extraction, release="JASPAR2024")
    >>> stable.stability[:3]
    array([0.97, nan, 0.41])
    """
    if isinstance(extraction, MotifBootstrap):
        weights, motifs = extraction.weights, extraction.motifs
        blocks = extraction.blocks
    else:
        motifs, blocks = _check_blocked(extraction)
        weights = resample_weights(
            len(blocks), positive_int(resamples, "resamples"),
            integer(seed, "seed", minimum=0))
    if "null" in tomtom_options:
        raise ValueError("match_stability compares no null; leave out null=. "
                         f"Received: null={tomtom_options['null']!r}")
    n = len(motifs)
    comparison = tomtom(_stacked(motifs, _resampled(motifs, blocks, weights)), targets,
                        **tomtom_options)
    best = {hit.query_index: hit for hit in comparison.best()}
    stability = np.full(n, np.nan)
    ids, names, q_values = [], [], np.full(n, np.nan)
    for i in range(n):
        full = best.get(i)
        ids.append("" if full is None else full.target_id)
        names.append("" if full is None else full.target_name)
        if full is None:
            continue
        q_values[i] = full.q_value
        same = [
            (hit := best.get(n + r * n + i)) is not None
            and same_motif(hit, full.target_id, full.target_name)
            for r in range(len(weights))
        ]
        stability[i] = np.mean(same)
    return MatchStability(list(motifs.names), ids, names, q_values, stability,
                          len(weights))


def _check_blocked(extraction) -> tuple:
    """`(motifs, blocks)` of an extraction with at least 2 blocks."""
    if not isinstance(extraction, Extraction) or extraction.blocks is None:
        raise ValueError(
            f"a bootstrap needs block counts; a {type(extraction).__name__} "
            "holds none: pass the Extraction of "
            "Conv1DInterpreter.extract(x, blocks=20) (or of keras-motifs "
            "extract --blocks 20 -o motifs.npz, read by read_extraction)."
        )
    if len(extraction.motifs) == 0:
        raise ValueError("a bootstrap needs at least one motif; got none")
    if len(extraction.blocks) < 2:
        raise ValueError(
            "a bootstrap needs at least 2 blocks of sequences; these motifs "
            f"have {len(extraction.blocks)}. Extract with blocks=20 or more."
        )
    return extraction.motifs, extraction.blocks


def _resampled(motifs: MotifSet, blocks: BlockCounts, weights) -> MotifSet:
    counts = np.tensordot(weights.astype(np.float64), blocks.counts, axes=1)
    nsites = np.rint(weights @ blocks.nsites)
    resamples, n = len(weights), len(motifs)
    return MotifSet(
        counts.reshape(resamples * n, motifs.width, 4),
        nsites.reshape(-1),
        names=[f"{name}_r{r}" for r in range(resamples) for name in motifs.names],
        filters=np.tile(motifs.filters, resamples),
        background=motifs.background,
        bounds=np.tile(motifs.bounds, (resamples, 1)),
    )


def _stacked(first: MotifSet, second: MotifSet) -> MotifSet:
    """The motifs of `first`, then those of `second` (one Tomtom call)."""
    return MotifSet(
        np.concatenate([first.counts, second.counts]),
        np.concatenate([first.nsites, second.nsites]),
        names=first.names + second.names,
        filters=np.concatenate([first.filters, second.filters]),
        background=first.background,
        bounds=np.concatenate([first.bounds, second.bounds]),
    )


def _band(samples, level: float):
    """The `level` percentile band over the first axis of `samples`."""
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail], axis=0)
    return low, high


def _cell(value) -> str:
    value = float(value)
    return "" if math.isnan(value) else f"{value:.6g}"
