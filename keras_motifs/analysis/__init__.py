"""What the filters and their motifs do, beyond the extraction.

- `keras_motifs.analysis.firing`: where and for whom each filter fires
  (`FiringStats`).
- `keras_motifs.analysis.influence`: what each filter does to the model's
  output (`filter_influence`, Basset's rule).
- `keras_motifs.analysis.bootstrap`: block bootstrap bands and match
  stability (`bootstrap`).
- `keras_motifs.analysis.families`: filters that learned the same motif
  (`filter_families`).
- `keras_motifs.analysis.evaluation`: per-target ROC AUC and PR AUC.
- `keras_motifs.analysis.motif_recovery`: how many planted motifs the
  filters recover, Koo & Eddy's benchmark.
"""
