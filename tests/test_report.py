"""Tests for keras_motifs.report: the self-contained, sortable HTML report."""

import base64
import dataclasses
import html
import html.parser
import importlib.util
import io
import json
import os
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from conftest import random_firing, shared_file
from keras_motifs.formats.meme import read_meme
from keras_motifs.extraction import Extraction
from keras_motifs.motifs import MotifSet
from keras_motifs.plots import render_logo
from keras_motifs.report import write_report

pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("logomaker", "matplotlib")),
    reason='the report draws logos: needs pip install "keras-motifs[plot]"',
)
DPI = 30
NAMES = ["a<b>", "b&c", "filter10", "filter2", "x\"y'", "z"]


def read(path):
    return pathlib.Path(path).read_text(encoding="utf-8")


class Table(html.parser.HTMLParser):
    """Header labels, body rows (cell text, data-value) and img sources."""

    def __init__(self, text):
        super().__init__()
        self.headers, self.rows, self.images = [], [], []
        self.cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = {"text": "", "value": attrs.get("data-value")}
        elif tag == "img":
            self.images.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.headers:
            self.rows.append(self.row)
        elif tag == "tr":
            self.headers = [cell["text"] for cell in self.row]

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data

    def column(self, label, key="text"):
        index = self.headers.index(label)
        return [row[index][key] for row in self.rows]


@pytest.fixture
def motifs(rng):
    counts = rng.integers(0, 9, size=(6, 10, 4)) * rng.integers(1, 30, size=(6, 1, 1))
    counts = counts.astype(float)
    counts[1] = 0
    return MotifSet(
        counts,
        [437, 0, 9, 1000, 80, 696],
        names=NAMES,
        alt_names=[None, "<CTCF>", None, None, None, None],
        filters=[3, 0, 7, 12, 5, 9],
        bounds=[(0, 10), (0, 10), (2, 9), (0, 10), (1, 10), (0, 8)],
    )


def loop_information(row):
    """Bits of one count row against a uniform background (0 without counts)."""
    if row.sum() == 0:
        return 0.0
    return sum(p * np.log2(p / 0.25) for p in row / row.sum() if p > 0)


def loop_trim(motifs, min_information):
    """Trimmed (start, end), total bits and consensus of each motif, by loops."""
    results = []
    for counts, (start, end) in zip(motifs.counts, motifs.bounds):
        bits = [loop_information(counts[j]) for j in range(start, end)]
        kept = [j for j, b in enumerate(bits) if b >= min_information]
        if not kept:
            kept = [int(np.argmax(bits))]
        first, last = start + kept[0], start + kept[-1] + 1
        consensus = "".join(
            "ACGT"[int(np.argmax(row))] if row.sum() else "N" for row in counts[first:last]
        )
        results.append(((first, last), sum(bits[first - start:last - start]), consensus))
    return results


def test_one_escaped_row_per_motif(tmp_path, motifs):
    path = tmp_path / "report.html"
    title = "DanQ <filters> & more"
    assert write_report(motifs, path, title=title, dpi=DPI) == str(path)
    text = read(path)
    table = Table(text)
    assert len(table.rows) == len(motifs)
    assert table.column("name") == NAMES
    assert table.column("alt name") == ["", "<CTCF>", "", "", "", ""]
    for raw in ["<b>", "b&c", "x\"y'", "<CTCF>", title]:
        assert raw not in text
    assert html.escape(title) in text
    assert [int(v) for v in table.column("filter", "value")] == [3, 0, 7, 12, 5, 9]
    assert table.column("nsites") == ["437", "0", "9", "1000", "80", "696"]
    expected = loop_trim(motifs, 0.2)
    np.testing.assert_allclose(
        [float(v) for v in table.column("information (bits)", "value")],
        [bits for _, bits, _ in expected],
    )
    assert table.column("consensus") == [consensus for _, _, consensus in expected]
    assert "best match" not in table.headers and "influence" not in table.headers


def test_logos_are_embedded_pngs(tmp_path, motifs):
    from matplotlib.image import imread

    path = write_report(motifs, tmp_path / "report.html", logo_kind="probability",
                        dpi=DPI)
    table = Table(read(path))
    assert len(table.images) == len(motifs)
    bounds = [bounds for bounds, _, _ in loop_trim(motifs, 0.2)]
    assert len({end - start for start, end in bounds}) > 2
    cut = MotifSet(motifs.counts, motifs.nsites, names=motifs.names, bounds=bounds)
    images = []
    for source, motif in zip(table.images, cut):
        prefix, data = source.split(",", 1)
        assert prefix == "data:image/png;base64"
        png = imread(io.BytesIO(base64.b64decode(data)))
        # The logo of the motif cut to its trimmed span, as render_logo draws it.
        expected = imread(io.BytesIO(render_logo(motif, kind="probability", dpi=DPI)))
        assert png.shape == expected.shape
        rgb = png[..., :3]
        coloured = np.mean(rgb.max(axis=-1) - rgb.min(axis=-1) > 0.3)
        assert coloured > (0.005 if motif.nsites else -1)  # letters were drawn
        images.append(png)
    assert not np.array_equal(images[0], images[2])
    assert "src=\"http" not in read(path) and "<link" not in read(path)


@dataclasses.dataclass
class Row:
    query: str
    target_id: str
    target_name: str
    q_value: float


def real_comparison(motifs):
    """A keras_motifs.matching.compare.Comparison of hand-made hits; motif 5 has two."""
    from keras_motifs.matching.compare import Comparison, Hit

    def hit(query_index, target_id, target_name, q_value):
        return Hit(motifs.names[query_index], target_id, target_name, 0, q_value,
                   q_value, q_value, 5, "A", "A", "+", query_index)

    hits = [
        hit(0, "MA0139.1", "<CTCF>", 1e-3),
        hit(5, "MA0001.1", "AGL3", 0.2),
        hit(5, "MA0002.1", "RUNX1", 0.05),
    ]
    return Comparison(hits, motifs, MotifSet(np.ones((2, 5, 4))), [])


@pytest.mark.parametrize("kind", ["compare.Comparison", "dict"])
def test_best_match_columns(tmp_path, motifs, kind):
    comparison = {
        "compare.Comparison": real_comparison(motifs),
        "dict": {"a<b>": ("MA0139.1", "<CTCF>", 1e-3), "z": ("MA0002.1", "RUNX1", 0.05)},
    }[kind]
    path = write_report(motifs, tmp_path / "r.html", comparison=comparison, dpi=DPI)
    table = Table(read(path))
    assert table.column("best match") == [
        "<CTCF> (MA0139.1)", "", "", "", "", "RUNX1 (MA0002.1)"
    ]
    assert table.column("q-value", "value") == ["0.001", "", "", "", "", "0.05"]


def test_influence_is_looked_up_by_filter(tmp_path, motifs, rng):
    influence = rng.normal(size=20)  # a whole layer of 20 filters
    path = write_report(motifs, tmp_path / "r.html", influence=influence, dpi=DPI)
    values = Table(read(path)).column("influence", "value")
    expected = [influence[f] for f in [3, 0, 7, 12, 5, 9]]
    np.testing.assert_array_equal([float(v) for v in values], expected)
    with_nan = np.arange(13.0)
    with_nan[0] = np.nan
    two = {"NRSF": influence, "CTCF <x>": with_nan}
    path = write_report(motifs, tmp_path / "r.html", influence=two, dpi=DPI)
    table = Table(read(path))
    assert table.headers[-2:] == ["NRSF", "CTCF <x>"]
    assert table.column("CTCF <x>", "value") == ["3.0", "", "7.0", "12.0", "5.0", "9.0"]


def test_filter_influence_object(tmp_path, motifs, rng):
    from keras_motifs.analysis.influence import FilterInfluence

    influence = FilterInfluence(rng.normal(size=13), rng.normal(size=(13, 2)))
    path = write_report(motifs, tmp_path / "r.html", influence=influence, dpi=DPI)
    values = Table(read(path)).column("influence", "value")
    np.testing.assert_array_equal(
        [float(v) for v in values], influence.loss_delta[motifs.filters]
    )


def test_danq_motifs_with_tomtom_matches(tmp_path):
    motifs = read_meme(shared_file("fixtures/danq/DanQ.meme"))[:8]
    best = {}
    with open(shared_file("fixtures/danq/DanQ_tomtom.txt")) as file:
        for line in file:
            if not line.startswith("#"):
                query, target, *fields = line.rstrip("\n").split("\t")
                q_value = float(fields[3])
                if query not in best or q_value < best[query][2]:
                    best[query] = (target, "", q_value)
    path = write_report(motifs, tmp_path / "danq.html", comparison=best,
                        title="DanQ", dpi=DPI)
    table = Table(read(path))
    assert table.column("name") == [f"M{i}" for i in range(8)]
    assert table.column("alt name") == [f"O{i}" for i in range(8)]
    assert table.column("nsites") == [str(n) for n in motifs.nsites]
    assert table.column("best match") == [best.get(f"M{i}", ("",))[0] for i in range(8)]
    assert len(table.images) == 8


def test_bad_input(tmp_path, motifs):
    path = tmp_path / "r.html"
    with pytest.raises(TypeError, match="MotifSet"):
        write_report(motifs.counts, path)
    with pytest.raises(ValueError, match="empty"):
        write_report(motifs[:0], path)
    with pytest.raises(ValueError, match=r"at least 13 values.*shape \(12,\)"):
        write_report(motifs, path, influence=np.zeros(12))
    with pytest.raises(ValueError, match="1-D"):
        write_report(motifs, path, influence=np.zeros((13, 2)))
    with pytest.raises(TypeError, match="Comparison or a mapping"):
        write_report(motifs, path, comparison=[("a", "b", 0.1)])
    with pytest.raises(ValueError, match="target_id, target_name, q_value"):
        write_report(motifs, path, comparison={"z": ("MA1", 0.1)})
    with pytest.raises(ValueError, match="none of the motifs"):
        write_report(motifs, path, comparison={"M1": ("MA1", "X", 0.1)})
    with pytest.raises(ValueError, match="kind"):
        write_report(motifs, path, logo_kind="bits")
    assert os.listdir(tmp_path) == []


# Test-only scripts added to a copy of the report: record script errors, then
# after load report the rows, decoded image widths and the row order after
# clicking headers, into a <pre id="probe"> that --dump-dom prints.
ERRORS = """<script>window.errors = [];
window.addEventListener("error", (e) => window.errors.push(String(e.message)));</script>"""
PROBE = """<script>
window.addEventListener("load", () => {
  const labels = Array.from(document.querySelectorAll("thead th"), (th) => th.textContent);
  const names = () => Array.from(document.querySelectorAll("tbody tr"),
                                 (row) => row.cells[labels.indexOf("name")].textContent);
  const click = (label) => document.querySelectorAll("thead th")[labels.indexOf(label)]
                                   .querySelector("button").click();
  const result = {rows: document.querySelectorAll("tbody tr").length,
                  widths: Array.from(document.images, (img) => img.naturalWidth)};
  for (const [label, key] of [["nsites", "nsites"], ["name", "name"],
                              ["q-value", "q"], ["information (bits)", "bits"]]) {
    click(label); result[key + "_up"] = names();
    click(label); result[key + "_down"] = names();
  }
  result.errors = window.errors;
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify(result);
  document.body.append(probe);
});
</script>"""


def run_in_chromium(path, tmp_path, probe=None):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    text = read(path)
    probed = tmp_path / "probed.html"
    probed.write_text(
        text.replace("<head>", "<head>" + ERRORS, 1).replace("</body>", (probe or PROBE) + "</body>", 1),
        encoding="utf-8",
    )
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000",
        "--dump-dom", probed.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120).stdout
    start = dom.find('<pre id="probe">')
    assert start >= 0, f"the probe did not run; chromium printed: {dom[:500]!r}"
    end = dom.index("</pre>", start)
    return json.loads(html.unescape(dom[start + len('<pre id="probe">'):end]))


def test_renders_and_sorts_in_headless_chromium(tmp_path, motifs):
    from matplotlib.image import imread

    comparison = {"a<b>": ("MA0139.1", "CTCF", 1e-3), "z": ("MA0002.1", "RUNX1", 0.05),
                  "filter10": ("MA0003.1", "TFAP2A", 0.4)}
    path = write_report(motifs, tmp_path / "report.html", comparison=comparison, dpi=DPI)
    result = run_in_chromium(path, tmp_path)
    assert result["errors"] == []
    assert result["rows"] == len(motifs)
    table = Table(read(path))
    widths = [imread(io.BytesIO(base64.b64decode(s.split(",")[1]))).shape[1]
              for s in table.images]
    assert result["widths"] == widths

    def order(values, reverse=False):
        return [NAMES[i] for i in sorted(range(len(NAMES)), key=lambda i: values[i],
                                         reverse=reverse)]

    nsites = motifs.nsites.tolist()  # 9 < 80 < 437 < 696 < 1000 numerically
    assert result["nsites_up"] == order(nsites)
    assert result["nsites_down"] == order(nsites, reverse=True)
    assert result["name_up"] == ["a<b>", "b&c", "filter2", "filter10", "x\"y'", "z"]
    assert result["name_down"] == result["name_up"][::-1]
    bits = [float(v) for v in table.column("information (bits)", "value")]
    assert result["bits_up"] == order(bits)
    # Motifs without a match sort last in both directions.
    assert result["q_up"][:3] == ["a<b>", "z", "filter10"]
    assert result["q_down"][:3] == ["filter10", "z", "a<b>"]
    assert sorted(result["q_up"][3:]) == sorted(result["q_down"][3:]) == sorted(
        ["b&c", "filter2", "x\"y'"]
    )


def test_signal_columns_in_the_report_and_the_tsv(tmp_path):
    pytest.importorskip("logomaker")
    from keras_motifs._internal.tsv import read_tsv
    from keras_motifs.report import write_signal_tsv

    counts = np.random.default_rng(1).integers(0, 9, (3, 6, 4))
    motifs = Extraction(MotifSet(counts, [5, 0, 2]),
                        signal_sums=[[3.0, 30.0], [0, 0], [1.5, 6.0]],
                        signal_positions=[30, 0, 12], signal_names=["dnase", "cons"])
    write_report(motifs, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "signal dnase" in page and "signal cons" in page
    assert 'data-value="0.1"' in page and 'data-value="0.125"' in page
    write_signal_tsv(motifs, tmp_path / "s.tsv")
    rows = read_tsv(tmp_path / "s.tsv", ("filter", "dnase", "cons"))
    assert [row["dnase"] for row in rows] == ["0.1", "", "0.125"]
    assert [row["cons"] for row in rows] == ["1", "", "0.5"]
    assert [row["positions"] for row in rows] == ["30", "0", "12"]
    with pytest.raises(ValueError, match="no signal channels"):
        write_signal_tsv(MotifSet(counts), tmp_path / "t.tsv")
    write_report(MotifSet(counts), tmp_path / "r2.html")
    assert "signal" not in (tmp_path / "r2.html").read_text()


def test_empirical_p_and_family_columns(tmp_path, motifs):
    from keras_motifs.matching.compare import Comparison
    from keras_motifs.matching.match_calibration import Calibration

    p_values = np.array([0.01, np.nan, 0.5, 0.02, 1.0, 0.003])
    calibration = Calibration(
        best_q=np.array([1e-4, np.nan, 0.3, 1e-3, 1.0, 1e-6]),
        empirical_p=p_values,
        null_best_q=np.array([0.2, 0.6, 1.0, 0.04]),
        cutoffs=(0.05,),
        null_match_rate=np.array([0.25]),
        n_matches=np.array([3]),
        fdr=np.array([5 * 0.25 / 3]),
        n_compared=5,
        cutoff=0.05,
    )
    comparison = Comparison([], motifs, motifs, [], calibration=calibration)
    families = {"a<b>": 0, "filter2": 1, "z": 0}
    path = write_report(motifs, tmp_path / "r.html", comparison=comparison,
                        families=families, dpi=DPI)
    text = read(path)
    table = Table(text)
    assert table.column("empirical p", "value") == [
        "0.01", "", "0.5", "0.02", "1.0", "0.003"
    ]
    assert table.column("family", "value") == ["0", "", "", "1", "", "0"]
    assert "3 of 5 filters match at q &lt; 0.05; 25.0% of 4 null filters" in text
    with pytest.raises(TypeError, match="families"):
        write_report(motifs, tmp_path / "r.html", families=[0, 1], dpi=DPI)


# After load: per row the drawn size of the positions sparkline and of its
# bars, the strand bar, and the row order after sorting by best AUC.
FIRING_PROBE = """<script>
window.addEventListener("load", () => {
  const labels = Array.from(document.querySelectorAll("thead th"), (th) => th.textContent);
  const rows = () => Array.from(document.querySelectorAll("tbody tr"));
  const plots = rows().map((row) => {
    const svg = row.querySelector("svg.positions").getBoundingClientRect();
    const bars = Array.from(row.querySelectorAll("svg.positions rect:not(.axis)"),
                            (r) => r.getBoundingClientRect().height);
    const strand = row.querySelector("svg.strands rect.forward").getBoundingClientRect();
    return {width: svg.width, height: svg.height, bars: bars, forward: strand.width};
  });
  document.querySelectorAll("thead th")[labels.indexOf("best AUC")]
          .querySelector("button").click();
  const byAuc = rows().map((row) => row.cells[labels.indexOf("name")].textContent);
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({plots: plots, by_auc: byAuc, errors: window.errors});
  document.body.append(probe);
});
</script>"""


def test_firing_plots_in_headless_chromium(tmp_path, motifs, rng):
    firing = random_firing(rng, len(motifs)).with_target_names(["CTCF", "<GATA1>"])
    motifs = Extraction(MotifSet(motifs.counts, motifs.nsites, names=NAMES),
                        firing=firing)
    path = write_report(motifs, tmp_path / "report.html", dpi=DPI)
    table = Table(read(path))
    assert {"positions", "forward strand", "best target", "best AUC"} <= set(table.headers)
    names, best = firing.best_target()
    assert table.column("best target") == names
    assert "&lt;GATA1&gt;" in read(path) or "<GATA1>" not in names
    np.testing.assert_allclose([float(v) for v in table.column("best AUC", "value")], best)
    result = run_in_chromium(path, tmp_path, FIRING_PROBE)
    assert result["errors"] == []
    forward = firing.forward_fraction()
    for plot, counts, share in zip(result["plots"], firing.position_counts, forward):
        assert plot["width"] == 100 and plot["height"] == 24
        assert len(plot["bars"]) == 20
        # The tallest bar fills the plot, the others in proportion.
        np.testing.assert_allclose(plot["bars"], counts / counts.max() * 24, atol=0.05)
        assert plot["forward"] == pytest.approx(60 * share, abs=0.05)
    assert result["by_auc"] == [NAMES[i] for i in np.argsort(best, kind="stable")]


def test_report_with_bootstrap_bands(rng, tmp_path):
    from keras_motifs.analysis.bootstrap import BlockCounts, bootstrap

    blocks = rng.integers(0, 6, size=(8, 3, 10, 4)).astype(float)
    blocks[:, 0, 3:6] = [20, 0, 0, 0]  # one informative core
    nsites = blocks.sum(axis=-1).max(axis=-1)
    motifs = MotifSet(blocks.sum(axis=0), nsites.sum(axis=0))
    result = bootstrap(Extraction(motifs, blocks=BlockCounts(blocks, nsites)), 30)
    path = write_report(motifs, tmp_path / "r.html", bootstrap=result, dpi=DPI)
    table = Table(read(path))
    trimmed = motifs.trim(0.2)
    _, low, high = result.total_information(trimmed.bounds)
    np.testing.assert_allclose([float(v) for v in table.column("information low", "value")], low)
    np.testing.assert_allclose([float(v) for v in table.column("information high", "value")], high)
    plain = Table(read(write_report(motifs, tmp_path / "p.html", dpi=DPI)))
    assert plain.images != table.images  # the logos carry the bands
    for kind in ("information", "probability"):
        write_report(motifs, tmp_path / "k.html", bootstrap=result, dpi=DPI,
                     logo_kind=kind)
    with pytest.raises(ValueError, match="other motifs"):
        write_report(motifs[:2], tmp_path / "x.html", bootstrap=result)
    with pytest.raises(TypeError, match="MotifBootstrap"):
        write_report(motifs, tmp_path / "x.html", bootstrap=motifs)
    assert not (tmp_path / "x.html").exists()
