"""keras-motifs: the Conv1D filters of genomic Keras models as DNA motifs."""

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
