"""The `>>>` examples of the modules that need no model, data file or database.

Each docstring with examples is one test, run in a fresh temporary working
directory with `np` available. Examples that need something these tests do
not have (a trained model, a FASTA or MEME file, JASPAR, Tomtom) are left
out by name in `EXCLUDED`, with the reason; a name there that no longer
exists fails, so the list cannot go stale. Modules not listed in `MODULES`
(callbacks, interpreter, influence, plots, report, jaspar, initializers,
evaluation, the DeepSEA loaders, planted data and the command line) need a
model, files, JASPAR or the plot extra for every example.
"""

import copy
import doctest
import importlib

import numpy as np
import pytest

MODULES = (
    "keras_motifs._internal.checks",
    "keras_motifs._internal.files",
    "keras_motifs._internal.geometry",
    "keras_motifs.matching.compare",
    "keras_motifs.data.deepsea_targets",
    "keras_motifs.formats.meme",
    "keras_motifs.motifs",
    "keras_motifs.onehot_array",
    "keras_motifs.sequences",
    "keras_motifs._internal.alphabet",
    "keras_motifs._internal.lazy",
    "keras_motifs.site_rules",
)

NEEDS_FILE = "reads a file the example does not create"
NEEDS_TOMTOM = "compares motifs with JASPAR through Tomtom"
EXCLUDED = {
    "keras_motifs._internal.files.existing_file": NEEDS_FILE,
    "keras_motifs._internal.files.open_hdf5": NEEDS_FILE,
    "keras_motifs.matching.compare.Comparison": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Comparison.annotate": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Comparison.best": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Comparison.write_tsv": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Hit": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.same_motif": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Hit.tsv_cells": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.Comparison.best_matches": NEEDS_TOMTOM,
    "keras_motifs.matching.compare.read_comparison": NEEDS_FILE,
    "keras_motifs.matching.compare.tomtom": NEEDS_TOMTOM,
    "keras_motifs.data.deepsea_targets.positive_for": "loads DeepSEA's valid.mat",
    "keras_motifs.formats.meme.read_meme": NEEDS_FILE,
    "keras_motifs.sequences.fasta_batches": "reads peaks.fa and needs a model",
    "keras_motifs.sequences.read_fasta": NEEDS_FILE,
}
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def docstring_tests():
    """Every docstring with examples in `MODULES`, by its dotted name."""
    found = {}
    for name in MODULES:
        module = importlib.import_module(name)
        finder = doctest.DocTestFinder(exclude_empty=True)
        for test in finder.find(module, extraglobs={"np": np}):
            if test.examples:
                found[test.name] = test
    return found


TESTS = docstring_tests()


def test_exclusions_name_existing_examples():
    assert sorted(set(EXCLUDED) - set(TESTS)) == []
    assert len(set(TESTS) - set(EXCLUDED)) >= 20


@pytest.mark.parametrize(
    "name", sorted(name for name in TESTS if name not in EXCLUDED)
)
def test_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    test = copy.copy(TESTS[name])
    test.globs = dict(test.globs)  # each run starts from the module's names
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.attempted > 0
    assert result.failed == 0, "".join(report)
