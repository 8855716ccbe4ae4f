"""The built-in demo: plant JASPAR motifs, train a CNN, get the motifs back.

`run_demo` is what `keras-motifs demo` runs. It samples sites of a few real
JASPAR motifs (CTCF, GATA1, SPI1, CEBPB and REST by default) into random
DNA, one label per motif, trains a small Conv1D network on the CPU with a
`MotifExtractor` attached, compares the extracted filter motifs with JASPAR
by Tomtom and writes everything (MEME file, Tomtom table, logos, HTML
report, the model and the held-out sequences) into one folder. A planted
motif counts as recovered when some filter's best JASPAR hit is that
matrix (any version of it) or a matrix of the same transcription factor,
at a q-value below `q_threshold`.

The data come from `keras_motifs.data.planted`.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import time

import keras
import numpy as np

from keras_motifs.callbacks import MotifExtractor
from keras_motifs._internal.checks import boolean, integer, number
from keras_motifs._internal.messages import print_msg
from keras_motifs.matching.compare import tomtom
from keras_motifs.data.planted import PLANTED_RELEASE, planted_dataset, recovered_motifs
from keras_motifs.cli.parser import DEMO_FOLDER
from keras_motifs.motifs import MotifSet
from keras_motifs.matching.match_calibration import DEFAULT_CUTOFF
from keras_motifs.plots import plot_logo_grid, save_logos
from keras_motifs.report import write_report

DEMO_RELEASE = PLANTED_RELEASE
DEMO_MOTIFS = ("MA0139.2", "MA0035.5", "MA0080.7", "MA0466.4", "MA0138.3")
SEQUENCE_LENGTH = 200


@dataclasses.dataclass
class DemoResult:
    """What `run_demo` produced.

    Args:
        motifs: The filter motifs extracted after training.
        comparison: Their Tomtom comparison with JASPAR
            (`keras_motifs.matching.compare.Comparison`).
        planted: The planted JASPAR motifs.
        recovered: For each planted matrix ID, the names of the filters
            whose best hit names it (an empty list if none).
        paths: Output files by kind: `"meme"`, `"tsv"`, `"logos"`, `"grid"`,
            `"report"`, `"model"`, `"sequences"`, `"planted"`.
        seconds: Wall-clock time of the demo.
    """

    motifs: MotifSet
    comparison: object
    planted: MotifSet
    recovered: dict
    paths: dict
    seconds: float

    def summary(self) -> str:
        """A few lines saying which planted motifs were recovered.

        Returns:
            The text printed by `keras-motifs demo`, without trailing
            newline.

        Example:

        >>> print(run_demo("demo", quick=True).summary())
        """
        best = {hit.query_id: hit for hit in self.comparison.best()}
        lines = []
        for matrix_id, tf_name in zip(
            self.planted.names, self.planted.alt_names
        ):
            filters = self.recovered[matrix_id]
            if filters:
                hit = min(
                    (best[name] for name in filters),
                    key=operator.attrgetter("q_value"),
                )
                found = (
                    f"recovered by {', '.join(filters)} "
                    f"(best: {hit.target_id} {hit.target_name}, "
                    f"q={hit.q_value:.2g})"
                )
            else:
                found = "not recovered"
            lines.append(f"  {matrix_id:<10} {tf_name or '':<8} {found}")
        count = sum(bool(filters) for filters in self.recovered.values())
        lines.insert(
            0,
            f"Recovered {count} of {len(self.planted)} planted motifs "
            f"in {self.seconds:.0f} s:",
        )
        lines.append(f"Results in {os.path.dirname(self.paths['meme'])}/")
        return "\n".join(lines)


def demo_model(
    length: int,
    n_outputs: int,
    *,
    filters: int = 32,
    kernel_size: int = 21,
    learning_rate: float = 3e-3,
) -> keras.Model:
    """The small CNN the demo trains: one Conv1D, global max, sigmoid outputs.

    The Conv1D scans one-hot DNA with ReLU filters; a global max pooling
    keeps each filter's best match anywhere in the sequence and a dense
    layer maps these to one sigmoid output per label. With the maximum
    taken over the whole sequence, each filter is pushed to become a
    detector of one motif. Compiled with Adam and binary cross-entropy.

    Args:
        length: Sequence length.
        n_outputs: Number of labels (planted motifs).
        filters: Number of Conv1D filters.
        kernel_size: Filter width in bases.
        learning_rate: Adam's learning rate.

    Returns:
        A compiled `keras.Model` from `(length, 4)` to `(n_outputs,)`.

    Example:

    >>> model = demo_model(200, 5)
    >>> model.get_layer("motifs").kernel.shape
    (21, 4, 32)
    """
    inputs = keras.Input((length, 4), name="dna")
    hidden = keras.layers.Conv1D(
        filters, kernel_size, activation="relu", name="motifs"
    )(inputs)
    hidden = keras.layers.GlobalMaxPooling1D()(hidden)
    hidden = keras.layers.Dropout(0.1)(hidden)
    outputs = keras.layers.Dense(n_outputs, activation="sigmoid")(hidden)
    model = keras.Model(inputs, outputs, name="demo_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
    )
    return model


def run_demo(
    out_dir=DEMO_FOLDER,
    *,
    seed: int = 0,
    quick: bool = False,
    motif_ids=DEMO_MOTIFS,
    release: str = DEMO_RELEASE,
    q_threshold: float = DEFAULT_CUTOFF,
    verbose: int = 1,
) -> DemoResult:
    """Plants JASPAR motifs, trains a CNN and checks the motifs come back.

    Steps: `planted_dataset` makes 10,000 sequences of 200 bp (2,000 held
    out); `demo_model` trains for 10 epochs with a `MotifExtractor`
    scanning the held-out sequences at the end of training (its defaults:
    the null threshold `"null:0.01"`, forward strand); the filter motifs are compared with JASPAR `release`
    (CORE vertebrates) by `keras_motifs.matching.compare.tomtom`; and
    `recovered_motifs` says which planted motifs some filter found.
    `quick=True` trains 16 filters on 3,000 sequences for 4 epochs (500
    held out), to check the pipeline in seconds; it recovers some motifs.

    Written into `out_dir` (created when missing): `motifs.meme` (the
    filters), `tomtom.tsv`, `logos/` (one PNG per filter and
    `overview.png`), `report.html`, `model.keras`, `sequences.npz` (the
    held-out `x`, uint8 A, C, G, T, and labels `y`) and `planted.meme`.

    Args:
        out_dir: Output folder.
        seed: Seed of the data, the weights and the training order.
        quick: Train a tiny model briefly.
        motif_ids: JASPAR matrix IDs to plant.
        release: JASPAR release of the planted motifs and the comparison.
        q_threshold: Largest q-value (exclusive) of a recovering hit.
        verbose: 1 prints each step and one line per training epoch on
            stdout.

    Returns:
        A `DemoResult`; `result.summary()` says what was recovered.

    Example:

    >>> result = run_demo("keras-motifs-demo")
    >>> print(result.summary())
    """
    started = time.perf_counter()
    seed = integer(seed, "seed", minimum=0)
    boolean(quick, "quick")
    number(q_threshold, "q_threshold", minimum=0, maximum=1, open_minimum=True)
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise NotADirectoryError(
            f"Cannot write the demo into {out_dir}: it is a file."
        )
    os.makedirs(out_dir, exist_ok=True)
    paths = {
        kind: os.path.join(out_dir, name)
        for kind, name in (
            ("meme", "motifs.meme"),
            ("tsv", "tomtom.tsv"),
            ("logos", "logos"),
            ("report", "report.html"),
            ("model", "model.keras"),
            ("sequences", "sequences.npz"),
            ("planted", "planted.meme"),
        )
    }
    paths["grid"] = os.path.join(paths["logos"], "overview.png")
    n_train, n_valid, epochs, filters = (
        (3000, 500, 4, 16) if quick else (8000, 2000, 10, 32)
    )
    keras.utils.set_random_seed(seed)
    x, y, info = planted_dataset(
        motif_ids,
        n_train + n_valid,
        SEQUENCE_LENGTH,
        np.random.default_rng(seed),
        release=release,
    )
    _say(
        verbose,
        f"Planted {', '.join(_labels(info.motifs))} in "
        f"{len(x)} sequences of {SEQUENCE_LENGTH} bp",
    )
    model = demo_model(SEQUENCE_LENGTH, y.shape[1], filters=filters)
    extractor = MotifExtractor(x[n_train:], paths["meme"], strict=True)
    model.fit(
        x[:n_train],
        y[:n_train],
        batch_size=64,
        epochs=epochs,
        validation_data=(x[n_train:], y[n_train:]),
        callbacks=[extractor],
        verbose=2 if verbose else 0,
    )
    motifs = extractor.motifs
    _say(verbose, f"Comparing {len(motifs)} filter motifs with {release}")
    comparison = tomtom(motifs, release=release)
    comparison.write_tsv(paths["tsv"])
    _say(verbose, f"Drawing logos and writing the report into {out_dir}")
    save_logos(motifs, paths["logos"])
    plot_logo_grid(motifs, paths["grid"])
    write_report(
        motifs,
        paths["report"],
        comparison=comparison,
        title="keras-motifs demo",
    )
    model.save(paths["model"])
    np.savez_compressed(
        paths["sequences"], x=x[n_train:].astype(np.uint8), y=y[n_train:]
    )
    info.motifs.to_meme(paths["planted"])
    return DemoResult(
        motifs=motifs,
        comparison=comparison,
        planted=info.motifs,
        recovered=recovered_motifs(
            info.motifs, comparison, q_threshold=q_threshold
        ),
        paths=paths,
        seconds=time.perf_counter() - started,
    )


def _labels(motifs: MotifSet) -> list[str]:
    return [
        name if alt is None else f"{alt} ({name})"
        for name, alt in zip(motifs.names, motifs.alt_names)
    ]


def _say(verbose: int, message: str) -> None:
    if verbose:
        print_msg(message)
