"""extract_distributed on a LocalCluster of two worker processes."""

import h5py
import keras
import numpy as np
import pytest

from keras_motifs import Conv1DInterpreter
from keras_motifs.distributed import FastaChunk, extract_distributed
from keras_motifs.distributed import fasta_shards, hdf5_shards

distributed = pytest.importorskip("dask.distributed")

LENGTH = 50


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True,
        dashboard_address=None, silence_logs=40,
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("distributed")
    rng = np.random.default_rng(0)
    inputs = keras.Input((LENGTH, 4))
    x = keras.layers.Conv1D(8, 6, activation="relu", name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(x))
    model_path = directory / "model.keras"
    model.save(model_path)
    codes = rng.integers(0, 4, size=(300, LENGTH))
    x = np.eye(4, dtype="uint8")[codes]
    data_path = directory / "x.h5"
    with h5py.File(data_path, "w") as handle:
        handle["x"] = x
    fasta = directory / "x.fa"
    fasta.write_text("".join(
        f">s{i}\n{''.join('ACGT'[c] for c in row)}\n"
        for i, row in enumerate(codes)))
    return model, str(model_path), str(data_path), str(fasta), x


@pytest.mark.slow
def test_shards_sum_to_one_local_scan(client, inputs):
    model, model_path, data_path, fasta, x = inputs
    interpreter = Conv1DInterpreter(model)
    local = interpreter.extract(x, threshold=0.0, strands="both").motifs
    assert local.nsites.min() > 0  # the test exercises kept windows
    shards = hdf5_shards(data_path, "x", 3)
    assert [s.stop - s.start for s in shards] == [100, 100, 100]
    summed = extract_distributed(model_path, shards, client, threshold=0.0,
                                 strands="both").motifs
    np.testing.assert_array_equal(summed.nsites, local.nsites)
    np.testing.assert_allclose(summed.counts, local.counts, atol=1e-3)
    # The model sent as bytes, FASTA chunks.
    chunks = fasta_shards(fasta, 4)
    assert chunks[0] == FastaChunk(fasta, 0, 75)
    summed = extract_distributed(model, chunks, client, threshold=0.0,
                                 strands="both").motifs
    np.testing.assert_array_equal(summed.nsites, local.nsites)
    np.testing.assert_allclose(summed.counts, local.counts, atol=1e-3)


@pytest.mark.slow
def test_rules_needing_all_the_data_use_every_shard(client, inputs):
    """The relative threshold's global maximum, Basset's mean and max_sites
    from the shards' statistics added up equal one local extract, whose
    own first pass is exact."""
    model, model_path, data_path, _, x = inputs
    interpreter = Conv1DInterpreter(model)
    maximum = interpreter.scan(x)[0].max(axis=0)
    cutoff = np.maximum(np.float32(0.1), np.float32(0.6) * maximum)
    by_hand = interpreter.extract(x, threshold=cutoff, strands="forward").motifs
    shards = hdf5_shards(data_path, "x", 4)
    for rule in (dict(threshold=0.1, relative_threshold=0.6),
                 dict(relative_threshold=0.5, relative_to="mean"),
                 dict(threshold="null:0.2", null_sequences=50, max_sites=20)):
        local_extraction = interpreter.extract(x, strands="forward", **rule)
        extraction = extract_distributed(model_path, shards, client,
                                         strands="forward", **rule)
        # The rule asked for, and the cutoffs it resolved to, as extract().
        assert extraction.site_rule == local_extraction.site_rule
        np.testing.assert_allclose(extraction.cutoffs, local_extraction.cutoffs,
                                   rtol=1e-6)
        local, summed = local_extraction.motifs, extraction.motifs
        np.testing.assert_array_equal(summed.nsites, local.nsites)
        np.testing.assert_allclose(summed.counts, local.counts, atol=1e-3)
        if "threshold" in rule and rule["threshold"] == 0.1:
            np.testing.assert_array_equal(local.nsites, by_hand.nsites)
        assert local.nsites.sum() > 0


def test_bad_arguments_fail_before_any_work(inputs):
    _, model_path, data_path, _, _ = inputs
    with pytest.raises(TypeError, match="client"):
        extract_distributed(model_path, [(data_path, "x", 0, 10)], object())
    with pytest.raises(ValueError, match="No shards"):
        extract_distributed(model_path, [], object())
    with pytest.raises(ValueError, match="HDF5Slice"):
        extract_distributed(model_path, [data_path], object())
    with pytest.raises(ValueError, match="strands"):
        extract_distributed(model_path, [data_path], object(), strands="up")
    # Every rule passes the rule check: the shards are checked next.
    for rule in ({}, dict(threshold="null:0.01"), dict(max_sites=10),
                 dict(relative_threshold=0.5, relative_to="mean")):
        with pytest.raises(ValueError, match="HDF5Slice"):
            extract_distributed(model_path, [data_path], object(), **rule)

    class FirstTask:
        """Records the first task submitted, and stops there."""

        def submit(self, function, *args, **kwargs):
            self.task = function.__name__, args
            raise RuntimeError("first task")

        gather = scatter = submit

    # Its cutoffs are resolved first, on one worker, from the first shard.
    shards = [(data_path, "x", 0, 10), (data_path, "x", 10, 20)]
    for rule in ({}, dict(threshold="null:0.01")):
        recorder = FirstTask()
        with pytest.raises(RuntimeError, match="first task"):
            extract_distributed(model_path, shards, recorder, **rule)
        name, args = recorder.task
        assert name == "_shard_first_pass"
        assert tuple(args[3]) == (data_path, "x", 0, 10)
        assert args[4]["site_rule"].threshold == "null:0.01"
    class Unused:
        def submit(self, *args, **kwargs):
            raise AssertionError("no work may start")

        gather = scatter = submit

    with pytest.raises(ValueError, match="model file"):
        extract_distributed("missing.keras", [(data_path, "x", 0, 10)],
                            Unused())


def test_shard_errors_name_the_shard_before_any_work(inputs, tmp_path):
    from keras_motifs.distributed import HDF5Slice, _read_shard

    _, model_path, data_path, fasta, _ = inputs

    class Unused:
        def submit(self, *args, **kwargs):
            raise AssertionError("no work may start")

        gather = scatter = submit

    shard = (data_path, "x", "ten", 20)
    with pytest.raises(TypeError, match=r"Shard \(.*x\.h5', 'x', 'ten', 20\): its "
                       r"start must be an integer.*Received: start='ten'"):
        extract_distributed(model_path, [shard], Unused())
    with pytest.raises(TypeError, match=r"Shard .*x\.fa', 0, 2\.5\): its stop"):
        extract_distributed(model_path, [(fasta, 0, 2.5)], Unused())
    with pytest.raises(ValueError, match=r"Shard .*: expected 0 <= start < stop"):
        extract_distributed(model_path, [(data_path, "x", 20, 10)], Unused())
    with pytest.raises(ValueError, match=r"Shard \(.*'nope', 0, 10\): .*x\.h5 has no "
                       r"dataset 'nope' \(its datasets: \['x'\]\)"):
        extract_distributed(model_path, [(data_path, "nope", 0, 10)], Unused())
    with pytest.raises(ValueError, match=r"rows \[250, 400\) run past the 300 rows"):
        extract_distributed(model_path, [(data_path, "x", 250, 400)], Unused())
    with pytest.raises(ValueError, match=r"x\.h5 has no dataset 'nope'.*Received: "
                       r"dataset='nope'"):
        hdf5_shards(data_path, "nope", 3)
    # On a worker: the same check, and a file it cannot reach.
    with pytest.raises(ValueError, match=r"Shard .*has no dataset 'nope'"):
        _read_shard(HDF5Slice(data_path, "nope", 0, 10))
    with pytest.raises(OSError, match=r"Shard .*missing\.h5.*cannot be read on this "
                       r"worker.*same path"):
        _read_shard(HDF5Slice(str(tmp_path / "missing.h5"), "x", 0, 10))
