"""Tab-separated tables: the one reader and writer of the package's TSV files."""

from __future__ import annotations

import csv

from keras_motifs._internal.files import existing_file, write_atomically


def write_tsv(path, header, rows, *, comments=()) -> str:
    """Writes a table as tab-separated text, atomically.

    Args:
        path: Output file; its directory must exist.
        header: The column names.
        rows: One sequence of cells a row, already formatted as text.
        comments: Lines written first, each behind `# `.

    Returns:
        `path` as a string.

    Example:

    >>> write_tsv("table.tsv", ["filter", "nsites"], [["0", "12"]])
    'table.tsv'
    """
    lines = [f"# {line}" for line in comments]
    lines.append("\t".join(header))
    lines.extend("\t".join(row) for row in rows)
    return write_atomically(path, "\n".join(lines) + "\n")


def read_tsv(path, required: tuple[str, ...] = ()) -> list[dict]:
    """The rows of a TSV table as dicts, `#` comment lines and blank lines
    skipped, with a clear error when a required column is missing.

    Args:
        path: The table.
        required: Columns the table must have.

    Returns:
        A list of `{column: cell}`.

    Example:

    >>> read_tsv("table.tsv", ("filter",))
    [{'filter': '0', 'nsites': '12'}]
    """
    path = existing_file(path, "TSV")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            lines = [
                line for line in handle if line.strip() and not line.startswith("#")
            ]
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not a text table ({error.reason} at byte "
            f"{error.start}); expected a tab-separated file."
        ) from None
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
