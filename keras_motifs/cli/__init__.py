"""The `keras-motifs` command line."""

from keras_motifs.cli.main import main

__all__ = ["main"]
