"""Null calibration: how often would filters that learned nothing match?

A JASPAR q-value says how a filter's best hit compares with the other
database motifs, not how often a filter with no biology in it gets a hit as
good. This module measures that. A null set of motifs has the composition
of the real filters but no learned structure:

- `shuffled_null` permutes the positions (rows) of each filter's counts,
  several seeded copies per filter: every column is kept, their order is
  lost;
- `untrained_null` extracts motifs from a freshly initialised copy of the
  model, scanning the same sequences with the same settings.

The null set goes through the very same Tomtom comparison as the real one
(`keras_motifs.matching.compare.tomtom(..., null=...)` does it in one call), and
`calibrate` turns the two comparisons into:

- per q-value cutoff, `null_match_rate`: the fraction of null filters whose
  best hit has a q-value below the cutoff, the empirical chance that a
  filter that learned nothing is reported as a match; and `fdr`, that rate
  times the number of real filters over the number of real matches (the
  expected share of chance matches among the reported ones, capped at 1);
- per real filter, `empirical_p`: the rank of its best q-value among the
  null filters' best q-values, `(1 + #{null best q <= q}) / (1 + n_null)`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from keras_motifs._internal.checks import integer, number, positive_int
from keras_motifs.motifs import MotifSet

__all__ = [
    "DEFAULT_CUTOFF", "Calibration", "calibrate", "shuffled_null",
    "untrained_null",
]

CUTOFFS = (0.001, 0.01, 0.05, 0.1)
#: The q-value below which a filter's best JASPAR hit is called a match
#: everywhere in the package. On the Koo & Eddy benchmark (CNN-50, 5 seeds)
#: 7 % of shuffled filters still matched at 0.05 (empirical FDR 0.16) and
#: 1.4 % at 0.01 (FDR 0.03), for 6.8 instead of 7.0 of 12 motifs covered.
DEFAULT_CUTOFF = 0.01


def shuffled_null(motifs: MotifSet, copies: int = 10, seed: int = 0) -> MotifSet:
    """Each motif's positions shuffled, `copies` times, seeded.

    Each copy is a random permutation of the rows of a motif's counts
    (the whole width, so the multiset of columns, the nsites and the
    information content stay those of the motif); bounds are reset to the
    full width. Motifs with nsites 0 are left out.

    Args:
        motifs: The real motifs, e.g. from `Conv1DInterpreter.extract`.
        copies: Shuffled copies per motif.
        seed: Seed of the permutations.

    Returns:
        A `MotifSet` of `copies * n` motifs named `<name>_null<k>`, motif by
        motif, each with the `filters` index of its source.

    Example:

    >>> null = shuffled_null(motifs, copies=10)
    >>> len(null) == 10 * len(motifs.select())
    True
    """
    if not isinstance(motifs, MotifSet):
        raise TypeError(
            f"`motifs` must be a MotifSet. Received: motifs={type(motifs).__name__}"
        )
    copies = positive_int(copies, "copies")
    rng = np.random.default_rng(integer(seed, "seed", minimum=0))
    kept = np.flatnonzero(motifs.nsites > 0)
    if kept.size == 0:
        raise ValueError(
            "Every motif has nsites 0; there is nothing to shuffle. "
            f"Received: motifs={motifs!r}"
        )
    counts, names, filters, nsites = [], [], [], []
    for index in kept:
        for copy in range(copies):
            counts.append(motifs.counts[index][rng.permutation(motifs.width)])
            names.append(f"{motifs.names[index]}_null{copy}")
            filters.append(motifs.filters[index])
            nsites.append(motifs.nsites[index])
    return MotifSet(
        np.stack(counts),
        nsites,
        names=names,
        filters=filters,
        background=motifs.background,
    )


def untrained_null(model, sequences, *, seed: int = 0, layer=None, **options) -> MotifSet:
    """Motifs of a freshly initialised copy of `model`, same scan.

    The model is cloned (`keras.models.clone_model`, new weights from each
    layer's initializers, seeded), and its Conv1D is scanned over
    `sequences` by `Conv1DInterpreter` with `options` (threshold, strands,
    ...), as the real filters were.

    Args:
        model: The trained model (left unchanged).
        sequences: The sequences the real motifs were extracted from.
        seed: Seed of the new weights.
        layer: The Conv1D, as for `Conv1DInterpreter`.
        **options: Passed to `Conv1DInterpreter.extract`.

    Returns:
        A `MotifSet` named `<name>_untrained`.

    Example:

    >>> null = untrained_null(model, x_valid)
    >>> comparison = tomtom(motifs, null=null)
    """
    import keras

    from keras_motifs.interpreter import Conv1DInterpreter

    seed = integer(seed, "seed", minimum=0)
    keras.utils.set_random_seed(seed)
    fresh = keras.models.clone_model(model)
    motifs = Conv1DInterpreter(fresh, layer).extract(sequences, **options).motifs
    return MotifSet(
        motifs.counts,
        motifs.nsites,
        names=[f"{name}_untrained" for name in motifs.names],
        filters=motifs.filters,
        background=motifs.background,
    )


@dataclasses.dataclass(frozen=True)
class Calibration:
    """A comparison measured against its null; made by `calibrate`.

    Args:
        best_q: `(n_queries,)` each real query's best q-value (1 without a
            hit, NaN for a query with nsites 0).
        empirical_p: `(n_queries,)` the empirical p-value of each best
            q-value among the null's (NaN for nsites 0).
        null_best_q: `(n_null,)` each null motif's best q-value.
        cutoffs: The q-value cutoffs.
        null_match_rate: `(len(cutoffs),)` fraction of null motifs with a
            best q-value below each cutoff.
        n_matches: `(len(cutoffs),)` real queries below each cutoff.
        fdr: `(len(cutoffs),)` `null_match_rate * n_compared / n_matches`,
            capped at 1 (0 when there is no match and no null match).
        n_compared: Real queries compared (nsites > 0).
        cutoff: The headline cutoff.

    Example:

    >>> calibration = comparison.calibration
    >>> calibration.at(0.05)
    {'cutoff': 0.05, 'matches': 19, 'null_match_rate': 0.01, 'fdr': 0.016}
    """

    best_q: np.ndarray
    empirical_p: np.ndarray
    null_best_q: np.ndarray
    cutoffs: tuple
    null_match_rate: np.ndarray
    n_matches: np.ndarray
    fdr: np.ndarray
    n_compared: int
    cutoff: float = DEFAULT_CUTOFF

    def at(self, cutoff: float | None = None) -> dict:
        """Matches, null match rate and FDR at one q-value cutoff.

        Args:
            cutoff: A q-value cutoff; defaults to `self.cutoff`. Any value
                works, not only one of `cutoffs`.

        Returns:
            `{"cutoff", "matches", "null_match_rate", "fdr"}`.
        """
        cutoff = self.cutoff if cutoff is None else number(
            cutoff, "cutoff", minimum=0, open_minimum=True
        )
        rate, matches, fdr = _rates(self.best_q, self.null_best_q, cutoff)
        return {
            "cutoff": cutoff,
            "matches": matches,
            "null_match_rate": rate,
            "fdr": fdr,
        }

    def summary(self) -> str:
        """One line: matches, null rate and FDR at the headline cutoff."""
        at = self.at()
        return (
            f"{at['matches']} of {self.n_compared} filters match at q < "
            f"{at['cutoff']:g}; {100 * at['null_match_rate']:.1f}% of "
            f"{len(self.null_best_q)} null filters do (empirical FDR "
            f"{100 * at['fdr']:.1f}%)"
        )

    def comment_lines(self) -> list[str]:
        """The calibration as `#` comment lines of a TSV table."""
        lines = [
            f"null: {len(self.null_best_q)} motifs; empirical p = (1 + null "
            "best q <= best q) / (1 + null motifs)"
        ]
        for cutoff, rate, matches, fdr in zip(
            self.cutoffs, self.null_match_rate, self.n_matches, self.fdr
        ):
            lines.append(
                f"q < {cutoff:g}: {int(matches)} matches, null match rate "
                f"{rate:.4g}, empirical FDR {fdr:.4g}"
            )
        return lines


def best_q_values(comparison, n: int | None = None) -> np.ndarray:
    """Each query's lowest hit q-value: 1 without a hit, NaN with nsites 0.

    Args:
        comparison: A `keras_motifs.matching.compare.Comparison` (anything with
            `hits` carrying `query_index` and `q_value`, and `queries`).
        n: Number of queries; defaults to `len(comparison.queries)`.

    Returns:
        `(n,)` float64.
    """
    n = len(comparison.queries) if n is None else n
    best = np.ones(n)
    best[np.asarray(comparison.queries.nsites) == 0] = np.nan
    for hit in comparison.hits:
        best[hit.query_index] = min(best[hit.query_index], hit.q_value)
    return best


def calibrate(
    comparison,
    null_comparison,
    *,
    cutoffs=CUTOFFS,
    cutoff: float = DEFAULT_CUTOFF,
) -> Calibration:
    """Measures a comparison against the same comparison of a null set.

    Both comparisons must come from the same `tomtom` settings (targets,
    trimming, distance); `tomtom(..., null=...)` guarantees it.

    Args:
        comparison: The real `Comparison`.
        null_comparison: The `Comparison` of a null set, e.g. of
            `shuffled_null(comparison.queries)`.
        cutoffs: q-value cutoffs to tabulate.
        cutoff: The headline cutoff (`Calibration.summary`, the report).

    Returns:
        A `Calibration`.

    Example:

    >>> null = tomtom(shuffled_null(motifs), release="JASPAR2024")
    >>> calibration = calibrate(tomtom(motifs, release="JASPAR2024"), null)
    >>> calibration.empirical_p[:3]
    """
    cutoff = number(cutoff, "cutoff", minimum=0, open_minimum=True)
    cutoffs = tuple(
        number(c, "cutoffs", minimum=0, open_minimum=True) for c in cutoffs
    )
    best = best_q_values(comparison)
    null_best = best_q_values(null_comparison)
    null_best = null_best[~np.isnan(null_best)]
    if null_best.size == 0:
        raise ValueError(
            "The null comparison has no motif with sites; pass the comparison "
            "of a null set such as shuffled_null(motifs)."
        )
    sorted_null = np.sort(null_best)
    ranks = np.searchsorted(sorted_null, best, side="right")
    empirical_p = np.where(
        np.isnan(best), np.nan, (1.0 + ranks) / (1.0 + sorted_null.size)
    )
    table = np.array([_rates(best, null_best, c) for c in cutoffs]).reshape(-1, 3)
    return Calibration(
        best_q=best,
        empirical_p=empirical_p,
        null_best_q=null_best,
        cutoffs=cutoffs,
        null_match_rate=table[:, 0],
        n_matches=table[:, 1].astype(int),
        fdr=table[:, 2],
        n_compared=int(np.sum(~np.isnan(best))),
        cutoff=cutoff,
    )


def _rates(best, null_best, cutoff) -> tuple[float, int, float]:
    """Null match rate, real matches and FDR estimate at one cutoff."""
    compared = best[~np.isnan(best)]
    rate = float(np.mean(null_best < cutoff))
    matches = int(np.sum(compared < cutoff))
    expected = rate * compared.size
    fdr = min(1.0, expected / matches) if matches else float(expected > 0)
    return rate, matches, fdr
