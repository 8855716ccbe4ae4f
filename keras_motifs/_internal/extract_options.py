"""The options of `Conv1DInterpreter.extract`, checked in one place.

`extract`, `MotifExtractor` (at construction, before training), the command
line and `extract_distributed` all check their options with
`check_extract_options`, so a bad option fails the same way everywhere.
"""

from __future__ import annotations

from keras_motifs._internal import defaults, site_rules
from keras_motifs._internal.checks import boolean, one_of, positive_int
from keras_motifs._internal.engine import check_engine
from keras_motifs._internal.firing import LabelRows

STRANDS = ("forward", "both")


def check_extract_options(
    *,
    threshold=None,
    relative_threshold=None,
    strands=defaults.STRANDS,
    batch_size=256,
    engine="auto",
    firing=False,
    labels=None,
    relative_to="zero",
    max_sites=None,
    null_sequences=site_rules.DEFAULT_NULL_SEQUENCES,
    null_seed=0,
) -> dict:
    """The options of `Conv1DInterpreter.extract`, checked.

    `MotifExtractor` checks its options with this at construction, so a bad
    option fails before training.

    Returns:
        The options as a dict, numbers as Python floats and ints.

    Example:

    >>> check_extract_options(threshold=0, strands="forward")["threshold"]
    0.0
    """
    return dict(
        site_rules.check_rule_options(
            threshold=threshold, relative_threshold=relative_threshold,
            relative_to=relative_to, max_sites=max_sites,
            null_sequences=null_sequences, null_seed=null_seed,
        ),
        strands=check_strands(strands),
        batch_size=positive_int(batch_size, "batch_size"),
        engine=check_engine(engine),
        firing=boolean(firing, "firing"),
        labels=None if labels is None else LabelRows(labels, None).labels,
    )


def check_strands(strands) -> str:
    """`strands`, checked: `"forward"` or `"both"`."""
    return one_of(strands, "strands", STRANDS)
