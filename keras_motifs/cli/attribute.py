"""`keras-motifs attribute`: contribution scores of a saved model to HDF5.

`run_attribute(args)` reads MODEL and DATA as `extract` does (the same
options, less those that pick a Conv1D), streams the sequences through
`keras_motifs.attribution.iter_contribution_scores` and writes them with
`write_scores`, one group of sequences at a time.
"""

from __future__ import annotations

from typing import Iterator

from keras_motifs._internal.alphabet import dna_channels_of, resolve_alphabet
from keras_motifs._internal.files import check_writable
from keras_motifs._internal.graph import input_name, model_inputs
from keras_motifs._internal.messages import print_msg
from keras_motifs.attribution.scores import ContributionScores
from keras_motifs.attribution.scores import iter_contribution_scores
from keras_motifs.attribution.scores import write_scores
from keras_motifs.cli.datafiles import check_data, selected_batches
from keras_motifs.cli.progress import Progress

METHODS = {"ism": "ism", "gradient": "gradient", "ig": "integrated_gradients"}


def run_attribute(args) -> int:
    """`keras-motifs attribute`: contribution scores of one output to HDF5."""
    output = check_writable(args.output)
    parts, count = scored_parts(args)
    with Progress(count, args.quiet) as progress:
        written = counted(parts, progress)
        write_scores(written, output)
    print_msg(
        f"Wrote {METHODS[args.method]} contribution scores of {progress.seen} "
        f"sequences to {output}"
    )
    return 0


def scored_parts(args) -> tuple[Iterator[ContributionScores], int | None]:
    """The contribution scores of MODEL on DATA as the options ask, one
    group of sequences at a time (scored as they are read), and the number
    of sequences when it is known."""
    # The handlers' shared readers of MODEL and DATA (imported here:
    # `commands` imports this module).
    from keras_motifs.cli.commands import _load, _open_data

    model = _load(args)
    inputs = model_inputs(model)
    if len(inputs) > 1:
        names = ", ".join(repr(input_name(t)) for t in inputs)
        raise ValueError(
            f"Model {model.name!r} has {len(inputs)} inputs ({names}); the "
            "command line scores models with one input (DNA, optionally with "
            "signal channels). Pass the others as data from Python: "
            "keras_motifs.attribution.contribution_scores(model, x, "
            "input=..., other_inputs={name: array})."
        )
    shape = tuple(inputs[0].shape)
    channels = int(shape[-1])
    dna_channels = dna_channels_of(args.dna_channels, channels, "--dna-channels")
    data = _open_data(args, shape[1], args.labels_key)
    check_data(data, shape[1], args.targets, channels=channels,
               dna_channels=dna_channels)
    alphabet = resolve_alphabet(args.alphabet, data.alphabet, name="--alphabet")
    count = data.count if args.targets is None else None
    if args.max_sequences is not None and count is not None:
        count = min(count, args.max_sequences)
    sequences = (x for x, _ in selected_batches(
        data, args.batch_size, targets=args.targets,
        max_sequences=args.max_sequences))
    parts = iter_contribution_scores(
        model, sequences, method=METHODS[args.method], output=_task(args.task),
        dna_channels=dna_channels, alphabet=alphabet,
        n_references=args.references, steps=args.steps,
        batch_size=args.batch_size, seed=args.seed,
    )
    return parts, count


def _task(value: str | None):
    """`--task` as an index when it is an integer, `sum_of_outputs` for
    `sum`, else a name."""
    if value is not None and value.lstrip("-").isdigit():
        return int(value)
    if value == "sum":
        return sum_of_outputs
    return value


def sum_of_outputs(predictions):
    """The sum of every output value of a sequence (`--task sum`)."""
    import keras

    return keras.ops.sum(predictions,
                         axis=tuple(range(1, len(predictions.shape))))


def counted(parts, progress) -> Iterator[ContributionScores]:
    """`parts`, advancing `progress` by each part's sequences once scored."""
    for part in parts:
        progress.add(len(part))
        yield part
