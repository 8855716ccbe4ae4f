"""Tests for the batching of keras_motifs.sources: fixed-size batches, prefetch, checks."""

import threading
import time

import h5py
import numpy as np
import pytest
from conftest import random_one_hot

from keras_motifs.sources import check_batch, fixed_batches, prefetch


def random_sizes(rng, total, largest):
    """Sizes of source batches (zeros included) that add up to `total`."""
    sizes = []
    while sum(sizes) < total:
        sizes.append(int(min(rng.integers(0, largest + 1), total - sum(sizes))))
    return sizes


def check_against_concatenation(batches, parts, batch_size, dtype="float32"):
    """`batches` hold the rows of `parts` in order, then zero padding."""
    whole = np.concatenate(parts)
    assert all(batch.shape == (batch_size,) + whole.shape[1:] for batch, _ in batches)
    assert all(batch.dtype == np.dtype(dtype) for batch, _ in batches)
    counts = [n_valid for _, n_valid in batches]
    expected_counts = [batch_size] * (len(whole) // batch_size)
    if len(whole) % batch_size:
        expected_counts.append(len(whole) % batch_size)
    assert counts == expected_counts
    joined = np.concatenate([batch[:n_valid] for batch, n_valid in batches])
    np.testing.assert_array_equal(joined, whole)
    last, n_valid = batches[-1]
    np.testing.assert_array_equal(last[n_valid:], 0)


@pytest.mark.parametrize("batch_size", [1, 3, 7, 16, 100])
def test_generator_batches_are_joined_and_split_like_a_concatenation(rng, batch_size):
    for _ in range(5):
        sizes = random_sizes(rng, int(rng.integers(1, 60)), largest=20)
        parts = [random_one_hot(rng, size, 9, dtype="uint8") for size in sizes]
        batches = list(fixed_batches(iter(parts), batch_size))
        check_against_concatenation(batches, parts, batch_size)


def test_yielded_batches_are_distinct_arrays(rng):
    """A consumer that keeps the batches sees each one as it was yielded."""
    x = random_one_hot(rng, 10, 5)
    batches = list(fixed_batches(x, 3))
    assert len({id(batch) for batch, _ in batches}) == len(batches)
    check_against_concatenation(batches, [x], 3)


@pytest.mark.parametrize("n", [1, 8, 9, 24, 25])
def test_arrays_and_hdf5_datasets(rng, tmp_path, n):
    x = random_one_hot(rng, n, 6)
    check_against_concatenation(list(fixed_batches(x, 8)), [x], 8)
    with h5py.File(tmp_path / "x.h5", "w") as handle:
        handle["x"] = x
    with h5py.File(tmp_path / "x.h5", "r") as handle:
        batches = list(fixed_batches(handle["x"], 8, dtype="float64"))
    check_against_concatenation(batches, [x], 8, dtype="float64")


def test_tuples_take_the_first_array(rng):
    parts = [random_one_hot(rng, 4, 5) for _ in range(3)]
    labels = np.ones((4, 2))
    for wrap in (lambda x: (x, labels), lambda x: (x,), lambda x: [x, labels, labels]):
        batches = list(fixed_batches((wrap(p) for p in parts), 5))
        check_against_concatenation(batches, parts, 5)


def test_fractional_and_boolean_rows_are_kept(rng):
    x = np.full((3, 4, 4), 0.25, dtype="float32")
    x[1] = 0  # N as zeros
    x[2, :2] = np.eye(4)[:2]
    check_against_concatenation(list(fixed_batches(x, 2)), [x], 2)
    boolean = random_one_hot(rng, 5, 4).astype(bool)
    batches = list(fixed_batches(boolean, 4))
    check_against_concatenation(batches, [boolean.astype("float32")], 4)


def test_length_is_taken_from_the_first_batch_and_required(rng):
    parts = [random_one_hot(rng, 3, 10), random_one_hot(rng, 3, 11)]
    with pytest.raises(ValueError, match="length 10; received length 11"):
        list(fixed_batches(iter(parts), 4))
    with pytest.raises(ValueError, match="length 12; received length 10"):
        list(fixed_batches(iter(parts), 4, length=12))


def test_empty_sources(rng):
    for source in (np.zeros((0, 5, 4)), iter([]), iter([np.zeros((0, 5, 4))] * 3)):
        with pytest.raises(ValueError, match="source is empty"):
            list(fixed_batches(source, 4))
    # Empty batches between others are skipped.
    x = random_one_hot(rng, 6, 5)
    parts = [np.zeros((0, 5, 4)), x[:2], np.zeros((0, 5, 4)), x[2:]]
    check_against_concatenation(list(fixed_batches(iter(parts), 4)), [x], 4)


def test_source_errors(rng):
    with pytest.raises(ValueError, match="single sequence of shape"):
        list(fixed_batches(iter([random_one_hot(rng, 1, 5)[0]]), 4))
    with pytest.raises(TypeError, match="list of strings"):
        list(fixed_batches(["ACGT"], 4))
    with pytest.raises(TypeError, match="received int"):
        list(fixed_batches(42, 4))
    with pytest.raises(ValueError, match="yielded a dict"):
        list(fixed_batches(iter([{"x": random_one_hot(rng, 2, 5)}]), 4))
    with pytest.raises(ValueError, match="empty tuple"):
        list(fixed_batches(iter([()]), 4))
    # A path of arrays is read since 0.2 (sequence_files); a missing one is
    # named before any batch.
    with pytest.raises(FileNotFoundError, match="sequences file not found: sequences.npy"):
        list(fixed_batches("sequences.npy", 4))
    with pytest.raises(ValueError, match="GenomeIntervals"):
        list(fixed_batches("peaks.bed", 4))


def test_declared_alphabet_must_match(rng):
    from keras_motifs import OneHotArray

    batch = OneHotArray(random_one_hot(rng, 2, 5), alphabet="AGCT")
    with pytest.raises(ValueError, match="declare channel order 'AGCT'.*'ACGT'"):
        list(fixed_batches(iter([batch]), 4, alphabet="ACGT"))
    batches = list(fixed_batches(iter([batch]), 4, alphabet="AGCT"))
    check_against_concatenation(batches, [np.asarray(batch)], 4)


# prefetch


def test_prefetch_keeps_order(rng):
    items = [int(v) for v in rng.integers(0, 1000, size=200)]
    for depth in (1, 2, 5):
        assert list(prefetch(iter(items), depth=depth)) == items
    assert list(prefetch(iter([]))) == []


def test_prefetch_reads_ahead_in_another_thread():
    threads = []

    def source():
        for i in range(3):
            threads.append(threading.current_thread())
            yield i

    assert list(prefetch(source())) == [0, 1, 2]
    assert threads and all(t is not threading.current_thread() for t in threads)


def test_prefetch_reraises_the_source_error_after_its_items():
    def source():
        yield 1
        yield 2
        raise KeyError("broken source")

    seen = []
    with pytest.raises(KeyError, match="broken source"):
        for item in prefetch(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetch_stops_reading_when_the_consumer_stops():
    pulled = []

    def endless():
        i = 0
        while True:
            pulled.append(i)
            yield i
            i += 1

    before = threading.active_count()
    iterator = prefetch(endless(), depth=2)
    assert [next(iterator) for _ in range(3)] == [0, 1, 2]
    iterator.close()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() == before  # the reader thread ended
    # At most `depth` queued items and one waiting to be queued beyond those.
    assert len(pulled) <= 3 + 2 + 1


# check_batch


@pytest.mark.parametrize(
    "x, length, error, message",
    [
        (np.zeros((5, 4)), None, ValueError, r"rank 2\).*add a batch axis"),
        (np.zeros((2, 3, 5, 4)), None, ValueError, r"rank 4"),
        (np.zeros((2, 10, 5)), None, ValueError, r"4 channels.*\(2, 10, 5\)"),
        (np.zeros((2, 4, 10)), None, ValueError, "channels-first.*transpose"),
        (np.zeros((2, 10, 4)), 12, ValueError, "length 12; received length 10"),
        (np.zeros((2, 10, 4), complex), None, TypeError, "numeric or boolean"),
        (np.zeros((2, 10, 4), "U1"), None, TypeError, "numeric or boolean"),
        (np.full((2, 10, 4), np.nan), None, ValueError, "NaN or infinite"),
        (np.full((2, 10, 4), np.inf), None, ValueError, "NaN or infinite"),
        (np.full((2, 10, 4), -0.5), None, ValueError, "values range from -0.5"),
        (np.full((2, 10, 4), 2, "int8"), None, ValueError, "values range from 2 to 2"),
        (np.full((2, 10, 4), 0.5), None, ValueError, "sum to more than 1"),
    ],
)
def test_check_batch_errors(x, length, error, message):
    with pytest.raises(error, match=message):
        check_batch(x, length)


def test_check_batch_accepts_one_hot_like_rows(rng):
    for x in (
        random_one_hot(rng, 3, 10),
        random_one_hot(rng, 3, 10, dtype="uint8"),
        random_one_hot(rng, 3, 10).astype(bool),
        np.full((3, 10, 4), 0.25),
        np.zeros((3, 10, 4)),
        np.zeros((0, 10, 4)),
    ):
        check_batch(x, 10)
        check_batch(x, None)
