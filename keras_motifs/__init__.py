"""keras-motifs: the Conv1D filters of genomic Keras models as DNA motifs.

The public API, re-exported. Comparison (`keras_motifs.compare`), logos
(`keras_motifs.plots`), the report (`keras_motifs.report`), DanQ
(`keras_motifs.models`) and DeepSEA data (`keras_motifs.data`) live in their
modules; their optional dependencies load only when used.
"""

from keras_motifs.callbacks import MotifExtractor
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.meme import read_meme, write_meme
from keras_motifs.motifs import Motif, MotifSet
from keras_motifs.sequences import (
    OneHotArray,
    fasta_batches,
    one_hot,
    read_fasta,
    reverse_complement,
)

__version__ = "0.1.0"

__all__ = [
    "Conv1DInterpreter",
    "Motif",
    "MotifExtractor",
    "MotifSet",
    "OneHotArray",
    "fasta_batches",
    "one_hot",
    "read_fasta",
    "read_meme",
    "reverse_complement",
    "write_meme",
]
