"""Motifs compared with a database of known motifs.

- `keras_motifs.matching.compare`: Tomtom through memelite (`tomtom`,
  `Comparison`, `read_comparison`).
- `keras_motifs.matching.motif_database`: JASPAR releases offline
  through pyjaspar.
- `keras_motifs.matching.match_calibration`: how often a filter with no
  biology matches, and the empirical false discovery rate of the matches.
"""
