"""keras-motifs: the Conv1D filters of genomic Keras models as DNA motifs.

The public API, re-exported. Comparison (`keras_motifs.compare`), logos
(`keras_motifs.plots`), the report (`keras_motifs.report`), DanQ
(`keras_motifs.models`) and DeepSEA data (`keras_motifs.data`) live in their
modules; their optional dependencies load only when used.

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

# Modules renamed in 0.2, so that no two share a confusing name.
MovedModules({
    "keras_motifs.benchmark": "keras_motifs.motif_recovery",
    "keras_motifs.jaspar": "keras_motifs.motif_database",
    "keras_motifs.meme": "keras_motifs.formats.meme",
    "keras_motifs.null": "keras_motifs.match_calibration",
}, release="0.3").install()
