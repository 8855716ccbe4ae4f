"""`python -m keras_motifs.cli`: the `keras-motifs` command."""

import sys

from keras_motifs.cli.main import main

sys.exit(main())
