"""What a model uses: contribution scores of its input bases.

`contribution_scores` (in-silico mutagenesis, gradient x input, integrated
gradients) for any Keras 3 model with a one-hot DNA input, streamed to
HDF5 by `write_scores` and read back by `read_scores`; `find_patterns`
(TF-MoDISco) turns them into the patterns the model uses, a `PatternSet`,
and `link_patterns` links those to the filter motifs (`link_by_similarity`
from the motifs alone).

The names below are imported on first use (PEP 562), as in `keras_motifs`.
"""

from keras_motifs._internal.lazy import lazy_names

_MODULES = {
    "ContributionScores": "keras_motifs.attribution.scores",
    "PatternLinks": "keras_motifs.attribution.links",
    "PatternSet": "keras_motifs.attribution.patterns",
    "Seqlets": "keras_motifs.attribution.patterns",
    "find_patterns": "keras_motifs.attribution.patterns",
    "link_by_similarity": "keras_motifs.attribution.links",
    "link_patterns": "keras_motifs.attribution.links",
    "contribution_scores": "keras_motifs.attribution.scores",
    "iter_contribution_scores": "keras_motifs.attribution.scores",
    "read_scores": "keras_motifs.attribution.scores",
    "write_scores": "keras_motifs.attribution.scores",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = lazy_names(__name__, _MODULES)
