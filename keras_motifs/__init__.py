"""keras-motifs: the Conv1D filters of genomic Keras models as DNA motifs.

The public API, re-exported. Comparison (`keras_motifs.compare`), logos
(`keras_motifs.plots`), the report (`keras_motifs.report`), DanQ
(`keras_motifs.models`) and DeepSEA data (`keras_motifs.data`) live in their
modules; their optional dependencies load only when used.

The names below are imported on first use (PEP 562), so `import
keras_motifs` and the command line's `--help` do not start Keras or
TensorFlow.
"""

import importlib

__version__ = "0.1.0"

_MODULES = {
    "Conv1DInterpreter": "keras_motifs.interpreter",
    "Motif": "keras_motifs.motifs",
    "MotifExtractor": "keras_motifs.callbacks",
    "MotifSet": "keras_motifs.motifs",
    "OneHotArray": "keras_motifs.sequences",
    "fasta_batches": "keras_motifs.sequences",
    "one_hot": "keras_motifs.sequences",
    "read_fasta": "keras_motifs.sequences",
    "read_meme": "keras_motifs.meme",
    "reverse_complement": "keras_motifs.sequences",
    "write_meme": "keras_motifs.meme",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        value = getattr(importlib.import_module(_MODULES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_motifs' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
