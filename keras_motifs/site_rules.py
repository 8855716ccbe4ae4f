"""Site rules: which per-sequence maxima count as a filter's sites.

Every rule ends as a per-filter absolute cutoff (a site is a maximum
strictly above it), so the counting pass is the same for all of them:

- `threshold`: an activation (a number, one per filter, or `-inf` to keep
  every sequence), or `"null:P"`: per filter the activation that the
  maxima of dinucleotide-shuffled copies of the first `null_sequences`
  sequences exceed with probability `P`.
- `relative_threshold=t`: with `relative_to="zero"`, `t * max`; with
  `relative_to="mean"`, Basset's `mean + t * (max - mean)`, the mean over
  every activation (position and strand) of every scanned sequence. The
  larger of this and `threshold` is the cutoff.
- `max_sites=K`: of the sites the rules above keep, the K with the largest
  maxima (EUGENe's top N with `threshold=-inf`; pysster's and Koo's cap
  otherwise).

`SiteRule` holds a whole rule and says whether it needs a first pass;
`SiteStats` gathers in that streaming pass what the rule needs, in memory
that does not grow with the number of sequences (maxima, activation sums,
a running top `K + 1` per filter), and `SiteRule.cutoffs` (through
`null_cutoffs` and `resolve_cutoffs`) turns it into the cutoffs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from keras_motifs._internal import defaults
from keras_motifs._internal.base_codes import CODE_WEIGHTS
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.checks import integer, number, one_of
from keras_motifs._internal.checks import positive_int
from keras_motifs.shuffle import dinucleotide_shuffle

__all__ = ["DEFAULT_NULL_SEQUENCES", "SiteRule", "SiteStats", "null_cutoffs",
           "resolve_cutoffs", "site_rule"]

# Rows a one-shot source is asked for at a time (a generator yields its own).
ONE_SHOT_READ = 256

RELATIVE_TO = ("zero", "mean")
NULL_PREFIX = "null:"
#: Null maxima expected above the cutoff, at least (`null_sequences * P`).
MIN_NULL_EXCEEDANCES = 10
DEFAULT_NULL_SEQUENCES = 2000


def check_threshold(threshold):
    """`threshold` checked: a number (`-inf` allowed), a list of them (one
    per filter), or `"null:P"` with `P` in (0, 1).

    Returns:
        A float, a list of floats, or the string `"null:P"`.

    Example:

    >>> check_threshold("null:0.01")
    'null:0.01'
    """
    if isinstance(threshold, str) and threshold.strip().lower().startswith(
            NULL_PREFIX):
        null_probability(threshold)
        return threshold
    if np.ndim(threshold) == 1:
        return [check_threshold(value) for value in threshold]
    value = number(
        threshold, "threshold", finite=False,
        hint="An activation value (e.g. 0.0 for ReLU filters, -inf to keep "
        "every sequence) or 'null:P', e.g. 'null:0.01'.",
    )
    if value == math.inf:
        raise ValueError(
            "`threshold` must be below inf: no maximum is above it, so every "
            "motif would be empty. Received: threshold=inf"
        )
    return value


def null_probability(threshold) -> float | None:
    """`P` of a `"null:P"` threshold, `None` for a numeric threshold."""
    if not isinstance(threshold, str):
        return None
    text = threshold.strip()
    message = (
        "A string threshold must be 'null:P' with P in (0, 1), the "
        "probability that a shuffled sequence's maximum exceeds the cutoff, "
        f"e.g. 'null:0.01'. Received: threshold={threshold!r}"
    )
    if not text.lower().startswith(NULL_PREFIX):
        raise ValueError(message)
    try:
        value = float(text[len(NULL_PREFIX):])
    except ValueError:
        raise ValueError(message) from None
    if not 0.0 < value < 1.0:
        raise ValueError(message)
    return value


def check_relative_threshold(fraction) -> float | None:
    """`relative_threshold`: `None` or a fraction in (0, 1)."""
    if fraction is None:
        return None
    return number(
        fraction, "relative_threshold", minimum=0.0, maximum=1.0,
        open_minimum=True, open_maximum=True,
        hint="The fraction of each filter's maximum activation (with "
        "relative_to='mean', of the way from its mean to its maximum).",
    )


@dataclasses.dataclass(frozen=True)
class SiteRule:
    """Which per-sequence maxima count as a filter's sites.

    One frozen object for the whole rule: `Conv1DInterpreter.extract`,
    `MotifExtractor`, `extract_distributed`, the command line and the
    benchmark all take it (or the same keyword arguments, which make one).
    It alone says whether the cutoffs need a first pass over the data and
    turns that pass's statistics into cutoffs (`cutoffs`).

    Args:
        threshold: An activation (a site is a maximum strictly above it;
            `0.0` is the classic rule, `-inf` keeps every sequence), one per
            filter, or `"null:P"`: per filter the activation that the maxima
            of dinucleotide-shuffled copies of the first `null_sequences`
            sequences exceed with probability `P`. `None`: `"null:0.01"`,
            or `0.0` with `relative_threshold` or `max_sites` (those rules'
            base in the field).
        relative_threshold: Optionally a fraction `t` in (0, 1): with
            `relative_to="zero"` the cutoff is at least `t * max`; with
            `"mean"`, Basset's `mean + t * (max - mean)`, the mean over
            every activation of every scanned sequence.
        relative_to: `"zero"` or `"mean"`.
        max_sites: Of the sites the rules above keep, at most this many per
            filter, those with the largest maxima.
        null_sequences: Size of the null sample of `"null:P"`.
        null_seed: Seed of the null sample's shuffle.

    Example:

    >>> rule = SiteRule(relative_threshold=0.5)
    >>> rule.threshold, rule.needs_first_pass
    (0.0, True)
    """

    threshold: float | tuple | str | None = None
    relative_threshold: float | None = None
    relative_to: str = "zero"
    max_sites: int | None = None
    null_sequences: int = DEFAULT_NULL_SEQUENCES
    null_seed: int = 0

    def __post_init__(self):
        threshold = self.threshold
        if threshold is None:
            explicit = (self.relative_threshold is not None
                        or self.max_sites is not None)
            threshold = 0.0 if explicit else defaults.THRESHOLD
        threshold = check_threshold(threshold)
        checked = dict(
            threshold=tuple(threshold) if isinstance(threshold, list) else threshold,
            relative_threshold=check_relative_threshold(self.relative_threshold),
            relative_to=one_of(self.relative_to, "relative_to", RELATIVE_TO),
            max_sites=None if self.max_sites is None else positive_int(
                self.max_sites, "max_sites"),
            null_sequences=positive_int(self.null_sequences, "null_sequences"),
            null_seed=integer(self.null_seed, "null_seed", minimum=0),
        )
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        if self.null_probability is not None:
            check_null_size(self.null_probability, self.null_sequences)

    @property
    def null_probability(self) -> float | None:
        """`P` of a `"null:P"` threshold, else `None`."""
        return null_probability(self.threshold)

    @property
    def needs_first_pass(self) -> bool:
        """Whether the cutoffs come from a first pass: the null sample's
        scan, or for a relative threshold or `max_sites` an exact pass over
        all the data. A plain threshold is its own cutoff."""
        return (self.null_probability is not None
                or self.relative_threshold is not None
                or self.max_sites is not None)

    @property
    def reads_all_data_twice(self) -> bool:
        """Whether the first pass reads all the data (not only the null
        sample, the first `null_sequences` sequences)."""
        return self.relative_threshold is not None or self.max_sites is not None

    def sources(self, sequences) -> tuple:
        """`(first, rest)`: the `SequenceSource`s the first pass and the
        counting pass read.

        Both are `sequences` opened once, except for a one-shot generator, which is read
        once: its first items holding at least `null_sequences` sequences
        (a null-only rule) or all of it (`reads_all_data_twice`) are kept in
        memory (a list of its items, which the first pass may read more
        than once) and read again by the counting pass, so the result is that
        of an array holding the same sequences. Data larger than memory
        should come as an array on disk (h5py), a FASTA path, a
        `keras.utils.PyDataset` or a `tf.data.Dataset`, which are read
        twice instead.
        """
        from keras_motifs.sources import open_sequences

        source = open_sequences(sequences)
        if not self.needs_first_pass or source.rereadable:
            return source, source
        batches = source.batches(ONE_SHOT_READ)
        head, seen = [], 0
        for x in batches:
            head.append(x)
            seen += len(x)
            if not self.reads_all_data_twice and seen >= self.null_sequences:
                break
        if self.reads_all_data_twice:
            kept = open_sequences(head)
            return kept, kept
        return open_sequences(head), open_sequences(itertools.chain(head, batches))

    def cutoffs(self, thresholds, stats: "SiteStats | None" = None,
                null_maxima=None) -> np.ndarray:
        """Per-filter absolute cutoffs (sites: maxima strictly above).

        Args:
            thresholds: Turns a threshold (a number, per-filter numbers or
                the null cutoffs) into `(filters,)` float32 cutoffs.
            stats: The `SiteStats` of the first pass over the data, needed
                when `reads_all_data_twice`.
            null_maxima: `(n, filters)` maxima of the null sample, needed
                for `"null:P"`.

        Returns:
            `(filters,)` float32 cutoffs.
        """
        threshold = self.threshold
        if self.null_probability is not None:
            threshold = null_cutoffs(null_maxima, self.null_probability)
        if not self.reads_all_data_twice:
            return thresholds(threshold)
        return resolve_cutoffs(
            thresholds(threshold), maximum=stats.maximum,
            relative_threshold=self.relative_threshold,
            relative_to=self.relative_to, mean=stats.mean, top=stats.top,
            max_sites=self.max_sites)


def site_rule(site_rule=None, **options) -> SiteRule:
    """The `SiteRule` of `extract`'s arguments: `site_rule` itself, or one
    made from the keyword arguments (`threshold`, `relative_threshold`,
    `relative_to`, `max_sites`, `null_sequences`, `null_seed`), not both.

    Example:

    >>> site_rule(threshold=0.0).threshold
    0.0
    """
    if site_rule is None:
        return SiteRule(**options)
    if not isinstance(site_rule, SiteRule):
        raise TypeError(f"site_rule must be a SiteRule. Received: "
                        f"site_rule={type(site_rule).__name__}")
    defaults_ = {field.name: field.default
                 for field in dataclasses.fields(SiteRule)}
    given = {name: value for name, value in options.items()
             if value is not defaults_[name]
             and not (np.ndim(value) == 0 and value == defaults_[name])}
    if given:
        raise ValueError(
            f"Pass the site rule either as site_rule= or as its options, not "
            f"both. Received: site_rule={site_rule} and {given}")
    return site_rule


def check_null_size(probability: float, n: int) -> None:
    """Raises unless `n` null maxima expect at least 10 above the cutoff."""
    if n * probability < MIN_NULL_EXCEEDANCES:
        needed = math.ceil(MIN_NULL_EXCEEDANCES / probability)
        raise ValueError(
            f"threshold='null:{probability:g}' needs at least {needed} null "
            f"sequences ({MIN_NULL_EXCEEDANCES} expected above the cutoff) "
            f"but the null sample has {n}: raise null_sequences or P. "
            f"Received: null_sequences={n}"
        )


class SiteStats:
    """Per-filter statistics of a first pass, in memory flat in N.

    Args:
        n_filters: Number of filters.
        max_sites: Keep a running top `max_sites + 1` of the maxima, or
            `None`.

    Attributes:
        maximum: `(filters,)` largest maximum seen.
        total: `(filters,)` sum of every activation added with `add_sums`.
        n_activations: How many activations `total` sums (per filter).
        top: `(max_sites + 1, filters)` largest maxima, descending, padded
            with `-inf`; `None` without `max_sites`.
    """

    def __init__(self, n_filters: int, max_sites: int | None = None):
        self.maximum = np.full(n_filters, -np.inf, np.float32)
        self.total = np.zeros(n_filters, np.float64)
        self.n_activations = 0
        self.top = None
        if max_sites is not None:
            self.top = np.full((max_sites + 1, n_filters), -np.inf, np.float32)

    def add_maxima(self, best) -> None:
        """Adds per-sequence maxima `(n, filters)` of real rows."""
        best = np.asarray(best, np.float32)
        if not best.shape[0]:
            return
        self.maximum = np.maximum(self.maximum, best.max(axis=0))
        if self.top is not None:
            self.top = top_rows(np.concatenate([self.top, best]), len(self.top))

    def add_sums(self, total, count: int) -> None:
        """Adds a batch's per-filter activation sums over `count` values."""
        self.total += np.asarray(total, np.float64)
        self.n_activations += int(count)

    def __add__(self, other: "SiteStats") -> "SiteStats":
        """The statistics of both parts of the data (e.g. two shards)."""
        merged = SiteStats(len(self.maximum))
        merged.maximum = np.maximum(self.maximum, other.maximum)
        merged.total = self.total + other.total
        merged.n_activations = self.n_activations + other.n_activations
        if self.top is not None:
            merged.top = top_rows(np.concatenate([self.top, other.top]),
                                  len(self.top))
        return merged

    @property
    def mean(self) -> np.ndarray:
        """`(filters,)` mean activation (NaN before any `add_sums`)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.total / self.n_activations


def top_rows(values, k: int) -> np.ndarray:
    """The `k` largest values of each column, descending (`-inf` below the
    column's length)."""
    if len(values) > k:
        values = -np.partition(-values, k - 1, axis=0)[:k]
    values = -np.sort(-values, axis=0)
    if len(values) < k:
        pad = np.full((k - len(values), values.shape[1]), -np.inf, values.dtype)
        values = np.concatenate([values, pad])
    return values


def null_cutoffs(maxima, probability: float) -> np.ndarray:
    """Per filter, the cutoff that null maxima exceed with `probability`.

    With `n` null maxima, the cutoff is the `(floor(P * n) + 1)`-th largest:
    at most a fraction `P` of them lie strictly above it.

    Args:
        maxima: `(n, filters)` maxima of the shuffled sequences.
        probability: `P` in (0, 1).

    Returns:
        `(filters,)` float32 cutoffs.

    Raises:
        ValueError: if `n * P < 10`.

    Example:

    >>> null_cutoffs(np.arange(1000.0)[:, None], 0.01)
    array([989.], dtype=float32)
    """
    maxima = np.asarray(maxima, np.float32)
    check_null_size(probability, maxima.shape[0])
    k = int(math.floor(probability * maxima.shape[0]))
    return top_rows(maxima, k + 1)[k]


def resolve_cutoffs(threshold, *, maximum=None, relative_threshold=None,
                    relative_to: str = "zero", mean=None, top=None,
                    max_sites: int | None = None) -> np.ndarray:
    """Per-filter absolute cutoffs of a site rule (sites: maxima above).

    Args:
        threshold: `(filters,)` absolute cutoffs (numbers, `-inf`, or the
            resolved null cutoffs).
        maximum: `(filters,)` largest maximum over the set; needed with
            `relative_threshold`.
        relative_threshold: `None` or a fraction `t` in (0, 1).
        relative_to: `"zero"`: `t * maximum`; `"mean"`:
            `mean + t * (maximum - mean)`. The larger of this and
            `threshold` is kept.
        mean: `(filters,)` mean activation, for `relative_to="mean"`.
        top: `(max_sites + 1, filters)` largest maxima, descending.
        max_sites: Keep at most this many sites per filter, those with the
            largest maxima. Where the `K`-th and `(K + 1)`-th largest
            maxima tie, the cutoff is that value, so all the tied maxima
            are dropped and the filter keeps fewer than `K`. Otherwise the
            cutoff lies halfway between them.

    Returns:
        `(filters,)` float32 cutoffs.

    Example:

    >>> resolve_cutoffs(np.zeros(2), maximum=np.array([4.0, 2.0]),
    ...                 relative_threshold=0.5)
    array([2., 1.], dtype=float32)
    """
    cutoff = np.asarray(threshold, np.float32).copy()
    if relative_threshold is not None:
        maximum = np.asarray(maximum, np.float64)
        if relative_to == "mean":
            mean = np.asarray(mean, np.float64)
            relative = mean + relative_threshold * (maximum - mean)
        else:
            relative = relative_threshold * maximum
        cutoff = np.maximum(cutoff, relative.astype(np.float32))
    if max_sites is not None:
        kth = np.asarray(top[max_sites - 1], np.float32)
        after = np.asarray(top[max_sites], np.float32)
        crowded = after > cutoff  # more than K sites above the cutoff
        middle = (0.5 * (kth.astype(np.float64) + after)).astype(np.float32)
        middle = np.where(middle < kth, middle, np.nextafter(kth, -np.inf))
        capped = np.where(kth == after, kth, middle)
        cutoff = np.where(crowded, np.maximum(cutoff, capped), cutoff)
    return cutoff.astype(np.float32)


def null_sample(batches, n: int, seed: int, dna_channels) -> np.ndarray:
    """`n` dinucleotide-shuffled sequences: the first `n` of `batches`, or,
    where there are fewer, each of them shuffled several times in turn.

    Only the DNA channels are shuffled (as rows); signal channels stay
    where they are. Every copy gets its own shuffle.

    Args:
        batches: `(x, n_valid)` one-hot batches `(B, length, channels)`.
        n: How many sequences.
        seed: Seed of the shuffle.
        dna_channels: The four DNA channels.

    Returns:
        `(n, length, channels)` array.
    """
    parts, seen = [], 0
    for x, n_valid in batches:
        take = min(n_valid, n - seen)
        parts.append(np.array(x[:take]))
        seen += take
        if seen >= n:
            break
    sample = np.concatenate(parts)
    sample = sample[np.arange(n) % len(sample)]
    dna = list(dna_channels)
    if sample.shape[1]:  # empty sequences fail the scan's length check
        # float32 holds every one-hot row exactly, whatever the model's dtype
        shuffled = dinucleotide_shuffle(
            sample[..., dna].astype(np.float32), seed=seed)
        sample[..., dna] = shuffled.astype(sample.dtype)
    return sample


def codes_as_one_hot(codes, alphabet: str = ALPHABET, dtype="float32"):
    """One-hot rows `(n, length, 4)` in `alphabet` order of base codes."""
    order = [ALPHABET.index(base) for base in alphabet]
    return CODE_WEIGHTS[:, order].astype(dtype)[codes]


def null_maxima(one_hot, rule: SiteRule, maxima, dna_channels) -> np.ndarray:
    """`(null_sequences, filters)` maxima of the null sample of `"null:P"`:
    the first `null_sequences` sequences, their DNA rows
    dinucleotide-shuffled with `null_seed` (signal channels stay where they
    are), scanned like the data.

    Args:
        one_hot: The data's `(x, n_valid)` one-hot batches with every
            channel.
        rule: The `SiteRule`.
        maxima: `maxima(source)` yields `(x, n_valid, best)` for the
            batches of `source` on the chosen engine, `best` the
            `(n_valid, filters)` maxima of the real rows.
        dna_channels: The four DNA channels of the input.
    """
    sample = null_sample(one_hot, rule.null_sequences, rule.null_seed,
                         dna_channels)
    return np.concatenate([best for _, _, best in maxima(sample)])


def data_stats(sequences, rule: SiteRule, maxima, *, sums, alphabet: str,
               dtype="float32") -> SiteStats:
    """The `SiteStats` of one pass over the data: each filter's largest
    maximum, with `max_sites` a running top `max_sites + 1` of the maxima,
    and with `relative_to="mean"` the sum of every activation.

    Args:
        sequences: The data.
        rule: The `SiteRule`.
        maxima: As for `null_maxima`.
        sums: `sums()` gives the `ActivationSums` of the scanned layer.
        alphabet: The data's channel order (of base-code batches).
        dtype: The model's input dtype.
    """
    from keras_motifs._internal.engine import batch_engine

    summer = sums() if (rule.relative_threshold is not None
                        and rule.relative_to == "mean") else None
    stats = None
    for x, n_valid, best in maxima(sequences):
        if stats is None:
            stats = SiteStats(best.shape[1], rule.max_sites)
        stats.add_maxima(best)
        if summer is not None:
            if batch_engine(x) == "onehot":  # base codes
                x = codes_as_one_hot(x, alphabet, dtype)
            stats.add_sums(*summer(x, n_valid))
    return stats
