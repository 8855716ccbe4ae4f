"""The extraction defaults, in one place.

`Conv1DInterpreter.extract`, `MotifExtractor`, `extract_distributed` and
the command line all take their default site rule from here. They were
chosen on the faithful Koo & Eddy benchmark (`keras_motifs.analysis.motif_recovery`)
and on real DNA (`benchmarks/real_defaults.py`); the README's "Choosing
the defaults" gives the tables. This module imports nothing, so the
command line's parser can read it without loading Keras.
"""

#: Per filter, the activation that the maxima of dinucleotide-shuffled
#: copies of the data exceed with probability 0.01.
THRESHOLD = "null:0.01"
#: The sequences as given (the classic scan); "both" adds the reverse
#: complement.
STRANDS = "forward"
