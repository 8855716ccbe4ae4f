"""Extraction: what one `Conv1DInterpreter.extract` call gives.

`extract` returns an `Extraction`, as `Model.fit` returns a `History`: its
`motifs` are a plain `MotifSet` (counts, nsites, names, background), and what
the scan found besides them (the cutoffs each filter's sites passed, the
engine that ran, firing stats, block counts, the signal under the sites) are
its own fields. The everyday line stays one line:

    Conv1DInterpreter(model).extract(x).to_meme("motifs.meme")

Extractions of shards of the same sequences with the same layer and rule
add up (`+`) to the extraction of all of them (`extract_distributed`).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from keras_motifs._internal.blocks import BlockCounts, check_blocks
from keras_motifs._internal.signal import added_signal, check_signal, signal_means
from keras_motifs.analysis.firing import FiringStats, check_firing
from keras_motifs.motifs import MotifSet, check_motif_set
from keras_motifs.site_rules import SiteRule

__all__ = ["Extraction", "as_motif_set"]


class Extraction:
    """The motifs of one extraction and what the scan found besides them.

    Args:
        motifs: The `MotifSet`: each filter's counts `(filters, width, 4)`
            in A, C, G, T order and its `nsites`.
        cutoffs: `(filters,)` the activation a filter's maximum had to
            exceed to count as a site, or `None` where unknown (read from a
            file).
        engine: The engine that scanned: `"onehot"`, `"keras"` or both
            joined by `"+"` (`None` where unknown).
        site_rule: The `keras_motifs.site_rules.SiteRule` that chose the
            sites (`None` where unknown).
        strands: `"forward"` or `"both"` (`None` where unknown).
        firing: Optionally a `keras_motifs.analysis.firing.FiringStats`: where and
            for whom each filter fires (`extract(..., firing=True)` or
            `labels=`).
        blocks: Optionally a `keras_motifs.analysis.bootstrap.BlockCounts`: counts and
            nsites per block of sequences (`extract(..., blocks=B)`), for
            `keras_motifs.analysis.bootstrap.bootstrap`; they sum to the motifs'.
        signal_sums: Optionally `(filters, channels)`: each signal channel
            (tracks read next to the DNA) summed over the positions of each
            filter's sites; `signal` gives the means. Sums, not means, so
            that extractions of shards add up exactly.
        signal_positions: `(filters,)` how many positions were summed.
            Defaults to `nsites * width`.
        signal_names: One name per signal channel; defaults to
            `"signal<i>"`.

    Example:

    >>> extraction = Conv1DInterpreter(model).extract(x, labels=y)
    >>> extraction.to_meme("motifs.meme")
    >>> extraction.motifs.nsites          # sites per filter
    >>> extraction.cutoffs                # the cutoff each filter's sites passed
    >>> names, auc = extraction.firing.best_target()
    """

    def __init__(
        self,
        motifs: MotifSet,
        *,
        cutoffs=None,
        engine: str | None = None,
        site_rule: SiteRule | None = None,
        strands: str | None = None,
        firing: FiringStats | None = None,
        blocks: BlockCounts | None = None,
        signal_sums=None,
        signal_positions=None,
        signal_names: Sequence[str] | None = None,
    ):
        self.motifs = check_motif_set(motifs)
        n = len(self.motifs)
        self.cutoffs = None
        if cutoffs is not None:
            self.cutoffs = np.array(cutoffs, dtype=np.float32)
            if self.cutoffs.shape != (n,):
                raise ValueError(
                    f"cutoffs must hold one value per motif ({n}). "
                    f"Received: cutoffs with shape {self.cutoffs.shape}"
                )
            self.cutoffs.flags.writeable = False
        if site_rule is not None and not isinstance(site_rule, SiteRule):
            raise TypeError(
                "site_rule must be a keras_motifs.SiteRule or None. Received: "
                f"site_rule={type(site_rule).__name__}"
            )
        self.engine = engine
        self.site_rule = site_rule
        self.strands = strands
        self.firing = check_firing(firing, n)
        self.blocks = check_blocks(blocks, self.motifs.counts, self.motifs.nsites)
        self.signal_sums, self.signal_positions, self.signal_names = check_signal(
            signal_sums, signal_positions, signal_names, n, self.motifs.nsites,
            self.motifs.width,
        )

    @property
    def signal(self) -> np.ndarray | None:
        """Mean of each signal channel under each filter's sites, `(filters,
        channels)` (NaN without sites), or `None` without signal channels."""
        return signal_means(self.signal_sums, self.signal_positions)

    def to_meme(self, path, **kwargs) -> str:
        """Writes the motifs in MEME minimal format (`MotifSet.to_meme`).

        Args:
            path: Output file.
            **kwargs: Options of `keras_motifs.formats.meme.write_meme`.

        Returns:
            `path` as a string.

        Example:

        >>> Conv1DInterpreter(model).extract(x).to_meme("motifs.meme")
        'motifs.meme'
        """
        return self.motifs.to_meme(path, **kwargs)

    def __repr__(self) -> str:
        found = [name for name in ("firing", "blocks") if getattr(self, name) is not None]
        if self.signal_sums is not None:
            found.append("signal")
        return (f"<Extraction of {len(self.motifs)} filters, "
                f"{int(np.count_nonzero(self.motifs.nsites))} with sites, "
                f"engine {self.engine}" + "".join(f", {name}" for name in found)
                + ">")

    def __add__(self, other) -> "Extraction":
        """The extraction of two shards' sequences together: counts, nsites,
        firing stats and signal sums add up, blocks are kept one after the
        other. Both must come from the same layer and cutoffs."""
        if not isinstance(other, Extraction):
            return NotImplemented
        if (self.cutoffs is None) != (other.cutoffs is None) or (
                self.cutoffs is not None
                and not np.array_equal(self.cutoffs, other.cutoffs)):
            raise ValueError(
                "only extractions with the same cutoffs can be added: extract "
                "every shard with the same SiteRule, resolved once over all "
                "the data (extract_distributed does)"
            )
        for name, option in (("firing", "firing=True or labels="),
                             ("blocks", "blocks=")):
            if (getattr(self, name) is None) != (getattr(other, name) is None):
                raise ValueError(
                    f"only extractions that both have {name} (or neither) can "
                    f"be added: extract every shard with {option}"
                )
        if self.strands != other.strands:
            raise ValueError(
                "only extractions of the same strands can be added, got "
                f"strands={self.strands!r} and {other.strands!r}: extract "
                "every shard with the same strands="
            )
        engines = {
            part for extraction in (self, other) if extraction.engine
            for part in extraction.engine.split("+")
        }
        return Extraction(
            self.motifs + other.motifs,
            cutoffs=self.cutoffs,
            engine="+".join(sorted(engines, reverse=True)) or None,
            site_rule=self.site_rule,
            strands=self.strands,
            firing=None if self.firing is None else self.firing + other.firing,
            blocks=None if self.blocks is None else self.blocks + other.blocks,
            **added_signal(self, other),
        )

    def __radd__(self, other) -> "Extraction":
        if isinstance(other, int) and other == 0:  # sum() starts at 0
            return self
        return NotImplemented

    # Until 0.3: `extract` returned the MotifSet itself before 0.2.
    def __getattr__(self, name):
        if name.startswith("__") or not hasattr(MotifSet, name) and name not in _MOTIF_FIELDS:
            raise AttributeError(
                f"'Extraction' object has no attribute {name!r}")
        _moved(name)
        return getattr(self.motifs, name)

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        _moved("__len__")
        return len(self.motifs)

    def __getitem__(self, index):
        _moved("__getitem__")
        return self.motifs[index]

    def __iter__(self):
        _moved("__iter__")
        return iter(self.motifs)


# The attributes a MotifSet sets in its constructor.
_MOTIF_FIELDS = ("counts", "nsites", "names", "alt_names", "filters",
                 "background", "bounds")


def _moved(name: str) -> None:
    warnings.warn(
        f"extract() returns an Extraction since keras-motifs 0.2; read "
        f"{name!r} from its MotifSet, extraction.motifs (the Extraction "
        "forwards it until 0.3).",
        DeprecationWarning,
        stacklevel=3,
    )


def as_motif_set(motifs, name: str = "motifs") -> MotifSet:
    """The `MotifSet` of a `MotifSet` or an `Extraction`, checked.

    Args:
        motifs: A `MotifSet`, or an `Extraction` (its `motifs`).
        name: The argument's name, for the error message.

    Returns:
        The `MotifSet`.
    """
    if isinstance(motifs, Extraction):
        return motifs.motifs
    return check_motif_set(motifs, name)
