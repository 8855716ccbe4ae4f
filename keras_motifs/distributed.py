"""Scan shards of a data set on a Dask cluster and sum the motifs.

Counts are additive: each shard is scanned by a worker with
`Conv1DInterpreter.extract` and the `MotifSet`s are summed
(`MotifSet.__add__`). A relative threshold needs each filter's maximum over
all sequences, so it runs in two passes: the workers first return their
shards' per-filter maxima, then count with the global cutoff
`max(threshold, relative_threshold * maximum)`. That is the exact two-pass
rule; a local `extract(relative_threshold=...)` resolves the cutoff in one
pass with activation bins and agrees with it except for windows within
0.55 % of the cutoff. A null threshold (`"null:P"`, the default) is
resolved first, on one worker, from the first shard's sequences.

Each worker loads the model once per call of `extract_distributed` and
keeps it for later calls with the same model (a path, or a model sent as
bytes), so a worker pays for TensorFlow and the model only once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import numbers
import os
import tempfile
from typing import NamedTuple, Sequence

import h5py
import numpy as np

from keras_motifs import site_rules
from keras_motifs.sources import FASTA_SUFFIXES
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.files import open_hdf5
from keras_motifs.extraction import Extraction

__all__ = ["FastaChunk", "HDF5Slice", "extract_distributed", "fasta_shards",
           "hdf5_shards"]

# Per worker process: models and interpreters already loaded, by token.
_WORKER_CACHE: dict = {}


class HDF5Slice(NamedTuple):
    """Rows `[start, stop)` of the `(N, length, 4)` dataset of an HDF5 file."""

    path: str
    dataset: str
    start: int
    stop: int


class FastaChunk(NamedTuple):
    """Records `[start, stop)` (0-based, in file order) of a FASTA file."""

    path: str
    start: int
    stop: int


def hdf5_shards(path, dataset: str, n_shards: int) -> list[HDF5Slice]:
    """Splits an HDF5 dataset into `n_shards` contiguous row ranges.

    Args:
        path: The HDF5 file (also read by the workers: give a path they
            can open, e.g. on a shared file system).
        dataset: Name of the `(N, length, 4)` dataset in the file.
        n_shards: How many shards; fewer when there are fewer rows.

    Returns:
        A list of `HDF5Slice`.

    Example:

    >>> shards = hdf5_shards("x.h5", "x", 8)
    """
    n_shards = positive_int(n_shards, "n_shards")
    with open_hdf5(path, "path") as handle:
        if not isinstance(handle.get(dataset), h5py.Dataset):
            raise ValueError(
                f"{os.fspath(path)} has no dataset {dataset!r} (its datasets: "
                f"{_datasets(handle)}). Received: dataset={dataset!r}"
            )
        n = handle[dataset].shape[0]
    return [HDF5Slice(os.fspath(path), dataset, int(a), int(b))
            for a, b in _bounds(n, n_shards)]


def fasta_shards(path, n_shards: int) -> list[FastaChunk]:
    """Splits a FASTA file into `n_shards` chunks of consecutive records.

    Args:
        path: The FASTA file (plain or gzip), readable by the workers.
        n_shards: How many shards; fewer when there are fewer records.

    Returns:
        A list of `FastaChunk`.

    Example:

    >>> shards = fasta_shards("peaks.fa", 8)
    """
    from keras_motifs.sequences import read_fasta

    n_shards = positive_int(n_shards, "n_shards")
    n = sum(1 for _ in read_fasta(path))
    return [FastaChunk(os.fspath(path), int(a), int(b))
            for a, b in _bounds(n, n_shards)]


def _bounds(n, n_shards):
    edges = np.linspace(0, n, min(n_shards, max(n, 1)) + 1).astype(int)
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def extract_distributed(
    model_or_path,
    shards: Sequence,
    client,
    *,
    layer=None,
    alphabet: str | None = None,
    activation_layer=None,
    **extract_options,
) -> Extraction:
    """`Conv1DInterpreter(model).extract` over shards on a Dask cluster.

    Args:
        model_or_path: A `.keras` model file every worker can read, or a
            Keras model (sent to the workers once, as bytes).
        shards: A list of shards: `HDF5Slice(path, dataset, start, stop)`
            (or the plain 4-tuple), `FastaChunk(path, start, stop)`, or a
            file path (a FASTA or `.npy` file, scanned whole). See
            `hdf5_shards` and `fasta_shards`.
        client: A `dask.distributed.Client`.
        layer: As for `Conv1DInterpreter`.
        alphabet: As for `Conv1DInterpreter`.
        activation_layer: As for `Conv1DInterpreter`.
        **extract_options: As for `Conv1DInterpreter.extract` (`site_rule`
            or its options, `strands`, `batch_size`, `engine`, `firing`).
            The null cutoffs of `threshold="null:P"` (the default) come
            from the first `null_sequences` sequences of the first shard
            (each shuffled several times where it holds fewer); a relative
            threshold, Basset's rule and `max_sites` add up the first-pass
            statistics of every shard (`Conv1DInterpreter.first_pass`), so
            the cutoffs are those of one scan of all the data; the shards
            are then counted with those cutoffs.

    Returns:
        The `keras_motifs.Extraction` of all the shards, their extractions
        added up (`Extraction.__add__`).

    Example:

    >>> from dask.distributed import Client
    >>> client = Client("tcp://scheduler:8786")
    >>> extraction = extract_distributed("model.keras",
    ...                              hdf5_shards("x.h5", "x", 64), client)
    """
    from keras_motifs.interpreter import check_extract_options

    options = check_extract_options(**extract_options)
    rule = options.pop("rule")
    shards = [_check_shard(shard) for shard in shards]
    if not shards:
        raise ValueError("No shards to scan. Received: shards=[]")
    if not hasattr(client, "submit") or not hasattr(client, "gather"):
        raise TypeError(
            "client must be a dask.distributed.Client. "
            f"Received: client={type(client).__name__}"
        )
    source, token = _model_source(model_or_path)
    interpreter_options = dict(layer=layer, alphabet=alphabet,
                               activation_layer=activation_layer)
    if isinstance(source, bytes):
        source = client.scatter(source, broadcast=True)
    asked = rule
    if rule.needs_first_pass:
        # The null sample from the first shard, the data's statistics from
        # every shard, added up: the cutoffs of one pass over all the data.
        data_rule = dataclasses.replace(rule, threshold=-np.inf)
        passes = client.gather([
            client.submit(_shard_first_pass, token, source,
                          interpreter_options, shard,
                          dict(options, site_rule=rule if i == 0 else data_rule),
                          pure=False)
            for i, shard in enumerate(shards)
            if i == 0 or rule.reads_all_data_twice
        ])
        null = passes[0][0]
        stats = None
        if rule.reads_all_data_twice:
            stats = sum((p[1] for p in passes[1:]), passes[0][1])
        n_filters = len(stats.maximum) if stats is not None else null.shape[1]
        cutoffs = rule.cutoffs(
            lambda t: np.array(np.broadcast_to(np.float32(t), (n_filters,))),
            stats, null)
        rule = site_rules.SiteRule(threshold=cutoffs.tolist())
    options["site_rule"] = rule
    parts = client.gather([
        client.submit(_shard_motifs, token, source, interpreter_options,
                      shard, options, pure=False)
        for shard in shards
    ])
    extraction = sum(parts[1:], parts[0])
    # The rule asked for, as extract() gives it; the cutoffs it resolved to
    # are the extraction's own field.
    extraction.site_rule = asked
    return extraction


def _check_shard(shard):
    if isinstance(shard, (str, os.PathLike)):
        path = os.fspath(shard)
        if not path.lower().endswith(FASTA_SUFFIXES + (".npy",)):
            raise ValueError(
                "A file shard must be a FASTA or .npy file; give HDF5 "
                "files as HDF5Slice(path, dataset, start, stop) (see "
                f"hdf5_shards). Received: shard={path!r}"
            )
        return path
    if isinstance(shard, (tuple, list)) and len(shard) == 4:
        checked = HDF5Slice(os.fspath(shard[0]), str(shard[1]),
                            *_shard_rows(shard, shard[2], shard[3]))
        if os.path.isfile(checked.path):  # else only the workers may see it
            _check_slice(checked)
        return checked
    if isinstance(shard, (tuple, list)) and len(shard) == 3:
        return FastaChunk(os.fspath(shard[0]), *_shard_rows(shard, shard[1], shard[2]))
    raise TypeError(
        "Each shard must be a file path, an HDF5Slice(path, dataset, start, "
        "stop) or a FastaChunk(path, start, stop). "
        f"Received: shard={shard!r}"
    )


def _shard_rows(shard, start, stop) -> tuple[int, int]:
    """`(start, stop)` of a shard: integers with 0 <= start < stop."""
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"Shard {shard!r}: its {name} must be an integer (a row or "
                f"record index). Received: {name}={value!r}"
            )
    if not 0 <= start < stop:
        raise ValueError(
            f"Shard {shard!r}: expected 0 <= start < stop. Received: "
            f"start={start!r}, stop={stop!r}"
        )
    return int(start), int(stop)


def _check_slice(shard: HDF5Slice) -> None:
    """A ValueError naming `shard` unless its file has its dataset and rows."""
    with open_hdf5(shard.path, "shard") as handle:
        dataset = handle.get(shard.dataset)
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(
                f"Shard {tuple(shard)!r}: {shard.path} has no dataset "
                f"{shard.dataset!r} (its datasets: {_datasets(handle)}); give the "
                "name of the (N, length, 4) dataset, as hdf5_shards(path, "
                "dataset, n) does."
            )
        if shard.stop > len(dataset):
            raise ValueError(
                f"Shard {tuple(shard)!r}: rows [{shard.start}, {shard.stop}) run "
                f"past the {len(dataset)} rows of {shard.dataset!r} in "
                f"{shard.path}; split the dataset with hdf5_shards."
            )


def _datasets(handle) -> list[str]:
    """The names of the first datasets of an open HDF5 file."""
    names = []
    handle.visititems(lambda name, item: names.append(name)
                      if isinstance(item, h5py.Dataset) else None)
    return names[:8]


def _model_source(model_or_path):
    """What the workers load the model from, and a token naming it."""
    if isinstance(model_or_path, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(model_or_path))
        if not os.path.isfile(path):
            raise ValueError(
                "model_or_path must be a model file the workers can read. "
                f"Received: model_or_path={os.fspath(model_or_path)!r}"
            )
        return path, f"{path}:{os.path.getmtime(path)}"
    import keras

    if not isinstance(model_or_path, keras.Model):
        raise TypeError(
            "model_or_path must be a keras.Model or the path of a .keras "
            f"file. Received: model_or_path={type(model_or_path).__name__}"
        )
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.keras")
        keras.saving.save_model(model_or_path, path)
        with open(path, "rb") as handle:
            data = handle.read()
    return data, hashlib.sha256(data).hexdigest()


def _interpreter(token, source, interpreter_options):
    """The worker's interpreter for this model, loaded once per process."""
    key = (token, repr(sorted(interpreter_options.items())))
    if key not in _WORKER_CACHE:
        import keras

        from keras_motifs.interpreter import Conv1DInterpreter

        if token not in _WORKER_CACHE:
            _WORKER_CACHE[token] = _load_model(keras, source)
        _WORKER_CACHE[key] = Conv1DInterpreter(_WORKER_CACHE[token],
                                               **interpreter_options)
    return _WORKER_CACHE[key]


def _load_model(keras, source):
    if not isinstance(source, bytes):
        return keras.saving.load_model(source, compile=False)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.keras")
        with open(path, "wb") as handle:
            handle.write(source)
        return keras.saving.load_model(path, compile=False)


def _read_shard(shard):
    """The sequences of a shard, as `extract` reads them."""
    if isinstance(shard, HDF5Slice):
        try:
            _check_slice(shard)
        except OSError as error:
            raise OSError(
                f"Shard {tuple(shard)!r} cannot be read on this worker: {error} "
                "The workers must reach the shard files at the same path (a "
                "shared file system, or copy them first)."
            ) from None
        with h5py.File(shard.path, "r") as handle:
            return np.asarray(handle[shard.dataset][shard.start:shard.stop])
    if isinstance(shard, FastaChunk):
        from keras_motifs.sequences import one_hot, read_fasta

        records = itertools.islice(read_fasta(shard.path), shard.start,
                                   shard.stop)
        return one_hot([sequence for _, sequence in records])
    if shard.lower().endswith(".npy"):
        return np.load(shard, mmap_mode="r")
    return shard


def _shard_first_pass(token, source, interpreter_options, shard, options):
    interpreter = _interpreter(token, source, interpreter_options)
    return interpreter.first_pass(_read_shard(shard), **options)


def _shard_motifs(token, source, interpreter_options, shard, options):
    interpreter = _interpreter(token, source, interpreter_options)
    return interpreter.extract(_read_shard(shard), **options)
