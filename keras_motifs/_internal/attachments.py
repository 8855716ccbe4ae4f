"""What a `MotifSet` may carry beside its counts, in one place.

Signal channel sums (`_internal/signal.py`), firing stats
(`keras_motifs.firing`) and block counts (`_internal/blocks.py`) follow
the motifs through indexing and `+`; block counts are also reversed by
`reverse_complement`. This module checks them when a set is made and
gives the arguments of the sets that `MotifSet` methods return.
"""

from __future__ import annotations

from keras_motifs._internal.blocks import check_blocks
from keras_motifs._internal.signal import added_signal, check_signal, signal_at
from keras_motifs.firing import check_firing

# The attachments that are one object with `.at(index)` and `+`, and the
# option of `extract` that makes them (for the error message).
_OBJECTS = {"firing": "firing=True or with labels=", "blocks": "blocks="}


def attach(motifs, *, signal_sums=None, signal_positions=None,
           signal_names=None, firing=None, blocks=None) -> None:
    """Checks and sets the attachments of a new `MotifSet` whose counts,
    nsites and width are already set."""
    n, width = motifs.counts.shape[:2]
    motifs.signal_sums, motifs.signal_positions, motifs.signal_names = check_signal(
        signal_sums, signal_positions, signal_names, n, motifs.nsites, width
    )
    motifs.firing = check_firing(firing, n)
    motifs.blocks = check_blocks(blocks, motifs.counts, motifs.nsites)


def attachments_at(motifs, index) -> dict:
    """The attachment arguments of the motifs at `index` of `motifs`."""
    arguments = signal_at(motifs, index)
    for name in _OBJECTS:
        if getattr(motifs, name) is not None:
            arguments[name] = getattr(motifs, name).at(index)
    return arguments


def added_attachments(first, second) -> dict:
    """The attachment arguments of `first + second`."""
    arguments = added_signal(first, second)
    for name, option in _OBJECTS.items():
        mine, theirs = getattr(first, name), getattr(second, name)
        if mine is None and theirs is None:
            continue
        if mine is None or theirs is None:
            what = "firing stats" if name == "firing" else "block counts"
            raise ValueError(
                f"only MotifSets that both have {what} (or neither) can be "
                f"added: extract every shard with {option}"
            )
        arguments[name] = mine + theirs
    return arguments


def reversed_attachments(motifs) -> dict:
    """The attachment arguments of `motifs.reverse_complement()` that change."""
    if motifs.blocks is None:
        return {}
    return {"blocks": motifs.blocks.reverse_complement()}
