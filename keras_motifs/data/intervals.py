"""Genomic intervals: BED and narrowPeak files read as `Interval`s.

Peaks usually come as a BED or narrowPeak file of coordinates plus the
reference genome they were called on, not as one-hot arrays.
`read_intervals` parses such a file; `keras_motifs.data.genome.GenomeIntervals`
turns the intervals into fixed-length windows of the genome.

Coordinates are BED's: 0-based, end excluded. A narrowPeak summit is the
0-based offset of the peak's point source from its start (-1: none).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from keras_motifs._internal.checks import one_of
from keras_motifs._internal.files import existing_file

__all__ = ["INTERVAL_SUFFIXES", "Interval", "read_intervals"]

#: The suffixes of BED and narrowPeak files (any case).
INTERVAL_SUFFIXES = (".bed", ".bed.gz", ".narrowpeak", ".narrowpeak.gz")

INTERVAL_FORMATS = ("auto", "bed", "narrowpeak")
STRANDS = ("+", "-", ".")
NARROWPEAK_COLUMNS = 10

_GZIP_MAGIC = b"\x1f\x8b"
_HEADER_WORDS = ("track", "browser")


class Interval(NamedTuple):
    """One genomic interval, as a BED or narrowPeak line gives it.

    Args:
        chrom: Chromosome (sequence) name, as in the genome FASTA.
        start: 0-based first position.
        end: Position after the last one (BED's exclusive end).
        name: Column 4, or `"."`.
        score: Column 5 as a float, or NaN when absent or `"."`.
        strand: `"+"`, `"-"` or `"."` (unknown).
        summit: narrowPeak column 10, the summit's 0-based offset from
            `start`, or -1 when there is none.

    Example:

    >>> Interval("chr1", 100, 300, summit=120)
    Interval(chrom='chr1', start=100, end=300, name='.', score=nan,
    strand='.', summit=120)
    """

    chrom: str
    start: int
    end: int
    name: str = "."
    score: float = math.nan
    strand: str = "."
    summit: int = -1


def read_intervals(
    path: str | os.PathLike, *, format: str = "auto"
) -> list[Interval]:
    """Reads the intervals of a BED or narrowPeak file.

    BED lines hold at least 3 columns (chrom, start, end), optionally name,
    score and strand (columns 4 to 6; further BED columns are ignored).
    narrowPeak lines hold exactly 10, the last being the summit offset from
    start (-1 for none). Columns are tab-separated (or, in a file without
    tabs, separated by spaces). Blank lines and lines starting with `#`,
    `track` or `browser` are skipped. Gzip- and bgzip-compressed files are
    recognised by their content.

    Args:
        path: The BED or narrowPeak file, plain or gzipped.
        format: `"bed"`, `"narrowpeak"`, or `"auto"` (the default):
            narrowPeak when the file name ends in `.narrowPeak` (before any
            `.gz`) or its first interval line has exactly 10 columns (as
            ENCODE's `.bed.gz` narrowPeak files do), else BED.

    Returns:
        A list of `Interval`s in file order.

    Raises:
        ValueError: for a line that is not a valid interval, naming the
            file and the line number.

    Example:

    >>> intervals = read_intervals("peaks.narrowPeak.gz")
    >>> intervals[0]
    Interval(chrom='chr1', start=9980, end=10480, name='peak1', score=87.0,
    strand='.', summit=250)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            "path must be the path of a BED or narrowPeak file (str or "
            f"os.PathLike). Received: path={path!r}"
        )
    format = one_of(
        format.lower() if isinstance(format, str) else format,
        "format", INTERVAL_FORMATS,
    )
    shown = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    format = format.lower()
    if format == "auto" and _named_narrowpeak(shown):
        format = "narrowpeak"
    opener = gzip.open if compressed else open
    intervals = []
    try:
        with opener(path, "rt", encoding="utf-8", newline=None) as lines:
            for number, line in enumerate(lines, start=1):
                fields = _fields(line)
                if fields is None:
                    continue
                if format == "auto":
                    narrow = len(fields) == NARROWPEAK_COLUMNS
                    format = "narrowpeak" if narrow else "bed"
                intervals.append(
                    _parse_fields(fields, format, shown, number, line)
                )
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{shown} is not a BED or narrowPeak text file: {error}"
        ) from error
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise OSError(
            f"{shown} is a corrupt or truncated gzip file: {error}"
        ) from error
    return intervals


def _named_narrowpeak(path: str) -> bool:
    return path.lower().removesuffix(".gz").endswith(".narrowpeak")


def _fields(line: str) -> list[str] | None:
    """The columns of a line, or `None` for a blank or header line."""
    line = line.rstrip("\r\n")
    if not line.strip() or line.startswith("#"):
        return None
    first = line.split(None, 1)[0]
    if first in _HEADER_WORDS:
        return None
    return line.split("\t") if "\t" in line else line.split()


def _parse_fields(fields, format, path, number, line) -> Interval:
    def bad(expected):
        return ValueError(
            f"{path}, line {number}: expected {expected}. "
            f"Received: line={line.rstrip(chr(10) + chr(13))!r}"
        )

    if format == "narrowpeak" and len(fields) != NARROWPEAK_COLUMNS:
        raise bad(
            f"{NARROWPEAK_COLUMNS} tab-separated narrowPeak columns, got "
            f"{len(fields)}"
        )
    if len(fields) < 3:
        raise bad(
            f"at least 3 tab-separated columns (chrom, start, end), got "
            f"{len(fields)}"
        )
    chrom = fields[0].strip()
    if not chrom:
        raise bad("a chromosome name in column 1")
    start = _coordinate(fields[1])
    end = _coordinate(fields[2])
    if start is None or end is None:
        raise bad("start and end (columns 2 and 3) as integers from 0 to 2**62")
    if end < start:
        raise bad(f"end >= start, got start={start} and end={end}")
    name = fields[3].strip() if len(fields) > 3 else "."
    score = math.nan
    if len(fields) > 4 and fields[4].strip() not in ("", "."):
        try:
            score = float(fields[4])
        except ValueError:
            raise bad("a number or '.' as the score (column 5)") from None
    strand = fields[5].strip() if len(fields) > 5 else "."
    if strand not in STRANDS:
        raise bad("'+', '-' or '.' as the strand (column 6)")
    summit = -1
    if format == "narrowpeak":
        text = fields[9].strip()
        summit = -1 if text == "-1" else _coordinate(text)
        if (
            summit is None
            or summit >= max(end - start, 1)
            or (summit >= 0 and end == start)
        ):
            raise bad(
                "the summit (column 10) as an offset from start in "
                f"[0, {end - start}) or -1"
            )
    return Interval(chrom, start, end, name, score, strand, summit)


# The largest coordinate: far beyond any chromosome, and windows around it
# still fit the int64 arithmetic of the genome reader.
MAX_COORDINATE = 2**62


def _coordinate(text: str) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_COORDINATE:
        return int(text)
    return None


_TABLE_DTYPE = [
    ("chrom", object),
    ("start", np.int64),
    ("end", np.int64),
    ("name", object),
    ("strand", "U1"),
    ("summit", np.int64),
]


def interval_table(intervals) -> np.ndarray:
    """The intervals as a structured array, checked."""
    if isinstance(intervals, (str, os.PathLike)):
        source = existing_file(intervals, "intervals")
        intervals = read_intervals(source)
    else:
        source = "the intervals given"
        if isinstance(intervals, np.ndarray) or not isinstance(
            intervals, Sequence
        ):
            raise TypeError(
                "intervals must be a BED or narrowPeak path or a list of "
                "(chrom, start, end[, name, score, strand, summit]) tuples. "
                f"Received: intervals of type {type(intervals).__name__}"
            )
        intervals = [as_interval(item, i) for i, item in enumerate(intervals)]
    if not intervals:
        raise ValueError(
            f"intervals must hold at least one interval; {source} holds none."
        )
    table = np.empty(len(intervals), dtype=_TABLE_DTYPE)
    table["chrom"] = [item.chrom for item in intervals]
    table["start"] = [item.start for item in intervals]
    table["end"] = [item.end for item in intervals]
    table["name"] = [item.name for item in intervals]
    table["strand"] = [item.strand for item in intervals]
    table["summit"] = [item.summit for item in intervals]
    return table


def as_interval(item, index) -> Interval:
    def bad(expected):
        return ValueError(
            f"intervals[{index}]: expected {expected}. "
            f"Received: intervals[{index}]={item!r}"
        )

    if isinstance(item, (str, bytes)) or not isinstance(item, Sequence):
        raise bad("a tuple (chrom, start, end[, name, score, strand, summit])")
    if not 3 <= len(item) <= len(Interval._fields):
        raise bad(f"3 to {len(Interval._fields)} fields")
    interval = Interval(*item)
    chrom, start, end = interval.chrom, interval.start, interval.end
    if not isinstance(chrom, str) or not chrom:
        raise bad("a chromosome name (str) first")
    integers = all(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        for value in (start, end, interval.summit)
    )
    if not integers or start < 0 or end < start or end > MAX_COORDINATE:
        raise bad("integers 0 <= start <= end <= 2**62")
    if interval.strand not in STRANDS:
        raise bad("'+', '-' or '.' as the strand")
    if not -1 <= interval.summit < max(end - start, 1) or (
        interval.summit >= 0 and end == start
    ):
        raise bad(f"a summit in [0, {end - start}) or -1")
    return interval._replace(
        start=int(start),
        end=int(end),
        name=str(interval.name),
        summit=int(interval.summit),
    )
