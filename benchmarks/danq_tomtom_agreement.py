"""How well does `keras_motifs.matching.compare.tomtom` agree with MEME's Tomtom on DanQ?

The DanQ authors compared their 320 filter motifs (`DanQ.meme`) with JASPAR
CORE 2016 vertebrates (plus Jolma 2013 and UniPROBE) using MEME-suite Tomtom
4.11 (`-no-ssc -min-overlap 5 -dist pearson -evalue -thresh 0.01`); their
result is `DanQ_tomtom.txt`. This script runs `tomtom` on the same motifs
against JASPAR2016 CORE vertebrates with settings that mirror that run
(E-value <= 0.01, min overlap 5) and prints, for each distance and with and
without trimming:

- confusion counts of "the filter has a JASPAR hit" (both, ours only,
  MEME's only, neither);
- among filters both call: how often the best JASPAR matrix ID agrees, how
  often its TF name agrees (case-insensitive), and how often our best matrix
  is one of MEME's JASPAR hits for that filter.

MEME's E-values count all 1,748 motifs of its three databases, ours the 519
of JASPAR; its p-values also use those 1,748 motifs as background.

Usage:

    python benchmarks/danq_tomtom_agreement.py [--shared PATH]

`--shared` defaults to `$KERAS_MOTIFS_SHARED` or `../shared` next to the
project root.
"""

import argparse
import os
import pathlib
import re
import time

from keras_motifs.matching.compare import tomtom
from keras_motifs.matching.motif_database import jaspar_motifs
from keras_motifs.formats.meme import read_meme

ROOT = pathlib.Path(__file__).resolve().parents[1]
JASPAR_ID = re.compile(r"MA\d{4}\.\d+")
SETTINGS = [
    ("pearson", False),
    ("pearson", True),
    ("euclidean", False),
    ("euclidean", True),
]


def reference_hits(path) -> dict:
    """MEME's JASPAR hits per query: {query: [matrix IDs by p-value]}."""
    hits = {}
    with open(path) as file:
        for line in file:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            if JASPAR_ID.fullmatch(fields[1]):
                hits.setdefault(fields[0], []).append((float(fields[3]), fields[1]))
    return {
        query: [target for _, target in sorted(pairs, key=lambda pair: pair[0])]
        for query, pairs in hits.items()
    }


def agreement(ours: dict, reference: dict, n_queries: int, names: dict) -> dict:
    """Confusion counts and best-hit agreement of two {query: best ID} maps."""
    both = set(ours) & set(reference)
    return {
        "both": len(both),
        "ours_only": len(set(ours) - set(reference)),
        "meme_only": len(set(reference) - set(ours)),
        "neither": n_queries - len(set(ours) | set(reference)),
        "same_id": sum(ours[q] == reference[q][0] for q in both),
        "same_tf": sum(
            names[ours[q]].upper() == names[reference[q][0]].upper() for q in both
        ),
        "in_meme_hits": sum(ours[q] in reference[q] for q in both),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--shared",
        type=pathlib.Path,
        default=pathlib.Path(
            os.environ.get("KERAS_MOTIFS_SHARED", ROOT.parent / "shared")
        ),
    )
    args = parser.parse_args()
    danq = args.shared / "fixtures" / "danq"
    queries = read_meme(danq / "DanQ.meme")
    reference = reference_hits(danq / "DanQ_tomtom.txt")
    targets = jaspar_motifs(release="JASPAR2016")
    names = dict(zip(targets.names, targets.alt_names))
    print(
        f"{len(queries)} DanQ filters, {len(targets)} JASPAR2016 CORE vertebrate "
        f"motifs; MEME Tomtom: {len(reference)} filters with a JASPAR hit"
    )
    print(
        "distance   trimmed  both  ours-only  MEME-only  neither  "
        "same-ID  same-TF  in-MEME-hits  seconds"
    )
    for distance, trim in SETTINGS:
        start = time.perf_counter()
        comparison = tomtom(
            queries,
            targets,
            distance=distance,
            trim=trim,
            threshold=0.01,
            evalue=True,
            min_overlap=5,
        )
        seconds = time.perf_counter() - start
        ours = {hit.query_id: hit.target_id for hit in comparison.best()}
        counts = agreement(ours, reference, len(queries), names)
        print(
            f"{distance:<10} {str(trim):<7} {counts['both']:>5} "
            f"{counts['ours_only']:>10} {counts['meme_only']:>10} "
            f"{counts['neither']:>8} {counts['same_id']:>8} {counts['same_tf']:>8} "
            f"{counts['in_meme_hits']:>13} {seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
