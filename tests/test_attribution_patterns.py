"""Patterns from contribution scores (TF-MoDISco) and their links to filters.

One TF-MoDISco run on planted scores is shared by the module (`planted`):
200 random 100 bp sequences, each with one site of a known 8 bp motif,
scored with the motif's log-odds at the site and small noise elsewhere.
"""

import dataclasses
import re

import keras
import numpy as np
import pytest

from keras_motifs.attribution.links import PatternLinks, contribution_shares
from keras_motifs.attribution.links import link_by_similarity, link_patterns
from keras_motifs.attribution.links import seqlet_overlap
from keras_motifs.attribution.patterns import PatternSet, Seqlets
from keras_motifs.attribution.patterns import find_patterns
from keras_motifs.attribution.scores import ContributionScores
from keras_motifs.interpreter import Conv1DInterpreter
from keras_motifs.formats.meme import read_meme
from keras_motifs.motifs import MotifSet

PPM = np.array([
    [0.91, 0.03, 0.03, 0.03],
    [0.02, 0.02, 0.94, 0.02],
    [0.94, 0.02, 0.02, 0.02],
    [0.02, 0.02, 0.02, 0.94],
    [0.94, 0.02, 0.02, 0.02],
    [0.91, 0.03, 0.03, 0.03],
    [0.02, 0.02, 0.94, 0.02],
    [0.05, 0.85, 0.05, 0.05],
])  # AGATAAGC
PWM = np.log2(PPM / 0.25)
N, LENGTH, WIDTH = 200, 100, len(PPM)
OPTIONS = dict(window_size=10, min_metacluster_size=50, final_min_cluster_size=10)


def planted_scores(seed=0):
    """Scores with the motif's log-odds at one planted site per sequence."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, (N, LENGTH))
    starts = rng.integers(5, LENGTH - WIDTH - 5, N)
    for n, start in enumerate(starts):
        codes[n, start:start + WIDTH] = [rng.choice(4, p=p) for p in PPM]
    hypothetical = rng.normal(0, 0.05, (N, LENGTH, 4))
    for n, start in enumerate(starts):
        hypothetical[n, start:start + WIDTH] += PWM
    x = np.eye(4, dtype="float32")[codes]
    return ContributionScores(x, hypothetical, "gradient", "task 0"), starts


@pytest.fixture(scope="module")
def planted():
    scores, starts = planted_scores()
    return scores, starts, find_patterns(scores, **OPTIONS)


def planted_model(seed=0):
    """A Conv1D whose filter 0 is the planted PWM, the other 39 random."""
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(40, WIDTH, use_bias=False, name="conv")
    pooled = keras.layers.GlobalMaxPooling1D()(conv(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(pooled))
    kernel = np.stack([PWM] + [unlike_pwm(rng) for rng in
                               [np.random.default_rng(seed)] * 39], axis=-1)
    conv.set_weights([kernel.astype("float32")])
    return model


def unlike_pwm(rng):
    """A random kernel unlike the PWM: under 0.3 correlation with it at
    every shift of up to 4 positions, on either strand."""
    while True:
        kernel = rng.normal(0, 1, (WIDTH, 4))
        if all(abs(np.corrcoef(pwm[max(0, -shift):WIDTH - max(0, shift)].ravel(),
                               kernel[max(0, shift):WIDTH - max(0, -shift)].ravel()
                               )[0, 1]) < 0.3
               for pwm in (PWM, PWM[::-1, ::-1]) for shift in range(-4, 5)):
            return kernel


def window(x, sequence, start, end, strand):
    """The rows of a seqlet, read along its strand (a plain loop)."""
    rows = x[sequence, start:end]
    return rows[::-1, ::-1] if strand == "-" else rows


# find_patterns


def test_recovers_the_planted_motif(planted):
    scores, _, patterns = planted
    assert isinstance(patterns, PatternSet) and len(patterns) >= 1
    assert patterns.names[0] == "pos_pattern_0" and patterns.signs[0] == 1
    # Its informative span is the motif, on one strand or the other.
    consensus = patterns.motifs.consensus()[0]
    assert consensus in ("AGATAAGC", "GCTTATCT")
    found = patterns.motifs.matrices()[0]
    if consensus != "AGATAAGC":
        found = found[::-1, ::-1]
    assert np.corrcoef(found.ravel(), PPM.ravel())[0, 1] > 0.95
    seqlets = patterns.seqlets
    assert patterns.motifs.nsites[0] == np.sum(seqlets.pattern == 0) >= 20


def test_counts_and_cwm_are_the_seqlet_windows(planted):
    scores, _, patterns = planted
    seqlets = patterns.seqlets
    contributions = scores.contributions
    for k in range(len(patterns)):
        counts = np.zeros_like(patterns.motifs.counts[k])
        cwm = np.zeros_like(patterns.cwm[k])
        rows = np.flatnonzero(seqlets.pattern == k)
        for i in rows:
            args = (seqlets.sequence[i], seqlets.start[i], seqlets.end[i],
                    seqlets.strand[i])
            size = seqlets.end[i] - seqlets.start[i]
            counts[:size] += window(scores.sequences, *args)
            cwm[:size] += window(contributions, *args)
        np.testing.assert_allclose(patterns.motifs.counts[k], counts, atol=1e-9)
        np.testing.assert_allclose(patterns.cwm[k], cwm / len(rows), atol=1e-6)


def test_seqlet_cores_lie_on_the_planted_sites(planted):
    _, starts, patterns = planted
    seqlets = patterns.seqlets
    low, high = patterns.motifs.bounds[0]
    first = seqlets.pattern == 0
    reverse = seqlets.strand[first] == "-"
    core = np.where(reverse, seqlets.end[first] - high, seqlets.start[first] + low)
    planted_start = starts[seqlets.sequence[first]]
    assert np.mean(np.abs(core - planted_start) <= 1) > 0.9


def test_meme_round_trip(planted, tmp_path):
    _, _, patterns = planted
    path = patterns.motifs.to_meme(tmp_path / "patterns.meme")
    back = read_meme(path)
    assert back.names == patterns.names
    np.testing.assert_array_equal(back.nsites, patterns.motifs.nsites)
    for read, written in zip(back.matrices(), patterns.motifs.matrices()):
        np.testing.assert_allclose(read, written, atol=1e-5)
    cwm = read_meme(patterns.cwm_motifs().to_meme(tmp_path / "cwm.meme"))
    assert cwm.consensus()[0] == patterns.motifs.consensus()[0]


def test_cwm_motifs_weight_positions_by_contribution(planted):
    _, _, patterns = planted
    cwm = patterns.cwm_motifs()
    probabilities = cwm.probabilities()
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0)
    strongest = np.abs(patterns.cwm[0]).sum(axis=-1).argmax()
    assert probabilities[0, strongest].max() > 0.9
    # A position far outside the bounds is close to the background.
    low, _ = patterns.motifs.bounds[0]
    assert low >= 5 and np.abs(probabilities[0, 0] - 0.25).max() < 0.15
    # A negative pattern's matrix is read with its sign.
    flipped = dataclasses.replace(patterns, cwm=-patterns.cwm,
                                  signs=-patterns.signs)
    np.testing.assert_allclose(flipped.cwm_motifs().counts, cwm.counts)


def test_no_patterns_is_said(planted):
    scores, _, _ = planted
    with pytest.warns(UserWarning, match="found no patterns in 200 sequences"):
        patterns = find_patterns(scores, **{**OPTIONS,
                                            "min_metacluster_size": 10**6})
    assert len(patterns) == 0 and len(patterns.seqlets) == 0
    assert "no patterns" in repr(patterns)
    with pytest.raises(ValueError, match="holds no patterns"):
        link_patterns(patterns, MotifSet(np.ones((1, 4, 4))),
                      Conv1DInterpreter(planted_model()), scores)


def test_bad_input_fails_before_modisco(planted):
    scores, _, _ = planted
    with pytest.raises(TypeError, match="ContributionScores"):
        find_patterns(scores.hypothetical)
    with pytest.raises(TypeError, match="unknown TF-MoDISco options"):
        find_patterns(scores, windw=10)
    with pytest.raises(TypeError, match="sets .*sliding_window_size"):
        find_patterns(scores, sliding_window_size=10)
    with pytest.raises(ValueError, match="shorter than a seqlet"):
        find_patterns(scores, window_size=90, flank=10)
    zero = ContributionScores(scores.sequences, np.zeros_like(scores.hypothetical),
                              "gradient", "task 0")
    with pytest.raises(ValueError, match="Every contribution is zero"):
        find_patterns(zero)
    with pytest.raises(ValueError, match="target_seqlet_fdr"):
        find_patterns(scores, target_seqlet_fdr=1.5)


# link_patterns


@pytest.fixture(scope="module")
def linked(planted):
    """Links under the classic site rule (every sequence's maximum above 0):
    the planted filter's maximum is at the planted site in nearly every
    sequence, a random filter's anywhere."""
    scores, _, patterns = planted
    interpreter = Conv1DInterpreter(planted_model())
    motifs = interpreter.extract(scores.sequences, threshold=0.0).motifs
    links = link_patterns(patterns, motifs, interpreter, scores, threshold=0.0)
    return motifs, interpreter, links


def test_the_planted_filter_is_linked_and_the_random_one_not(linked):
    motifs, _, links = linked
    assert isinstance(links, PatternLinks)
    assert links.filters == motifs.names == [f"filter{i}" for i in range(40)]
    assert links.linked_filters("pos_pattern_0") == ["filter0"]
    assert links.q_value[0, 0] < 0.01 and np.isnan(links.q_value[0, 1:]).all()
    assert links.overlap[0, 0] > 0.9 and links.overlap[0, 1:].max() < 0.2
    np.testing.assert_array_equal(links.used, np.arange(40) == 0)
    assert links.linked_patterns("filter1") == []
    np.testing.assert_array_equal(links.n_sites, motifs.nsites)
    # The planted filter's sites hold most of the contribution.
    assert links.contribution_share[0] > 5 * links.background_share[0]
    assert (links.contribution_share[1:] < 2 * links.background_share[1:]).all()


def test_links_tsv(linked, tmp_path):
    _, _, links = linked
    lines = links.write_tsv(tmp_path / "links.tsv")
    text = open(lines).read().splitlines()
    rows = [line.split("\t") for line in text if not line.startswith("#")]
    assert rows[0] == ["pattern", "filter", "q-value", "E-value", "overlap"]
    assert rows[1][:2] == ["pos_pattern_0", "filter0"]
    assert {row[1] for row in rows[1:]} == {"filter0"}
    assert len(rows) - 1 == links.linked.sum()
    assert float(rows[1][2]) == pytest.approx(links.q_value[0, 0], rel=1e-5)


def test_links_by_similarity_are_the_tomtom_part_of_link_patterns(
        planted, linked, tmp_path):
    _, _, patterns = planted
    motifs, _, links = linked
    similar = link_by_similarity(patterns.motifs, motifs)
    assert (similar.patterns, similar.filters) == (links.patterns, links.filters)
    np.testing.assert_array_equal(similar.q_value, links.q_value)
    np.testing.assert_array_equal(similar.e_value, links.e_value)
    np.testing.assert_array_equal(similar.linked, links.q_value < 0.01)
    assert similar.linked_filters("pos_pattern_0") == ["filter0"]
    for unknown in ("overlap", "n_sites", "contribution_share",
                    "background_share"):
        assert getattr(similar, unknown) is None
    assert "Tomtom similarity alone" in similar.settings[0]
    text = open(similar.write_tsv(tmp_path / "links.tsv")).read().splitlines()
    row = next(line for line in text if line.startswith("pos_pattern_0\t"))
    assert row.split("\t")[1] == "filter0" and row.endswith("\t")
    with pytest.raises(TypeError, match="pattern_motifs"):
        link_by_similarity(patterns, motifs)


def test_site_windows_on_both_strands_give_the_maximum(planted):
    """The forward-strand window of each kept site, read on its strand, is
    where the filter reaches its maximum (padding "same", both strands)."""
    from keras_motifs.attribution.links import _kept_sites
    from keras_motifs.interpreter import check_extract_options

    scores, _, _ = planted
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(3, 7, padding="same", use_bias=False)
    model = keras.Model(inputs, keras.layers.GlobalMaxPooling1D()(conv(inputs)))
    kernel = np.random.default_rng(1).normal(0, 1, (7, 4, 3)).astype("float32")
    conv.set_weights([kernel])
    interpreter = Conv1DInterpreter(model)
    options = check_extract_options(threshold=-np.inf, strands="both")
    kept, starts = _kept_sites(interpreter, scores, options)
    best = interpreter.scan(scores.sequences, strands="both")[0]
    assert kept.all()
    x = np.pad(scores.sequences, ((0, 0), (7, 7), (0, 0)))
    for n in range(20):
        for f in range(3):
            rows = x[n, starts[n, f] + 7:starts[n, f] + 14]
            activation = max(np.sum(rows * kernel[..., f]),
                             np.sum(rows[::-1, ::-1] * kernel[..., f]))
            assert activation == pytest.approx(best[n, f], abs=1e-4)


def random_patterns(rng, n_patterns=3, n_seqlets=40, width=12):
    """A `PatternSet` of random seqlets in N sequences."""
    pattern = rng.integers(0, n_patterns, n_seqlets)
    start = rng.integers(0, LENGTH - width, n_seqlets)
    seqlets = Seqlets(pattern, rng.integers(0, N, n_seqlets), start,
                      start + width, rng.choice(["+", "-"], n_seqlets))
    low = rng.integers(0, width // 2, n_patterns)
    bounds = np.stack([low, low + rng.integers(1, width // 2, n_patterns)], 1)
    motifs = MotifSet(np.ones((n_patterns, width, 4)), bounds=bounds)
    return PatternSet(motifs, np.zeros((n_patterns, width, 4)),
                      np.ones(n_patterns, int), seqlets, N, LENGTH, {})


def test_overlap_and_shares_match_a_loop(rng, planted):
    scores, _, _ = planted
    patterns = random_patterns(rng)
    span, filters = 9, 4
    kept = rng.random((N, filters)) < 0.7
    starts = rng.integers(-4, LENGTH - 5, (N, filters))
    overlap = seqlet_overlap(patterns, kept, starts, span)
    share, background = contribution_shares(scores, kept, starts, span)
    seqlets = patterns.seqlets
    expected = np.zeros((len(patterns), filters))
    for i in range(len(seqlets)):
        k, n = seqlets.pattern[i], seqlets.sequence[i]
        low, high = patterns.motifs.bounds[k]
        if seqlets.strand[i] == "+":
            core = range(seqlets.start[i] + low, seqlets.start[i] + high)
        else:
            core = range(seqlets.end[i] - high, seqlets.end[i] - low)
        for f in range(filters):
            centre = starts[n, f] + (span - 1) / 2
            expected[k, f] += kept[n, f] and core.start <= centre < core.stop
    expected /= np.bincount(seqlets.pattern, minlength=len(patterns))[:, None]
    np.testing.assert_allclose(overlap, expected)
    magnitude = np.abs(scores.contributions).sum(axis=-1)
    for f in range(filters):
        under = positions = 0.0
        for n in np.flatnonzero(kept[:, f]):
            inside = [p for p in range(starts[n, f], starts[n, f] + span)
                      if 0 <= p < LENGTH]
            under += magnitude[n, inside].sum()
            positions += len(inside)
        assert share[f] == pytest.approx(under / magnitude.sum(), rel=1e-6)
        assert background[f] == pytest.approx(positions / (N * LENGTH))


def test_link_errors(planted, linked):
    scores, _, patterns = planted
    motifs, interpreter, _ = linked
    with pytest.raises(TypeError, match="PatternSet"):
        link_patterns(patterns.motifs, motifs, interpreter, scores)
    with pytest.raises(TypeError, match="Conv1DInterpreter"):
        link_patterns(patterns, motifs, interpreter.model, scores)
    fewer = ContributionScores(scores.sequences[:50], scores.hypothetical[:50],
                               "gradient", "task 0")
    with pytest.raises(ValueError, match="pass the scores given to find_patterns"):
        link_patterns(patterns, motifs, interpreter, fewer)
    wide = MotifSet(np.ones((3, 8, 4)))
    inputs = keras.Input((LENGTH, 4))
    two_filters = keras.Model(inputs, keras.layers.Conv1D(2, 5)(inputs))
    with pytest.raises(ValueError, match="has 2: pass the motifs"):
        link_patterns(patterns, wide, Conv1DInterpreter(two_filters), scores)
    with pytest.raises(ValueError, match="min_overlap"):
        link_patterns(patterns, motifs, interpreter, scores, min_overlap=2)
    with pytest.raises(ValueError, match="strands"):
        link_patterns(patterns, motifs, interpreter, scores, strands="reverse")


# The report


def test_report_shows_patterns_beside_the_filters(planted, linked, tmp_path):
    from keras_motifs.report import write_report

    _, _, patterns = planted
    motifs, _, links = linked
    # The first two filters (fewer logos to draw): linked, and random.
    path = write_report(motifs[:2], tmp_path / "report.html", patterns=patterns,
                        links=links, pattern_comparison={
                            "pos_pattern_0": ("MA0035.4", "GATA1", 1e-5)})
    page = open(path).read()
    filters, pattern_table = page.split("<h2>Patterns: what the model uses</h2>")
    assert filters.count('<table class="motifs">') == 1
    assert pattern_table.count("<tr>") == len(patterns) + 1
    assert pattern_table.count("data:image/png;base64,") == len(patterns)
    assert "pos_pattern_0" in pattern_table and "GATA1 (MA0035.4)" in pattern_table
    overlap = links.overlap[0, 0]
    assert f"filter0 (q {links.q_value[0, 0]:.2g}, {overlap:.0%} of seqlets)" in page
    # The filter table: filter0 links the patterns and is used, filter1 not.
    rows = filters.split("<tr>")[2:]
    assert "pos_pattern_0" in rows[0] and "<td>yes</td>" in rows[0]
    assert "<td>no</td>" in rows[1] and "pos_pattern" not in rows[1]
    ratio = links.contribution_share[0] / links.background_share[0]
    assert f'data-value="{float(ratio)!r}"' in rows[0]


def test_report_of_patterns_as_motifs(planted, linked, tmp_path):
    """Patterns read back from their MEME file, linked by Tomtom alone: the
    columns that need seqlets or scores are left out."""
    from keras_motifs.report import write_report

    _, _, patterns = planted
    motifs, _, _ = linked
    read = read_meme(patterns.motifs.to_meme(tmp_path / "patterns.meme"))
    links = link_by_similarity(read, motifs)
    page = open(write_report(motifs[:2], tmp_path / "report.html",
                             patterns=read, links=links)).read()
    filters, pattern_table = page.split("<h2>Patterns: what the model uses</h2>")
    assert pattern_table.count("<tr>") == len(patterns) + 1
    assert ">sign<" not in pattern_table and "seqlets or contribution" in page
    assert f"<td>filter0 (q {links.q_value[0, 0]:.2g})</td>" in pattern_table
    rows = filters.split("<tr>")[2:]
    assert "pos_pattern_0" in links.linked_patterns("filter0")
    assert f"<td>{', '.join(links.linked_patterns('filter0'))}</td>" in rows[0]
    assert rows[1].split("</tr>")[0].endswith("<td></td>")
    assert ">used<" not in filters and "contribution / background" not in filters


def test_report_pattern_errors(planted, linked, tmp_path):
    from keras_motifs.report import write_report

    scores, _, patterns = planted
    motifs, _, links = linked
    path = tmp_path / "report.html"
    with pytest.raises(ValueError, match="pass patterns= too"):
        write_report(motifs, path, links=links)
    with pytest.raises(TypeError, match="PatternSet"):
        write_report(motifs, path, patterns=patterns.seqlets)
    with pytest.raises(TypeError, match="PatternLinks"):
        write_report(motifs, path, patterns=patterns, links={"a": 1})
    other = dataclasses.replace(patterns, motifs=patterns.motifs._replace(
        names=[f"p{i}" for i in range(len(patterns))]))
    with pytest.raises(ValueError, match="other patterns"):
        write_report(motifs, path, patterns=other, links=links)
    assert not path.exists()
    with pytest.warns(UserWarning):
        none = find_patterns(scores, **{**OPTIONS, "min_metacluster_size": 10**6})
    page = open(write_report(motifs[:2], path, patterns=none)).read()
    assert "TF-MoDISco found no patterns in the 200 scored sequences." in page
    assert page.count('<table class="motifs">') == 1


# keras-motifs patterns


def test_cli_patterns_from_scores(planted, tmp_path, capsys):
    from keras_motifs.attribution.scores import write_scores
    from keras_motifs.cli.main import main

    scores, _, patterns = planted
    path = write_scores(scores, tmp_path / "scores.h5")
    out = tmp_path / "patterns.meme"
    code = main(["patterns", str(path), "-o", str(out), "-q",
                 "--window-size", "10", "--min-seqlets", "50"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    motifs = read_meme(out)
    assert motifs.names[0] == "pos_pattern_0"
    assert motifs.consensus()[0] == patterns.motifs.consensus()[0]
    assert motifs.nsites[0] == patterns.motifs.nsites[0]
    assert f"Wrote {len(motifs)} patterns" in captured.out
    # Errors: one line, exit status 2, nothing written.
    cwm = tmp_path / "cwm.meme"
    for argv, message in [
        ([str(path), str(path)], "DATA (.*) is read only with a MODEL"),
        ([str(tmp_path / "missing.h5")], "missing.h5"),
        ([str(out)], "needs DATA to score"),
        ([str(path), "--min-seqlets", "100000"], "found no patterns in 200"),
        ([str(path), "--seqlet-fdr", "2"], "--seqlet-fdr"),
    ]:
        assert main(["patterns", *argv, "-o", str(cwm), "-q"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert re.search(message, err), err
        assert not cwm.exists()


@pytest.mark.parametrize("method", [
    "gradient", pytest.param("deeplift", marks=pytest.mark.slow)])
def test_cli_patterns_from_model_and_data(tmp_path, capsys, method):
    """MODEL and DATA: the model's output is the mean over positions of the
    planted motif's likelihood ratio, exp(PWM score in nats), so gradient x
    input (and DeepLIFT) is largest at the planted sites. (Under a max pooling the
    gradient is zero off each sequence's best window, scores TF-MoDISco
    does not finish clustering in minutes.)"""
    from keras_motifs.cli.main import main

    scores, _ = planted_scores()
    inputs = keras.Input((LENGTH, 4))
    conv = keras.layers.Conv1D(1, WIDTH, use_bias=False, activation="exponential")
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(conv(inputs)))
    conv.set_weights([(PWM * np.log(2))[..., None].astype("float32")])
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", scores.sequences)
    out = tmp_path / "patterns.meme"
    code = main(["patterns", str(tmp_path / "model.keras"),
                 str(tmp_path / "x.npy"), "--method", method,
                 "--window-size", "10", "--min-seqlets", "50",
                 "--cwm", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"TF-MoDISco on 200 sequences of 100 bp ({method} scores)" in captured.err
    assert read_meme(out).consensus()[0] in ("AGATAAGC", "GCTTATCT")
