"""`keras-motifs attribute`: contribution scores of a saved model to HDF5.

`run_attribute(args)` reads MODEL and DATA as `extract` does (the same
options, less those that pick a Conv1D; `--input` names the input holding
the sequences), reads the model's other inputs from the `--other-input`
files, streams the sequences through
`keras_motifs.attribution.iter_contribution_scores` and writes them with
`write_scores`, one group of sequences at a time.
"""

from __future__ import annotations

from typing import Iterator

from keras_motifs._internal.alphabet import resolve_alphabet
from keras_motifs._internal.files import check_writable
from keras_motifs._internal.graph import input_name, model_input, model_inputs
from keras_motifs._internal.messages import print_msg
from keras_motifs.attribution._deeplift import DeepLift
from keras_motifs.attribution.scores import ContributionScores
from keras_motifs.attribution.scores import iter_contribution_scores
from keras_motifs.attribution.scores import write_scores
from keras_motifs.cli.datafiles import check_data, selected_batches
from keras_motifs.sequence_files import read_array
from keras_motifs.cli.progress import Progress

METHODS = {"ism": "ism", "gradient": "gradient", "ig": "integrated_gradients",
           "deeplift": "deeplift"}


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
    from keras_motifs.cli.commands import _input_geometry, _load, _open_data

    model = _load(args)
    inputs = model_inputs(model)
    if len(inputs) > 1 and args.input is None:
        names = ", ".join(f"{input_name(t)!r} {tuple(t.shape)}" for t in inputs)
        raise ValueError(
            f"Model {model.name!r} has {len(inputs)} inputs ({names}): name "
            "the one holding the sequences with --input NAME, and give each "
            "other one as data with --other-input NAME=FILE (one row per "
            "sequence)."
        )
    tensor = model_input(model, args.input)
    if len(tensor.shape) != 3:
        raise ValueError(
            f"Input {input_name(tensor)!r} of model {model.name!r} has shape "
            f"{tuple(tensor.shape)}, not (batch, length, channels) one-hot "
            "sequences; name the sequences' input with --input."
        )
    given = {name for name, _ in args.other_input or ()}
    missing = [input_name(t) for t in inputs
               if t is not tensor and input_name(t) not in given]
    if missing:
        raise ValueError(
            f"Model {model.name!r} also reads input(s) {missing} besides the "
            f"sequences ({input_name(tensor)!r}): give each as data with "
            "--other-input NAME=FILE (one row per sequence of DATA)."
        )
    if METHODS[args.method] == "deeplift":
        # Refuses the layers without a rule, by name, before DATA is read.
        DeepLift(model, next(i for i, t in enumerate(inputs) if t is tensor),
                 select=None)
    length, channels, dna_channels = _input_geometry(tensor, args)
    data = _open_data(args, length, args.labels_key)
    check_data(data, length, args.targets, channels=channels,
               dna_channels=dna_channels)
    alphabet = resolve_alphabet(args.alphabet, data.alphabet, name="--alphabet")
    count = data.count if args.targets is None else None
    if args.max_sequences is not None and count is not None:
        count = min(count, args.max_sequences)
    other_inputs = _other_inputs(args, count)
    sequences = (x for x, _ in selected_batches(
        data, args.batch_size, targets=args.targets,
        max_sequences=args.max_sequences))
    parts = iter_contribution_scores(
        model, sequences, method=METHODS[args.method], output=_task(args.task),
        input=args.input, dna_channels=dna_channels, alphabet=alphabet,
        other_inputs=other_inputs, n_references=args.references,
        steps=args.steps, batch_size=args.batch_size, seed=args.seed,
    )
    return parts, count


def _other_inputs(args, count: int | None) -> dict:
    """`{input name: array}` of the `--other-input NAME=FILE` options, the
    rows of the scored sequences (the first `--max-sequences`), checked
    against `count` sequences when it is known."""
    arrays = {}
    for name, path in args.other_input or ():
        what = f"--other-input {name}"
        if name in arrays:
            raise ValueError(f"{what} is given twice; give each input once.")
        if args.targets is not None:
            raise ValueError(
                f"{what}: --targets keeps some sequences of DATA, and the "
                f"rows of {path} would no longer line up with them. Select "
                "the rows of DATA and of each --other-input file yourself, "
                "or leave --targets out."
            )
        array = read_array(path, key=name, what=what)
        if args.max_sequences is not None:
            array = array[: args.max_sequences]
        if count is not None and len(array) != count:
            raise ValueError(
                f"{what}: {path} holds {len(array)} rows for {count} "
                "sequences; give one row per sequence of DATA, in order."
            )
        arrays[name] = array
    return arrays


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
