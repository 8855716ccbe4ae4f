"""Genomic deep-learning model builders."""

from keras_motifs.models.danq import build_danq, build_danq_jaspar

__all__ = ["build_danq", "build_danq_jaspar"]
