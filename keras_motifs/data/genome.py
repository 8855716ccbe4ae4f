"""Windows of a reference genome around intervals, streamed as one-hot batches.

`GenomeIntervals` turns BED/narrowPeak intervals (`keras_motifs.data.intervals`)
into fixed-length windows read from an indexed FASTA genome (with
`pyfaidx`) and streams them as one-hot batches, optionally with per-base
signal tracks from bigWig files (with `pyBigWig`) as extra channels.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Iterator, Sequence

import numpy as np

from keras_motifs._internal.alphabet import check_alphabet, complement_indices
from keras_motifs._internal.checks import boolean, one_of, positive_int
from keras_motifs._internal.files import existing_file, write_atomically
from keras_motifs.data.intervals import interval_table
from keras_motifs.sequences import AMBIGUOUS_MODES, one_hot

__all__ = ["GenomeIntervals"]

CENTRES = ("summit", "middle")


class GenomeIntervals:
    """Fixed-length windows around genomic intervals, as one-hot batches.

    Each interval becomes one window of `length` bases read from the
    reference genome: centred on the narrowPeak summit when the interval
    has one and `centre="summit"`, else on the interval's middle. With an
    odd `length` the summit is the window's middle base; with an even one,
    the base just right of the middle. Middle-centred windows are the
    interval centre-cropped or extended to `length` exactly as
    `one_hot(sequence, length=length)` crops or pads (an odd surplus goes
    to the right end).

    The genome is a FASTA file read by region with `pyfaidx`: its index
    (`.fai`) is built beside it when missing, and a bgzip-compressed FASTA
    (not plain gzip) works too (`pyfaidx` then also builds a `.gzi`, and
    needs Biopython). An existing index is checked against the FASTA
    (each record's header line, first and last line where the index puts
    them, nothing after the last): an index kept from another FASTA is
    refused rather than read at the wrong offsets. Chromosome names must be
    unique. Chromosome names are the first word of each header
    line. Soft-masked (lower case) bases are read as upper case. Window
    positions before the chromosome's start or past its end are read as N
    (0.25 in each channel, or zeros with `ambiguous="zeros"`).

    Everything is checked when the object is made, before any batch: every
    interval's chromosome must be in the genome (and in every signal file)
    and every interval must end within its chromosome, so a genome of
    another assembly or another naming (`chr1` against `1`) fails at once.

    The object is a re-readable source: each iteration opens the files,
    reads and encodes one batch at a time (memory bounded by a batch) and
    closes them, so it can be scanned any number of times and handed to
    `Conv1DInterpreter.extract` and `MotifExtractor` like an array.
    `len()` is the number of batches, `count` the number of windows.

    Strand: by default every window is read from the forward strand, as
    peak callers' strands (often `.`) say nothing about motif orientation.
    With `strand_aware=True` a `-` interval's window is its reverse
    complement (and its signal values reversed).

    Signals: with `signals=[a.bw, b.bw]` each batch has shape
    `(n, length, 4 + len(signals))`: the 4 DNA channels in `alphabet` order
    first, then one channel per bigWig file in the order given, holding its
    per-base value over the window (NaN, no data and positions outside the
    chromosome give 0). Such batches are plain float arrays for models with
    DNA plus signal inputs; without signals they are `OneHotArray`s.

    Args:
        intervals: A BED or narrowPeak path (see `read_intervals`), or a
            sequence of `Interval`s or tuples `(chrom, start, end[, name,
            score, strand, summit])`.
        genome: Path of the reference FASTA, plain or bgzip-compressed.
        length: Window length in bases.
        centre: `"summit"` (the default) or `"middle"`, see above.
        batch_size: Windows per batch; the last batch may be smaller.
            Defaults to `256`.
        alphabet: Channel order of the DNA channels. Defaults to `"ACGT"`.
        ambiguous: `"uniform"` (the default) or `"zeros"`, as in `one_hot`.
        dtype: NumPy dtype of the batches. Defaults to `"float32"`.
        signals: Paths of bigWig files whose values become extra channels,
            or `None`.
        strand_aware: Read `-` intervals as their reverse complement.
            Defaults to `False`.

    Example:

    >>> peaks = GenomeIntervals("peaks.narrowPeak", "hg38.fa", length=200)
    >>> peaks.count, len(peaks), peaks.regions()[0]
    (5000, 20, 'chr1:10130-10330')
    >>> motifs = Conv1DInterpreter(model).extract(peaks).motifs
    """

    def __init__(
        self,
        intervals: str | os.PathLike | Sequence,
        genome: str | os.PathLike,
        *,
        length: int,
        centre: str = "summit",
        batch_size: int = 256,
        alphabet: str = "ACGT",
        ambiguous: str = "uniform",
        dtype="float32",
        signals: Sequence[str | os.PathLike] | None = None,
        strand_aware: bool = False,
    ):
        self.length = positive_int(length, "length")
        self.batch_size = positive_int(batch_size, "batch_size")
        self.centre = one_of(centre, "centre", CENTRES)
        self.alphabet = check_alphabet(alphabet)
        self.ambiguous = one_of(ambiguous, "ambiguous", AMBIGUOUS_MODES)
        self.strand_aware = boolean(strand_aware, "strand_aware")
        self.signals = _signal_paths(signals)
        self.dtype = _check_dtype(dtype, ambiguous, bool(self.signals))
        self.genome = existing_file(genome, "genome")
        table = interval_table(intervals)
        reader = _open_genome(self.genome)
        try:
            _check_index(reader.faidx, self.genome)
            # Iterating a pyfaidx.Fasta gives records, hence .keys().
            sizes = {name: len(reader[name]) for name in reader.keys()}
        finally:
            reader.close()
        _check_chromosomes(table, sizes, f"the genome {self.genome}")
        _check_ends(table, sizes, self.genome)
        for path in self.signals:
            _check_chromosomes(
                table, _signal_sizes(path), f"the signal file {path}"
            )
        self._set_windows(table, sizes)

    def _set_windows(self, table, sizes):
        chroms, codes = np.unique(table["chrom"], return_inverse=True)
        self._chroms = [str(name) for name in chroms]
        self._chrom_code = codes.astype(np.int32)
        self._sizes = np.array([sizes[name] for name in self._chroms])
        start, end = table["start"], table["end"]
        width = end - start
        surplus = width - self.length
        # Middle: as one_hot crops (surplus // 2 off the left) or pads.
        offset = np.where(surplus >= 0, surplus // 2, -((-surplus) // 2))
        window = start + offset
        if self.centre == "summit":
            summit = table["summit"]
            window = np.where(
                summit >= 0, start + summit - self.length // 2, window
            )
        self._start = window.astype(np.int64)
        self._minus = (table["strand"] == "-") & self.strand_aware
        self._names = table["name"]

    @property
    def count(self) -> int:
        """The number of windows (one per interval)."""
        return len(self._start)

    @property
    def channels(self) -> int:
        """Channels per position: 4 DNA channels plus one per signal."""
        return 4 + len(self.signals)

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.batches()

    def batches(self, batch_size: int | None = None) -> Iterator[np.ndarray]:
        """The windows in order, `batch_size` at a time (the last batch may
        be smaller), reading the files once for the pass.

        Args:
            batch_size: Windows per batch; `None` for `self.batch_size`.

        Returns:
            An iterator of batches `(n, length, channels)`.

        Example:

        >>> [len(x) for x in peaks.batches(2000)]
        [2000, 2000, 1000]
        """
        size = self.batch_size if batch_size is None else positive_int(
            batch_size, "batch_size")
        with _Readers(self.genome, self.signals) as readers:
            for start in range(0, self.count, size):
                yield self._batch(readers, range(start, min(start + size, self.count)))

    def __getitem__(self, index: int) -> np.ndarray:
        """Batch `index` (random access; iterating is faster)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(
                "index must be an integer batch index. "
                f"Received: index={index!r}"
            )
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(
                f"batch index out of range for {len(self)} batches. "
                f"Received: index={index}"
            )
        start = int(position) * self.batch_size
        rows = range(start, min(start + self.batch_size, self.count))
        with _Readers(self.genome, self.signals) as readers:
            return self._batch(readers, rows)

    def __repr__(self) -> str:
        signals = f", signals={list(self.signals)}" if self.signals else ""
        return (
            f"GenomeIntervals(count={self.count}, length={self.length}, "
            f"centre={self.centre!r}, genome={self.genome!r}{signals})"
        )

    def regions(self) -> list[str]:
        """Each window as `chrom:start-end`, in the order of the batches.

        Coordinates are BED's (0-based, end excluded) clipped to the
        chromosome, so a window that runs past an end names only its part
        inside; windows read as a reverse complement (`strand_aware=True`)
        end in `(-)`, as `bedtools getfasta -s` names them.

        Returns:
            A list of `count` strings.

        Example:

        >>> GenomeIntervals([("chr1", 100, 300)], "hg38.fa",
        ...                 length=100).regions()
        ['chr1:150-250']
        """
        start, end = self._clipped()
        chroms = self._chroms
        return [
            f"{chroms[code]}:{lo}-{hi}{'(-)' if minus else ''}"
            for code, lo, hi, minus in zip(
                self._chrom_code.tolist(),
                start.tolist(),
                end.tolist(),
                self._minus.tolist(),
            )
        ]

    def to_bed(self, path: str | os.PathLike, rows=None) -> str:
        """Writes the windows (or some of them) as a BED6 file.

        Columns: chrom, start, end (clipped to the chromosome, as in
        `regions()`), the interval's name, score 0, and the strand (`-`
        only for windows read as a reverse complement, else `+`). The file
        is written atomically.

        Args:
            path: The BED file to write.
            rows: Indices or a boolean mask of the windows to write, e.g.
                the sequences that passed a filter's threshold; `None`
                (the default) writes all.

        Returns:
            `path` as a string.

        Example:

        >>> peaks.to_bed("kept.bed", rows=[0, 5, 9])
        'kept.bed'
        """
        selected = np.arange(self.count)
        if rows is not None:
            try:
                selected = selected[np.asarray(rows)]
            except IndexError as error:
                raise ValueError(
                    f"rows must be indices in [0, {self.count}) or a boolean "
                    f"mask of {self.count} windows. Received: rows={rows!r}"
                ) from error
        start, end = self._clipped()
        lines = [
            f"{self._chroms[self._chrom_code[i]]}\t{start[i]}\t{end[i]}\t"
            f"{self._names[i]}\t0\t{'-' if self._minus[i] else '+'}\n"
            for i in selected.reshape(-1).tolist()
        ]
        return write_atomically(path, "".join(lines))

    def _clipped(self):
        sizes = self._sizes[self._chrom_code]
        start = np.clip(self._start, 0, sizes)
        end = np.clip(self._start + self.length, 0, sizes)
        return start, end

    def _batch(self, readers, rows: range):
        texts = [self._read(readers.genome, row) for row in rows]
        try:
            x = one_hot(
                texts,
                alphabet=self.alphabet,
                dtype=self.dtype,
                ambiguous=self.ambiguous,
            )
        except ValueError as error:
            raise self._encoding_error(texts, rows) from error
        minus = self._minus[rows.start : rows.stop]
        if minus.any():
            flipped = x[minus][:, ::-1][..., complement_indices(self.alphabet)]
            x[minus] = flipped
        if not self.signals:
            return x
        batch = np.zeros((len(rows), self.length, self.channels), self.dtype)
        batch[..., :4] = np.asarray(x)
        for channel, (path, signal) in enumerate(
            zip(self.signals, readers.signals), start=4
        ):
            for i, row in enumerate(rows):
                values = self._values(path, signal, row)
                batch[i, :, channel] = values[::-1] if minus[i] else values
        return batch

    def _read(self, genome, row) -> str:
        """The window's bases, N where it leaves its chromosome."""
        chrom = self._chroms[self._chrom_code[row]]
        size = int(self._sizes[self._chrom_code[row]])
        start = int(self._start[row])
        lo, hi = max(start, 0), min(start + self.length, size)
        inside = genome.faidx.fetch(chrom, lo + 1, hi) if lo < hi else ""
        left = min(max(-start, 0), self.length)
        right = self.length - left - len(inside)
        return "N" * left + inside + "N" * right

    def _values(self, path, signal, row) -> np.ndarray:
        """The signal's per-base values over the window, 0 for no data."""
        chrom = self._chroms[self._chrom_code[row]]
        size = signal.chroms(chrom)
        start = int(self._start[row])
        lo, hi = max(start, 0), min(start + self.length, size)
        values = np.zeros(self.length, dtype=self.dtype)
        if lo < hi:
            try:
                read = np.asarray(signal.values(chrom, lo, hi, numpy=True))
            except RuntimeError as error:
                raise ValueError(
                    f"The signal file {path} cannot be read at {chrom}:{lo}-"
                    f"{hi} ({error}): its data there are damaged (a truncated "
                    "or corrupted download?). Write or download the bigWig "
                    "file again."
                ) from None
            values[lo - start : hi - start] = np.nan_to_num(
                read, nan=0.0, posinf=0.0, neginf=0.0
            )
        return values

    def _encoding_error(self, texts, rows):
        regions = self.regions()
        for text, row in zip(texts, rows):
            try:
                one_hot(text, dtype=self.dtype, ambiguous=self.ambiguous)
            except ValueError as error:
                return ValueError(
                    f"Cannot encode the window {regions[row]} of the genome "
                    f"{self.genome}: {error}"
                )
        return ValueError(f"Cannot encode windows of the genome {self.genome}")


class _Readers:
    """The genome and the signal files, open for one pass."""

    def __init__(self, genome, signals):
        self.genome = _open_genome(genome)
        self.signals = []
        try:
            for path in signals:
                self.signals.append(_open_signal(path))
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.genome.close()
        for signal in self.signals:
            signal.close()
        self.signals = []


def _signal_paths(signals) -> tuple[str, ...]:
    if signals is None:
        return ()
    if isinstance(signals, (str, os.PathLike)):
        signals = [signals]
    if not isinstance(signals, Sequence):
        raise TypeError(
            "signals must be a list of bigWig paths or None. "
            f"Received: signals={signals!r}"
        )
    return tuple(existing_file(path, "signals") for path in signals)


def _check_dtype(dtype, ambiguous, has_signals) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"dtype must be a NumPy dtype such as 'float32'. "
            f"Received: dtype={dtype!r}"
        ) from error
    floating = np.issubdtype(dtype, np.floating)
    if has_signals and not floating:
        raise ValueError(
            "dtype must be a float dtype when signals are read, as their "
            f"values are not integers. Received: dtype={dtype}"
        )
    if ambiguous == "uniform" and not floating:
        raise ValueError(
            "dtype must be a float dtype with ambiguous='uniform' (N, in the "
            "genome or past a chromosome end, is 0.25 each); use "
            f"ambiguous='zeros' for an integer dtype. Received: dtype={dtype}"
        )
    return dtype


def _open_genome(path):
    try:
        import pyfaidx
    except ImportError as error:
        raise ImportError(
            "Reading a genome FASTA needs pyfaidx: pip install pyfaidx "
            "(and biopython for bgzip-compressed FASTA)."
        ) from error
    try:
        return pyfaidx.Fasta(path, as_raw=True, sequence_always_upper=True)
    except pyfaidx.UnsupportedCompressionFormat as error:
        raise ValueError(
            f"The genome {path} is compressed with gzip, which cannot be read "
            "by region: recompress it with bgzip (gunzip genome.fa.gz; bgzip "
            "genome.fa) or decompress it. Biopython must be installed to "
            f"read bgzip files. ({error})"
        ) from error
    except pyfaidx.FastaIndexingError as error:
        raise ValueError(
            f"The genome {path} cannot be indexed as FASTA: {error}"
        ) from error
    except ValueError as error:  # pyfaidx reading the .fai: names, numbers
        raise _index_error(path) or ValueError(
            f"Cannot read the index {path}.fai of the genome ({error}); delete "
            "it to have it rebuilt, or rebuild it with samtools faidx."
        ) from None
    except OSError as error:
        raise OSError(
            f"Cannot read or write the index {path}.fai of the genome: "
            f"{error}. Build it where the genome is writable (samtools "
            "faidx), or copy the genome to a writable directory."
        ) from error


def _index_error(path) -> ValueError | None:
    """Why the index `path`.fai cannot be read: a damaged line or a name twice."""
    index = f"{path}.fai"
    try:
        with open(index, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
    except OSError:
        return None
    first = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) != 5 or not all(field.isdigit() for field in fields[1:]):
            return ValueError(
                f"{index}, line {number}: not a FASTA index line (a name and "
                f"four counts separated by tabs): {line[:60]!r}. Delete {index} "
                "to have it rebuilt, or rebuild it with samtools faidx."
            )
        if fields[0] in first:
            return ValueError(
                f"The genome {path} names two records {fields[0]!r} (records "
                f"{first[fields[0]]} and {len(first) + 1}, lines {first[fields[0]]} "
                f"and {number} of {index}); chromosome names, the first word of "
                "each '>' line, must be unique: rename or remove one."
            )
        first[fields[0]] = number
    return None


# The most bytes read between two records (the header line) and after the
# last one (its trailing blank lines) when checking an index.
_HEADER_BYTES = 1 << 20


def _check_index(faidx, path) -> None:
    """Raises a ValueError unless the index `faidx` describes the FASTA `path`.

    For each record, in file order: the bytes between the previous record
    and the index's offset end with its `>name` header line; its first line
    is `lenc` bases and a line end; its last base is where the index ends
    it; after the last record come only blank lines. A FASTA replaced under
    its kept `.fai` (another assembly, other line lengths, other names)
    fails one of these, where pyfaidx, which compares only modification
    times, would read another chromosome's bases. A few small reads per
    record.
    """
    read = _raw_reader(faidx)
    end = 0
    records = sorted(faidx.index.items(), key=lambda item: item[1].offset)
    for number, (name, record) in enumerate(records, start=1):
        gap = read(end, min(record.offset - end, _HEADER_BYTES))
        if not _header_ends(gap, name, comments=number == 1):
            found = gap[-60:].decode("utf-8", "replace")
            raise _stale_index(
                path, f"it puts record {number}, {name!r}, at byte "
                f"{record.offset}, after {found!r} instead of its '>{name}' line"
            )
        newline = record.lenb - record.lenc
        first = min(record.lenc, record.rlen)
        if record.rlen and not (
            _is_line(read(record.offset, first + newline), first, newline)
            and _is_line(read(record.bend - newline - 1, newline + 1), 1, newline)
        ):
            raise _stale_index(
                path, f"the bases of {name!r} are not where it puts them "
                f"(lines of {record.lenc} bases from byte {record.offset} to "
                f"{record.bend})"
            )
        end = record.bend
    rest = read(end, _HEADER_BYTES)
    if rest.strip() or len(rest) == _HEADER_BYTES:
        raise _stale_index(
            path, f"the FASTA goes on after the last record it lists, at byte "
            f"{end}: {rest.strip()[:40].decode('utf-8', 'replace')!r}"
        )


def _header_ends(gap: bytes, name: str, comments: bool) -> bool:
    """Whether `gap` is blank lines (or `;` comments) then a `>name` line."""
    if not gap.endswith(b"\n"):
        return False
    lines = gap.splitlines()
    words = lines[-1][1:].split() if lines[-1].startswith(b">") else []
    return bool(words) and words[0].decode("utf-8", "replace") == name and all(
        not line.strip() or comments and line.startswith(b";")
        for line in lines[:-1]
    )


def _is_line(data: bytes, bases: int, newline: int) -> bool:
    """Whether `data` is `bases` bases then a line end of `newline` bytes
    (or the end of the file)."""
    body, end = data[:bases], data[bases:]
    return (len(body) == bases and not any(c in body for c in b"\r\n> \t")
            and end.strip(b"\r\n") == b"" and len(end) <= newline)


def _raw_reader(faidx):
    """`read(start, size)`: bytes of the FASTA at uncompressed offsets."""
    blocks = getattr(faidx, "gzi_index", None)  # bgzip: the .gzi blocks
    starts = [block.ustart for block in blocks] if blocks else None

    def read(start, size):
        if start < 0 or size <= 0:
            return b""
        with faidx.lock:
            if starts:
                from Bio import bgzf

                block = blocks[bisect.bisect_right(starts, start) - 1]
                faidx.file.seek(bgzf.make_virtual_offset(
                    block.cstart, start - block.ustart))
            else:
                faidx.file.seek(start)
            return faidx.file.read(size)

    return read


def _stale_index(path, detail) -> ValueError:
    return ValueError(
        f"The index {path}.fai does not match the genome {path}: {detail}. "
        "Was the FASTA replaced or edited after the index was built? Delete "
        f"{path}.fai to have it rebuilt (or run samtools faidx {path})."
    )


def _open_signal(path):
    try:
        import pyBigWig
    except ImportError as error:
        raise ImportError(
            "Reading signal tracks needs pyBigWig: pip install pyBigWig."
        ) from error
    try:
        signal = pyBigWig.open(path)
    except RuntimeError as error:
        raise ValueError(
            f"signals must be bigWig files; {path} cannot be opened as one."
        ) from error
    if not signal.isBigWig():
        signal.close()
        raise ValueError(
            f"signals must be bigWig files; {path} is a bigBed file."
        )
    return signal


def _signal_sizes(path) -> dict[str, int]:
    signal = _open_signal(path)
    try:
        return dict(signal.chroms())
    except RuntimeError as error:
        raise ValueError(
            f"The signal file {path} cannot be read: its list of chromosomes "
            f"is damaged ({error}). Write or download the bigWig file again."
        ) from None
    finally:
        signal.close()


def _check_chromosomes(table, sizes, where):
    used = dict.fromkeys(table["chrom"].tolist())
    unknown = [chrom for chrom in used if chrom not in sizes]
    if not unknown:
        return
    known = list(sizes)
    shown = ", ".join(repr(name) for name in known[:5])
    more = f" ({len(known)} in all)" if len(known) > 5 else ""
    message = (
        f"Every interval's chromosome must be in {where}, whose chromosomes "
        f"include {shown}{more}; {len(unknown)} are not"
    )
    hint = _prefix_hint(unknown, sizes)
    raise ValueError(
        f"{message}{hint}. Received: chrom={unknown[0]!r}"
        + (f" and {unknown[1:4]}" if len(unknown) > 1 else "")
    )


def _prefix_hint(unknown, sizes) -> str:
    stripped = [name for name in unknown if name[:3] == "chr"]
    if stripped and all(name[3:] in sizes for name in stripped[:10]):
        return (
            ": the intervals name chromosomes with a 'chr' prefix and that "
            "file without one; strip it from the intervals (or use a genome "
            "named the same way)"
        )
    if any("chr" + name in sizes for name in unknown[:10]):
        return (
            ": that file names chromosomes with a 'chr' prefix and the "
            "intervals without one; add it to the intervals (or use a "
            "genome named the same way)"
        )
    return ""


def _check_ends(table, sizes, genome):
    size = np.array([sizes[chrom] for chrom in table["chrom"].tolist()])
    past = np.flatnonzero(table["end"] > size)
    if len(past):
        i = int(past[0])
        chrom, start, end = (
            table[field][i] for field in ("chrom", "start", "end")
        )
        raise ValueError(
            f"Every interval must end within its chromosome in the genome "
            f"{genome}, but interval {i} ({chrom}:{start}-{end}) ends past "
            f"{chrom}'s {size[i]} bases ({len(past)} such intervals); were "
            f"the intervals called on another assembly? Received: end={end}"
        )
