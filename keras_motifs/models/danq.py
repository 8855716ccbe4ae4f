"""DanQ: a convolutional and bidirectional recurrent model of DNA function.

DanQ (Quang & Xie, 2016, Nucleic Acids Research) predicts the 919 DeepSEA
chromatin targets of a 1,000 bp one-hot sequence: a Conv1D layer of motif
detectors, max pooling, a bidirectional LSTM over the pooled motif track, a
dense layer and one sigmoid output per target. DanQ-JASPAR is the larger
variant whose first layer is partly seeded with JASPAR motifs.
"""


import keras
import numpy as np

from keras_motifs._internal.checks import number, positive_int
from keras_motifs.legacy import conv1d_kernel, lstm_weights, read_weights
from keras_motifs.models.initializers import MotifBiasInitializer, MotifInitializer
from keras_motifs.matching.motif_database import jaspar_motifs

__all__ = ["build_danq", "build_danq_jaspar"]


def build_danq(
    sequence_length: int = 1000,
    n_tasks: int = 919,
    *,
    filters: int = 320,
    kernel_size: int = 26,
    pool_size: int = 13,
    lstm_units: int = 320,
    bidirectional: bool = True,
    conv_dropout: float = 0.2,
    lstm_dropout: float = 0.5,
    dense_units: int = 925,
    kernel_initializer="glorot_uniform",
    bias_initializer="zeros",
    compile: bool = True,
    learning_rate: float = 0.001,
    name: str = "danq",
    weights=None,
) -> keras.Model:
    """Build the DanQ model, optionally with the published trained weights.

    The layers are `Input(sequence_length, 4)`, `Conv1D(filters,
    kernel_size, padding="valid", activation="relu")`,
    `MaxPooling1D(pool_size, strides=pool_size)`, `Dropout(conv_dropout)`,
    `Bidirectional(LSTM(lstm_units, return_sequences=True))`,
    `Dropout(lstm_dropout)`, `Flatten`, `Dense(dense_units, "relu")` and
    `Dense(n_tasks, "sigmoid")`. The defaults are the published model:
    46,926,479 parameters. The first layer is named `"conv1d"`.

    When compiled, the model uses the published binary cross-entropy loss and
    RMSprop optimizer, with multi-label ROC AUC (`"auc_roc"`) and PR AUC
    (`"auc_pr"`) metrics over the `n_tasks` outputs.

    `weights=` loads the DanQ authors' trained weights (`DanQ_bestmodel.hdf5`:
    Keras 0.2, Theano, `layer_{i}/param_{j}`) through
    `keras_motifs.legacy.read_weights`, so the model predicts what the
    published one did: the convolution kernels are flipped back (Theano
    convolved), the LSTM gates stored one matrix per gate are concatenated
    and use `hard_sigmoid` with Keras <= 2's slope (see
    `keras_motifs.legacy.lstm_weights`), and the dense layer's rows are
    re-ordered for the backward LSTM, whose outputs Keras 0.2 kept in reverse
    time order where Keras 3's `Bidirectional` aligns them with the forward
    ones. The other arguments must describe the file's model (the defaults
    do for the published file).

    Args:
        sequence_length: Length of the input sequences (one-hot, A, C, G, T).
        n_tasks: Number of sigmoid outputs (919 DeepSEA targets).
        filters: Number of Conv1D filters (motif detectors).
        kernel_size: Width of the Conv1D filters.
        pool_size: Max-pooling window and stride.
        lstm_units: LSTM units per direction.
        bidirectional: Whether the LSTM reads both directions; `False` gives
            a single forward LSTM.
        conv_dropout: Dropout rate after pooling, in [0, 1).
        lstm_dropout: Dropout rate after the LSTM, in [0, 1).
        dense_units: Units of the hidden dense layer.
        kernel_initializer: Initializer of the Conv1D kernel, such as a
            `MotifInitializer`.
        bias_initializer: Initializer of the Conv1D bias.
        compile: Whether to compile the model.
        learning_rate: RMSprop learning rate, used when compiling.
        name: Name of the model.
        weights: Path of a DanQ weights file in the Keras 0.2 layout, or
            `None` for freshly initialised weights.

    Returns:
        A `keras.Model` mapping `(batch, sequence_length, 4)` to
        `(batch, n_tasks)`.

    Example:

    >>> model = build_danq()
    >>> model.count_params()
    46926479
    >>> small = build_danq(200, 10, filters=8, lstm_units=4, dense_units=16)
    >>> small.output_shape
    (None, 10)
    """
    for argument, value in [
        ("sequence_length", sequence_length),
        ("n_tasks", n_tasks),
        ("filters", filters),
        ("kernel_size", kernel_size),
        ("pool_size", pool_size),
        ("lstm_units", lstm_units),
        ("dense_units", dense_units),
    ]:
        positive_int(value, argument)
    _check_rate("conv_dropout", conv_dropout)
    _check_rate("lstm_dropout", lstm_dropout)
    _check_length(sequence_length, kernel_size, pool_size)

    inputs = keras.Input((sequence_length, 4), name="sequence")
    x = keras.layers.Conv1D(
        filters,
        kernel_size,
        padding="valid",
        activation="relu",
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        name="conv1d",
    )(inputs)
    x = keras.layers.MaxPooling1D(pool_size, strides=pool_size, name="pool")(x)
    x = keras.layers.Dropout(conv_dropout, name="conv_dropout")(x)
    recurrent = "sigmoid" if weights is None else "hard_sigmoid"
    lstm = keras.layers.LSTM(
        lstm_units, return_sequences=True, recurrent_activation=recurrent,
        name="lstm",
    )
    if bidirectional:
        lstm = keras.layers.Bidirectional(lstm, name="bilstm")
    x = lstm(x)
    x = keras.layers.Dropout(lstm_dropout, name="lstm_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(dense_units, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(n_tasks, activation="sigmoid", name="output")(x)
    model = keras.Model(inputs, outputs, name=name)
    if weights is not None:
        _set_published_weights(model, weights, bidirectional)
    if compile:
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
            loss="binary_crossentropy",
            metrics=[
                keras.metrics.AUC(
                    curve=curve,
                    multi_label=True,
                    num_labels=n_tasks,
                    name=f"auc_{curve.lower()}",
                )
                for curve in ("ROC", "PR")
            ],
        )
    return model


def build_danq_jaspar(
    sequence_length: int = 1000,
    n_tasks: int = 919,
    *,
    filters: int = 1024,
    kernel_size: int = 30,
    pool_size: int = 15,
    lstm_units: int = 512,
    jaspar_release: str | None = "JASPAR2016",
    collection: str | None = "CORE",
    tax_group: str | None = "vertebrates",
    fraction: float = 0.5,
    reverse_complement_fraction: float = 0.01,
    seed: int | None = None,
    name: str = "danq_jaspar",
    **kwargs,
) -> keras.Model:
    """Build DanQ-JASPAR: DanQ with a first layer seeded by JASPAR motifs.

    1,024 filters of width 30, pooling 15 and a bidirectional LSTM of 512
    units per direction. About half of the filters (`fraction`) are seeded
    with the JASPAR motifs of `collection` and `tax_group` in
    `jaspar_release`, a few of them (`reverse_complement_fraction`) as
    reverse complements, through `MotifInitializer`; the seeded filters'
    bias is drawn from U(-1, 0) (`MotifBiasInitializer`), the others' is
    zero. JASPAR 2016 CORE vertebrates (519 motifs) is the paper's choice;
    the paper seeded all 519 motifs and 6 reverse complements, which
    `fraction=525 / 1024, reverse_complement_fraction=6 / 525` repeats.

    Args:
        sequence_length: Length of the input sequences.
        n_tasks: Number of sigmoid outputs.
        filters: Number of Conv1D filters.
        kernel_size: Width of the Conv1D filters.
        pool_size: Max-pooling window and stride.
        lstm_units: LSTM units per direction.
        jaspar_release: JASPAR release, such as `"JASPAR2016"`; `None` for
            the newest available.
        collection: JASPAR collection of the seeding motifs.
        tax_group: Taxonomic group of the seeding motifs.
        fraction: Fraction of the filters seeded with motifs.
        reverse_complement_fraction: Fraction of the seeded filters holding
            a reverse complement.
        seed: Optional integer seed of the motif placement and the bias.
        name: Name of the model.
        **kwargs: Other `build_danq` arguments, such as `compile` or
            `dense_units`.

    Returns:
        A `keras.Model` mapping `(batch, sequence_length, 4)` to
        `(batch, n_tasks)`.

    Example:

    >>> model = build_danq_jaspar(compile=False, seed=0)
    >>> model.get_layer("conv1d").kernel.shape
    (30, 4, 1024)
    """
    positive_int(filters, "filters")
    positive_int(kernel_size, "kernel_size")
    motifs = jaspar_motifs(
        release=jaspar_release, collection=collection, tax_group=tax_group
    )
    initializer = MotifInitializer(
        motifs.names,
        fraction=fraction,
        reverse_complement_fraction=reverse_complement_fraction,
        seed=seed,
        jaspar_release=jaspar_release,
    )
    seeded = len(initializer.placements((kernel_size, 4, filters)))
    return build_danq(
        sequence_length,
        n_tasks,
        filters=filters,
        kernel_size=kernel_size,
        pool_size=pool_size,
        lstm_units=lstm_units,
        kernel_initializer=initializer,
        bias_initializer=MotifBiasInitializer(seeded, seed=seed),
        name=name,
        **kwargs,
    )

def _check_rate(argument, value):
    number(value, argument, minimum=0.0, maximum=1.0, open_maximum=True,
           hint="A dropout rate.")


def _check_length(sequence_length, kernel_size, pool_size):
    """The pooled motif track must hold at least one position."""
    shortest = kernel_size + pool_size - 1
    if sequence_length < shortest:
        raise ValueError(
            f"`sequence_length`={sequence_length} is too short for a Conv1D "
            f"of kernel_size={kernel_size} followed by max pooling of "
            f"pool_size={pool_size}: it must be at least {shortest}."
        )


def _set_published_weights(model, path, bidirectional: bool) -> None:
    """Sets the DanQ authors' Keras 0.2 weights (see `build_danq`)."""
    stored = read_weights(path)
    groups = [arrays for arrays in stored.layers.values() if arrays]
    lstm_count = 24 if bidirectional else 12
    kinds = [len(arrays) for arrays in groups]
    if stored.layout != "keras0" or kinds != [2, lstm_count, 2, 2]:
        raise ValueError(
            f"{path} is not a DanQ weights file of the published layout "
            "(Keras 0.2 `layer_{i}/param_{j}`: a convolution, "
            f"{'two LSTMs' if bidirectional else 'an LSTM'} of 12 arrays each, "
            f"two dense layers); it holds groups of {kinds} arrays. "
            f"Received: weights={path!r}"
        )
    conv, recurrent, dense, output = groups
    kernel = conv1d_kernel(conv[0], kernel_order="theano", filters=conv[1].shape[0])
    forward = lstm_weights(recurrent[:12])
    layers = {"conv1d": [kernel, conv[1]], "output": output}
    hidden = np.asarray(dense[0])
    if bidirectional:
        backward = lstm_weights(recurrent[12:])
        layers["bilstm"] = forward + backward
        # Keras 0.2 kept the backward outputs in reverse time order.
        units = forward[1].shape[0]
        steps = hidden.shape[0] // (2 * units)
        hidden = hidden.reshape(steps, 2 * units, -1).copy()
        hidden[:, units:] = hidden[::-1, units:]
        hidden = hidden.reshape(steps * 2 * units, -1)
    else:
        layers["lstm"] = forward
    layers["dense"] = [hidden, dense[1]]
    for name, arrays in layers.items():
        layer = model.get_layer(name)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        found = [tuple(np.shape(a)) for a in arrays]
        if expected != found:
            raise ValueError(
                f"The weights in {path} do not fit this DanQ: layer {name!r} "
                f"has weights of shapes {expected}, the file {found}; pass the "
                "file's sizes (sequence_length, filters, kernel_size, "
                f"lstm_units, ...). Received: weights={path!r}"
            )
        layer.set_weights(arrays)
