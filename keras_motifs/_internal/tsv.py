"""Tab-separated tables: the one reader and writer of the package's TSV files."""

from __future__ import annotations

import csv

from keras_motifs._internal.files import existing_file


def read_tsv(path, required: tuple[str, ...]) -> list[dict]:
    path = existing_file(path, "TSV")
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [
            line for line in handle if line.strip() and not line.startswith("#")
        ]
    reader = csv.DictReader(lines, delimiter="\t")
    missing = [
        column for column in required if column not in (reader.fieldnames or [])
    ]
    if missing:
        raise ValueError(
            f"{path} lacks the column(s) {', '.join(missing)}; found "
            f"{reader.fieldnames or 'no header'}."
        )
    return list(reader)
