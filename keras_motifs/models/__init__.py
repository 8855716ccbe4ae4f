"""Genomic deep-learning models: DanQ's builders and Conv1D kernels seeded
with known motifs (`MotifInitializer`)."""

from keras_motifs.models.danq import build_danq, build_danq_jaspar
from keras_motifs.models.initializers import MotifBiasInitializer
from keras_motifs.models.initializers import MotifInitializer, MotifPlacement

__all__ = [
    "MotifBiasInitializer", "MotifInitializer", "MotifPlacement", "build_danq",
    "build_danq_jaspar",
]
