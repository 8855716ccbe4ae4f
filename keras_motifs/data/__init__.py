"""Genomic data sets: DeepSEA's files and target names (planted-motif data in
`keras_motifs.data.planted`).

The names below are imported on first use (PEP 562), so that importing
`keras_motifs.data.planted` does not start Keras (the streamed training
sequence is a `keras.utils.PyDataset`).
"""

from keras_motifs._internal.lazy import lazy_names

_MODULES = {
    "DeepSEATarget": "keras_motifs.data.deepsea_targets",
    "DeepSEATrainSequence": "keras_motifs.data.deepsea_train",
    "average_strands": "keras_motifs.data.deepsea",
    "deepsea_labels": "keras_motifs.data.deepsea_targets",
    "forward_half": "keras_motifs.data.deepsea",
    "is_training_layout": "keras_motifs.data.deepsea",
    "label_indices": "keras_motifs.data.deepsea_targets",
    "load_deepsea": "keras_motifs.data.deepsea",
    "load_deepsea_h5": "keras_motifs.data.deepsea",
    "load_deepsea_mat": "keras_motifs.data.deepsea",
    "positive_for": "keras_motifs.data.deepsea_targets",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = lazy_names(__name__, _MODULES)
