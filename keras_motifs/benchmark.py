"""The ground-truth benchmark of Koo & Eddy (2019), in the package.

Random 200 bp DNA, each sequence with 1 to 5 of 12 JASPAR motifs (Arid3a,
CEBPB, FOSL1, Gabpa, MAFK, MAX, MEF2A, NFYB, SP1, SRF, STAT1, YY1; the
matrices in `keras_motifs.data.planted.KOO_EDDY_MOTIFS`) on either strand,
one label per motif (`keras_motifs.data.planted.mixture_dataset`). Two model
families differ only in the first max pooling ("CNN-2": filters learn parts
of motifs; "CNN-50": whole motifs; `koo_eddy_model`). After training, the
first layer's filters are extracted from the held-out sequences with each
setting and compared with JASPAR 2024 CORE vertebrates by
`keras_motifs.compare.tomtom`, with a shuffled null (`keras_motifs.null`).

A filter matches when its best hit has a q-value below `cutoff`. It matches
a planted motif when, in addition, one of its hits below `cutoff` is the
planted matrix (any version) or a matrix of the same transcription factor
(`rule="any"`, the default: JASPAR holds close relatives, so a filter that
learned SP1 often has SP2 or KLF as its very best hit), or, with
`rule="best"`, when its best hit is (`keras_motifs.data.planted.
recovered_motifs`). The metrics, per seed and setting:

- `coverage`: planted motifs matched by at least one filter (of 12);
- `match_fraction`: filters matching a planted motif / all filters;
- `match_any`: filters matching anything / all filters;
- `null_match_rate` and `fdr`: the fraction of shuffled filters that match,
  and the estimated share of chance matches among the reported ones
  (`keras_motifs.null.Calibration`).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from keras_motifs._internal.checks import boolean, integer, number, one_of
from keras_motifs._internal.checks import positive_int
from keras_motifs._internal.messages import print_msg
from keras_motifs._internal.tsv import write_tsv
from keras_motifs.compare import same_motif
from keras_motifs.null import DEFAULT_CUTOFF
from keras_motifs.data.planted import (
    KOO_EDDY_MOTIFS,
    PLANTED_RELEASE,
    mixture_dataset,
    recovered_motifs,
)

MODELS = ("cnn-50", "cnn-2", "cnn-50-bn", "cnn-2-bn")
SETTINGS = {
    "defaults": {},
    "classic": {"threshold": 0.0, "strands": "forward"},
    # The other site rules of the field (`Conv1DInterpreter.extract`).
    "relative-0.5": {"relative_threshold": 0.5},
    "null-0.01": {"threshold": "null:0.01"},
    "basset-0.5": {"relative_threshold": 0.5, "relative_to": "mean"},
    "top-500": {"threshold": -float("inf"), "max_sites": 500},
    "cap-500": {"max_sites": 500},
}
# Defaults sized for a few minutes on 2 CPU cores; `FULL` is the paper's size.
# Up to 100 epochs with early stopping after 20 without a better validation
# loss: with a patience of 5 (30 epochs at most) 4 of the 12 outputs (MAX,
# STAT1, Arid3a, MAFK) were still at ROC AUC 0.55 on seed 0; with 20, MAX
# and STAT1 reached 0.96.
QUICK = {"n_sequences": 10_000, "epochs": 100, "patience": 20}
FULL = {"n_sequences": 25_000, "epochs": 100, "patience": 20}
METRICS = ("coverage", "match_fraction", "match_any", "null_match_rate", "fdr")
SEQUENCE_LENGTH = 200


def koo_eddy_model(pool: int = 50, *, batch_norm: bool = False,
                   length: int = SEQUENCE_LENGTH, n_outputs: int = 12,
                   learning_rate: float = 1e-3):
    """The CNN of Koo & Eddy (2019), with first max pooling `pool`.

    Conv1D(30, 19, same, ReLU) -> MaxPooling1D(pool) -> Dropout(0.1) ->
    Conv1D(128, 5, same, ReLU) -> MaxPooling1D(100 // pool) -> Dropout(0.1)
    -> Flatten -> Dense(512, ReLU) -> Dropout(0.5) -> Dense(n_outputs,
    sigmoid); the two poolings together divide the length by 100. Adam and
    binary cross-entropy. With `batch_norm`, as in their models, each of
    the two Conv1D layers and the Dense(512) is linear and followed by
    BatchNormalization and a separate ReLU (the first ones named
    `"conv1_bn"` and `"conv1_relu"`); without, the first layer's ReLU is
    the Conv1D's own.

    Args:
        pool: First max-pooling size: 50 ("CNN-50") or 2 ("CNN-2"), or any
            divisor of 100.
        batch_norm: Whether to put BatchNormalization and ReLU after each
            hidden layer ("CNN-50-BN", "CNN-2-BN").
        length: Sequence length.
        n_outputs: Number of labels.
        learning_rate: Adam's learning rate.

    Returns:
        A compiled `keras.Model` whose first layer is named `"conv1"`.

    Example:

    >>> koo_eddy_model(2).get_layer("conv1").kernel.shape
    (19, 4, 30)
    >>> koo_eddy_model(2, batch_norm=True).get_layer("conv1_relu").name
    'conv1_relu'
    """
    import keras

    pool = positive_int(pool, "pool")
    if 100 % pool:
        raise ValueError(f"`pool` must divide 100. Received: pool={pool}")
    batch_norm = boolean(batch_norm, "batch_norm")

    def hidden(layer, x, name):
        if not batch_norm:
            return layer(x)
        x = layer(x)
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
        return keras.layers.Activation("relu", name=f"{name}_relu")(x)

    relu = None if batch_norm else "relu"
    inputs = keras.Input((length, 4), name="dna")
    x = hidden(keras.layers.Conv1D(30, 19, padding="same", activation=relu,
                                   name="conv1"), inputs, "conv1")
    x = keras.layers.MaxPooling1D(pool)(x)
    x = keras.layers.Dropout(0.1)(x)
    x = hidden(keras.layers.Conv1D(128, 5, padding="same", activation=relu,
                                   name="conv2"), x, "conv2")
    x = keras.layers.MaxPooling1D(100 // pool)(x)
    x = keras.layers.Dropout(0.1)(x)
    x = keras.layers.Flatten()(x)
    x = hidden(keras.layers.Dense(512, activation=relu, name="fc1"), x,
               "fc1")
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid")(x)
    suffix = "_bn" if batch_norm else ""
    model = keras.Model(inputs, outputs, name=f"cnn_{pool}{suffix}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="binary_crossentropy")
    return model


def named_model(name: str):
    """The benchmark model called `name` (one of `MODELS`), built.

    Args:
        name: `"cnn-50"`, `"cnn-2"`, `"cnn-50-bn"` or `"cnn-2-bn"` (any
            case).

    Returns:
        A compiled `koo_eddy_model`.

    Example:

    >>> named_model("cnn-2-bn").name
    'cnn_2_bn'
    """
    name = one_of(str(name).lower(), "model", MODELS)
    parts = name.split("-")
    return koo_eddy_model(int(parts[1]), batch_norm=parts[-1] == "bn")


def benchmark_metrics(comparison, planted, *, cutoff: float = DEFAULT_CUTOFF,
                      rule: str = "any") -> dict:
    """Coverage, match fraction and match-any of one comparison.

    Args:
        comparison: A `keras_motifs.compare.Comparison` of a layer's
            filters (all of them: filters with nsites 0 count, matching
            nothing) with a database; anything with `best()` and `queries`.
        planted: The planted `MotifSet` (names matrix IDs, alt names TFs).
        cutoff: A filter matches when its best hit's q-value is below this.
        rule: `"any"`: a matching filter matches a planted motif when any
            of its hits below `cutoff` is that motif (any version of the
            matrix, or the same transcription factor); `"best"`: when its
            best hit is.

    Returns:
        `{"coverage", "n_planted", "match_fraction", "match_any",
        "n_filters"}`: coverage as a count of planted motifs, the fractions
        over all filters.

    Example:

    >>> benchmark_metrics(comparison, planted)["coverage"]
    12
    """
    cutoff = number(cutoff, "cutoff", minimum=0, open_minimum=True)
    one_of(rule, "rule", ("any", "best"))
    matching_any = {
        hit.query_id for hit in comparison.best() if hit.q_value < cutoff
    }
    if rule == "best":
        recovered = recovered_motifs(planted, comparison, q_threshold=cutoff)
    else:
        recovered = {
            matrix_id: sorted({
                hit.query_id for hit in comparison.hits
                if hit.query_id in matching_any and hit.q_value < cutoff
                and same_motif(hit, matrix_id, tf_name)
            })
            for matrix_id, tf_name in zip(planted.names, planted.alt_names)
        }
    n_filters = len(comparison.queries)
    matching_planted = set().union(*recovered.values()) if recovered else set()
    return {
        "coverage": sum(bool(filters) for filters in recovered.values()),
        "n_planted": len(planted),
        "match_fraction": len(matching_planted) / n_filters,
        "match_any": len(matching_any) / n_filters,
        "n_filters": n_filters,
    }


@dataclasses.dataclass
class BenchmarkResult:
    """What `run_benchmark` measured: one row per seed and setting.

    Args:
        rows: Dicts with `seed`, `setting`, the `METRICS`, `n_planted`,
            `n_filters` and `matches` (filters below the cutoff).
        settings: The extraction settings by name.
        description: Model, data sizes, cutoff and database, one line each.
    """

    rows: list
    settings: dict
    description: list

    def table(self) -> list[dict]:
        """Mean and standard deviation over seeds of each metric, per
        setting: `{"setting", "seeds", "<metric>_mean", "<metric>_sd"}`."""
        table = []
        for name in self.settings:
            rows = [row for row in self.rows if row["setting"] == name]
            entry = {"setting": name, "seeds": len(rows)}
            for metric in METRICS:
                values = np.array([row[metric] for row in rows], dtype=float)
                entry[f"{metric}_mean"] = float(values.mean())
                entry[f"{metric}_sd"] = (
                    float(values.std(ddof=1)) if len(values) > 1 else 0.0
                )
            table.append(entry)
        return table

    def summary(self) -> str:
        """The table as aligned text, mean +- sd over seeds."""
        header = f"{'setting':<16} {'seeds':>5}  " + "  ".join(
            f"{metric:>16}" for metric in METRICS
        )
        lines = [*self.description, header]
        n_planted = self.rows[0]["n_planted"] if self.rows else 0
        for entry in self.table():
            cells = []
            for metric in METRICS:
                mean, sd = entry[f"{metric}_mean"], entry[f"{metric}_sd"]
                if metric == "coverage":
                    cells.append(f"{f'{mean:.1f}/{n_planted} +- {sd:.1f}':>16}")
                else:
                    cells.append(f"{f'{mean:.3f} +- {sd:.3f}':>16}")
            lines.append(
                f"{entry['setting']:<16} {entry['seeds']:>5}  " + "  ".join(cells)
            )
        return "\n".join(lines)

    def write_tsv(self, path, *, per_seed: bool = False) -> str:
        """Writes the table (or, with `per_seed`, every row) as TSV.

        Args:
            path: Output file.
            per_seed: One row per seed and setting instead of the means.

        Returns:
            `path`, as a str.
        """
        if boolean(per_seed, "per_seed"):
            header = ["seed", "setting", *METRICS, "matches", "n_planted",
                      "n_filters"]
            rows = self.rows
        else:
            header = ["setting", "seeds"] + [
                f"{metric}_{kind}" for metric in METRICS for kind in ("mean", "sd")
            ]
            rows = self.table()
        return write_tsv(
            path,
            header,
            ([_cell(row[column]) for column in header] for row in rows),
            comments=self.description,
        )


def run_benchmark(
    model="cnn-50",
    *,
    seeds=(0, 1, 2),
    n_sequences: int = QUICK["n_sequences"],
    epochs: int = QUICK["epochs"],
    patience: int = QUICK["patience"],
    settings=("defaults", "classic"),
    extract_options: dict | None = None,
    layers=(None,),
    cutoff: float = DEFAULT_CUTOFF,
    rule: str = "any",
    null_copies: int = 10,
    release: str = PLANTED_RELEASE,
    batch_size: int = 100,
    train: bool = True,
    verbose: int = 1,
) -> BenchmarkResult:
    """Runs the Koo & Eddy benchmark over seeds and extraction settings.

    Per seed: the data are drawn (`mixture_dataset`, the seed's own draw;
    80 % training, 10 % validation for early stopping with patience 5 and
    the best weights kept, 10 % held out), the model is built (or cloned)
    with the seed's weights and trained, the first Conv1D's filters are
    extracted from the held-out sequences with each setting and compared
    with JASPAR CORE vertebrates of `release`, with `null_copies` shuffled
    copies of each filter as the null. Every argument is checked before
    anything is trained.

    Args:
        model: `"cnn-50"`, `"cnn-2"`, `"cnn-50-bn"`, `"cnn-2-bn"` (with
            BatchNormalization, `koo_eddy_model`) or a `keras.Model` from `(200, 4)` to
            12 outputs, cloned with new weights each seed (compiled with
            Adam and binary cross-entropy when it is not compiled), or used
            as it is with `train=False`.
        seeds: Integer seeds, one run each.
        n_sequences: Sequences per seed (Koo & Eddy: 25,000, `FULL`).
        epochs: Largest number of training epochs.
        patience: Epochs without a better validation loss before training
            stops (the best weights are kept).
        settings: Names in `SETTINGS` (`"defaults"`: threshold 0, both
            strands; `"classic"`: threshold 0, forward strand), or a mapping
            `{name: Conv1DInterpreter.extract options}`. A setting may also
            hold `activation_layer`, passed to `Conv1DInterpreter` (which
            layer's output is scanned, e.g. `"conv1_relu"` on the `-bn`
            models).
        extract_options: Options added to every setting (e.g.
            `{"batch_size": 512}`).
        layers: The Conv1D layers to extract from (`None`: the first; an
            index or a name, e.g. `1` for the second Conv1D, read through
            its receptive field). With more than one, each setting's name
            gains the layer (`"defaults @ 1"`).
        cutoff: q-value below which a filter's best hit is a match.
        rule: When a matching filter matches a planted motif: `"any"` or
            `"best"`, see `benchmark_metrics`.
        null_copies: Shuffled copies of each filter in the null.
        release: JASPAR release of the database.
        batch_size: Training batch size.
        train: Whether to train; `False` takes a given model as trained.
        verbose: 0 for silence, 1 for one status line per seed.

    Returns:
        A `BenchmarkResult`.

    Example:

    >>> result = run_benchmark("cnn-50", seeds=[0, 1])
    >>> print(result.summary())
    """
    spec = _check_arguments(model, seeds, n_sequences, epochs, patience,
                            settings, extract_options, cutoff, rule,
                            null_copies, batch_size, train, verbose)
    from keras_motifs.compare import tomtom
    from keras_motifs.interpreter import Conv1DInterpreter
    from keras_motifs.jaspar import jaspar_motifs
    from keras_motifs._internal.graph import find_conv1d

    runs = _runs(spec["settings"], layers)
    probe = named_model(model) if isinstance(model, str) else model
    for layer in {layer for layer, _, _ in runs if layer is not None}:
        find_conv1d(probe, layer)  # an unknown layer fails before training
    for layer, _, options in runs:
        if "activation_layer" in options:
            Conv1DInterpreter(probe, layer, **_scanned_layer(options)[1])

    database = jaspar_motifs(release=release)
    rows = []
    for seed in spec["seeds"]:
        start = time.time()
        x, y, info = mixture_dataset(KOO_EDDY_MOTIFS, n_sequences,
                                     SEQUENCE_LENGTH, seed, release=release)
        trained = _trained_model(model, x, y, seed, epochs, patience,
                                 batch_size, train)
        held_out = x[len(x) - max(1, len(x) // 10):]
        for layer, name, options in runs:
            options, scanned = _scanned_layer(options)
            interpreter = Conv1DInterpreter(trained, layer, **scanned)
            motifs = interpreter.extract(held_out, **options)
            comparison = tomtom(motifs, database, null=null_copies)
            at = comparison.calibration.at(cutoff)
            row = {"seed": seed, "setting": name, "matches": at["matches"],
                   "null_match_rate": at["null_match_rate"], "fdr": at["fdr"]}
            row.update(benchmark_metrics(comparison, info.motifs,
                                         cutoff=cutoff, rule=rule))
            rows.append(row)
            if verbose:
                print_msg(
                    f"seed {seed} {name}: coverage {row['coverage']}/"
                    f"{row['n_planted']}, match_fraction "
                    f"{row['match_fraction']:.2f}, match_any "
                    f"{row['match_any']:.2f}, null {at['null_match_rate']:.3f}"
                    f" ({time.time() - start:.0f} s)"
                )
    label = model if isinstance(model, str) else getattr(model, "name", "model")
    description = [
        f"Koo & Eddy benchmark: model {label}, {n_sequences} sequences of "
        f"{SEQUENCE_LENGTH} bp per seed (1-5 of 12 JASPAR motifs, either "
        f"strand), up to {epochs} epochs (patience {patience}), motifs from "
        "the held-out 10 %",
        f"Tomtom against {release} CORE vertebrates; match: best hit q < "
        f"{cutoff:g} (planted: rule {rule}); null: {null_copies} "
        "position-shuffled copies per filter",
    ]
    settings = {name: options for _, name, options in runs}
    return BenchmarkResult(rows, settings, description)


def _runs(settings: dict, layers) -> list:
    """`(layer, setting name, extract options)` of every extraction."""
    layers = list(layers)
    if not layers:
        raise ValueError("`layers` is empty. Received: layers=[]")
    return [
        (layer, name if len(layers) == 1 else f"{name} @ {layer}", options)
        for layer in layers
        for name, options in settings.items()
    ]


def _scanned_layer(options: dict) -> tuple[dict, dict]:
    """A setting split into extract options and the `Conv1DInterpreter`
    option `activation_layer` (`{}` when the setting does not name it)."""
    options = dict(options)
    if "activation_layer" not in options:
        return options, {}
    return options, {"activation_layer": options.pop("activation_layer")}


def _check_arguments(model, seeds, n_sequences, epochs, patience, settings,
                     extract_options, cutoff, rule, null_copies, batch_size,
                     train, verbose) -> dict:
    """The checked seeds and settings; raises on any bad argument."""
    if isinstance(model, str):
        if model.lower() not in MODELS:
            raise ValueError(
                f"`model` must be one of {MODELS} or a keras.Model. "
                f"Received: model={model!r}"
            )
        if not train:
            raise ValueError(
                f"`train=False` needs a trained keras.Model, not {model!r}. "
                f"Received: train={train!r}"
            )
    elif not hasattr(model, "fit") or not hasattr(model, "layers"):
        raise TypeError(
            f"`model` must be one of {MODELS} or a keras.Model. "
            f"Received: model={type(model).__name__}"
        )
    if isinstance(seeds, (int, np.integer)):
        seeds = [seeds]
    seeds = [integer(seed, "seeds", minimum=0) for seed in seeds]
    if not seeds:
        raise ValueError(f"`seeds` is empty. Received: seeds={seeds!r}")
    if positive_int(n_sequences, "n_sequences") < 20:
        raise ValueError(
            "`n_sequences` must be at least 20 (10 % are held out). "
            f"Received: n_sequences={n_sequences}"
        )
    positive_int(epochs, "epochs")
    positive_int(patience, "patience")
    positive_int(null_copies, "null_copies")
    positive_int(batch_size, "batch_size")
    number(cutoff, "cutoff", minimum=0, open_minimum=True)
    one_of(rule, "rule", ("any", "best"))
    boolean(train, "train")
    integer(verbose, "verbose", minimum=0)
    if isinstance(settings, str):
        settings = [settings]
    if isinstance(settings, dict):
        named = dict(settings)
    else:
        named = {}
        for name in settings:
            if name not in SETTINGS:
                raise ValueError(
                    f"Unknown setting; expected names from {tuple(SETTINGS)} "
                    f"or a mapping of extract options. Received: settings="
                    f"{settings!r}"
                )
            named[name] = SETTINGS[name]
    if not named:
        raise ValueError(f"`settings` is empty. Received: settings={settings!r}")
    extra = dict(extract_options or {})
    checked = {}
    for name, options in named.items():
        if not isinstance(options, dict):
            raise TypeError(
                "Each setting must be a dict of extract options. Received: "
                f"settings[{name!r}]={options!r}"
            )
        checked[str(name)] = {**options, **extra}
    return {"seeds": seeds, "settings": checked}


def _trained_model(model, x, y, seed, epochs, patience, batch_size, train):
    """The model of one seed, trained on the first 80 % of `x` with early
    stopping on the next 10 %."""
    import keras

    keras.utils.set_random_seed(seed)
    if isinstance(model, str):
        model = named_model(model)
    elif train:
        loss = getattr(model, "loss", None) or "binary_crossentropy"
        model = keras.models.clone_model(model)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    if not train:
        return model
    n_train, n_valid = int(0.8 * len(x)), len(x) // 10
    stop = keras.callbacks.EarlyStopping(patience=patience,
                                         restore_best_weights=True)
    model.fit(
        x[:n_train], y[:n_train],
        validation_data=(x[n_train:n_train + n_valid],
                         y[n_train:n_train + n_valid]),
        epochs=epochs, batch_size=batch_size, callbacks=[stop], verbose=0,
    )
    return model


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
