"""A self-contained HTML report of a motif set: one sortable row per filter.

The report is a single HTML file with the logos embedded as base64 PNG data
URIs, inline CSS and a few lines of inline JavaScript (click a column header
to sort by it; numbers sort numerically, missing values last). It loads no
external resource, so it can be moved, mailed or archived as it is. Drawing
the logos needs the optional extra `pip install "keras-motifs[plot]"`.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping

import numpy as np

from keras_motifs._internal.files import write_atomically
from keras_motifs._internal.tsv import write_tsv
from keras_motifs.extraction import Extraction, as_motif_set
from keras_motifs.motifs import MotifSet, check_motif_set
from keras_motifs.plots import render_logo

__all__ = ["write_report", "write_signal_tsv"]

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
th, td.number { white-space: nowrap; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { position: sticky; top: 0; background: #f4f4f4; }
th[data-sort="number"] { text-align: right; }
th button { font: inherit; font-weight: bold; border: 0; background: none;
            cursor: pointer; padding: 0; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
img.logo { height: 7em; display: block; }
svg.positions rect { fill: #3a6ea5; } svg.positions rect.axis { fill: #bbb; }
svg.strands rect.forward { fill: #3a6ea5; } svg.strands rect.reverse { fill: #e3a33b; }
"""

_SCRIPT = """
document.querySelectorAll("table.motifs").forEach((table) => {
  const body = table.tBodies[0];
  const key = (row, column, numeric) => {
    const cell = row.cells[column];
    if (!numeric) return cell.textContent.trim();
    return cell.dataset.value === "" ? NaN : Number(cell.dataset.value);
  };
  table.querySelectorAll("th[data-sort] button").forEach((button) => {
    button.addEventListener("click", () => {
      const header = button.parentElement;
      const column = header.cellIndex;
      const numeric = header.dataset.sort === "number";
      const sign = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = key(a, column, numeric), y = key(b, column, numeric);
        if (!numeric) {
          return sign * x.localeCompare(y, undefined, {numeric: true});
        }
        if (Number.isNaN(x) || Number.isNaN(y)) {
          return Number.isNaN(x) - Number.isNaN(y);
        }
        return sign * (x - y);
      });
      body.append(...rows);
      table.querySelectorAll("th[aria-sort]").forEach((other) => {
        other.removeAttribute("aria-sort");
      });
      header.setAttribute("aria-sort", sign > 0 ? "ascending" : "descending");
    });
  });
});
"""


def write_report(
    motifs: MotifSet,
    path,
    *,
    comparison=None,
    influence=None,
    families=None,
    bootstrap=None,
    patterns=None,
    links=None,
    pattern_comparison=None,
    title: str = "keras-motifs report",
    logo_kind: str = "information",
    min_information: float = 0.2,
    dpi: int = 72,
) -> str:
    """Writes a self-contained HTML report with one row per motif.

    Each row shows a motif trimmed with `MotifSet.trim(min_information)`:
    its logo, filter index, name, alternate name (when any motif has one),
    nsites, total information content in bits and consensus; for motifs of
    a model with signal channels, the mean of each channel under the sites
    (`Extraction.signal`); with `comparison`, the best database match and its
    q-value; with `influence`, one column per influence array; with firing
    stats (`extract(..., firing=True)` or `labels=`), a sparkline of the
    kept sites' positions along the sequence, the forward-strand share and,
    with labels, the target of the highest ROC AUC and that AUC (sort by it
    for the most enriched filters).
    Every column but the logo sorts by clicking its header. Motifs built from
    no sites (nsites 0) keep their row, with a blank logo. All text is
    HTML-escaped and the file is written atomically.

    Args:
        motifs: A non-empty `MotifSet`, or a `keras_motifs.Extraction`
            (its motifs, with its signal and firing columns).
        path: Output HTML file.
        comparison: Best matches of the motifs, or `None`: a
            `keras_motifs.matching.compare.Comparison` (each motif's hit with the
            lowest q-value is shown, see `Comparison.best_matches`) or a
            mapping `{motif name: (target_id, target_name, q_value)}` (as
            `keras_motifs.matching.compare.read_comparison` returns). Motifs without
            a match get empty cells.
        influence: One value per filter of the layer, or `None`: a 1-D
            array-like indexed by the motifs' `filters` (so a subset of a
            layer's motifs takes the whole layer's array; e.g. a
            `keras_motifs.analysis.influence.FilterInfluence`), shown as the column
            "influence", or a mapping `{column label: array}` for several
            columns. NaN gives an empty cell.
            A `Comparison` calibrated against a null (`tomtom(...,
            null=...)`) adds the column "empirical p" and its empirical
            false discovery rate to the summary line.
        families: Filter families, or `None`: a
            `keras_motifs.analysis.families.FilterFamilies` (its `family_of()`) or a
            mapping `{motif name: family index}`, shown as the sortable
            column "family" (empty for motifs without one).
        bootstrap: A `keras_motifs.analysis.bootstrap.MotifBootstrap` of these
            motifs, or `None`: each logo gets a grey error bar per position,
            the band of its stack (information per position, or with
            `logo_kind="probability"` the probability of the most frequent
            letter), and the columns "information low" and "information
            high" give the band of the total information over the trimmed
            span; with its `stability` (`with_stability`), also "match
            stability", the fraction of resamples whose best match is the
            same TF.
        patterns: A `keras_motifs.attribution.PatternSet` of the same
            model's contribution scores, or `None`: a second table, one
            row per pattern (its logo over its bounds, sign, nsites (its
            seqlets), information, consensus), below the filters. A
            `MotifSet` of patterns (e.g. read from the file of
            `keras-motifs patterns`) gives the same table without the
            sign column (its names tell it) and without the scores'
            summary.
        links: A `keras_motifs.attribution.PatternLinks` of `patterns`
            with these motifs (`link_patterns`), or `None`: each pattern
            row lists its linked filters, and the filter table gains the
            columns "patterns" (the linked patterns), "used" and
            "contribution / background" (the share of all |contribution|
            under the filter's sites over the share of positions they
            cover). Links of motifs alone (`link_by_similarity`) give the
            linked patterns and filters only: "used" and the shares are
            unknown without the scores.
        pattern_comparison: Best matches of the patterns, as
            `comparison` is of the motifs (e.g. `tomtom(patterns.motifs)`),
            or `None`: the columns "best match" and "q-value" of the
            pattern table.
        title: Title of the page.
        logo_kind: `"information"` or `"probability"`; see
            `keras_motifs.plots.logo_heights`.
        min_information: Trimming threshold in bits.
        dpi: Resolution of the embedded logos.

    Returns:
        `path`, as a str.

    Example:

    >>> motifs = MotifSet(np.random.default_rng(0).integers(0, 9, (3, 8, 4)))
    >>> write_report(motifs, "report.html",
    ...              comparison={"filter0": ("MA0139.1", "CTCF", 1e-4)},
    ...              influence=[0.5, -0.1, 0.0])
    'report.html'
    """
    extraction = motifs if isinstance(motifs, Extraction) else None
    motifs = check_motif_set(as_motif_set(motifs), non_empty=True)
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}")
    matches = None if comparison is None else _best_matches(comparison, motifs.names)
    influence = _influence_columns(influence, motifs.filters)
    calibration = getattr(comparison, "calibration", None)
    extra = _extra_columns(motifs.names, comparison, calibration, families)
    sections = _pattern_sections(patterns, links, pattern_comparison,
                                 logo_kind, dpi)
    trimmed = motifs.trim(min_information)
    bands, band_columns = _bootstrap_parts(bootstrap, trimmed, logo_kind)
    logos = [render_logo(motif, kind=logo_kind, dpi=dpi, band=band)
             for motif, band in zip(trimmed, bands)]
    columns = (_columns(trimmed, logos, matches, influence, extraction)
               + band_columns + extra)
    columns += _filter_link_columns(links, motifs.names)
    summary = (
        f"{len(motifs)} motifs of width {motifs.width}. Logos: {logo_kind}"
        f"{' (bits)' if logo_kind == 'information' else ''}. Each motif is "
        f"trimmed to the span of positions with at least "
        f"{float(min_information):g} bits. Click a column header to sort."
    )
    if calibration is not None:
        summary += f" Null calibration: {calibration.summary()}."
    if bootstrap is not None:
        summary += (f" Bars: {bootstrap.level:g} bootstrap bands of "
                    f"{bootstrap.resamples} resamples of "
                    f"{bootstrap.weights.shape[1]} blocks of sequences.")
    return write_atomically(path, _page(title, summary, columns, sections))


def write_signal_tsv(extraction: Extraction, path) -> str:
    """Writes the signal under each motif's sites as a TSV, atomically.

    One row per motif: `filter`, `name`, `nsites`, `positions` (the window
    positions summed), then the mean of each signal channel over them
    (`Extraction.signal`; empty without sites).

    Args:
        extraction: A `keras_motifs.Extraction` with signal channels, e.g.
            of `Conv1DInterpreter(model, dna_channels=range(4))` on a model
            reading DNA plus signal tracks.
        path: Output file; its directory must exist.

    Returns:
        `path`, as a str.

    Example:

    >>> write_signal_tsv(interpreter.extract(x), "signal.tsv")
    'signal.tsv'
    """
    if getattr(extraction, "signal", None) is None:
        raise ValueError(
            f"this {type(extraction).__name__} holds no signal channels: pass "
            "the Extraction of a model whose input has signal channels next "
            "to the DNA, extracted with dna_channels=."
        )
    motifs = extraction.motifs
    rows = (
        [str(f), name, str(n), f"{p:g}"]
        + ["" if math.isnan(v) else f"{v:.6g}" for v in means]
        for f, name, n, p, means in zip(
            motifs.filters, motifs.names, motifs.nsites,
            extraction.signal_positions, extraction.signal,
        )
    )
    header = ["filter", "name", "nsites", "positions", *extraction.signal_names]
    return write_tsv(path, header, rows)


def _best_matches(comparison, names: list[str]) -> dict:
    """`{motif name: (target_id, target_name, q_value)}`, one match a motif."""
    if hasattr(comparison, "best_matches"):
        matches = comparison.best_matches()
    elif isinstance(comparison, Mapping):
        matches = {
            query: _check_match(query, match) for query, match in comparison.items()
        }
    else:
        raise TypeError(
            "comparison must be a keras_motifs.matching.compare.Comparison or a mapping "
            "{motif name: (target_id, target_name, q_value)}, got "
            f"{type(comparison).__name__}"
        )
    if matches and not set(matches) & set(names):
        raise ValueError(
            "comparison names none of the motifs: its queries start "
            f"{sorted(matches)[:5]}, the motif names start {names[:5]}"
        )
    return matches


def _check_match(query, match) -> tuple[str, str, float]:
    if isinstance(match, (str, bytes)) or not hasattr(match, "__len__") or len(match) != 3:
        raise ValueError(
            f"the match of {query!r} must be (target_id, target_name, q_value), "
            f"got {match!r}"
        )
    target_id, target_name, q_value = match
    try:
        q_value = float(q_value)
    except (TypeError, ValueError):
        raise ValueError(
            f"the q-value of {query!r}'s match must be a number, got {q_value!r}"
        ) from None
    return str(target_id), "" if target_name is None else str(target_name), q_value


def _influence_columns(influence, filters: np.ndarray) -> dict[str, np.ndarray]:
    """`{label: value of each motif}` from per-filter arrays, via `filters`."""
    if influence is None:
        return {}
    if not isinstance(influence, Mapping):
        influence = {"influence": influence}
    needed = int(filters.max()) + 1
    columns = {}
    for label, values in influence.items():
        try:
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"influence {label!r} must be numbers, got {type(values).__name__}"
            ) from None
        if values.ndim != 1 or len(values) < needed:
            raise ValueError(
                f"influence {label!r} must be a 1-D array with one value per "
                f"filter of the layer, looked up by the motifs' filter indices "
                f"(so at least {needed} values), got shape {values.shape}"
            )
        columns[str(label)] = values[filters]
    return columns


def _columns(trimmed: MotifSet, logos: list, matches, influence: dict,
             extraction: Extraction | None) -> list:
    """`(label, sort kind or None, cells as HTML)` of each column, in order;
    an extraction's signal and firing columns too."""
    names = trimmed.names
    starts, ends = trimmed.bounds.T
    information = [
        row[start:end].sum()
        for row, start, end in zip(trimmed.information_content(), starts, ends)
    ]
    columns = [
        ("logo", None, [_logo_cell(logo, name) for logo, name in zip(logos, names)]),
        ("filter", "number", [_number_cell(i, "d") for i in trimmed.filters]),
        ("name", "text", [_text_cell(name) for name in names]),
    ]
    if any(trimmed.alt_names):
        columns.append(
            ("alt name", "text", [_text_cell(alt or "") for alt in trimmed.alt_names])
        )
    columns += [
        ("nsites", "number", [_number_cell(n, "d") for n in trimmed.nsites]),
        ("information (bits)", "number", [_number_cell(x, ".2f") for x in information]),
        ("consensus", "text", [_text_cell(text) for text in trimmed.consensus()]),
    ]
    if extraction is not None and extraction.signal is not None:
        columns += [
            (f"signal {label}", "number", [_number_cell(x, ".3g") for x in values])
            for label, values in zip(extraction.signal_names, extraction.signal.T)
        ]
    if matches is not None:
        best = [matches.get(name, ("", "", math.nan)) for name in names]
        columns += [
            ("best match", "text", [_text_cell(_match_label(*match[:2])) for match in best]),
            ("q-value", "number", [_number_cell(match[2], ".2g") for match in best]),
        ]
    columns += [
        (label, "number", [_number_cell(x, ".3g") for x in values])
        for label, values in influence.items()
    ]
    return columns + _firing_columns(
        None if extraction is None else extraction.firing)


def _firing_columns(firing) -> list:
    """Positions sparkline, strand balance and best target, with firing."""
    if firing is None:
        return []
    forward = firing.forward_fraction()
    columns = [
        ("positions", None, [f"<td>{_position_svg(c)}</td>"
                             for c in firing.position_counts]),
        ("forward strand", "number", [
            _number_cell(x, ".2f").replace(">", ">" + _strand_svg(x) + " ", 1)
            for x in forward
        ]),
    ]
    if firing.positives is not None:
        names, best = firing.best_target()
        columns += [
            ("best target", "text", [_text_cell(name) for name in names]),
            ("best AUC", "number", [_number_cell(x, ".3f") for x in best]),
        ]
    return columns


def _bootstrap_parts(bootstrap, trimmed: MotifSet, kind: str) -> tuple:
    """Each logo's band (`None` without a bootstrap) and the band columns."""
    if bootstrap is None:
        return [None] * len(trimmed), []
    resampled = getattr(bootstrap, "motifs", None)
    if not hasattr(bootstrap, "information_samples") or not isinstance(
            resampled, MotifSet):
        raise TypeError(
            "bootstrap must be a keras_motifs.analysis.bootstrap.MotifBootstrap (from "
            f"bootstrap(motifs)). Received: bootstrap={type(bootstrap).__name__}"
        )
    if resampled.names != trimmed.names or resampled.width != trimmed.width:
        raise ValueError(
            "bootstrap is of other motifs: its motifs are named "
            f"{resampled.names[:3]} (width {resampled.width}), the report's "
            f"{trimmed.names[:3]} (width {trimmed.width}); pass "
            "bootstrap(motifs) of the same motifs."
        )
    bands = []
    for i, (start, end) in enumerate(trimmed.bounds):
        span = slice(start, end)
        if kind == "information":
            bands.append((bootstrap.information_low[i, span],
                          bootstrap.information_high[i, span]))
            continue
        top = np.argmax(bootstrap.probabilities[i, span], axis=-1)[:, None]
        bands.append(tuple(np.take_along_axis(side[i, span], top, axis=-1)[:, 0]
                           for side in (bootstrap.probability_low,
                                        bootstrap.probability_high)))
    _, low, high = bootstrap.total_information(trimmed.bounds)
    columns = [
        ("information low", "number", [_number_cell(x, ".2f") for x in low]),
        ("information high", "number", [_number_cell(x, ".2f") for x in high]),
    ]
    if bootstrap.stability is not None:
        columns.append(("match stability", "number", [
            _number_cell(x, ".2f") for x in bootstrap.stability.stability]))
    return bands, columns


def _extra_columns(names, comparison, calibration, families) -> list:
    """The "empirical p" and "family" columns, where given."""
    columns = []
    if calibration is not None:
        p_values = dict(zip(comparison.queries.names, calibration.empirical_p))
        columns.append(("empirical p", "number", [
            _number_cell(p_values.get(name, math.nan), ".2g") for name in names
        ]))
    if families is not None:
        if hasattr(families, "family_of"):
            families = families.family_of()
        if not isinstance(families, Mapping):
            raise TypeError(
                "families must be a FilterFamilies or a mapping {motif name: "
                f"family index}}, got {type(families).__name__}"
            )
        columns.append(("family", "number", [
            _number_cell(families.get(name, math.nan), "d") for name in names
        ]))
    return columns


def _filter_link_columns(links, names: list[str]) -> list:
    """The filter table's "patterns", "used" and "contribution /
    background" columns, with links ("patterns" alone without scores)."""
    if links is None:
        return []
    if not set(links.filters) & set(names):
        raise ValueError(
            f"links name none of the motifs: its filters start "
            f"{links.filters[:5]}, the motif names start {names[:5]}")
    column = {name: i for i, name in enumerate(links.filters)}
    rows = [column.get(name) for name in names]
    linked = ("patterns", "text", [_text_cell(
        "" if i is None else ", ".join(links.linked_patterns(name)))
        for name, i in zip(names, rows)])
    if links.contribution_share is None:
        return [linked]
    ratio = np.divide(links.contribution_share, links.background_share,
                      out=np.full(len(links.filters), math.nan),
                      where=links.background_share > 0)
    return [
        linked,
        ("used", "text", [_text_cell(
            "" if i is None else ("yes" if links.used[i] else "no"))
            for i in rows]),
        ("contribution / background", "number", [_number_cell(
            math.nan if i is None else ratio[i], ".2f") for i in rows]),
    ]


def _pattern_sections(patterns, links, comparison, kind: str, dpi: int) -> list:
    """The patterns' section `(heading, summary, columns)`, with patterns
    (a `PatternSet`, or a `MotifSet` of patterns)."""
    if patterns is None:
        if links is not None or comparison is not None:
            raise ValueError(
                "links and pattern_comparison describe patterns: pass "
                "patterns= too.")
        return []
    scored = not isinstance(patterns, MotifSet)
    if scored and (not isinstance(getattr(patterns, "motifs", None), MotifSet)
                   or not hasattr(patterns, "seqlets")):
        raise TypeError(
            "patterns must be a keras_motifs.attribution.PatternSet (from "
            "find_patterns), or a MotifSet of patterns. Received: patterns "
            f"of type {type(patterns).__name__}")
    motifs = patterns.motifs if scored else patterns
    if links is not None:
        if not hasattr(links, "linked_filters") or not hasattr(links, "used"):
            raise TypeError(
                "links must be a keras_motifs.attribution.PatternLinks (from "
                f"link_patterns). Received: links of type "
                f"{type(links).__name__}")
        if list(links.patterns) != list(patterns.names):
            raise ValueError(
                "links are of other patterns than the report's: pass "
                "patterns= the PatternSet given to link_patterns.")
    heading = "Patterns: what the model uses"
    if scored and not len(patterns):
        return [(heading, f"TF-MoDISco found no patterns in the "
                 f"{patterns.n_sequences} scored sequences.", [])]
    check_motif_set(motifs, "patterns", non_empty=True)
    names = motifs.names
    information = [row[start:end].sum() for row, (start, end)
                   in zip(motifs.information_content(), motifs.bounds)]
    columns = [
        ("logo", None, [_logo_cell(render_logo(motif, kind=kind, dpi=dpi), name)
                        for motif, name in zip(motifs, names)]),
        ("name", "text", [_text_cell(name) for name in names]),
    ]
    if scored:
        columns.append(("sign", "text", [
            _text_cell("positive" if sign > 0 else "negative")
            for sign in patterns.signs]))
    columns += [
        ("nsites", "number", [_number_cell(n, "d") for n in motifs.nsites]),
        ("information (bits)", "number",
         [_number_cell(x, ".2f") for x in information]),
        ("consensus", "text", [_text_cell(text) for text in motifs.consensus()]),
    ]
    if comparison is not None:
        matches = _best_matches(comparison, names)
        best = [matches.get(name, ("", "", math.nan)) for name in names]
        columns += [
            ("best match", "text", [_text_cell(_match_label(*match[:2]))
                                    for match in best]),
            ("q-value", "number", [_number_cell(match[2], ".2g")
                                   for match in best]),
        ]
    if links is not None:
        columns.append(("linked filters", "text", [
            _text_cell(", ".join(_link_label(links, name, f)
                                 for f in links.linked_filters(name)))
            for name in names]))
    summary = (
        f"{len(patterns)} TF-MoDISco patterns of contribution scores of "
        f"{patterns.n_sequences} sequences of {patterns.length} bp, "
        f"{len(patterns.seqlets)} seqlets; nsites counts a pattern's "
        "seqlets, each logo spans the positions with at least 30 % of the "
        "largest position's contribution."
    ) if scored else (
        f"{len(motifs)} patterns, given as motifs without their seqlets "
        "or contribution scores; nsites counts a pattern's seqlets, each "
        "logo spans the pattern's bounds."
    )
    if links is not None:
        summary += " " + "; ".join(links.settings) + "."
    return [(heading, summary, columns)]


def _link_label(links, pattern: str, filter: str) -> str:
    """`filter3 (q 2e-05, 92 % of seqlets)`: one linked filter (its q-value
    alone without seqlets)."""
    row, column = links.patterns.index(pattern), links.filters.index(filter)
    q_value = links.q_value[row, column]
    parts = [] if math.isnan(q_value) else [f"q {q_value:.2g}"]
    if links.overlap is not None:
        parts.append(f"{links.overlap[row, column]:.0%} of seqlets")
    return f"{filter} ({', '.join(parts)})"


def _match_label(target_id: str, target_name: str) -> str:
    return f"{target_name} ({target_id})" if target_name else target_id


def _logo_cell(logo: bytes, name: str) -> str:
    source = "data:image/png;base64," + base64.b64encode(logo).decode("ascii")
    return f'<td><img class="logo" src="{source}" alt="logo of {html.escape(name)}"></td>'


def _text_cell(text: str) -> str:
    return f"<td>{html.escape(text)}</td>"


def _number_cell(value, spec: str) -> str:
    value = float(value)
    if math.isnan(value):
        return '<td class="number" data-value=""></td>'
    if spec == "d":
        data = shown = str(int(value))
    else:
        data, shown = repr(value), format(value, spec)
    return f'<td class="number" data-value="{data}">{html.escape(shown)}</td>'


def _table(columns: list) -> str:
    head = "".join(
        f"<th>{html.escape(label)}</th>" if sort is None
        else f'<th data-sort="{sort}"><button type="button">{html.escape(label)}</button></th>'
        for label, sort, _ in columns
    )
    rows = zip(*(cells for _, _, cells in columns))
    body = "\n".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f"""<table class="motifs">
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>"""


def _page(title: str, summary: str, columns: list, sections=()) -> str:
    """The page: the motif table, then each `(heading, summary, columns)`
    section's table."""
    parts = "".join(
        f"\n<h2>{html.escape(heading)}</h2>\n<p>{html.escape(text)}</p>\n"
        f"{_table(section) if section else ''}"
        for heading, text, section in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(summary)}</p>
{_table(columns)}{parts}
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _position_svg(counts, *, width: int = 100, height: int = 24) -> str:
    """An inline SVG bar chart of a position histogram (a sparkline)."""
    counts = np.asarray(counts, np.float64)
    top = counts.max() if counts.size and counts.max() > 0 else 1.0
    step = width / max(len(counts), 1)
    bars = "".join(
        f'<rect x="{i * step:.2f}" y="{height - h:.2f}" width="{step * 0.9:.2f}" '
        f'height="{h:.2f}"></rect>'
        for i, h in enumerate(counts / top * height)
    )
    return (f'<svg class="positions" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
            f'<rect class="axis" x="0" y="{height - 1}" width="{width}" '
            f'height="1"></rect>{bars}</svg>')


def _strand_svg(forward_fraction, *, width: int = 60, height: int = 12) -> str:
    """An inline SVG bar: the forward share of the sites, left, in dark."""
    share = 0.0 if math.isnan(forward_fraction) else float(forward_fraction)
    return (f'<svg class="strands" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
            f'<rect class="reverse" x="0" y="0" width="{width}" '
            f'height="{height}"></rect><rect class="forward" x="0" y="0" '
            f'width="{share * width:.2f}" height="{height}"></rect></svg>')
