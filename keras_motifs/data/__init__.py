"""Genomic data sets: DeepSEA's files and target names (planted-motif data in
`keras_motifs.data.planted`)."""

from keras_motifs.data.deepsea import average_strands
from keras_motifs.data.deepsea import forward_half
from keras_motifs.data.deepsea import is_training_layout
from keras_motifs.data.deepsea import load_deepsea
from keras_motifs.data.deepsea import load_deepsea_h5
from keras_motifs.data.deepsea import load_deepsea_mat
from keras_motifs.data.deepsea_targets import DeepSEATarget
from keras_motifs.data.deepsea_targets import deepsea_labels
from keras_motifs.data.deepsea_targets import label_indices
from keras_motifs.data.deepsea_targets import positive_for
from keras_motifs.data.deepsea_train import DeepSEATrainSequence

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
