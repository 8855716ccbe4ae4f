"""keras-motifs: the Conv1D filters of genomic Keras models as DNA motifs.

The public API, re-exported. The rest lives in modules grouped by what they
are for: motif files (`keras_motifs.formats`), comparison with JASPAR
(`keras_motifs.matching`), analysis of the filters and their motifs
(`keras_motifs.analysis`), attribution (`keras_motifs.attribution`), logos
(`keras_motifs.plots`) and the report (`keras_motifs.report`), data sets and
genome windows (`keras_motifs.data`), model builders (`keras_motifs.models`)
and files of every Keras era (`keras_motifs.legacy`); their optional
dependencies load only when used.

The names below are imported on first use (PEP 562), so `import
keras_motifs` and the command line's `--help` do not start Keras or
TensorFlow.
"""

from keras_motifs._internal.lazy import lazy_names
from keras_motifs._internal.moved import MovedModules

__version__ = "0.2.0"

_MODULES = {
    "Conv1DInterpreter": "keras_motifs.interpreter",
    "Extraction": "keras_motifs.extraction",
    "Motif": "keras_motifs.motifs",
    "MotifExtractor": "keras_motifs.callbacks",
    "MotifSet": "keras_motifs.motifs",
    "OneHotArray": "keras_motifs.onehot_array",
    "SiteRule": "keras_motifs.site_rules",
    "dinucleotide_shuffle": "keras_motifs.shuffle",
    "fasta_batches": "keras_motifs.sequences",
    "one_hot": "keras_motifs.sequences",
    "read_fasta": "keras_motifs.sequences",
    "read_meme": "keras_motifs.formats.meme",
    "reverse_complement": "keras_motifs.sequences",
    "write_meme": "keras_motifs.formats.meme",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = lazy_names(__name__, _MODULES)

# Modules renamed or grouped in 0.2: their old names still import, with a
# DeprecationWarning, until 0.3.
MovedModules({
    "keras_motifs.benchmark": "keras_motifs.analysis.motif_recovery",
    "keras_motifs.bootstrap": "keras_motifs.analysis.bootstrap",
    "keras_motifs.compare": "keras_motifs.matching.compare",
    "keras_motifs.evaluation": "keras_motifs.analysis.evaluation",
    "keras_motifs.families": "keras_motifs.analysis.families",
    "keras_motifs.firing": "keras_motifs.analysis.firing",
    "keras_motifs.genome": "keras_motifs.data.genome",
    "keras_motifs.influence": "keras_motifs.analysis.influence",
    "keras_motifs.initializers": "keras_motifs.models.initializers",
    "keras_motifs.intervals": "keras_motifs.data.intervals",
    "keras_motifs.jaspar": "keras_motifs.matching.motif_database",
    "keras_motifs.match_calibration": "keras_motifs.matching.match_calibration",
    "keras_motifs.meme": "keras_motifs.formats.meme",
    "keras_motifs.motif_database": "keras_motifs.matching.motif_database",
    "keras_motifs.motif_recovery": "keras_motifs.analysis.motif_recovery",
    "keras_motifs.null": "keras_motifs.matching.match_calibration",
}, release="0.3").install()
