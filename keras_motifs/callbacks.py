"""MotifExtractor: a Keras callback that writes the motifs of a Conv1D."""

from __future__ import annotations

import inspect
import os
import warnings

import keras
import numpy as np

from keras_motifs._internal.alphabet import check_alphabet, resolve_alphabet
from keras_motifs._internal.checks import boolean, integer, positive_int
from keras_motifs._internal.files import check_writable
from keras_motifs._internal.graph import input_name, model_inputs
from keras_motifs._internal.messages import print_msg
from keras_motifs.history import as_record
from keras_motifs.interpreter import Conv1DInterpreter, check_extract_options
from keras_motifs.formats.meme import write_meme
from keras_motifs.sources import check_batch, fixed_batches, open_sequences

__all__ = ["MotifExtractor"]

EXTRACT_OPTIONS = (
    "site_rule", "threshold", "relative_threshold", "strands", "batch_size", "engine",
    "firing", "labels", "relative_to", "max_sites", "null_sequences",
    "null_seed",
)


class MotifExtractor(keras.callbacks.Callback):
    """Extracts the motifs of a Conv1D layer during and after training.

    At the start of training the callback finds the layer and checks that
    the sequences fit the model's input and that the output path can be
    written, so a mistake fails before hours of training rather than after.
    At the end of training it scans `sequences` with the layer's filters,
    keeps the windows under each filter's maximum (see
    `Conv1DInterpreter.extract`) and writes the motifs in MEME minimal
    format. With `every_n_epochs`, it also writes snapshots during
    training; put `{epoch}` in `filepath` to keep each one.

    Without `sequences`, `MotifExtractor()` scans the data `model.fit` was
    given: the validation inputs when there are any (`validation_data`, or
    the `validation_split` part), else the training inputs; for a model with
    several inputs, the input the Conv1D reads. At most `max_sequences` are
    taken: of an array with more rows, a random subset drawn with seed 0
    (the same at every snapshot), in the array's order; of a dataset, a
    `PyDataset` or another iterable, the first ones it yields. Keras does
    not hand callbacks the data, so the callback reads the arguments of the
    `Model.fit` call that runs it (on any backend); a generator, which `fit`
    consumes, cannot be read again and fails at `on_train_begin`, before
    the first epoch: pass `sequences=` then. `callback.source` says what
    was scanned.

    With `every_n_epochs` and `record=True` (or a TSV path, or a
    `keras_motifs.history.MotifHistory` for its options), each snapshot is
    also recorded, from the same scan: per filter nsites, the information
    content of the trimmed motif and, with the compare extra, the best
    JASPAR match and its q-value, in a table rewritten atomically after
    each snapshot (`keras_motifs.history.read_motif_history` reads it,
    `keras-motifs history` draws it); the extraction at the end of
    training is recorded too. Scalar summaries (`motifs_mean_nsites`,
    `motifs_mean_information`, `motifs_matching`, ...) go into the epoch's
    `logs`, so `History` and `CSVLogger` keep them; they are NaN on epochs
    without a snapshot. A failed record warns like a failed snapshot.

    Every option is checked when the callback is made or when training
    begins, so a mistake fails before the first epoch. If an extraction
    fails during or at the end of training (a full disk, a path that became
    a directory), the callback warns and training goes on, the trained
    model untouched; `strict=True` raises instead.

    Args:
        sequences: One-hot DNA `(N, length, 4)` to scan: a numpy array, an
            h5py dataset, a `tf.data.Dataset`, a `keras.utils.PyDataset`
            or a FASTA path. A generator is read once, so it cannot feed
            `every_n_epochs` snapshots. `None` (the default): a sample of
            the data given to `model.fit`, see above.
        filepath: Where to write the MEME file; may contain `{epoch}`
            (formatted with the 1-based epoch, as `ModelCheckpoint` does).
        layer: The Conv1D to interpret (`None`: the first one; a name, an
            index or the layer itself).
        input: For a model with several inputs, the one the Conv1D reads
            (see `Conv1DInterpreter`).
        dna_channels: For inputs with signal channels, the four DNA
            channels (see `Conv1DInterpreter`).
        max_sequences: Without `sequences`, the most sequences of the
            training or validation data to scan.
        every_n_epochs: Also extract every this many epochs, or `None` for
            the end of training only.
        record: `None` (no record), `True` (`motifs_history.tsv`), a TSV
            path or a `MotifHistory`; needs `every_n_epochs`.
        strict: Raise extraction errors (of a snapshot or at the end of
            training) instead of warning.
        alphabet: Channel order of the sequences (e.g. `"AGCT"` for
            DeepSEA); `None` takes the order the data declare, or `"ACGT"`.
        verbose: 1 prints a line each time motifs are written.
        **extract_options: `site_rule` (a
            `keras_motifs.site_rules.SiteRule`) or its options: `threshold`
            (`"null:P"` too), `relative_threshold`, `relative_to`, `max_sites`,
            `null_sequences`, `null_seed`, `strands`, `batch_size`,
            `engine`, `firing` and `labels` (row for row with
            `sequences`: where and for whom each filter fires, kept as
            `callback.extraction.firing`), passed to
            `Conv1DInterpreter.extract`.

    Attributes:
        motifs: The `MotifSet` of the latest extraction (also in the MEME
            file), `None` before the first.
        extraction: The latest `keras_motifs.Extraction` (its motifs, the
            cutoffs, the engine, firing stats), `None` before the first.

    Example:

    >>> callback = MotifExtractor(x_valid[:2000], "motifs.meme")
    >>> model.fit(x_train, y_train, epochs=10, callbacks=[callback])
    >>> callback.motifs      # the MotifSet also written to motifs.meme
    >>> model.fit(x_train, y_train, validation_data=(x_valid, y_valid),
    ...           callbacks=[MotifExtractor()])      # writes motifs.meme
    """

    def __init__(
        self,
        sequences=None,
        filepath="motifs.meme",
        layer=None,
        *,
        input=None,
        dna_channels=None,
        max_sequences: int = 10_000,
        every_n_epochs: int | None = None,
        record=None,
        strict: bool = False,
        alphabet: str | None = None,
        verbose: int = 0,
        **extract_options,
    ):
        super().__init__()
        unknown = sorted(set(extract_options) - set(EXTRACT_OPTIONS))
        if unknown:
            raise TypeError(
                f"Unknown MotifExtractor option(s) {unknown}; expected any of "
                f"{list(EXTRACT_OPTIONS)}."
            )
        check_extract_options(**extract_options)
        if every_n_epochs is not None:
            positive_int(every_n_epochs, "every_n_epochs")
        if (every_n_epochs and sequences is not None
                and not open_sequences(sequences).rereadable):
            raise ValueError(
                "A generator can be scanned only once, so it cannot feed "
                "every_n_epochs snapshots; pass an array, a tf.data.Dataset "
                "or a keras.utils.PyDataset."
            )
        self.sequences = sequences
        self.filepath = os.fspath(filepath)
        self.layer = layer
        self.input = input
        self.dna_channels = dna_channels
        self.max_sequences = positive_int(max_sequences, "max_sequences")
        self.source = None
        self.record = as_record(record)
        if self.record is not None and every_n_epochs is None:
            raise ValueError(
                "record= keeps one entry per snapshot; pass every_n_epochs "
                "(1 records every epoch). Received: every_n_epochs=None"
            )
        self.every_n_epochs = every_n_epochs
        self.strict = boolean(strict, "strict")
        self.alphabet = None if alphabet is None else check_alphabet(alphabet)
        self.verbose = integer(verbose, "verbose", minimum=0)
        self.extract_options = extract_options
        self.extraction = None
        self._interpreter = None
        self._epoch = 0
        self._written_epoch = None
        self._scanned_epoch = None

    @property
    def motifs(self):
        """The `MotifSet` of the latest extraction, or `None` before one."""
        return None if self.extraction is None else self.extraction.motifs

    def on_train_begin(self, logs=None):
        self._written_epoch = None
        self._interpreter = Conv1DInterpreter(
            self.model,
            self.layer,
            input=self.input,
            dna_channels=self.dna_channels,
            alphabet=self.alphabet,
        )
        self.source = self.sequences
        if self.sequences is None:
            self.source, description = fit_sample(
                self.model, self._interpreter.input_index, self.max_sequences
            )
            if self.verbose:
                print_msg(f"MotifExtractor: will scan {description}")
        self._check_sequences()
        check_writable(self._path(0))
        if self.record is not None:
            check_writable(self.record.path)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        if self.record is not None and logs is not None:
            logs.update(self.record.empty_summary())
        if self.every_n_epochs and self._epoch % self.every_n_epochs == 0:
            if self._try_write(f"after epoch {self._epoch}", logs):
                self._written_epoch = self._epoch

    def on_train_end(self, logs=None):
        if self._written_epoch == self._epoch:
            return  # the last epoch's snapshot is the final result
        self._try_write("at the end of training")

    def _try_write(self, when: str, logs=None) -> bool:
        """Extracts, writes and records, from one scan; a failure warns (or
        raises with `strict`) so that training is never lost to the
        callback."""
        written = self._attempt(
            lambda: self._write(self._path(self._epoch)), f"extract motifs {when}"
        )
        if self.record is not None and self._scanned_epoch == self._epoch:
            self._attempt(lambda: self._record(logs), f"record motifs {when}")
        return written

    def _record(self, logs):
        summary = self.record.record(self._epoch, self.motifs)
        if logs is not None:
            logs.update(summary)
        if self.verbose:
            print_msg(
                f"MotifExtractor: recorded epoch {self._epoch} in "
                f"{self.record.path}"
            )

    def _attempt(self, action, what: str) -> bool:
        try:
            action()
        except Exception as error:
            if self.strict:
                raise
            warnings.warn(
                f"MotifExtractor could not {what} "
                f"({type(error).__name__}: {error}). Training goes on and the "
                "model is unaffected; call Conv1DInterpreter(model)"
                ".extract(x) to retry, or pass strict=True to raise.",
                stacklevel=3,
            )
            return False
        return True

    def _path(self, epoch):
        try:
            return self.filepath.format(epoch=epoch)
        except (KeyError, IndexError) as error:
            raise ValueError(
                f"filepath {self.filepath!r} may only contain the {{epoch}} "
                f"placeholder; found {error}."
            ) from None

    def _write(self, path):
        self.extraction = self._interpreter.extract(
            self.source, **self.extract_options
        )
        self._scanned_epoch = self._epoch
        write_meme(self.motifs, path)
        if self.verbose:
            written = int(np.count_nonzero(self.motifs.nsites))
            print_msg(
                f"MotifExtractor: wrote {written} motifs to {path}"
            )

    def _check_sequences(self):
        interpreter = self._interpreter
        source = open_sequences(self.source)
        sample = _peek(source, interpreter.n_channels, interpreter.dna_channels)
        if sample is None:
            return
        if len(sample) == 0:
            raise ValueError(
                "MotifExtractor received no sequences (an empty array); pass "
                "at least one one-hot sequence of shape (length, 4)."
            )
        check_batch(
            sample,
            interpreter.input_length,
            interpreter.n_channels,
            interpreter.dna_channels,
        )
        resolve_alphabet(self.alphabet, source.alphabet)


def _peek(source, channels=4, dna_channels=None):
    """The first few sequences of a re-readable source, else `None`."""
    if not source.rereadable:
        return None
    if source.count is not None:  # arrays: read as given, checked after
        return next(source.batches(8), np.zeros((0,)))
    batches = fixed_batches(
        source, 8, channels=channels, dna_channels=dna_channels
    )
    for batch, n_valid in batches:
        return batch[:n_valid]
    return None


# ---------------------------------------------------------------------------
# The data `model.fit` was given, for a callback made without sequences.
#
# Keras 3 does not hand callbacks the training or validation data, and keeps
# none of it on the model before the first epoch ends (the data adapter is a
# local variable of `fit`; the validation iterator is made after the first
# epoch). `MotifExtractor()` with no sequences therefore reads `fit`'s own
# arguments: `on_train_begin` is called from inside `Model.fit`, whose frame
# holds `x` and `validation_data` (already split off when `validation_split`
# was used). The TensorFlow, JAX and PyTorch trainers of Keras 3 all name
# them so; the frame is found by its function name and its `self`, the model.
# This is the one place that relies on it.
#
# Sampling is deterministic: arrays with more rows than asked give a subset
# drawn with a fixed seed, kept in their order; datasets and other iterables
# give the first sequences they yield.

SAMPLE_SEED = 0

PASS_SEQUENCES = (
    "pass the sequences to scan instead, MotifExtractor(sequences=x_valid) "
    "(an array, an h5py dataset, a tf.data.Dataset, a PyDataset or a FASTA "
    "path)."
)


def fit_arguments(model) -> dict | None:
    """`{"x": ..., "validation_data": ...}` of the running `model.fit`, or
    `None` when `model.fit` is not on the call stack."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == "fit" and frame.f_locals.get("self") is model:
                local = frame.f_locals
                return {
                    "x": local.get("x"),
                    "validation_data": local.get("validation_data"),
                }
            frame = frame.f_back
    finally:
        del frame
    return None


def fit_sample(model, input_index: int, max_sequences: int):
    """A sample of the data `model.fit` is training on, to scan.

    The validation inputs when `fit` has any (`validation_data`, or the
    part `validation_split` set aside), else the training inputs; of a
    model with several inputs, the input `input_index`.

    Args:
        model: The model being trained.
        input_index: The index in `model.inputs` of the sequences.
        max_sequences: The most sequences to take.

    Returns:
        `(source, description)`: something `open_sequences` opens, and a
        phrase saying what it is, e.g. `"10000 of 50000 validation
        sequences (seeded random subset)"`.

    Raises:
        ValueError: when the data cannot be reached or read more than once
            (a generator); the message names `sequences=` as the fix.
    """
    arguments = fit_arguments(model)
    if arguments is None:
        raise ValueError(
            "MotifExtractor() without sequences scans the data given to "
            "model.fit, but it was not started by model.fit (a custom "
            f"training loop?); {PASS_SEQUENCES}"
        )
    which, data = "validation", arguments["validation_data"]
    if data is None:
        which, data = "training", arguments["x"]
    else:
        data = keras.utils.unpack_x_y_sample_weight(data)[0]
    if data is None:
        raise ValueError(f"model.fit was given no input data to scan; {PASS_SEQUENCES}")
    if hasattr(data, "shape") or isinstance(data, (dict, list, tuple)):
        data = pick_input(data, model, input_index)
        count = int(data.shape[0])
        if count <= max_sequences:
            return data, f"all {count} {which} sequences"
        rows = np.random.default_rng(SAMPLE_SEED).choice(
            count, max_sequences, replace=False
        )
        return RowSample(data, np.sort(rows)), (
            f"{max_sequences} of {count} {which} sequences (a random subset "
            f"drawn with seed {SAMPLE_SEED}, in their order)"
        )
    if not open_sequences(data).rereadable:
        raise ValueError(
            f"MotifExtractor() without sequences cannot scan the {which} "
            "data: it is a generator, which model.fit consumes and which "
            f"cannot be read again; {PASS_SEQUENCES}"
        )
    name = input_name(model_inputs(model)[input_index])
    of_input = f" of input {name!r}" if len(model_inputs(model)) > 1 else ""
    return FirstSequences(data, max_sequences, model, input_index), (
        f"the first {max_sequences} {which} sequences{of_input} the data "
        "yields (at most)"
    )


def pick_input(x, model, input_index: int):
    """The array of input `input_index` from `x`: an array, a list of one
    array per model input, or a dict by input name."""
    inputs = model_inputs(model)
    name = input_name(inputs[input_index])
    if isinstance(x, dict):
        if name not in x:
            raise ValueError(
                f"The model.fit inputs hold {sorted(x)} but not {name!r}, the "
                f"input the Conv1D reads; {PASS_SEQUENCES}"
            )
        x = x[name]
    elif isinstance(x, (list, tuple)):
        if len(x) != len(inputs):
            raise ValueError(
                f"The model.fit inputs are a sequence of {len(x)} items but "
                f"the model has {len(inputs)} inputs; {PASS_SEQUENCES}"
            )
        x = x[input_index]
    if not hasattr(x, "shape") or not hasattr(x, "__getitem__"):
        raise ValueError(
            f"Cannot read input {name!r} of model.fit's data "
            f"({type(x).__name__}); {PASS_SEQUENCES}"
        )
    return x


class RowSample:
    """Rows `rows` (increasing) of an array-like, read lazily in slices.

    Args:
        source: A numpy array, h5py dataset or backend tensor.
        rows: Increasing row indices.
    """

    def __init__(self, source, rows):
        self.source = source
        self.rows = np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows),) + tuple(source.shape[1:])
        self.alphabet = getattr(source, "alphabet", None)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        rows = self.rows[index]
        try:
            taken = np.asarray(self.source[rows])
        except (TypeError, IndexError, ValueError):
            # Tensors of some backends take no index arrays.
            taken = np.stack([np.asarray(self.source[int(i)]) for i in rows])
        return taken


class FirstSequences:
    """The first `limit` sequences of a re-readable dataset, as batches.

    Elements may be `x`, `(x, y)` or `(x, y, w)`, with `x` an array, a list
    of one array per model input or a dict by input name.
    """

    def __init__(self, source, limit: int, model, input_index: int):
        self.source = source
        self.limit = limit
        self.model = model
        self.input_index = input_index

    def _elements(self):
        source = self.source
        if isinstance(source, keras.utils.PyDataset):
            return (source[i] for i in range(len(source)))
        if hasattr(source, "as_numpy_iterator"):
            return source.as_numpy_iterator()
        return iter(source)

    def __iter__(self):
        taken = 0
        for element in self._elements():
            x = keras.utils.unpack_x_y_sample_weight(element)[0]
            x = np.asarray(pick_input(x, self.model, self.input_index))
            if taken + len(x) >= self.limit:
                yield x[: self.limit - taken]
                return
            taken += len(x)
            yield x
