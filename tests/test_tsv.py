"""Tests for keras_motifs._internal.tsv: `read_tsv`."""

import csv

import pytest

from keras_motifs._internal.tsv import read_tsv


def test_rows_are_dicts_by_header_skipping_comments_and_blank_lines(tmp_path):
    path = tmp_path / "table.tsv"
    path.write_text(
        "# written by a test\n"
        "filter\tname\tq-value\n"
        "\n"
        "0\tfilter0\t0.01\n"
        "# a comment between rows\n"
        "3\tfilter3\t\n"
        "   \n",
        encoding="utf-8",
    )
    assert read_tsv(path, ("filter", "name")) == [
        {"filter": "0", "name": "filter0", "q-value": "0.01"},
        {"filter": "3", "name": "filter3", "q-value": ""},
    ]
    assert read_tsv(str(path), ()) == read_tsv(path, ("q-value",))


def test_matches_csv_dictreader_on_random_tables(rng, tmp_path):
    columns = ["a", "b c", "d-e", "f"]
    for trial in range(5):
        rows = [
            {c: "".join(rng.choice(list("xyz019.,; "), rng.integers(0, 6))) for c in columns}
            for _ in range(rng.integers(0, 30))
        ]
        rows = [{c: v.strip() or "v" for c, v in row.items()} for row in rows]
        path = tmp_path / f"t{trial}.tsv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns, delimiter="\t", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        assert read_tsv(path, ("a", "f")) == rows


def test_non_ascii_text_is_read_as_utf8(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes("target\tname\nMA0139.1\tCTCF\u00e9\n".encode("utf-8"))
    assert read_tsv(path, ("name",)) == [{"target": "MA0139.1", "name": "CTCF\u00e9"}]


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("# c\nfilter\tname\n0\tx\n")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) loss_delta, q; found \['filter', 'name'\]"):
        read_tsv(path, ("filter", "loss_delta", "q"))


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_empty_table_says_no_header(tmp_path, text):
    path = tmp_path / "t.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match="lacks the column.*no header"):
        read_tsv(path, ("filter",))
    assert read_tsv(path, ()) == []


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="TSV file not found"):
        read_tsv(tmp_path / "absent.tsv", ())
    with pytest.raises(IsADirectoryError, match="is a directory"):
        read_tsv(tmp_path, ())
