"""Genomic data sets: DeepSEA's files and target names."""

from keras_motifs.data.deepsea import DeepSEATarget
from keras_motifs.data.deepsea import DeepSEATrainSequence
from keras_motifs.data.deepsea import average_strands
from keras_motifs.data.deepsea import deepsea_labels
from keras_motifs.data.deepsea import forward_half
from keras_motifs.data.deepsea import is_training_layout
from keras_motifs.data.deepsea import label_indices
from keras_motifs.data.deepsea import load_deepsea
from keras_motifs.data.deepsea import load_deepsea_h5
from keras_motifs.data.deepsea import load_deepsea_mat
from keras_motifs.data.deepsea import positive_for

__all__ = [
    "DeepSEATarget",
    "DeepSEATrainSequence",
    "average_strands",
    "deepsea_labels",
    "forward_half",
    "is_training_layout",
    "label_indices",
    "load_deepsea",
    "load_deepsea_h5",
    "load_deepsea_mat",
    "positive_for",
]
