"""Sequence logos of motifs, drawn with logomaker.

A logo stacks the letters of each motif position with heights either equal to
their probabilities (`kind="probability"`) or to their share of the
position's information content in bits (`kind="information"`: probability
times the position's relative entropy to the background, so a stack is as
tall as the position's information content). Motifs are drawn cut to their
bounds. A position without counts (a window past a sequence edge) is drawn
blank, so a motif built from no sites (nsites 0) is a blank logo.

Figures are drawn on matplotlib's Agg canvas without touching `pyplot`'s
global state, so no display is needed and an interactive session keeps its
own backend. logomaker and matplotlib are an optional extra:
`pip install "keras-motifs[plot]"`.
"""

from __future__ import annotations

import io
import os
import re
import warnings

import numpy as np

from keras_motifs._internal.files import write_atomically
from keras_motifs._internal.checks import number, one_of, positive_int
from keras_motifs._internal.alphabet import ALPHABET
from keras_motifs.motifs import Motif, MotifSet, check_motif_set

__all__ = [
    "LOGO_KINDS", "logo_heights", "plot_logo", "plot_logo_grid",
    "plot_motif_history", "render_logo", "save_logos", "write_logos",
]

LOGO_KINDS = ("information", "probability")


def _import_plotting():
    """Imports logomaker, pandas and matplotlib's Agg figure, or explains how."""
    try:
        import logomaker
        import pandas
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "drawing logos needs the optional packages logomaker and matplotlib "
            f"({error}); install them with: pip install \"keras-motifs[plot]\""
        ) from error
    return logomaker, pandas, Figure, FigureCanvasAgg


def _check_kind(kind) -> str:
    return one_of(kind, "kind", LOGO_KINDS)


def _check_motif(motif) -> Motif:
    if not isinstance(motif, Motif):
        raise TypeError(
            "expected a Motif (one motif of a MotifSet, e.g. motifs[0]), "
            f"got {type(motif).__name__}"
        )
    return motif


def logo_heights(motif: Motif, kind: str = "information") -> np.ndarray:
    """Letter heights of a motif's logo.

    With `kind="probability"` the heights are the letter probabilities; with
    `kind="information"` they are the probabilities times the position's
    information content (bits relative to the motif's background), so each
    position's heights sum to its information content. Positions without
    counts get zero heights.

    Args:
        motif: A `Motif` (e.g. `motifs[i]`), already cut to its bounds.
        kind: `"information"` or `"probability"`.

    Returns:
        Array `(width, 4)` of heights in A, C, G, T order.

    Example:

    >>> motif = MotifSet([[[8, 0, 0, 0], [2, 2, 2, 2]]])[0]
    >>> logo_heights(motif).tolist()
    [[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    kind = _check_kind(kind)
    motif = _check_motif(motif)
    heights = motif.probabilities()
    if kind == "information":
        heights = heights * motif.information_content()[:, None]
    has_counts = motif.counts.sum(axis=-1, keepdims=True) > 0
    return np.where(has_counts, heights, 0.0)


def plot_logo(motif: Motif, ax=None, *, kind: str = "information", band=None):
    """Draws a motif's sequence logo with logomaker.

    The title shows the motif's name, its alternate name when it has one,
    and nsites. The y axis spans the largest possible height: 1 for
    probabilities, `log2(1 / min(background))` bits (2 for a uniform
    background) for information. See `logo_heights` for the letter heights.

    Args:
        motif: A `Motif` (e.g. `motifs[i]`), drawn cut to its bounds.
        ax: A matplotlib `Axes` to draw into. Defaults to the axes of a new
            figure on the Agg canvas (reach it as `logo.fig`).
        kind: `"information"` or `"probability"`.
        band: Optionally `(low, high)`, two arrays of one value per
            position, drawn as a grey error bar at each position (e.g. a
            bootstrap band of the stack's height,
            `keras_motifs.analysis.bootstrap.MotifBootstrap`).

    Returns:
        The `logomaker.Logo`; `logo.df` holds the drawn heights (columns
        A, C, G, T; index = position within the motif, from 1).

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (2, 8, 4)))
    >>> logo = plot_logo(motifs[0], kind="probability")
    >>> logo.fig.savefig("filter0.png")
    """
    heights = logo_heights(motif, kind)
    band = None if band is None else _check_band(band, motif.width)
    logomaker, pandas, _, _ = _import_plotting()

    if ax is None:
        ax = _logo_axes(1, 1, motif.width)[0]
    frame = pandas.DataFrame(
        heights, columns=list(ALPHABET), index=np.arange(1, motif.width + 1)
    )
    with warnings.catch_warnings():
        # logomaker sets equal y limits for a blank logo; they are reset below.
        warnings.filterwarnings("ignore", "Attempting to set identical low and high ylims")
        logo = logomaker.Logo(frame, ax=ax, color_scheme="classic")
    top = 1.0 if kind == "probability" else float(np.log2(1 / motif.background.min()))
    ax.set_ylim(0, top)
    ax.set_xticks(frame.index)
    ax.set_ylabel("bits" if kind == "information" else "probability")
    ax.set_title(_logo_title(motif), fontsize="medium")
    if band is not None:
        low, high = band
        ax.errorbar(frame.index, (low + high) / 2, yerr=(high - low) / 2,
                    fmt="none", ecolor="0.35", elinewidth=1.2, capsize=2.5)
    logo.style_spines(visible=False)
    logo.style_spines(spines=("left", "bottom"), visible=True)
    return logo


def render_logo(motif: Motif, *, kind: str = "information", dpi: int = 100,
                band=None) -> bytes:
    """A motif's logo as PNG bytes.

    Args:
        motif: A `Motif` (e.g. `motifs[i]`), drawn cut to its bounds.
        kind: `"information"` or `"probability"`.
        dpi: Resolution in dots per inch.
        band: Optionally `(low, high)` per position; see `plot_logo`.

    Returns:
        The PNG file's bytes.

    Example:

    >>> png = render_logo(MotifSet(np.eye(4)[None] * 10)[0], dpi=72)
    >>> png[:4]
    b'\\x89PNG'
    """
    dpi = _check_dpi(dpi)
    logo = plot_logo(motif, kind=kind, band=band)
    return _png_bytes(logo.fig, dpi)


def _check_band(band, width: int) -> tuple:
    """`(low, high)` as float arrays of `width` values, low <= high."""
    try:
        low, high = (np.asarray(side, dtype=np.float64) for side in band)
    except (TypeError, ValueError):
        raise TypeError(
            "band must be (low, high), two arrays of one number per position. "
            f"Received: band of type {type(band).__name__}"
        ) from None
    if low.shape != (width,) or high.shape != (width,) or np.any(low > high):
        raise ValueError(
            f"band must be (low, high) with {width} values each (one per "
            f"position of the motif as drawn) and low <= high. Received: "
            f"band with shapes {low.shape} and {high.shape}"
        )
    return low, high


def save_logos(
    motifs: MotifSet, directory, *, kind: str = "information", dpi: int = 100
) -> list[str]:
    """Writes one PNG logo per motif into a directory.

    File names are the motif names with every character other than letters,
    digits, `.`, `_` and `-` replaced by `_` (and `_<i>` appended where two
    names would give the same file). Motifs built from no sites (nsites 0)
    are skipped. The directory is created when missing; each file is written
    atomically.

    Args:
        motifs: A `MotifSet`; each motif is drawn cut to its bounds.
        directory: Output directory.
        kind: `"information"` or `"probability"`.
        dpi: Resolution in dots per inch.

    Returns:
        The paths of the written files, in the order of the motifs.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (3, 8, 4)))
    >>> save_logos(motifs, "logos")
    ['logos/filter0.png', 'logos/filter1.png', 'logos/filter2.png']
    """
    motifs = check_motif_set(motifs)
    _check_kind(kind)
    dpi = _check_dpi(dpi)
    _import_plotting()
    directory = os.fspath(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise NotADirectoryError(
            f"cannot write logos into {directory!r}: it is a file, not a directory"
        )
    os.makedirs(directory, exist_ok=True)
    paths = []
    for i, file_name in enumerate(_file_names(motifs.names)):
        if motifs.nsites[i] == 0:
            continue
        path = os.path.join(directory, file_name + ".png")
        paths.append(write_atomically(path, render_logo(motifs[i], kind=kind, dpi=dpi)))
    return paths


def plot_logo_grid(
    motifs: MotifSet,
    path,
    *,
    columns: int = 4,
    kind: str = "information",
    dpi: int = 100,
) -> str:
    """Writes an overview PNG with the logos of many motifs in a grid.

    Motifs fill the grid row by row in their order; motifs built from no
    sites (nsites 0) are left out. Every panel has the set's width so that
    logos line up. The file is written atomically.

    Args:
        motifs: A `MotifSet`; each motif is drawn cut to its bounds.
        path: Output PNG file.
        columns: Number of logos per row.
        kind: `"information"` or `"probability"`.
        dpi: Resolution in dots per inch.

    Returns:
        `path`, as a str.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (6, 8, 4)))
    >>> plot_logo_grid(motifs, "overview.png", columns=3)
    'overview.png'
    """
    motifs = check_motif_set(motifs)
    _check_kind(kind)
    dpi = _check_dpi(dpi)
    columns = positive_int(columns, "columns")
    drawn = motifs.select(nsites_at_least=1)
    if len(drawn) == 0:
        raise ValueError(
            f"no motif to draw: all {len(motifs)} motifs have nsites 0"
        )
    _import_plotting()
    columns = min(int(columns), len(drawn))
    axes = _logo_axes(-(-len(drawn) // columns), columns, motifs.width)
    for ax, motif in zip(axes, drawn):
        plot_logo(motif, ax, kind=kind)
        ax.set_xlim(0.5, motifs.width + 0.5)
    for ax in axes[len(drawn):]:
        ax.set_axis_off()
    return write_atomically(path, _png_bytes(axes[0].figure, dpi))


def _logo_size(width: int) -> tuple[float, float]:
    """Size in inches of the panel of one logo of `width` positions."""
    return (max(2.0, 0.8 + 0.3 * width), 1.8)


def _logo_axes(rows: int, columns: int, width: int) -> np.ndarray:
    """The flat axes of a new Agg figure with a grid of logo panels.

    Every panel keeps fixed margins in inches for its axis labels and title
    (faster than `tight_layout`, and the same for every logo).
    """
    _, _, Figure, FigureCanvasAgg = _import_plotting()
    panel_width, panel_height = _logo_size(width)
    left, right, bottom, top = 0.55, 0.1, 0.3, 0.3
    figure = Figure(figsize=(panel_width * columns, panel_height * rows))
    FigureCanvasAgg(figure)
    figure.subplots_adjust(
        left=left / (panel_width * columns),
        right=1 - right / (panel_width * columns),
        bottom=bottom / (panel_height * rows),
        top=1 - top / (panel_height * rows),
        wspace=(left + right) / (panel_width - left - right),
        hspace=(bottom + top) / (panel_height - bottom - top),
    )
    return figure.subplots(rows, columns, squeeze=False).ravel()


def _logo_title(motif: Motif) -> str:
    name = motif.name if motif.alt_name is None else f"{motif.name} {motif.alt_name}"
    return f"{name}  (nsites {motif.nsites})"


def _check_dpi(dpi) -> float:
    return number(dpi, "dpi", minimum=0, open_minimum=True)


def _png_bytes(figure, dpi: float) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _file_names(names: list[str]) -> list[str]:
    """Safe, distinct file names (without extension) for motif names.

    "overview" is kept free for the grid that usually sits beside the logos.
    """
    safe = [re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "motif" for name in names]
    taken = {"overview"}
    unique = []
    for i, name in enumerate(safe):
        while name.lower() in taken:
            name = f"{name}_{i}"
        taken.add(name.lower())
        unique.append(name)
    return unique


OVERVIEW = "overview.png"



def write_logos(
    motifs,
    directory,
    *,
    kind: str = "information",
    columns: int = 4,
    dpi: int = 100,
) -> tuple[list[str], str]:
    """Writes one PNG logo per motif and an overview grid into `directory`.

    Args:
        motifs: A `MotifSet`.
        directory: Output folder, created when missing.
        kind: `"information"` or `"probability"`.
        columns: Logos per row of the overview.
        dpi: Resolution.

    Returns:
        `(logo paths, overview path)`; the overview is
        `directory/overview.png`.

    Example:

    >>> write_logos(read_meme("motifs.meme"), "logos")
    """
    paths = save_logos(motifs, directory, kind=kind, dpi=dpi)
    overview = os.path.join(os.fspath(directory), OVERVIEW)
    plot_logo_grid(motifs, overview, columns=columns, kind=kind, dpi=dpi)
    return paths, overview


def plot_motif_history(table, path, *, top: int = 4, dpi: int = 100) -> str:
    """Draws how a layer's motifs emerged during training, as one PNG.

    Four panels over the recorded epochs: the number of filters matching a
    known motif (`motifs_matching`; left blank when the record has no
    comparison), the mean information content of the trimmed motifs, and,
    for the `top` filters with the most information at the last recorded
    epoch, each one's nsites and information. The file is written
    atomically.

    Args:
        table: A `keras_motifs.history.MotifHistoryTable` or the path of a
            table written by `MotifHistory` (`MotifExtractor(record=...)`).
        path: Output PNG file.
        top: How many filters get their own curves.
        dpi: Resolution in dots per inch.

    Returns:
        `path`, as a str.

    Example:

    >>> plot_motif_history("motifs_history.tsv", "curves.png")
    'curves.png'
    """
    from keras_motifs.history import MotifHistoryTable, read_motif_history

    if isinstance(table, (str, os.PathLike)):
        table = read_motif_history(table)
    if not isinstance(table, MotifHistoryTable):
        raise TypeError(
            "`table` must be a MotifHistoryTable or the path of a motif "
            f"history table. Received: table={type(table).__name__}"
        )
    top = positive_int(top, "top")
    dpi = _check_dpi(dpi)
    _, _, Figure, FigureCanvasAgg = _import_plotting()
    figure = Figure(figsize=(10, 6.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2, sharex=True).ravel()
    epochs = table.epochs()
    summary = table.summary()
    matching = summary["motifs_matching"]
    if np.all(np.isnan(matching)):
        axes[0].text(0.5, 0.5, "no comparison recorded", ha="center",
                     va="center", transform=axes[0].transAxes)
    else:
        axes[0].plot(epochs, matching, marker="o")
        axes[0].set_ylim(0, max(1.0, float(np.nanmax(matching))) * 1.1)
    axes[0].set_ylabel("filters matching")
    axes[1].plot(epochs, summary["motifs_mean_information"], marker="o")
    axes[1].set_ylabel("mean information (bits)")
    for ax, column, label in ((axes[2], "nsites", "nsites"),
                              (axes[3], "information", "information (bits)")):
        for filter_ in table.top_filters(top):
            ax.plot(*table.series(column, filter_), marker=".",
                    label=table.name[int(np.flatnonzero(table.filter == filter_)[0])])
        ax.set_ylabel(f"{label}, top {top} filters")
        ax.set_xlabel("epoch")
    axes[3].legend(fontsize="small", loc="best")
    if len(epochs) <= 20:
        for ax in axes:
            ax.set_xticks(epochs)
    return write_atomically(path, _png_bytes(figure, dpi))
