"""Genomic data: DeepSEA's files and target names, genome windows from BED
intervals (`GenomeIntervals`, `read_intervals`), and planted-motif data
(`keras_motifs.data.planted`).

The names below are imported on first use (PEP 562), so that importing
`keras_motifs.data.planted` does not start Keras (the streamed training
sequence is a `keras.utils.PyDataset`).
"""

from keras_motifs._internal.lazy import lazy_names

_MODULES = {
    "DeepSEATarget": "keras_motifs.data.deepsea_targets",
    "DeepSEATrainSequence": "keras_motifs.data.deepsea_train",
    "GenomeIntervals": "keras_motifs.data.genome",
    "Interval": "keras_motifs.data.intervals",
    "average_strands": "keras_motifs.data.deepsea",
    "deepsea_labels": "keras_motifs.data.deepsea_targets",
    "forward_half": "keras_motifs.data.deepsea",
    "is_training_layout": "keras_motifs.data.deepsea",
    "label_indices": "keras_motifs.data.deepsea_targets",
    "load_deepsea": "keras_motifs.data.deepsea",
    "load_deepsea_h5": "keras_motifs.data.deepsea",
    "load_deepsea_mat": "keras_motifs.data.deepsea",
    "positive_for": "keras_motifs.data.deepsea_targets",
    "read_intervals": "keras_motifs.data.intervals",
}

__all__ = sorted(_MODULES)


__getattr__, __dir__ = lazy_names(__name__, _MODULES)
