"""Tests of genomic intervals read from a reference genome."""

import gzip
import itertools
import os
import shutil

import numpy as np
import pytest
from conftest import shared_file

from keras_motifs.data.genome import GenomeIntervals
from keras_motifs.data.intervals import Interval, read_intervals
from keras_motifs.sequences import (
    OneHotArray,
    one_hot,
    read_fasta,
    reverse_complement,
)

pytest.importorskip("pyfaidx")


def random_genome(rng, sizes):
    """{chrom: sequence} of random soft-masked DNA with a few N."""
    genome = {}
    for chrom, size in sizes.items():
        genome[chrom] = "".join(rng.choice(list("ACGTACGTacgtN"), size))
    return genome


def write_fasta(path, genome, width=60):
    with open(path, "w") as handle:
        for chrom, sequence in genome.items():
            handle.write(f">{chrom} some description\n")
            for i in range(0, len(sequence), width):
                handle.write(sequence[i : i + width] + "\n")
    return path


def write_lines(path, lines, compress=False):
    opener = gzip.open if compress else open
    with opener(path, "wt") as handle:
        handle.write("".join(line + "\n" for line in lines))
    return path


def plain_window(genome, chrom, start, length):
    """The window's bases, one at a time, N outside the chromosome."""
    sequence = genome[chrom]
    return "".join(
        sequence[p].upper() if 0 <= p < len(sequence) else "N"
        for p in range(start, start + length)
    )


def all_batches(source):
    return np.concatenate([np.asarray(batch) for batch in source])


@pytest.fixture
def genome(rng):
    return random_genome(rng, {"chr1": 500, "chr2": 301, "chrM": 40})


@pytest.fixture
def genome_path(tmp_path, genome):
    return write_fasta(tmp_path / "genome.fa", genome)


def random_intervals(rng, genome, n):
    intervals = []
    for i in range(n):
        chrom = str(rng.choice(list(genome)))
        size = len(genome[chrom])
        start = int(rng.integers(0, size))
        end = int(rng.integers(start, min(size, start + 80) + 1))
        summit = int(rng.integers(0, end - start)) if end > start else -1
        if rng.random() < 0.3:
            summit = -1
        strand = str(rng.choice(["+", "-", "."]))
        intervals.append(
            Interval(chrom, start, end, f"p{i}", 1.0, strand, summit)
        )
    return intervals


def plain_start(interval, length, centre):
    """The window's first position, by the documented rule."""
    if centre == "summit" and interval.summit >= 0:
        return interval.start + interval.summit - length // 2
    width = interval.end - interval.start
    if width >= length:
        return interval.start + (width - length) // 2
    return interval.start - (length - width) // 2


# read_intervals


def test_read_bed_skips_headers_and_reads_optional_columns(tmp_path):
    lines = [
        "browser position chr1:1-100",
        'track name="peaks" description="x"',
        "# a comment",
        "",
        "chr1\t10\t20",
        "chr2\t0\t5\tpeak2\t7.5\t-",
        "chr2\t3\t3\t.\t.\t.\textra\tcolumns",
    ]
    expected = [
        Interval("chr1", 10, 20),
        Interval("chr2", 0, 5, "peak2", 7.5, "-"),
        Interval("chr2", 3, 3, ".", float("nan"), ".", -1),
    ]
    for path in (
        write_lines(tmp_path / "a.bed", lines),
        write_lines(tmp_path / "a.bed.gz", lines, compress=True),
        write_lines(tmp_path / "gzipped_without_suffix", lines, compress=True),
    ):
        got = read_intervals(path)
        assert [i[:4] + i[5:] for i in got] == [
            i[:4] + i[5:] for i in expected
        ]
        assert got[1].score == 7.5 and np.isnan(got[0].score)


def test_read_narrowpeak_by_name_and_by_columns(tmp_path):
    lines = [
        "chr1\t100\t300\tpeak1\t50\t.\t5.2\t10.1\t8.3\t120",
        "chr1\t400\t450\tpeak2\t60\t+\t5.2\t10.1\t8.3\t-1",
    ]
    for path in (
        write_lines(tmp_path / "p.narrowPeak", lines),
        write_lines(tmp_path / "ENCFF000XYZ.bed.gz", lines, compress=True),
    ):
        got = read_intervals(path)
        assert [i.summit for i in got] == [120, -1]
        assert got[1] == Interval("chr1", 400, 450, "peak2", 60.0, "+", -1)
    assert [
        i.summit
        for i in read_intervals(tmp_path / "p.narrowPeak", format="bed")
    ] == [-1, -1]


@pytest.mark.parametrize(
    "line, problem",
    [
        ("chr1\t10", "at least 3"),
        ("chr1\tten\t20", "integers"),
        ("chr1\t-5\t20", "integers"),
        ("chr1\t0\t99999999999999999999999", r"integers from 0 to 2\*\*62"),
        ("chr1\t30\t20", "end >= start"),
        ("chr1\t10\t20\tname\tscore", "score"),
        ("chr1\t10\t20\tname\t0\tplus", "strand"),
    ],
)
def test_bad_bed_line_names_file_and_line(tmp_path, line, problem):
    path = write_lines(tmp_path / "bad.bed", ["# header", "chr1\t0\t5", line])
    with pytest.raises(ValueError, match=problem) as error:
        read_intervals(path)
    assert "bad.bed, line 3" in str(error.value)
    assert "Received: line=" in str(error.value)


@pytest.mark.parametrize(
    "summit, problem", [("100", "summit"), ("-2", "summit"), ("x", "summit")]
)
def test_bad_narrowpeak_summit(tmp_path, summit, problem):
    line = f"chr1\t0\t100\tp\t0\t.\t1\t1\t1\t{summit}"
    path = write_lines(tmp_path / "bad.narrowPeak", [line])
    with pytest.raises(ValueError, match=problem):
        read_intervals(path)


def test_narrowpeak_needs_ten_columns(tmp_path):
    lines = ["chr1\t0\t100\tp\t0\t.\t1\t1\t1\t5", "chr1\t0\t100\tp\t0\t."]
    path = write_lines(tmp_path / "x.narrowPeak", lines)
    with pytest.raises(ValueError, match="line 2: expected 10"):
        read_intervals(path)


# windows


@pytest.mark.parametrize("centre", ["summit", "middle"])
@pytest.mark.parametrize(
    "alphabet, ambiguous", [("ACGT", "uniform"), ("AGCT", "zeros")]
)
def test_windows_equal_plain_slices(
    rng, genome, genome_path, centre, alphabet, ambiguous
):
    intervals = random_intervals(rng, genome, 60)
    length = 37
    source = GenomeIntervals(
        intervals,
        genome_path,
        length=length,
        centre=centre,
        batch_size=7,
        alphabet=alphabet,
        ambiguous=ambiguous,
    )
    texts = [
        plain_window(genome, i.chrom, plain_start(i, length, centre), length)
        for i in intervals
    ]
    expected = one_hot(texts, alphabet=alphabet, ambiguous=ambiguous)
    batches = list(source)
    assert [len(b) for b in batches] == [7] * 8 + [4]
    assert all(b.alphabet == alphabet for b in batches)
    np.testing.assert_array_equal(np.concatenate(batches), expected)
    assert source.count == 60 and len(source) == 9


def test_middle_window_places_the_interval_as_one_hot_does(
    genome, genome_path
):
    longer = [("chr1", 100, 180), ("chr1", 100, 181), ("chr2", 50, 111)]
    shorter = [("chr2", 50, 60), ("chr2", 50, 61), ("chr2", 7, 7)]
    for length in (20, 21):
        source = GenomeIntervals(longer, genome_path, length=length)
        expected = one_hot(
            [genome[c][s:e] for c, s, e in longer], length=length
        )
        np.testing.assert_array_equal(all_batches(source), expected)
        # Shorter ones sit where one_hot's N padding would put them, with
        # the genome's bases around them instead of N.
        x = all_batches(GenomeIntervals(shorter, genome_path, length=length))
        padded = one_hot(
            [genome[c][s:e] for c, s, e in shorter], length=length
        )
        for row, (chrom, start, end) in enumerate(shorter):
            left = (length - (end - start)) // 2
            np.testing.assert_array_equal(
                x[row, left : left + end - start],
                padded[row, left : left + end - start],
            )
            window = plain_window(genome, chrom, start - left, length)
            np.testing.assert_array_equal(x[row], one_hot(window)[0])


def test_summit_against_middle(genome, genome_path):
    intervals = [Interval("chr1", 100, 200, summit=10)]
    summit = GenomeIntervals(intervals, genome_path, length=20)
    middle = GenomeIntervals(
        intervals, genome_path, length=20, centre="middle"
    )
    assert summit.regions() == ["chr1:100-120"]
    assert middle.regions() == ["chr1:140-160"]
    np.testing.assert_array_equal(
        all_batches(summit), one_hot(genome["chr1"][100:120])
    )
    odd = GenomeIntervals(intervals, genome_path, length=21)
    assert odd.regions() == ["chr1:100-121"]


def test_chromosome_ends_read_as_n(genome, genome_path):
    intervals = [("chr1", 0, 10), ("chr1", 495, 500), ("chrM", 0, 40)]
    source = GenomeIntervals(intervals, genome_path, length=50)
    x = all_batches(source)
    assert source.regions() == ["chr1:0-30", "chr1:473-500", "chrM:0-40"]
    np.testing.assert_array_equal(x[0, :20], 0.25)
    np.testing.assert_array_equal(x[0, 20:], one_hot(genome["chr1"][:30])[0])
    np.testing.assert_array_equal(x[1, :27], one_hot(genome["chr1"][473:])[0])
    np.testing.assert_array_equal(x[1, 27:], 0.25)
    np.testing.assert_array_equal(x[2, 5:45], one_hot(genome["chrM"])[0])
    np.testing.assert_array_equal(x[2, :5], 0.25)
    zeros = all_batches(
        GenomeIntervals(intervals, genome_path, length=50, ambiguous="zeros")
    )
    np.testing.assert_array_equal(zeros[1, 27:], 0)


def test_bgzipped_genome_reads_the_same(tmp_path, rng, genome, genome_path):
    bgzf = pytest.importorskip("Bio.bgzf")
    packed = tmp_path / "genome.fa.gz"
    with bgzf.BgzfWriter(str(packed), "wb") as writer:
        writer.write(genome_path.read_bytes())
    intervals = random_intervals(rng, genome, 30)
    plain = GenomeIntervals(intervals, genome_path, length=64, batch_size=8)
    compressed = GenomeIntervals(intervals, packed, length=64, batch_size=8)
    np.testing.assert_array_equal(all_batches(compressed), all_batches(plain))
    assert (tmp_path / "genome.fa.gz.fai").exists()
    assert (tmp_path / "genome.fa.gz.gzi").exists()


def test_plain_gzip_genome_is_refused(tmp_path, genome_path):
    packed = tmp_path / "genome.fa.gz"
    with open(genome_path, "rb") as a, gzip.open(packed, "wb") as b:
        shutil.copyfileobj(a, b)
    with pytest.raises(ValueError, match="bgzip"):
        GenomeIntervals([("chr1", 0, 10)], packed, length=10)


def test_unindexable_genome_is_explained(tmp_path, genome_path):
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(ValueError, match="cannot be indexed"):
        GenomeIntervals([("chr1", 0, 10)], ragged, length=10)
    blocked = tmp_path / "blocked.fa"
    shutil.copy(genome_path, blocked)
    (tmp_path / "blocked.fa.fai").mkdir()
    with pytest.raises(OSError, match="copy the genome to a writable"):
        GenomeIntervals([("chr1", 0, 10)], blocked, length=10)


def replace_keeping_index(path, genome, **options):
    """Writes `genome` over the FASTA `path`, its old index kept and newer."""
    index = path.parent / (path.name + ".fai")
    kept = index.read_bytes()
    write_fasta(path, genome, **options)
    index.write_bytes(kept)
    stat = os.stat(path)
    os.utime(index, (stat.st_atime, stat.st_mtime + 10))


@pytest.mark.parametrize("change", ["order", "width", "names", "longer"])
def test_a_stale_index_is_refused_not_read_at_old_offsets(tmp_path, rng, change):
    genome = random_genome(rng, {"chr1": 500, "chr2": 301, "chrM": 40})
    path = write_fasta(tmp_path / "genome.fa", genome)
    intervals = [("chr1", 0, 40), ("chr2", 100, 140), ("chrM", 0, 40)]
    GenomeIntervals(intervals, path, length=40)  # builds the index
    other = random_genome(rng, {"chr1": 500, "chr2": 301, "chrM": 40})
    if change == "order":
        other = {name: other[name] for name in ("chr2", "chr1", "chrM")}
    elif change == "names":
        other = {"chr1": other["chr1"], "chr3": other["chr2"], "chrM": other["chrM"]}
    elif change == "longer":
        other["chrM"] += "ACGT" * 30
    replace_keeping_index(path, other, width=50 if change == "width" else 60)
    with pytest.raises(ValueError, match=r"genome\.fa\.fai does not match the "
                       r"genome .*genome\.fa: .*Delete .*genome\.fa\.fai"):
        GenomeIntervals(intervals, path, length=40)
    os.remove(tmp_path / "genome.fa.fai")
    source = GenomeIntervals([i for i in intervals if i[0] in other], path, length=40)
    assert all_batches(source).shape[0] == len(source.regions())


def test_an_index_of_the_same_layout_reads_the_new_bases(tmp_path, rng):
    sizes = {"chr1": 500, "chr2": 301}
    path = write_fasta(tmp_path / "genome.fa", random_genome(rng, sizes))
    GenomeIntervals([("chr1", 0, 10)], path, length=10)
    genome = random_genome(rng, sizes)
    replace_keeping_index(path, genome)
    x = all_batches(GenomeIntervals([("chr2", 200, 230)], path, length=30))
    np.testing.assert_array_equal(x[0], one_hot(plain_window(genome, "chr2", 200, 30))[0])


@pytest.mark.parametrize("text", [
    ">chr1\r\nACGTA\r\nCG\r\n>chr2 x\r\nAAAAA\r\nA\r\n",
    "; comment\n\n>chr1\nACGTA\nCG\n\n>chr2\nAAAAA\nA",
    ">chr1\n>chr2\nACGTA\nA\n",
])
def test_unusual_valid_layouts_pass_the_index_check(tmp_path, text):
    path = tmp_path / "odd.fa"
    path.write_bytes(text.encode())
    for _ in range(2):  # the index built, then the index kept
        source = GenomeIntervals([("chr2", 0, 6)], path, length=6)
        assert all_batches(source).argmax(-1).tolist()[0][:5] in ([0] * 5, [0, 1, 2, 3, 0])


def test_duplicate_names_and_a_damaged_index_are_explained(tmp_path, rng, genome_path):
    twice = tmp_path / "twice.fa"
    twice.write_text(">chr1\nACGT\n>chr2\nACGT\n>chr1 again\nACGT\n")
    with pytest.raises(ValueError, match=r"twice\.fa names two records 'chr1' "
                       r"\(records 1 and 3.*must be unique"):
        GenomeIntervals([("chr1", 0, 4)], twice, length=4)
    GenomeIntervals([("chr1", 0, 4)], genome_path, length=4)
    index = genome_path.parent / "genome.fa.fai"
    with open(index, "a") as handle:
        handle.write("chrX\t10\tnot a number\n")
    with pytest.raises(ValueError, match=r"genome\.fa\.fai, line 4: not a FASTA "
                       r"index line.*Delete"):
        GenomeIntervals([("chr1", 0, 4)], genome_path, length=4)


def test_stale_index_of_a_bgzipped_genome(tmp_path, rng):
    bgzf = pytest.importorskip("Bio.bgzf")
    sizes = {"chr1": 500, "chr2": 301}
    plain = write_fasta(tmp_path / "plain.fa", random_genome(rng, sizes))
    packed = tmp_path / "genome.fa.gz"
    with bgzf.BgzfWriter(str(packed), "wb") as writer:
        writer.write(plain.read_bytes())
    GenomeIntervals([("chr2", 0, 10)], packed, length=10)
    write_fasta(plain, random_genome(rng, {"chr2": 301, "chr1": 500}), width=70)
    kept = {name: (tmp_path / name).read_bytes()
            for name in ("genome.fa.gz.fai", "genome.fa.gz.gzi")}
    with bgzf.BgzfWriter(str(packed), "wb") as writer:
        writer.write(plain.read_bytes())
    for name, data in kept.items():
        (tmp_path / name).write_bytes(data)
        os.utime(tmp_path / name, (1e10, 1e10))
    with pytest.raises(ValueError, match="does not match the genome"):
        GenomeIntervals([("chr2", 0, 10)], packed, length=10)


def test_unknown_chromosome_fails_at_construction(genome_path):
    with pytest.raises(ValueError, match="'chr1', 'chr2', 'chrM'") as error:
        GenomeIntervals(
            [("chr1", 0, 10), ("chrX", 0, 10)], genome_path, length=10
        )
    assert "Received: chrom='chrX'" in str(error.value)
    assert "prefix" not in str(error.value)
    with pytest.raises(ValueError, match="without one; add it"):
        GenomeIntervals([("1", 0, 10)], genome_path, length=10)


def test_chr_prefix_hint_when_genome_has_none(tmp_path, rng):
    genome = random_genome(rng, {"1": 100, "2": 100})
    path = write_fasta(tmp_path / "g.fa", genome)
    with pytest.raises(ValueError, match="'chr' prefix and that file without"):
        GenomeIntervals([("chr1", 0, 10), ("chr2", 0, 10)], path, length=10)


def test_interval_past_chromosome_end_is_refused(genome_path):
    with pytest.raises(ValueError, match="another assembly"):
        GenomeIntervals([("chrM", 30, 41)], genome_path, length=10)


def test_invalid_genome_character_names_the_window(tmp_path):
    path = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 10 + "XACGT"})
    source = GenomeIntervals(
        [("chr1", 0, 10), ("chr1", 35, 45)], path, length=10
    )
    with pytest.raises(ValueError, match="chr1:35-45.*'X'"):
        list(source)


def test_strand_aware_reads_minus_as_reverse_complement(genome, genome_path):
    intervals = [("chr1", 10, 30, "a", 0, "-"), ("chr1", 10, 30, "b", 0, "+")]
    forward = GenomeIntervals(intervals, genome_path, length=20)
    aware = GenomeIntervals(
        intervals, genome_path, length=20, strand_aware=True, alphabet="AGCT"
    )
    window = genome["chr1"][10:30]
    np.testing.assert_array_equal(
        all_batches(forward), one_hot([window, window])
    )
    np.testing.assert_array_equal(
        all_batches(aware),
        one_hot([reverse_complement(window), window], alphabet="AGCT"),
    )
    assert aware.regions() == ["chr1:10-30(-)", "chr1:10-30"]


# signals


def write_bigwig(path, rng, sizes):
    """A bigWig of random values with gaps; gives {chrom: values with NaN}."""
    pyBigWig = pytest.importorskip("pyBigWig")
    values = {}
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(list(sizes.items()), maxZooms=0)
    for chrom, size in sizes.items():
        track = rng.normal(size=size)
        track[rng.random(size) < 0.2] = np.nan
        covered = np.flatnonzero(~np.isnan(track))
        handle.addEntries(
            [chrom] * len(covered),
            covered.tolist(),
            ends=(covered + 1).tolist(),
            values=track[covered].tolist(),
        )
        values[chrom] = track
    handle.close()
    return values


def plain_signal(track, start, length):
    return np.array(
        [
            0.0 if not 0 <= p < len(track) or np.isnan(track[p]) else track[p]
            for p in range(start, start + length)
        ]
    )


def test_signals_are_aligned_per_base(tmp_path, rng, genome, genome_path):
    sizes = {chrom: len(sequence) for chrom, sequence in genome.items()}
    tracks = [
        write_bigwig(tmp_path / f"s{i}.bw", rng, sizes) for i in range(2)
    ]
    intervals = random_intervals(rng, genome, 40)
    length = 33
    source = GenomeIntervals(
        intervals,
        genome_path,
        length=length,
        batch_size=16,
        signals=[tmp_path / "s0.bw", tmp_path / "s1.bw"],
        strand_aware=True,
    )
    x = all_batches(source)
    assert x.shape == (40, length, 6) and source.channels == 6
    dna = all_batches(
        GenomeIntervals(
            intervals, genome_path, length=length, strand_aware=True
        )
    )
    np.testing.assert_array_equal(x[..., :4], dna)
    for row, interval in enumerate(intervals):
        start = plain_start(interval, length, "summit")
        for j, track in enumerate(tracks):
            expected = plain_signal(track[interval.chrom], start, length)
            if interval.strand == "-":
                expected = expected[::-1]
            np.testing.assert_allclose(x[row, :, 4 + j], expected, rtol=1e-6)


def test_signal_missing_chromosome_fails_at_construction(
    tmp_path, rng, genome_path
):
    write_bigwig(tmp_path / "s.bw", rng, {"chr1": 500})
    with pytest.raises(ValueError, match="signal file"):
        GenomeIntervals(
            [("chr2", 0, 10)],
            genome_path,
            length=10,
            signals=[tmp_path / "s.bw"],
        )
    (tmp_path / "not.bw").write_text("hello")
    with pytest.raises(ValueError, match="bigWig"):
        GenomeIntervals(
            [("chr1", 0, 10)],
            genome_path,
            length=10,
            signals=[tmp_path / "not.bw"],
        )


def test_a_damaged_bigwig_block_names_file_and_region(tmp_path, rng, genome, genome_path):
    import struct

    sizes = {chrom: len(sequence) for chrom, sequence in genome.items()}
    path = tmp_path / "s.bw"
    write_bigwig(path, rng, sizes)
    data = bytearray(path.read_bytes())
    # bigWig header: magic, version, zoom levels, then the offsets of the
    # chromosome tree, the data and the index; damage the first data block.
    data_offset = struct.unpack("<Q", data[16:24])[0]
    data[data_offset + 40 : data_offset + 56] = b"\xff" * 16
    path.write_bytes(bytes(data))
    source = GenomeIntervals([("chr2", 0, 10), ("chr1", 100, 140)], genome_path,
                             length=40, signals=[path])
    with pytest.raises(ValueError, match=r"signal file .*s\.bw cannot be read at "
                       r"chr1:100-140 .*damaged.*again"):
        all_batches(source)


def test_damaged_bigwigs_read_the_same_or_fail_naming_the_file(tmp_path, rng, genome,
                                                              genome_path):
    import struct

    sizes = {chrom: len(sequence) for chrom, sequence in genome.items()}
    path = tmp_path / "s.bw"
    write_bigwig(path, rng, sizes)
    data = path.read_bytes()
    intervals = [(chrom, 0, size) for chrom, size in sizes.items()]
    good = all_batches(GenomeIntervals(intervals, genome_path, length=500, signals=[path]))
    index_offset = struct.unpack("<Q", data[24:32])[0]  # R-tree: not checked
    damaged = tmp_path / "damaged.bw"
    outcomes = set()
    for at in range(0, len(data), max(1, len(data) // 40)):
        for kind in ("cut", "flip"):
            if kind == "flip" and at >= index_offset:
                continue
            changed = bytearray(data[:at] if kind == "cut" else data)
            if kind == "flip":
                changed[at] ^= 0xFF
            damaged.write_bytes(bytes(changed))
            try:
                x = all_batches(GenomeIntervals(intervals, genome_path, length=500,
                                                signals=[damaged]))
            except (ValueError, OSError) as error:
                assert str(damaged) in str(error), (kind, at, str(error))
                outcomes.add("error")
                continue
            np.testing.assert_array_equal(x, good, err_msg=f"{kind} at {at}")
            outcomes.add("same")
    assert "error" in outcomes


# the source


def test_source_is_rereadable_with_random_access(rng, genome, genome_path):
    source = GenomeIntervals(
        random_intervals(rng, genome, 20), genome_path, length=25, batch_size=6
    )
    first, second = list(source), list(source)
    assert len(first) == len(source) == 4 and source.alphabet == "ACGT"
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(source[1], first[1])
    np.testing.assert_array_equal(source[-1], first[3])
    with pytest.raises(IndexError):
        source[4]


def test_bed_file_source_and_to_bed(tmp_path, genome, genome_path):
    lines = ["track x", "chr2\t0\t50\tp0\t3\t-", "chr1\t100\t150\tp1"]
    bed = write_lines(tmp_path / "peaks.bed.gz", lines, compress=True)
    source = GenomeIntervals(bed, genome_path, length=20, centre="middle")
    np.testing.assert_array_equal(
        all_batches(source),
        one_hot([genome["chr2"][15:35], genome["chr1"][115:135]]),
    )
    written = source.to_bed(tmp_path / "kept.bed", rows=[1])
    assert read_intervals(written) == [
        Interval("chr1", 115, 135, "p1", 0.0, "+", -1)
    ]
    source.to_bed(tmp_path / "all.bed")
    assert [i[:3] for i in read_intervals(tmp_path / "all.bed")] == [
        ("chr2", 15, 35),
        ("chr1", 115, 135),
    ]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(length=0), ValueError, "length"),
        (dict(length=10, centre="center"), ValueError, "centre"),
        (dict(length=10, ambiguous="n"), ValueError, "ambiguous"),
        (dict(length=10, dtype="uint8"), ValueError, "ambiguous='zeros'"),
        (dict(length=10, batch_size=0), ValueError, "batch_size"),
        (dict(length=10, alphabet="ACGU"), ValueError, "alphabet"),
        (dict(length=10, strand_aware="yes"), TypeError, "strand_aware"),
    ],
)
def test_bad_arguments(genome_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        GenomeIntervals([("chr1", 0, 10)], genome_path, **kwargs)


@pytest.mark.parametrize(
    "intervals, match",
    [
        ([], "at least one"),
        ([("chr1", 0)], "3 to 7"),
        ([("chr1", 5.0, 10)], "integers"),
        ([("chr1", 10, 5)], "integers"),
        ([("chr1", 0, 10**30)], r"end <= 2\*\*62"),
        ([("chr1", 0, 10, "n", 0, "?")], "strand"),
        ([("chr1", 0, 10, "n", 0, "+", 10)], "summit"),
        (["chr1:0-10"], "tuple"),
    ],
)
def test_bad_intervals(genome_path, intervals, match):
    with pytest.raises(ValueError, match=match):
        GenomeIntervals(intervals, genome_path, length=10)


def test_integer_dtype_with_zeros(genome, genome_path):
    source = GenomeIntervals(
        [("chr1", 0, 10)],
        genome_path,
        length=20,
        dtype="uint8",
        ambiguous="zeros",
    )
    x = all_batches(source)
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(
        x,
        one_hot(
            plain_window(genome, "chr1", -5, 20),
            dtype="uint8",
            ambiguous="zeros",
        ),
    )
    with pytest.raises(ValueError, match="float"):
        GenomeIntervals(
            [("chr1", 0, 10)],
            genome_path,
            length=20,
            dtype="uint8",
            ambiguous="zeros",
            signals=[genome_path],
        )


def test_windows_over_real_peak_records(tmp_path):
    fixture = shared_file("fixtures/real/Gm12878.CTCF.top500.w200.fa")
    genome = tmp_path / "peaks.fa"  # the index is written beside it
    shutil.copy(fixture, genome)
    records = list(itertools.islice(read_fasta(genome), 6))
    intervals = [(name.split()[0], 0, len(seq)) for name, seq in records]
    intervals += [(name.split()[0], 50, 150) for name, _ in records[:3]]
    source = GenomeIntervals(intervals, genome, length=200, batch_size=4)
    x = all_batches(source)
    expected = one_hot([seq for _, seq in records])
    np.testing.assert_array_equal(x[:6], expected)
    np.testing.assert_array_equal(x[6:], expected[:3])
    assert source.regions()[0] == f"{intervals[0][0]}:0-200"


def test_interpreter_scans_genome_windows_as_the_array(
    rng, genome, genome_path
):
    keras = pytest.importorskip("keras")
    from keras_motifs import Conv1DInterpreter

    inputs = keras.Input((30, 4))
    x = keras.layers.Conv1D(3, 5, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))
    source = GenomeIntervals(
        random_intervals(rng, genome, 25),
        genome_path,
        length=30,
        batch_size=8,
        alphabet="AGCT",
    )
    interpreter = Conv1DInterpreter(model)
    from_source = interpreter.extract(
        source, batch_size=16, threshold=0.0, strands="both"
    ).motifs
    array = OneHotArray(all_batches(source), alphabet="AGCT")
    from_array = interpreter.extract(
        array, batch_size=16, threshold=0.0, strands="both"
    ).motifs
    assert from_source.nsites.sum() > 0
    np.testing.assert_allclose(from_source.counts, from_array.counts)
    np.testing.assert_array_equal(from_source.nsites, from_array.nsites)
