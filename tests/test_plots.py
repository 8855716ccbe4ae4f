"""Tests for keras_motifs.plots: logo heights, PNG files, the optional extra."""

import importlib.util
import io
import os
import sys

import numpy as np
import pytest

from keras_motifs import plots
from keras_motifs.motifs import MotifSet

HAS_PLOT_EXTRA = all(
    importlib.util.find_spec(name) for name in ("logomaker", "matplotlib")
)
needs_plot = pytest.mark.skipif(
    not HAS_PLOT_EXTRA, reason='needs the plot extra: pip install "keras-motifs[plot]"'
)
DPI = 40


def imread(source):
    from matplotlib.image import imread

    return imread(source)


def random_motifs(rng, n=4, width=9, background=None):
    """Random counts with some empty positions, bounds narrower than the width."""
    counts = rng.integers(0, 20, size=(n, width, 4)).astype(float)
    counts[rng.random((n, width)) < 0.2] = 0
    starts = rng.integers(0, 3, size=n)
    ends = rng.integers(width - 2, width + 1, size=n)
    return MotifSet(counts, background=background, bounds=np.stack([starts, ends], 1))


def loop_heights(counts, background, kind):
    """Logo heights of one (width, 4) count matrix, position by position."""
    heights = np.zeros_like(counts, dtype=float)
    for position, row in enumerate(counts):
        total = row.sum()
        if total == 0:
            continue
        probabilities = row / total
        information = sum(
            p * np.log2(p / b) for p, b in zip(probabilities, background) if p > 0
        )
        scale = information if kind == "information" else 1.0
        heights[position] = probabilities * scale
    return heights


@needs_plot
@pytest.mark.parametrize("background", [None, [0.3, 0.2, 0.2, 0.3]])
def test_information_logo_heights_are_information_content(rng, background):
    motifs = random_motifs(rng, background=background)
    information = motifs.information_content()
    for i, motif in enumerate(motifs):
        start, end = motifs.bounds[i]
        logo = plots.plot_logo(motif, kind="information")
        drawn = logo.df[list("ACGT")].to_numpy()
        expected = loop_heights(motifs.counts[i, start:end], motifs.background,
                                "information")
        np.testing.assert_allclose(drawn, expected, atol=1e-12)
        np.testing.assert_allclose(drawn.sum(axis=1), information[i, start:end],
                                   atol=1e-12)
        assert list(logo.df.index) == list(range(1, end - start + 1))
        assert logo.ax.get_ylim() == pytest.approx((0, np.log2(1 / motifs.background.min())))
        assert logo.ax.get_ylabel() == "bits"


@needs_plot
def test_probability_logo_heights(rng):
    motifs = random_motifs(rng)
    for i, motif in enumerate(motifs):
        start, end = motifs.bounds[i]
        logo = plots.plot_logo(motif, kind="probability")
        expected = loop_heights(motifs.counts[i, start:end], motifs.background,
                                "probability")
        np.testing.assert_allclose(logo.df.to_numpy(), expected, atol=1e-12)
        assert logo.ax.get_ylim() == pytest.approx((0, 1))
        np.testing.assert_allclose(plots.logo_heights(motif, "probability"), expected)


@needs_plot
def test_plot_logo_draws_into_given_axes():
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    motif = MotifSet(np.eye(4)[None] * 10, names=["m"], alt_names=["CTCF"])[0]
    logo = plots.plot_logo(motif, ax)
    assert logo.ax is ax
    assert "m CTCF" in ax.get_title() and "nsites 10" in ax.get_title()
    # Position i holds one letter, "ACGT"[i], of the full 2 bits; the glyphs
    # drawn in the axes span those heights.
    for position in range(1, 5):
        for letter in "ACGT":
            glyph = logo.glyph_df.loc[position, letter]
            height = glyph.ceiling - glyph.floor
            expected = 2.0 if letter == "ACGT"[position - 1] else 0.0
            assert height == pytest.approx(expected, abs=1e-9), (position, letter)
    assert len(ax.patches) >= 4


@needs_plot
def test_rendered_logos_differ_with_the_motif():
    """Same motif, same pixels; another motif, other pixels; never blank."""
    def image(counts):
        motif = MotifSet(np.asarray(counts, float)[None], names=["m"])[0]
        return imread(io.BytesIO(plots.render_logo(motif, dpi=DPI)))

    diagonal = np.eye(4) * 10
    first, again = image(diagonal), image(diagonal)
    np.testing.assert_array_equal(first, again)
    other = image(diagonal[::-1])
    assert other.shape == first.shape and not np.array_equal(other, first)
    flat = image(np.full((4, 4), 5.0))  # 0 bits: no letter drawn
    assert colored_pixels(first) > 0.01 and colored_pixels(flat) == 0


def colored_pixels(png):
    """Fraction of clearly coloured (not grey/white/black) pixels of an image."""
    rgb = png[..., :3]
    return np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.3)


@needs_plot
def test_save_logos_writes_readable_pngs(tmp_path, rng):
    counts = np.zeros((4, 6, 4))
    counts[:, :, 0] = 30
    counts[1] = 0
    counts[3, :3] = rng.integers(1, 9, size=(3, 4))
    motifs = MotifSet(counts, names=["a/b", "empty", "a_b", "..x<y>"],
                      bounds=[(0, 6), (0, 6), (0, 6), (0, 3)])
    directory = tmp_path / "logos" / "new"
    paths = plots.save_logos(motifs, directory, dpi=DPI)
    names = [os.path.basename(path) for path in paths]
    assert names == ["a_b.png", "a_b_2.png", "x_y_.png"]
    assert sorted(os.listdir(directory)) == sorted(names)
    images = [imread(path) for path in paths]
    for png in images:
        assert png.ndim == 3 and png.shape[2] in (3, 4)
        assert 0.5 * 1.8 * DPI < png.shape[0] <= 1.8 * DPI + 1
        assert colored_pixels(png) > 0.005
    assert images[2].shape[1] < images[0].shape[1]  # 3 positions vs 6
    assert colored_pixels(images[0]) > colored_pixels(images[2])


@needs_plot
def test_save_logos_never_reuses_a_file_name(tmp_path):
    motifs = MotifSet(np.ones((4, 3, 4)), names=["x_2", "x", "x", "X"])
    paths = plots.save_logos(motifs, tmp_path, dpi=DPI)
    assert len({path.lower() for path in paths}) == 4
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in paths)


@needs_plot
def test_blank_logo_for_empty_motif():
    empty = MotifSet(np.zeros((1, 5, 4)))[0]
    np.testing.assert_array_equal(plots.logo_heights(empty, "probability"), 0)
    png = imread(io.BytesIO(plots.render_logo(empty, dpi=DPI)))
    assert colored_pixels(png) == 0


@needs_plot
def test_plot_logo_grid(tmp_path, rng):
    motifs = random_motifs(rng, n=7, width=8)
    motifs = MotifSet(motifs.counts, [5, 5, 0, 5, 5, 5, 5], bounds=motifs.bounds)
    path = tmp_path / "grid.png"
    assert plots.plot_logo_grid(motifs, path, columns=4, dpi=DPI) == str(path)
    grid = imread(path)
    # One panel is the size of one rendered logo of the full width.
    full_width = MotifSet(motifs.counts[:1], [5])[0]
    panel = imread(io.BytesIO(plots.render_logo(full_width, dpi=DPI))).shape[:2]
    assert grid.shape[:2] == (2 * panel[0], 4 * panel[1])  # 6 shown, 4 columns
    path = plots.plot_logo_grid(motifs[:2], tmp_path / "two.png", columns=4, dpi=DPI)
    two = imread(path)
    assert two.shape[:2] == (panel[0], 2 * panel[1])
    assert colored_pixels(grid) > 0.005 and colored_pixels(two) > 0.005


@needs_plot
def test_plot_logo_grid_errors(tmp_path, rng):
    motifs = random_motifs(rng)
    with pytest.raises(ValueError, match="columns"):
        plots.plot_logo_grid(motifs, tmp_path / "g.png", columns=0)
    with pytest.raises(ValueError, match="nsites 0"):
        plots.plot_logo_grid(MotifSet(np.zeros((2, 4, 4))), tmp_path / "g.png")
    assert os.listdir(tmp_path) == []


@needs_plot
def test_bad_input(tmp_path, rng):
    motifs = random_motifs(rng)
    with pytest.raises(TypeError, match="Motif"):
        plots.plot_logo(motifs)
    with pytest.raises(ValueError, match="kind"):
        plots.plot_logo(motifs[0], kind="bits")
    with pytest.raises(ValueError, match="dpi"):
        plots.render_logo(motifs[0], dpi=0)
    with pytest.raises(TypeError, match="MotifSet"):
        plots.save_logos(motifs[0], tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="file"):
        plots.save_logos(motifs, tmp_path / "file")


@pytest.mark.parametrize("module", ["logomaker", "matplotlib.backends.backend_agg"])
def test_missing_plot_extra_explains_install(monkeypatch, tmp_path, module):
    monkeypatch.setitem(sys.modules, module, None)
    motifs = MotifSet(np.ones((2, 4, 4)))
    with pytest.raises(ImportError, match=r'pip install "keras-motifs\[plot\]"'):
        plots.plot_logo(motifs[0])
    with pytest.raises(ImportError, match=r'pip install "keras-motifs\[plot\]"'):
        plots.save_logos(motifs, tmp_path / "logos")
    assert not (tmp_path / "logos").exists()


def test_a_motif_named_overview_leaves_the_overview_free(tmp_path):
    motifs = MotifSet(np.ones((2, 5, 4)), names=["overview", "Overview"])
    paths = plots.save_logos(motifs, tmp_path)
    assert "overview.png" not in {os.path.basename(p) for p in paths}
    assert len(set(paths)) == 2


@needs_plot
def test_plot_motif_history(rng, tmp_path):
    from keras_motifs.history import MotifHistory

    record = MotifHistory(tmp_path / "h.tsv", compare=False)
    for epoch in (2, 4, 6):
        record.record(epoch, random_motifs(rng, n=6))
    path = plots.plot_motif_history(record.table, tmp_path / "a.png", dpi=DPI)
    assert path == str(tmp_path / "a.png")
    image = imread(path)
    assert image.shape[:2] == (round(6.5 * DPI), 10 * DPI)
    assert image[..., :3].std() > 0.05  # curves and text, not a blank canvas
    from_file = plots.plot_motif_history(tmp_path / "h.tsv", tmp_path / "b.png", dpi=DPI)
    np.testing.assert_array_equal(imread(from_file), image)
    with pytest.raises(ValueError, match="`top`"):
        plots.plot_motif_history(record.table, tmp_path / "c.png", top=0)
    with pytest.raises(TypeError, match="MotifHistoryTable"):
        plots.plot_motif_history(random_motifs(rng), tmp_path / "c.png")
    assert not (tmp_path / "c.png").exists()


@needs_plot
def test_logo_band_is_drawn_as_error_bars():
    motif = MotifSet(np.eye(4)[None].repeat(2, axis=1) * 10)[0]
    low, high = np.full(8, 1.0), np.full(8, 1.8)
    logo = plots.plot_logo(motif, band=(low, high))
    segments = logo.ax.collections[-1].get_segments()
    assert len(segments) == 8
    np.testing.assert_allclose([s[:, 1] for s in segments], [[1.0, 1.8]] * 8)
    assert plots.render_logo(motif, band=(low, high), dpi=DPI) != plots.render_logo(
        motif, dpi=DPI)
    with pytest.raises(ValueError, match="band"):
        plots.plot_logo(motif, band=(low[:3], high[:3]))
    with pytest.raises(ValueError, match="band"):
        plots.plot_logo(motif, band=(high, low))
    with pytest.raises(TypeError, match="band"):
        plots.plot_logo(motif, band=3)
