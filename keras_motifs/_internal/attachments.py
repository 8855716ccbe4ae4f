"""What a `MotifSet` may carry beside its counts, in one place.

Signal channel sums (`_internal/signal.py`), firing stats
(`keras_motifs.firing`) and block counts (`_internal/blocks.py`) follow
the motifs through indexing and `+`; block counts are also reversed by
`reverse_complement`. This module checks them when a set is made and
gives the arguments of the sets that `MotifSet` methods return.
"""

from __future__ import annotations

from keras_motifs._internal.blocks import added_blocks, blocks_at, check_blocks
from keras_motifs._internal.signal import added_signal, check_signal, signal_at
from keras_motifs.firing import added_firing, check_firing, firing_at


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
    return {**signal_at(motifs, index), **firing_at(motifs, index),
            **blocks_at(motifs, index)}


def added_attachments(first, second) -> dict:
    """The attachment arguments of `first + second`."""
    return {**added_signal(first, second), **added_firing(first, second),
            **added_blocks(first, second)}


def reversed_attachments(motifs) -> dict:
    """The attachment arguments of `motifs.reverse_complement()` that change."""
    if motifs.blocks is None:
        return {}
    return {"blocks": motifs.blocks.reverse_complement()}
