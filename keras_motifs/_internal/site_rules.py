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

`SiteStats` gathers in one streaming pass what a rule needs, in memory
that does not grow with the number of sequences (maxima, activation sums,
a running top `K + 1` per filter), and `resolve_cutoffs` turns it into the
cutoffs.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from keras_motifs._internal import defaults
from keras_motifs._internal.base_codes import CODE_WEIGHTS
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs._internal.batching import first_array, is_one_shot
from keras_motifs._internal.checks import integer, number, one_of
from keras_motifs._internal.checks import positive_int
from keras_motifs.shuffle import dinucleotide_shuffle

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


def check_rule_options(*, threshold=None, relative_threshold=None,
                       relative_to="zero", max_sites=None,
                       null_sequences=DEFAULT_NULL_SEQUENCES,
                       null_seed=0) -> dict:
    """The site-rule options of `extract`, checked (before any work).

    `threshold=None` is the default rule: `defaults.THRESHOLD`
    (`"null:0.01"`), or `0.0` when `relative_threshold` or `max_sites` is
    given (their base in the field: Basset's rule, pysster's and Koo's cap).

    Returns:
        A dict with the same keys, numbers as Python floats and ints.

    Raises:
        ValueError: on a bad value, including a null probability too small
            for `null_sequences` (fewer than 10 expected exceedances).

    Example:

    >>> check_rule_options(threshold="null:0.01")["null_sequences"]
    2000
    """
    if threshold is None:
        explicit = relative_threshold is not None or max_sites is not None
        threshold = 0.0 if explicit else defaults.THRESHOLD
    options = dict(
        threshold=check_threshold(threshold),
        relative_threshold=check_relative_threshold(relative_threshold),
        relative_to=one_of(relative_to, "relative_to", RELATIVE_TO),
        max_sites=None if max_sites is None else positive_int(
            max_sites, "max_sites"),
        null_sequences=positive_int(null_sequences, "null_sequences"),
        null_seed=integer(null_seed, "null_seed", minimum=0),
    )
    probability = null_probability(options["threshold"])
    if probability is not None:
        check_null_size(probability, options["null_sequences"])
    return options


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


def two_pass(options: dict) -> bool:
    """Whether the rule needs a first pass over the data (null, Basset's
    mean, max_sites); a plain threshold or relative threshold does not."""
    return (
        null_probability(options["threshold"]) is not None
        or options["max_sites"] is not None
        or (options["relative_threshold"] is not None
            and options["relative_to"] == "mean")
    )


def reads_twice(options: dict, *, blocks=None, firing: bool = False) -> bool:
    """Whether `extract` resolves its cutoff in a first pass: for the
    two-pass rules, and for a relative threshold counted per block or with
    firing stats (`firing`: and data that can be read again), which are
    counted exactly in one absolute pass."""
    return two_pass(options) or (
        options["relative_threshold"] is not None
        and (blocks is not None or firing))


def null_only(options: dict) -> bool:
    """Whether the rule is `threshold="null:P"` alone: its first pass reads
    only the null sample, the first `null_sequences` sequences."""
    return (null_probability(options["threshold"]) is not None
            and options["relative_threshold"] is None
            and options["max_sites"] is None)


def check_source(sequences, options: dict) -> None:
    """Raises, before any work, for a one-shot generator under a rule that
    reads all the data twice (all but `null_only`, whose null sample
    `first_pass_source` keeps in memory)."""
    if is_one_shot(sequences) and not null_only(options):
        raise ValueError(
            "relative_to='mean', max_sites and blocks or firing stats with "
            "relative_threshold read the sequences twice (a first pass "
            "resolves the cutoff), and a generator can be read only once: "
            "pass a numpy array, an h5py dataset, a OneHotArray, a FASTA "
            "path, a keras.utils.PyDataset or a tf.data.Dataset."
        )


def first_pass_source(sequences, options: dict) -> tuple:
    """`(first, rest)`: what a rule's first pass reads and what the
    counting pass reads.

    Both are `sequences`, except for a one-shot generator under a
    `null_only` rule: its first items, holding at least `null_sequences`
    sequences, are kept in memory; `first` reads them and `rest` reads
    them again followed by the rest of the generator, so the generator is
    read once and the cutoffs are those of an array holding the same
    sequences. Other rules refuse generators (`check_source`).
    """
    check_source(sequences, options)
    if not is_one_shot(sequences):
        return sequences, sequences
    head, seen = [], 0
    for item in sequences:
        head.append(item)
        seen += len(first_array(item))
        if seen >= options["null_sequences"]:
            break
    return iter(head), itertools.chain(head, sequences)


class SiteStats:
    """Per-filter statistics of a first pass, in memory flat in N.

    Args:
        n_filters: Number of filters.
        max_sites: Keep a running top `max_sites + 1` of the maxima, or
            `None`.
        keep_maxima: Keep every maximum (for the small null sample).

    Attributes:
        maximum: `(filters,)` largest maximum seen.
        total: `(filters,)` sum of every activation added with `add_sums`.
        n_activations: How many activations `total` sums (per filter).
        top: `(max_sites + 1, filters)` largest maxima, descending, padded
            with `-inf`; `None` without `max_sites`.
    """

    def __init__(self, n_filters: int, max_sites: int | None = None,
                 keep_maxima: bool = False):
        self.maximum = np.full(n_filters, -np.inf, np.float32)
        self.total = np.zeros(n_filters, np.float64)
        self.n_activations = 0
        self.top = None
        if max_sites is not None:
            self.top = np.full((max_sites + 1, n_filters), -np.inf, np.float32)
        self._maxima = [] if keep_maxima else None

    def add_maxima(self, best) -> None:
        """Adds per-sequence maxima `(n, filters)` of real rows."""
        best = np.asarray(best, np.float32)
        if not best.shape[0]:
            return
        self.maximum = np.maximum(self.maximum, best.max(axis=0))
        if self.top is not None:
            self.top = top_rows(np.concatenate([self.top, best]), len(self.top))
        if self._maxima is not None:
            self._maxima.append(best)

    def add_sums(self, total, count: int) -> None:
        """Adds a batch's per-filter activation sums over `count` values."""
        self.total += np.asarray(total, np.float64)
        self.n_activations += int(count)

    @property
    def mean(self) -> np.ndarray:
        """`(filters,)` mean activation (NaN before any `add_sums`)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.total / self.n_activations

    @property
    def maxima(self) -> np.ndarray:
        """`(n, filters)` every maximum added (with `keep_maxima`)."""
        return np.concatenate(self._maxima)


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


def first_pass_cutoffs(sequences, options: dict, maxima, *, one_hot, sums,
                       thresholds, dna_channels, alphabet: str,
                       dtype="float32") -> np.ndarray:
    """The per-filter cutoffs of a rule, from a first pass over the data.

    For `threshold="null:P"`, the first `null_sequences` sequences are
    read, their DNA rows dinucleotide-shuffled with `null_seed` (signal
    channels stay where they are) and scanned like the data; the null
    cutoff (`null_cutoffs`) replaces `threshold`; alone, it is the result.
    Otherwise one pass over the data gathers each filter's largest maximum, with `max_sites` a running
    top `max_sites + 1` of the maxima, and with `relative_to="mean"` the
    sum of every activation; `resolve_cutoffs` does the rest.

    Args:
        sequences: The data (read twice; see `check_source`).
        options: Checked options (`check_rule_options` and `strands`).
        maxima: `maxima(source)` yields `(x, n_valid, best)` for the
            batches of `source` on the chosen engine, `best` the
            `(n_valid, filters)` maxima of the real rows.
        one_hot: `one_hot()` yields the data's `(x, n_valid)` one-hot
            batches with every channel (for the null sample).
        sums: `sums()` gives the `ActivationSums` of the scanned layer.
        thresholds: Turns a threshold into `(filters,)` cutoffs.
        dna_channels: The four DNA channels of the input.
        alphabet: The data's channel order (of base-code batches).
        dtype: The model's input dtype.

    Returns:
        `(filters,)` float32 cutoffs.
    """
    threshold = options["threshold"]
    probability = null_probability(threshold)
    if probability is not None:
        sample = null_sample(one_hot(), options["null_sequences"],
                             options["null_seed"], dna_channels)
        null = None
        for _, _, best in maxima(sample):
            null = SiteStats(best.shape[1], keep_maxima=True) if null is None else null
            null.add_maxima(best)
        threshold = null_cutoffs(null.maxima, probability)
        if options["relative_threshold"] is None and options["max_sites"] is None:
            return thresholds(threshold)  # the data themselves not needed
    mean_rule = (options["relative_threshold"] is not None
                 and options["relative_to"] == "mean")
    summer = sums() if mean_rule else None
    stats = None
    for x, n_valid, best in maxima(sequences):
        if stats is None:
            stats = SiteStats(best.shape[1], options["max_sites"])
        stats.add_maxima(best)
        if summer is not None:
            if x.ndim == 2:  # base codes of the one-hot engine
                x = codes_as_one_hot(x, alphabet, dtype)
            stats.add_sums(*summer(x, n_valid))
    return resolve_cutoffs(
        thresholds(threshold), maximum=stats.maximum,
        relative_threshold=options["relative_threshold"],
        relative_to=options["relative_to"], mean=stats.mean, top=stats.top,
        max_sites=options["max_sites"])
