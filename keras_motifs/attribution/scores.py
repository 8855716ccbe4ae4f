"""Contribution scores: how much each base of a sequence adds to a model's
output.

Four methods, for any Keras 3 model with a one-hot DNA input:

- `"ism"`, in-silico mutagenesis: the model's output for every single-base
  substitution of every sequence;
- `"gradient"`: gradient x input;
- `"integrated_gradients"`: integrated gradients (Sundararajan et al.,
  2017) against dinucleotide-shuffled references;
- `"deeplift"`: DeepLIFT's rescale rule (Shrikumar et al., 2017) against
  the same references, in DeepSHAP's form, for models of the layers
  `_deeplift.py` has rules for.

Each gives, per sequence, a hypothetical score `(length, 4)` for every base
at every position, in A, C, G, T order, and the contribution of the base
that is there: `hypothetical * sequences` (zero at the other three bases).
That is the pair TF-MoDISco reads.

The sequences stream through in groups; the model sees fixed-size batches
of rows (substituted sequences, path points) built from each group, so
memory holds one group and one batch, whatever the number of sequences.
`write_scores` streams the scores to HDF5.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Callable, Iterable, Iterator

import h5py
import keras
import numpy as np

from keras_motifs._internal.aligned import check_other_inputs, padded_rows
from keras_motifs._internal.alphabet import ALPHABET, alphabet_of
from keras_motifs._internal.alphabet import dna_channels_of, resolve_alphabet
from keras_motifs._internal.checks import integer, one_of, positive_int
from keras_motifs._internal.files import atomic_output
from keras_motifs._internal.files import open_hdf5
from keras_motifs._internal.graph import check_model, input_dtype, input_index
from keras_motifs._internal.graph import input_name, model_inputs
from keras_motifs.attribution._deeplift import DeepLift
from keras_motifs.attribution._gradients import gradient_function
from keras_motifs.attribution._gradients import predict_function
from keras_motifs.shuffle import dinucleotide_shuffle
from keras_motifs.sources import fixed_batches, open_sequences, prefetch

__all__ = [
    "ContributionScores", "contribution_scores", "iter_contribution_scores",
    "read_scores", "write_scores",
]

METHODS = ("ism", "gradient", "integrated_gradients", "deeplift")
FORMAT = "keras-motifs contribution scores"

# Model rows of a group of sequences (ISM, integrated gradients), as a
# multiple of the batch: the last batch of a group is padded, so groups of
# several batches waste little.
_GROUP_BATCHES = 4


@dataclasses.dataclass
class ContributionScores:
    """Contribution scores of sequences, in A, C, G, T order.

    Args:
        sequences: `(N, length, 4)` float32 one-hot DNA in A, C, G, T order
            (the DNA channels of the model's input).
        hypothetical: `(N, length, 4)` float32: the score each base would
            get at each position (see `contribution_scores` for each
            method's definition).
        method: `"ism"`, `"gradient"`, `"integrated_gradients"` or
            `"deeplift"`.
        output: The explained output, in words (e.g. `"task 3"`).

    Example:

    >>> scores = contribution_scores(model, x, output=0)
    >>> scores.contributions.sum(axis=-1)      # (N, length): per base
    """

    sequences: np.ndarray
    hypothetical: np.ndarray
    method: str
    output: str

    def __post_init__(self):
        self.sequences = np.asarray(self.sequences, dtype=np.float32)
        self.hypothetical = np.asarray(self.hypothetical, dtype=np.float32)
        shape = self.sequences.shape
        if len(shape) != 3 or shape[-1] != 4 or self.hypothetical.shape != shape:
            raise ValueError(
                "sequences and hypothetical must both have shape (N, length, "
                f"4). Received: sequences {shape}, hypothetical "
                f"{self.hypothetical.shape}"
            )

    def __len__(self) -> int:
        return len(self.sequences)

    def __repr__(self) -> str:
        n, length, _ = self.sequences.shape
        return (
            f"<ContributionScores of {n} sequences of {length} bp by "
            f"{self.method}, output {self.output}>"
        )

    @property
    def contributions(self) -> np.ndarray:
        """`hypothetical * sequences`: each base's own contribution."""
        return self.hypothetical * self.sequences


def contribution_scores(
    model,
    x,
    *,
    method: str = "ism",
    output=None,
    input=None,
    dna_channels=None,
    alphabet: str | None = None,
    other_inputs=None,
    n_references: int = 10,
    steps: int = 20,
    batch_size: int = 256,
    seed: int = 0,
) -> ContributionScores:
    """Contribution scores of one output of a model, per base.

    The methods and their hypothetical scores `hyp[i, l, b]` (the score
    of base `b` at position `l` of sequence `i`; the contribution of the
    base that is there is `hyp * sequences`):

    - `"ism"`: `hyp[i, l, b] = f(x_i with b at l) - mean over b' of f(x_i
      with b' at l)`, where `f` is the explained output. The contribution
      of the reference base is then how much higher the output is with it
      than with the average base; every substitution is run (3 per
      position of an A/C/G/T row, 4 at N rows), plus the sequence itself.
    - `"gradient"`: gradient x input, with the gradient centred over the
      four bases: `hyp[i, l, b] = g[l, b] - mean over b' of g[l, b']`,
      `g` the gradient of `f` at `x_i`.
    - `"integrated_gradients"`: against `n_references` dinucleotide
      shuffles `r` of each sequence, `IG = (x - r) * g_bar` with `g_bar`
      the gradient averaged over `steps` points `r + (k + 0.5) / steps *
      (x - r)`, `k = 0 .. steps - 1` (the midpoint rule); `hyp[i, l, b] =
      mean over r of (g_bar[l, b] - sum over b' of r[l, b'] g_bar[l, b'])`,
      the attribution with base `b` at `l` against the same references
      (DeepSHAP's hypothetical scores). At one-hot rows the contribution
      `hyp * x` is then IG summed over the channels and averaged over the
      references, and the contributions of a sequence sum to `f(x)` minus
      the mean of `f` over its references, up to the midpoint rule's
      error. The references of the sequences, in order, are drawn from one
      `numpy.random.Generator` seeded with `seed`: sequence `i`'s are
      `dinucleotide_shuffle(np.repeat(x[i:i + 1], n_references, axis=0),
      seed=generator)` (DNA channels only; signal channels stay).

    - `"deeplift"` (alias `"deepshap"`): DeepLIFT's rescale rule against
      the same `n_references` references as `"integrated_gradients"`
      (the same `seed` gives the same ones). The multipliers `m` of the
      input (`f(x) - f(r) = sum of m * (x - r)` over positions and
      channels, DeepLIFT's summation-to-delta) replace `g_bar` above:
      `hyp[i, l, b] = mean over r of (m[l, b] - sum over b' of r[l, b']
      m[l, b'])` (DeepSHAP's hypothetical scores), so at one-hot rows the
      contributions of a sequence sum to `f(x)` minus the mean of `f` over
      its references, exactly. Linear layers pass the multipliers on by
      their vector-Jacobian product; elementwise activations by the rescale
      rule `(f(z_x) - f(z_r)) / (z_x - z_r)` (the slope at the midpoint
      where the two are within 1e-6); max pooling by DeepSHAP's rule (the
      difference goes to the maximum of x, or of r when it is the higher).
      Supported: Conv1D and Dense with an elementwise activation,
      Activation, ReLU, LeakyReLU, ELU, PReLU, BatchNormalization
      (inference), MaxPooling1D, GlobalMaxPooling1D, AveragePooling1D,
      GlobalAveragePooling1D, Flatten, Reshape, Permute, ZeroPadding1D,
      Cropping1D, UpSampling1D, Add, Subtract, Average, Concatenate,
      Dropout and the other layers that are the identity in inference.
      Any other layer between the DNA input and the outputs (LSTM, GRU,
      Bidirectional, attention, Multiply, Lambda, custom or nested models,
      softmax activations) is refused, by name, before any work; `output=`
      as a function must be linear in the predictions (a column, a sum):
      it is differentiated at `x`.

    Gradients are taken by the backend's own automatic differentiation
    (TensorFlow, JAX or PyTorch) with the model in inference mode
    (`training=False`).

    Args:
        model: A built Keras model whose input (or one of whose inputs) is
            one-hot DNA `(batch, length, 4)`, possibly with signal channels.
        x: One-hot DNA `(N, length, 4)` in the model's channel order: a
            numpy array, h5py dataset, `tf.data.Dataset`,
            `keras.utils.PyDataset`, a generator of `x` or `(x, y)`
            batches, or a FASTA path.
        method: `"ism"` (default), `"gradient"`,
            `"integrated_gradients"` or `"deeplift"`.
        output: What to explain, one value per sequence: `None` for a model
            with a single output value; an int, the index of a value among
            all the model's output values flattened in order (a task);
            the name of a model output holding one value; or a function
            `f(predictions) -> (batch,)` written with `keras.ops` (e.g.
            `lambda p: keras.ops.sum(p[:, 3:5], axis=-1)`), given the
            model's predictions as it returns them.
        input: For a model with several inputs, the one holding the DNA:
            an input name or index, as for `Conv1DInterpreter`.
        dna_channels: For an input of more than 4 channels, the four
            holding the DNA in the alphabet's order, e.g. `range(4)`. The
            other channels come from `x` when it has them (`x` of exactly 4
            channels gets zeros there) and are not scored.
        alphabet: Channel order of the input, e.g. `"AGCT"` for DeepSEA
            data. `None` takes the order `x` declares or `"ACGT"`. Scores
            always come out in A, C, G, T order.
        other_inputs: For a model with several inputs, the others as data:
            `{input name: array (N, ...)}`, one row per sequence, as for
            `keras_motifs.analysis.influence.filter_influence`.
        n_references: Shuffled references per sequence
            (`"integrated_gradients"`, `"deeplift"`).
        steps: Points of the path integral (`"integrated_gradients"`).
        batch_size: Rows per model call: sequences (`"gradient"`),
            substituted sequences (`"ism"`), path points
            (`"integrated_gradients"`) or (sequence, reference) pairs
            (`"deeplift"`, whose model calls run both: twice the rows).
        seed: Seed of the references' shuffles.

    Returns:
        A `ContributionScores` of all the sequences. For many sequences,
        stream them with `iter_contribution_scores` and `write_scores`.

    Example:

    >>> scores = contribution_scores(model, x, method="ism", output=0)
    >>> scores.hypothetical.shape                 # (N, length, 4)
    >>> contribution_scores(model, x, method="integrated_gradients",
    ...                     output="counts", n_references=20)
    >>> contribution_scores(model, x, method="deeplift", output=0)
    """
    parts = list(iter_contribution_scores(
        model, x, method=method, output=output, input=input,
        dna_channels=dna_channels, alphabet=alphabet,
        other_inputs=other_inputs, n_references=n_references, steps=steps,
        batch_size=batch_size, seed=seed,
    ))
    return ContributionScores(
        np.concatenate([part.sequences for part in parts]),
        np.concatenate([part.hypothetical for part in parts]),
        parts[0].method,
        parts[0].output,
    )


def iter_contribution_scores(
    model,
    x,
    *,
    method: str = "ism",
    output=None,
    input=None,
    dna_channels=None,
    alphabet: str | None = None,
    other_inputs=None,
    n_references: int = 10,
    steps: int = 20,
    batch_size: int = 256,
    seed: int = 0,
) -> Iterator[ContributionScores]:
    """`contribution_scores`, streamed: one `ContributionScores` per group
    of sequences, in order.

    Takes the arguments of `contribution_scores` and checks them all (and
    the model) before it returns; the data are checked batch by batch as
    they are read. Memory holds one group of sequences and one batch of
    model rows at a time.

    Returns:
        An iterator of `ContributionScores`, for `write_scores`.

    Example:

    >>> write_scores(iter_contribution_scores(model, h5["x"], output=0),
    ...              "scores.h5")
    """
    explainer = _Explainer(
        model, method, output, input, dna_channels, other_inputs,
        n_references, steps, batch_size, seed,
    )
    alphabet = resolve_alphabet(alphabet, alphabet_of(x))
    return explainer.stream(x, alphabet)


def _check_method(method) -> str:
    """`method`, checked; DeepSHAP's names are DeepLIFT's."""
    if isinstance(method, str) and method.lower().replace("-", "").replace(
        "_", ""
    ) in ("deeplift", "deepshap", "deepliftshap"):
        return "deeplift"
    return one_of(method, "method", METHODS)


class _Explainer:
    """The checked arguments of `iter_contribution_scores`, and the
    compiled functions of the model they need."""

    def __init__(self, model, method, output, input, dna_channels,
                 other_inputs, n_references, steps, batch_size, seed):
        check_model(model)
        self.method = _check_method(method)
        self.n_references = positive_int(n_references, "n_references")
        self.steps = positive_int(steps, "steps")
        self.batch_size = positive_int(batch_size, "batch_size")
        self.seed = integer(seed, "seed", minimum=0)
        inputs = model_inputs(model)
        self.index = input_index(model, input)
        tensor = inputs[self.index]
        shape = tuple(tensor.shape)
        if len(shape) != 3 or shape[-1] is None or shape[-1] < 4:
            raise ValueError(
                f"Input {input_name(tensor)!r} of model {model.name!r} has "
                f"shape {shape}; contribution scores need one-hot DNA "
                "(batch, length, 4), optionally with signal channels. Name "
                "the DNA input with input=."
            )
        self.length = shape[1]
        self.channels = int(shape[-1])
        self.dna_channels = dna_channels_of(dna_channels, self.channels)
        self.dtype = input_dtype(model, self.index)
        self.sequence_input = input_name(tensor)
        others = [t for i, t in enumerate(inputs) if i != self.index]
        self.other_names = [input_name(t) for t in others]
        self.other_shapes = [tuple(t.shape[1:]) for t in others]
        self.other_dtypes = [str(t.dtype) for t in others]
        self.others = check_other_inputs(other_inputs, self, model)
        self.model = model
        self.select, self.output = _output_selection(model, output)
        target = self._target
        if self.method == "ism":
            self.function = predict_function(model, target)
        elif self.method == "deeplift":
            self.function = predict_function(
                model, DeepLift(model, self.index, self.select))
        else:
            self.function = gradient_function(model, target)

    def _target(self, x, *others):
        """The explained output of the model on `x`, `(batch,)` float32."""
        if not others:
            predictions = self.model(x, training=False)
        else:
            inputs = list(others)
            inputs.insert(self.index, x)
            predictions = self.model(inputs, training=False)
        return keras.ops.cast(self.select(predictions), "float32")

    def rows_per_sequence(self) -> int:
        """Model rows of one sequence (at most, for ISM)."""
        if self.method == "ism":
            return 3 * (self.length or 1000) + 1
        if self.method == "gradient":
            return 1
        if self.method == "deeplift":
            return self.n_references
        return self.n_references * self.steps

    def stream(self, x, alphabet) -> Iterator[ContributionScores]:
        """Reads `x` in groups and yields each group's scores."""
        order = [alphabet.index(base) for base in ALPHABET]
        self.acgt = np.array([self.dna_channels[i] for i in order])
        group = self.batch_size  # gradient: one row a sequence, no padding
        if self.method != "gradient":
            group = max(1, math.ceil(
                _GROUP_BATCHES * self.batch_size / self.rows_per_sequence()))
        count = open_sequences(x).count
        if count:
            group = min(group, count)
        batches = prefetch(fixed_batches(
            x, group, length=self.length, dtype=self.dtype, alphabet=alphabet,
            channels=self.channels, dna_channels=self.dna_channels,
        ))
        self._check_rows(count)
        rng = np.random.default_rng(self.seed)
        offset = 0
        compute = {
            "ism": self._ism,
            "gradient": self._gradient,
            "integrated_gradients": lambda *args: self._integrated(*args, rng),
            "deeplift": lambda *args: self._deeplift(*args, rng),
        }[self.method]
        for batch, n_valid in batches:
            batch = batch[:n_valid]
            self._check_rows(offset + n_valid, at_least=True)
            others = [
                padded_rows(array, offset, n_valid, n_valid, name, dtype)
                for array, name, dtype in zip(
                    self.others, self.other_names, self.other_dtypes)
            ]
            offset += n_valid
            hypothetical = compute(batch, others)
            yield ContributionScores(
                batch[..., self.acgt], hypothetical, self.method, self.output)
        self._check_rows(offset)

    def _check_rows(self, count, at_least=False):
        """Each other input holds `count` rows (at least, while reading)."""
        for array, name in zip(self.others, self.other_names):
            if count is not None and (
                len(array) < count if at_least else len(array) != count
            ):
                raise ValueError(
                    f"other_inputs[{name!r}] holds {len(array)} rows but the "
                    f"sequences {'hold more' if at_least else f'are {count}'};"
                    " pass one row per sequence, in the same order."
                )

    def _run(self, n_rows, build, consume):
        """Runs the model on rows `0 .. n_rows - 1` in batches of one shape.

        `build(rows)` gives the model's inputs for the row indices `rows`,
        padded to the batch size; `consume(rows, outputs)` takes the
        outputs of those rows.
        """
        if not hasattr(self, "_chunk"):  # one shape, however small the data
            self._chunk = min(self.batch_size, n_rows)
        for start in range(0, n_rows, self._chunk):
            rows = np.arange(start, min(start + self._chunk, n_rows))
            outputs = self.function(*build(rows))
            values = outputs if self.method == "ism" else outputs[0]
            if values.shape != (self._chunk,):
                raise ValueError(
                    f"The explained output must give one value per sequence; "
                    f"output {self.output} gave shape {values.shape} for a "
                    f"batch of {self._chunk}. Make output= a function "
                    "returning (batch,)."
                )
            if self.method == "ism":
                consume(rows, outputs)
            else:
                consume(rows, outputs[1][: len(rows)])

    def _padded(self, rows_x, others, source_rows):
        """The model inputs of a batch: `rows_x` and the other inputs' rows
        `source_rows`, all padded to the batch size with zeros."""
        pad = self._chunk - len(rows_x)
        x = np.concatenate([rows_x, np.zeros((pad,) + rows_x.shape[1:], rows_x.dtype)])
        padded = [
            np.concatenate([o[source_rows], np.zeros((pad,) + o.shape[1:], o.dtype)])
            for o in others
        ]
        return (x, *padded)

    def _ism(self, x, others) -> np.ndarray:
        """Every single-base substitution; row `-1` of a sequence is the
        sequence itself."""
        n, length, _ = x.shape
        dna = x[..., self.acgt]
        # Substitutions to run: every base that is not the row's own one.
        sequence, position, base = np.nonzero(dna != 1)
        sequence = np.concatenate([np.arange(n), sequence])
        position = np.concatenate([np.full(n, -1), position])
        base = np.concatenate([np.zeros(n, np.int64), base])
        values = np.empty(len(sequence), np.float32)
        eye = np.eye(4, dtype=x.dtype)

        def build(rows):
            batch = x[sequence[rows]]
            changed = np.flatnonzero(position[rows] >= 0)
            batch[changed[:, None], position[rows][changed][:, None],
                  self.acgt[None, :]] = eye[base[rows][changed]]
            return self._padded(batch, others, sequence[rows])

        def consume(rows, outputs):
            values[rows] = outputs[: len(rows)]

        self._run(len(sequence), build, consume)
        scores = np.repeat(values[:n].astype(np.float64), length * 4).reshape(
            n, length, 4)
        scores[sequence[n:], position[n:], base[n:]] = values[n:]
        return scores - scores.mean(axis=-1, keepdims=True)

    def _gradient(self, x, others) -> np.ndarray:
        """Gradients at `x`, centred over the four bases."""
        grads = np.empty((len(x), x.shape[1], 4), np.float64)

        def build(rows):
            return self._padded(x[rows], others, rows)

        def consume(rows, outputs):
            grads[rows] = outputs[..., self.acgt]

        self._run(len(x), build, consume)
        return grads - grads.mean(axis=-1, keepdims=True)

    def _references(self, x, rng) -> np.ndarray:
        """`(N * n_references, length, channels)`: each sequence's shuffled
        references in turn (DNA channels shuffled, signal channels kept)."""
        n, length, _ = x.shape
        references = self.n_references
        reference = np.repeat(x[:, None], references, axis=1)
        for i in range(n):
            shuffled = dinucleotide_shuffle(
                np.repeat(x[i : i + 1][..., self.acgt], references, axis=0),
                seed=rng,
            )
            reference[i][..., self.acgt] = shuffled
        return reference.reshape(n * references, length, -1)

    def _hypothetical(self, flat_reference, multipliers) -> np.ndarray:
        """DeepSHAP's hypothetical scores `(N, length, 4)` of the
        multipliers `(N * n_references, length, 4)` (A, C, G, T) of each
        sequence against each of its references."""
        dna_reference = flat_reference[..., self.acgt]
        at_reference = (dna_reference * multipliers).sum(axis=-1, keepdims=True)
        hypothetical = (multipliers - at_reference).reshape(
            -1, self.n_references, *multipliers.shape[1:])
        return hypothetical.mean(axis=1)

    def _integrated(self, x, others, rng) -> np.ndarray:
        """Integrated gradients against shuffled references, as DeepSHAP's
        hypothetical scores."""
        n, length, _ = x.shape
        references, steps = self.n_references, self.steps
        flat_reference = self._references(x, rng)
        alphas = ((np.arange(steps) + 0.5) / steps).astype(x.dtype)
        # Row k is sequence k // (references * steps), reference
        # k // steps % references, step k % steps.
        path = (np.arange(n * references)[:, None].repeat(steps, 1).ravel())
        step = np.tile(np.arange(steps), n * references)
        summed = np.zeros((n * references, length, 4), np.float64)

        def build(rows):
            start = flat_reference[path[rows]]
            end = x[path[rows] // references]
            batch = start + alphas[step[rows]][:, None, None] * (end - start)
            return self._padded(batch, others, path[rows] // references)

        def consume(rows, grads):
            keys = path[rows]
            starts = np.flatnonzero(np.diff(keys, prepend=-1))
            summed[keys[starts]] += np.add.reduceat(
                grads[..., self.acgt].astype(np.float64), starts, axis=0)

        self._run(len(path), build, consume)
        return self._hypothetical(flat_reference, summed / steps)

    def _deeplift(self, x, others, rng) -> np.ndarray:
        """DeepLIFT's multipliers against shuffled references, as DeepSHAP's
        hypothetical scores."""
        n, length, _ = x.shape
        flat_reference = self._references(x, rng)
        # Row k is sequence k // n_references against its reference
        # k % n_references.
        sequence = np.arange(n * self.n_references) // self.n_references
        multipliers = np.zeros((len(sequence), length, 4), np.float64)

        def build(rows):
            x_rows, *other_rows = self._padded(x[sequence[rows]], others,
                                               sequence[rows])
            (reference_rows,) = self._padded(flat_reference[rows], [], rows)
            return (x_rows, reference_rows, *other_rows)

        def consume(rows, outputs):
            multipliers[rows] = outputs[..., self.acgt]

        self._run(len(sequence), build, consume)
        return self._hypothetical(flat_reference, multipliers)


def _output_selection(model, output) -> tuple[Callable, str]:
    """`(select, description)`: `select(predictions) -> (batch,)` picks the
    output `output` names (see `contribution_scores`)."""
    if callable(output) and not isinstance(output, (str, int)):
        return output, f"{getattr(output, '__name__', 'function')} (a function)"
    outputs = getattr(model, "outputs", None) or []
    shapes = [tuple(t.shape[1:]) for t in outputs]
    names = _output_names(model)
    if len(names) != len(shapes):
        names = [f"output{k}" for k in range(len(shapes))]
    sizes = [math.prod(s) if all(d is not None for d in s) else None for s in shapes]
    listing = ", ".join(
        f"{name!r} (batch, {', '.join(map(str, shape))})"
        for name, shape in zip(names, shapes)
    ) or "unknown"
    if not outputs:
        raise ValueError(
            f"Model {model.name!r} has no defined outputs; pass output= as a "
            "function f(predictions) -> (batch,)."
        )
    if None in sizes and not isinstance(output, str):
        raise ValueError(
            f"Model {model.name!r} has outputs of unknown size ({listing}); "
            "pass output= as a function f(predictions) -> (batch,) written "
            "with keras.ops."
        )
    total = sum(s for s in sizes if s is not None)
    hint = (
        f"Choose it with output=: a task index in [0, {total}) over the "
        f"output values flattened in order, an output name ({listing}), or "
        "a function f(predictions) -> (batch,) written with keras.ops, e.g. "
        "lambda p: keras.ops.sum(p, axis=-1)."
    )
    if output is None:
        if total != 1:
            raise ValueError(
                f"Model {model.name!r} gives {total} values per sequence; "
                f"contribution scores explain one. {hint}"
            )
        return _column(0, 0), f"the model's output {names[0]!r}"
    if isinstance(output, str):
        if output not in names:
            raise ValueError(
                f"Model {model.name!r} has no output named {output!r}. {hint} "
                f"Received: output={output!r}"
            )
        k = names.index(output)
        if sizes[k] != 1:
            first = sum(sizes[:k]) if None not in sizes[:k] else None
            where = "" if first is None else (
                f" (tasks {first} to {first + sizes[k] - 1})"
                if sizes[k] else "")
            raise ValueError(
                f"Output {output!r} of model {model.name!r} gives "
                f"{sizes[k] or 'several'} values per sequence{where}; pick "
                f"one by its task index or with a function. {hint}"
            )
        return _column(k, 0), repr(output)
    if isinstance(output, bool) or not isinstance(output, (int, np.integer)):
        raise TypeError(
            f"`output` must be None, a task index, an output name or a "
            f"function. {hint} Received: output={output!r}"
        )
    if not 0 <= output < total:
        raise ValueError(
            f"Task index {output} is out of range: model {model.name!r} "
            f"gives {total} values per sequence. {hint} "
            f"Received: output={output!r}"
        )
    k, column = 0, int(output)
    while column >= sizes[k]:
        column -= sizes[k]
        k += 1
    return _column(k, column), f"task {int(output)}"


def _output_names(model) -> list[str]:
    """The names of `model.outputs`: the keys of a model returning a dict,
    else the output layers' names."""
    structure = getattr(model, "output", None)
    if isinstance(structure, dict):
        return [str(path[0]) for path, _ in keras.tree.flatten_with_path(structure)]
    return list(getattr(model, "output_names", None) or [])


def _column(k: int, column: int) -> Callable:
    """`select(predictions)`: column `column` of output `k`, flattened (the
    outputs in the order of `model.outputs`, as `keras.tree.flatten` gives
    them)."""

    def select(predictions):
        values = keras.tree.flatten(predictions)[k]
        return keras.ops.reshape(values, (keras.ops.shape(values)[0], -1))[:, column]

    return select


def write_scores(scores: ContributionScores | Iterable[ContributionScores],
                 path) -> str:
    """Writes contribution scores to HDF5, streamed, through a temporary file.

    Layout: datasets `sequences` and `hypothetical`, `(N, length, 4)`
    float32 in A, C, G, T order, chunked one sequence per chunk; attributes
    `method`, `output`, `alphabet` (`"ACGT"`) and `format`
    (`"keras-motifs contribution scores"`). The file appears under `path`
    only once complete (a rename); a failure leaves no partial file.

    Args:
        scores: A `ContributionScores`, or an iterable of them (e.g.
            `iter_contribution_scores(...)`), written one after the other.
        path: The file to write; its directory must exist.

    Returns:
        `path` as a string.

    Example:

    >>> write_scores(contribution_scores(model, x, output=0), "scores.h5")
    'scores.h5'
    """
    parts = [scores] if isinstance(scores, ContributionScores) else scores
    with atomic_output(path) as temporary:
        with h5py.File(temporary, "w") as file:
            _write_parts(file, parts)
    return os.fspath(path)


def _write_parts(file, parts) -> None:
    first = None
    for part in parts:
        if not isinstance(part, ContributionScores):
            raise TypeError(
                "write_scores takes ContributionScores or an iterable of "
                f"them. Received: an item of type {type(part).__name__}"
            )
        length = part.sequences.shape[1]
        if first is None:
            first = part
            for name in ("sequences", "hypothetical"):
                file.create_dataset(
                    name, shape=(0, length, 4), maxshape=(None, length, 4),
                    dtype="float32", chunks=(1, length, 4))
            file.attrs.update(method=part.method, output=part.output,
                              alphabet=ALPHABET, format=FORMAT)
        elif (length, part.method, part.output) != (
            first.sequences.shape[1], first.method, first.output
        ):
            raise ValueError(
                "All parts written to one file must have the same length, "
                f"method and output; received {part!r} after {first!r}."
            )
        for name in ("sequences", "hypothetical"):
            dataset = file[name]
            start = dataset.shape[0]
            dataset.resize(start + len(part), axis=0)
            dataset[start:] = getattr(part, name)
    if first is None:
        raise ValueError("No contribution scores to write: the input is empty.")


def read_scores(path) -> ContributionScores:
    """Reads the contribution scores that `write_scores` wrote.

    Args:
        path: An HDF5 file of `write_scores` (or `keras-motifs attribute`).

    Returns:
        A `ContributionScores`, read into memory.

    Example:

    >>> scores = read_scores("scores.h5")
    >>> scores.method, scores.hypothetical.shape
    ('ism', (1000, 200, 4))
    """
    with open_hdf5(path, "contribution scores") as file:
        if file.attrs.get("format") != FORMAT or "hypothetical" not in file:
            raise ValueError(
                f"{path} is not a file of contribution scores (written by "
                "keras_motifs.attribution.write_scores or 'keras-motifs "
                "attribute')."
            )
        return ContributionScores(
            file["sequences"][...],
            file["hypothetical"][...],
            str(file.attrs["method"]),
            str(file.attrs["output"]),
        )
