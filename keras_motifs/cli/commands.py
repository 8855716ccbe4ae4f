"""The handlers of the `keras-motifs` commands: each reads files, calls the
library and writes its outputs."""

from __future__ import annotations

import contextlib
import inspect
import os
import sys

import numpy as np

from keras_motifs._internal.alphabet import dna_channels_of, resolve_alphabet
from keras_motifs._internal.files import check_writable, existing_file
from keras_motifs._internal.messages import print_msg
from keras_motifs.cli.datafiles import LengthFit, check_data
from keras_motifs.cli.datafiles import read_labels, read_sequences
from keras_motifs.cli.datafiles import selected_batches, with_labels
from keras_motifs.cli.demo import run_demo as build_demo
from keras_motifs.cli.attribute import run_attribute  # noqa: F401  (run_<name>)
from keras_motifs.cli.patterns import run_patterns  # noqa: F401  (run_<name>)
from keras_motifs.cli.recovery import run_benchmark  # noqa: F401  (run_<name>)
from keras_motifs.cli.bootstrap import run_bootstrap  # noqa: F401  (run_<name>)
from keras_motifs.cli.history import run_history  # noqa: F401  (run_<name>)
from keras_motifs.cli.modelfiles import load_model
from keras_motifs.cli.progress import Progress
from keras_motifs.matching.compare import read_comparison, tomtom
from keras_motifs.analysis.firing import write_firing_tsv
from keras_motifs._internal.graph import conv_input, find_conv1d, model_input
from keras_motifs.attribution.links import link_by_similarity
from keras_motifs.formats import SUFFIXES, motif_format, read_extraction
from keras_motifs.formats import read_motifs, write_motifs
from keras_motifs.analysis.influence import filter_influence, read_influence
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.site_rules import SiteRule
from keras_motifs.sources import SequenceSource
from keras_motifs.legacy import save_model
from keras_motifs.formats.meme import read_meme
from keras_motifs.plots import write_logos
from keras_motifs.report import write_report

__all__ = ["run_attribute", "run_benchmark", "run_bootstrap", "run_compare",
           "run_convert", "run_demo", "run_extract", "run_history",
           "run_influence", "run_logos", "run_patterns", "run_report"]



def _layer(value: str | None):
    """`--layer` as an index when it is an integer, else a name."""
    if value is not None and value.lstrip("-").isdigit():
        return int(value)
    return value




def run_extract(args) -> int:
    """`keras-motifs extract`: motifs of a Conv1D's filters to a motif file."""
    output = check_writable(args.output)
    format = _output_format(output, args.format)
    if args.blocks is not None and format != "npz":
        raise ValueError(
            f"--blocks keeps block counts only in the npz format; write "
            f"-o motifs.npz (or --format npz) instead of {output} ({format})."
        )
    rule = SiteRule(threshold=args.threshold,
                    relative_threshold=args.relative_threshold,
                    relative_to=args.relative_to, max_sites=args.max_sites,
                    null_sequences=args.null_sequences)
    model = _load(args)
    length, channels, dna_channels = _sequence_input(model, args)
    data = _open_data(args, length, args.labels_key)
    check_data(data, length, args.targets, channels=channels,
               dna_channels=dna_channels)
    alphabet = resolve_alphabet(args.alphabet, data.alphabet, name="--alphabet")
    interpreter = Conv1DInterpreter(
        model, _layer(args.layer), alphabet=alphabet,
        **_interpreter_options(args, dna_channels),
    )
    firing = None if args.firing is None else check_writable(args.firing)
    labels = None
    if firing is not None and data.has_labels:
        labels = np.concatenate([
            np.asarray(y) for _, y in selected_batches(
                data, args.batch_size, targets=args.targets,
                max_sequences=args.max_sequences,
            )
        ])
    count = data.count if args.targets is None else None
    if args.max_sequences is not None and count is not None:
        count = min(count, args.max_sequences)
    # Read twice (a first pass resolves the cutoffs): the count is unknown.
    twice = rule.reads_all_data_twice
    reads = []  # the sequences of each read of DATA
    with Progress(None if twice else count, args.quiet) as progress:
        def read(batch_size):
            reads.append(0)
            for x, y in selected_batches(
                data, batch_size, targets=args.targets,
                max_sequences=args.max_sequences, on_batch=progress.add,
            ):
                reads[-1] += len(x)
                yield x, y

        source = data.reading(read, count=None)
        extraction = interpreter.extract(
            source if twice else source.batches(args.batch_size),
            strands=args.strands,
            batch_size=args.batch_size,
            firing=firing is not None,
            labels=labels,
            blocks=args.blocks,
            site_rule=rule,
        )
    write_motifs(extraction, output, format)
    if firing is not None:
        write_firing_tsv(extraction, firing)
    with_sites = int(np.count_nonzero(extraction.motifs.nsites))
    print_msg(
        f"Wrote {with_sites} of {len(extraction.motifs)} filter motifs of layer "
        f"{interpreter.layer.name!r} ({reads[-1]} sequences) to {output}"
        + ("" if format == "meme" else f" ({format})")
    )
    return 0


def run_convert(args) -> int:
    """`keras-motifs convert`: a model to `.keras`, or motifs between formats."""
    output = check_writable(args.output)
    if output.lower().endswith(".keras") and args.format is None:
        model = _load(args)
        save_model(model, output)
        print_msg(f"Wrote the Keras 3 model {output} ({model.count_params():,} "
                  "parameters)")
        return 0
    source = existing_file(args.model, "IN")
    if not source.lower().endswith(tuple(SUFFIXES)):
        raise ValueError(
            f"convert writes a model to .keras, or motifs between formats: "
            f"{source} is not a motif file ({', '.join(SUFFIXES)}) and "
            f"{output} does not end in .keras."
        )
    for option in ("architecture", "kernel_order"):
        if getattr(args, option) is not None:
            raise ValueError(
                f"--{option.replace('_', '-')} applies to models, not to "
                f"the motif file {source}."
            )
    motifs = read_motifs(source)
    format = motif_format(output, args.format)
    write_motifs(motifs, output, format)
    print_msg(f"Wrote {len(motifs)} motifs of {source} to {output} ({format})")
    return 0


def _output_format(output: str, format: str | None) -> str:
    """`--format`, else the format of the suffix, else MEME."""
    if format is None and os.path.splitext(output)[1].lower() not in SUFFIXES:
        return "meme"
    return motif_format(output, format)


def _load(args):
    return load_model(
        args.model,
        architecture=args.architecture,
        kernel_order=args.kernel_order,
        unsafe=args.unsafe,
    )


def _interpreter_options(args, dna_channels) -> dict:
    """`--input`, `--dna-channels` (checked), `--activation-layer`, those given."""
    options = {
        "input": args.input,
        "dna_channels": dna_channels,
        "activation_layer": args.activation_layer,
    }
    options = {name: value for name, value in options.items() if value is not None}
    accepted = inspect.signature(Conv1DInterpreter).parameters
    missing = [name for name in options if name not in accepted]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise ValueError(
            f"{flags}: this version of Conv1DInterpreter does not take "
            f"{', '.join(missing)}; upgrade keras-motifs."
        )
    return options


def _open_data(args, length, labels_key) -> SequenceSource:
    return read_sequences(
        args.data,
        key=args.key,
        labels_key=labels_key,
        alphabet=args.alphabet,
        length=length,
        genome=args.genome,
        signals=args.signals,
        fit=LengthFit(pad=args.pad, crop=args.crop, pad_with=args.pad_with),
    )


def _sequence_input(model, args) -> tuple:
    """`(length, channels, DNA channels)` of the input the Conv1D reads.

    Found as `Conv1DInterpreter` finds it (`--layer`, `--input`); see
    `_input_geometry`.
    """
    conv = find_conv1d(model, _layer(args.layer))
    return _input_geometry(
        model_input(model, conv_input(model, conv, args.input)), args)


def _input_geometry(tensor, args) -> tuple:
    """`(length, channels, DNA channels)` of a model input of one-hot
    sequences; the DNA channels are `--dna-channels`, checked against the
    channel count."""
    shape = tuple(tensor.shape)
    channels = int(shape[-1])
    dna_channels = dna_channels_of(args.dna_channels, channels, "--dna-channels")
    return shape[1], channels, dna_channels


def run_compare(args) -> int:
    """`keras-motifs compare`: Tomtom against JASPAR or a MEME file."""
    output = check_writable(args.output)
    motifs = read_meme(existing_file(args.motifs, "MOTIFS"))
    if args.db is not None:
        targets = existing_file(args.db, "--db")
        database = targets
    else:
        targets = None
        database = (
            f"{args.release or 'JASPAR (newest release)'} "
            f"{args.collection} {args.tax_group}"
        )
    comparison = tomtom(
        motifs,
        targets,
        release=args.release,
        collection=_or_all(args.collection),
        tax_group=_or_all(args.tax_group),
        trim=not args.no_trim,
        min_information=args.min_information,
        distance=args.distance,
        threshold=args.threshold,
        evalue=args.evalue,
        min_overlap=args.min_overlap,
        null=args.null or None,
    )
    comparison.write_tsv(output)
    significance = "E-value" if args.evalue else "q-value"
    print_msg(
        f"{len(comparison.best())} of {len(motifs)} motifs match {database} "
        f"at {significance} < {args.threshold:g} ({len(comparison)} hits); "
        f"wrote {output}"
    )
    if comparison.calibration is not None:
        print_msg(f"Null calibration: {comparison.calibration.summary()}")
    return 0


def _or_all(value: str) -> str | None:
    return None if value.lower() == "all" else value


def run_logos(args) -> int:
    """`keras-motifs logos`: a PNG logo per motif and an overview grid."""
    motifs = read_meme(existing_file(args.motifs, "MOTIFS"))
    if args.trim is not None:
        motifs = motifs.trim(args.trim)
    paths, overview = write_logos(
        motifs, args.output, kind=args.kind, columns=args.columns, dpi=args.dpi
    )
    print_msg(f"Wrote {len(paths)} logos and {overview}")
    return 0


def run_report(args) -> int:
    """`keras-motifs report`: one HTML page for a MEME file."""
    output = check_writable(args.output)
    source = existing_file(args.motifs, "MOTIFS")
    npz = source.lower().endswith(".npz")
    extraction = read_extraction(source) if npz else None
    motifs = extraction.motifs if npz else read_meme(source)
    patterns = _report_patterns(args, motifs.names)
    pattern_comparison = None
    if args.pattern_comparison is not None:
        pattern_comparison = read_comparison(args.pattern_comparison)
    result = None
    if args.bootstrap is not None:
        from keras_motifs.analysis.bootstrap import bootstrap

        result = bootstrap(extraction if npz else motifs, args.bootstrap)
    comparison = None
    if args.comparison is not None:
        comparison = read_comparison(args.comparison)
    influence = None
    if args.influence is not None:
        influence = read_influence(args.influence, motifs.names)
    links = None if patterns is None else link_by_similarity(patterns, motifs)
    write_report(
        motifs,
        output,
        comparison=comparison,
        influence=influence,
        bootstrap=result,
        patterns=patterns,
        links=links,
        pattern_comparison=pattern_comparison,
        title=args.title,
        logo_kind=args.kind,
    )
    shown = "" if links is None else (
        f" and {len(patterns)} patterns ({links.linked.any(axis=1).sum()} "
        "linked to a filter by Tomtom)")
    print_msg(f"Wrote a report of {len(motifs)} motifs{shown} to {output}")
    return 0


def _report_patterns(args, filter_names: list[str]):
    """The `--patterns` MEME file's motifs (none without it), checked:
    none named like a filter motif."""
    if args.patterns is None:
        if args.pattern_comparison is not None:
            raise ValueError(
                "--pattern-comparison gives the best matches of the "
                "patterns: pass --patterns too.")
        return None
    source = existing_file(args.patterns, "--patterns")
    patterns = read_meme(source)
    shared = sorted(set(patterns.names) & set(filter_names))
    if shared:
        raise ValueError(
            f"--patterns {source} holds motifs named like those of MOTIFS "
            f"({', '.join(shared[:3])}): pass the file of 'keras-motifs "
            "patterns' (motifs named pos_pattern_<i> / neg_pattern_<i>).")
    return patterns


def run_influence(args) -> int:
    """`keras-motifs influence`: each filter's effect on loss and outputs."""
    output = check_writable(args.output)
    model = _load(args)
    length, channels, dna_channels = _sequence_input(model, args)
    if args.labels is None:
        data = _open_data(args, length, args.labels_key)
    else:
        data = _open_data(args, length, None)
        data = with_labels(data, read_labels(args.labels, key=args.labels_key))
    check_data(data, length, args.targets, channels=channels,
               dna_channels=dna_channels)
    resolve_alphabet(args.alphabet, data.alphabet, name="--alphabet")
    parts = list(
        selected_batches(
            data,
            args.batch_size,
            targets=args.targets,
            max_sequences=args.max_sequences,
        )
    )
    x = np.concatenate([x for x, _ in parts])
    y = np.concatenate([y for _, y in parts]) if data.has_labels else None
    influence = filter_influence(
        model, x, y, layer=_layer(args.layer), batch_size=args.batch_size,
        activation_layer=args.activation_layer, input=args.input,
        dna_channels=dna_channels,
    )
    influence.write_tsv(output)
    what = "loss and outputs" if y is not None else "outputs (no labels given)"
    print_msg(
        f"Scored {len(influence)} filters on {len(x)} sequences by their "
        f"effect on the {what}; wrote {output}"
    )
    return 0


def run_demo(args) -> int:
    """`keras-motifs demo`: plant motifs, train, recover them."""
    with contextlib.redirect_stdout(sys.stderr):
        result = build_demo(
            args.out,
            seed=args.seed,
            quick=args.quick,
            verbose=int(not args.quiet),
        )
    print_msg(result.summary())
    return 0



