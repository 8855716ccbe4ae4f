"""Internals of keras-motifs: the scan, batching, the model graph, checks.

Nothing here is public API: names may change between releases. The public
API is what `keras_motifs/__init__.py` and the public modules export.
"""
