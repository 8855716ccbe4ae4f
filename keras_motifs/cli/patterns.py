"""`keras-motifs patterns`: the patterns a model uses, as MEME motifs.

`run_patterns(args)` reads contribution scores from an HDF5 file of
`keras-motifs attribute`, or scores MODEL on DATA as `attribute` does, runs
TF-MoDISco on them (`keras_motifs.attribution.find_patterns`) and writes
the patterns as MEME motifs named by pattern.
"""

from __future__ import annotations

import sys
import warnings

import h5py
import numpy as np

from keras_motifs._internal.checks import number
from keras_motifs._internal.files import check_writable, existing_file
from keras_motifs._internal.messages import print_msg
from keras_motifs.attribution.patterns import find_patterns
from keras_motifs.attribution.scores import FORMAT, ContributionScores
from keras_motifs.attribution.scores import read_scores
from keras_motifs.cli.attribute import counted, scored_parts
from keras_motifs.cli.progress import Progress


def run_patterns(args) -> int:
    """`keras-motifs patterns`: TF-MoDISco patterns of contribution scores."""
    output = check_writable(args.output)
    fdr = number(args.seqlet_fdr, "--seqlet-fdr", minimum=0, maximum=1,
                 open_minimum=True, open_maximum=True)
    if _holds_scores(args.model):
        if args.data is not None:
            raise ValueError(
                f"{args.model} holds contribution scores with their "
                f"sequences: DATA ({args.data}) is read only with a MODEL. "
                "Leave DATA out.")
        scores = read_scores(args.model)
    elif args.data is None:
        raise ValueError(
            f"{args.model} is not a file of contribution scores (written by "
            "'keras-motifs attribute'); a MODEL needs DATA to score.")
    else:
        parts, count = scored_parts(args)
        with Progress(count, args.quiet) as progress:
            parts = list(counted(parts, progress))
        scores = ContributionScores(
            np.concatenate([part.sequences for part in parts]),
            np.concatenate([part.hypothetical for part in parts]),
            parts[0].method, parts[0].output)
    if not args.quiet:
        print(f"TF-MoDISco on {len(scores)} sequences of "
              f"{scores.sequences.shape[1]} bp ({scores.method} scores) ...",
              file=sys.stderr, flush=True)
    with warnings.catch_warnings():
        # No patterns is said below, as an error.
        warnings.filterwarnings("ignore", "TF-MoDISco found no patterns")
        patterns = find_patterns(
            scores, window_size=args.window_size, flank=args.flank,
            target_seqlet_fdr=fdr, max_seqlets=args.max_seqlets,
            min_metacluster_size=args.min_seqlets)
    if not len(patterns):
        raise ValueError(
            f"TF-MoDISco found no patterns in {len(scores)} sequences: no "
            f"sign had more than --min-seqlets {args.min_seqlets} seqlets, or "
            "no cluster passed its filters. Score more sequences or lower "
            f"--min-seqlets; {output} was not written.")
    motifs = patterns.cwm_motifs() if args.cwm else patterns.motifs
    motifs.to_meme(output)
    print_msg(
        f"Wrote {len(patterns)} patterns ({len(patterns.seqlets)} seqlets in "
        f"{len(scores)} sequences) to {output}"
        + (" as contribution weight matrices" if args.cwm else ""))
    return 0


def _holds_scores(path) -> bool:
    """Whether `path` is an HDF5 file of contribution scores."""
    path = existing_file(path, "MODEL|SCORES")
    if not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as file:
        return file.attrs.get("format") == FORMAT
