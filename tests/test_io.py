import json
from pathlib import Path

import pandas as pd
import pytest

from themes.errors import InputFileError, OutputError
from themes.io import Table, TableWriter, check_output_path, detect_encoding, read_table

DATA = Path(__file__).resolve().parent / "data"


def test_windows1252_is_detected_and_decoded():
    assert detect_encoding(DATA / "windows1252.csv") == "cp1252"
    frame = read_table(DATA / "windows1252.csv")
    assert "£150" in frame.loc[0, "text"]
    assert "\u201cwe\u2019re still waiting\u201d" in frame.loc[0, "text"]
    assert frame.loc[2, "text"] == ""  # empty cell stays empty, not NaN


def test_semicolon_delimiter_and_bom():
    table = Table(DATA / "semicolon_bom.csv")
    assert table.columns == ["Ref", "Summary", "Received"]
    frame = table.read()
    assert list(frame["Received"]) == ["03/04/2023", "1 May 2023"]  # dates kept as written


def test_xlsx_and_jsonl_read(tmp_path):
    frame = pd.DataFrame({"reference": ["A", "B"], "text": ["one", "two"], "n": [1, 2]})
    frame.to_excel(tmp_path / "f.xlsx", index=False)
    got = read_table(tmp_path / "f.xlsx")
    assert list(got["text"]) == ["one", "two"]
    (tmp_path / "f.jsonl").write_text('{"text": "a"}\n\n{"text": "b", "x": 1}\n')
    got = read_table(tmp_path / "f.jsonl")
    assert list(got.columns) == ["text", "x"]
    assert list(got["text"]) == ["a", "b"]


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", "is empty"),
        ("malformed.csv", "not a well-formed CSV file"),
        ("missing.csv", "not found"),
    ],
)
def test_bad_inputs_get_clear_errors(name, message):
    with pytest.raises(InputFileError, match=message):
        read_table(DATA / name)


def test_unknown_extension_and_bad_excel(tmp_path):
    odd = tmp_path / "log.docx"
    odd.write_text("x")
    with pytest.raises(InputFileError, match="expected one of"):
        read_table(odd)
    fake = tmp_path / "log.xlsx"
    fake.write_bytes(b"not a zip file at all")
    with pytest.raises(InputFileError, match="not an Excel workbook.*CSV file renamed"):
        read_table(fake)


def test_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken}\n')
    with pytest.raises(InputFileError, match="line 2 is not valid JSON"):
        read_table(path)


def test_duplicate_and_blank_headers_are_kept_for_output(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("ref,text,text,\nR1,a,b,c\n")
    table = Table(path)
    assert table.original_columns == ["ref", "text", "text", ""]
    assert table.columns == ["ref", "text", "text (2)", "Column 4"]


def test_output_may_not_be_input(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("text\nx\n")
    with pytest.raises(OutputError, match="is the input file"):
        check_output_path(path, path)
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(tmp_path / "nofolder" / "out.csv", path)


def test_writer_is_atomic(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("previous content\n")
    with pytest.raises(RuntimeError), TableWriter(target, ["a"]) as writer:
        writer.write(pd.DataFrame({"a": ["x"]}))
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind


def test_excel_output_never_holds_formulas(tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "out.xlsx"
    with TableWriter(target, ["text"]) as writer:
        writer.write(pd.DataFrame({"text": ['=HYPERLINK("http://x")', "+44 7700", "plain"]}))
    sheet = load_workbook(target).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x")', "+44 7700", "plain"]
    assert all(c.data_type == "s" for c in cells)


def test_safe_csv_neutralises_formulas(tmp_path):
    target = tmp_path / "out.csv"
    with TableWriter(target, ["text"], safe_csv=True) as writer:
        writer.write(pd.DataFrame({"text": ["=1+1", "@SUM(A1)", "fine"]}))
    assert read_table(target)["text"].tolist() == ["'=1+1", "'@SUM(A1)", "fine"]


def test_jsonl_writer_round_trip(tmp_path):
    target = tmp_path / "out.jsonl"
    with TableWriter(target, ["text", "flag"]) as writer:
        writer.write(pd.DataFrame({"text": ["caf\u00e9 £5"], "flag": [True]}))
    assert json.loads(target.read_text()) == {"text": "caf\u00e9 £5", "flag": True}


def test_internal_names_never_collide(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text('a,a (2),a,,Column 4,"Date\nreceived"\n1,2,3,4,5,6\n')
    table = Table(path)
    assert table.columns == ["a", "a (2)", "a (3)", "Column 4", "Column 4 (2)", "Date received"]
    assert table.original_columns == ["a", "a (2)", "a", "", "Column 4", "Date\nreceived"]


def test_single_column_file_and_explicit_delimiter(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text('text\n"no call back; again, and again"\n')
    assert Table(path).delimiter == ","
    assert read_table(path)["text"].tolist() == ["no call back; again, and again"]
    semi = tmp_path / "semi.txt"
    semi.write_text("ref;text\nR1;a, b\n")
    assert read_table(semi, delimiter="semicolon")["text"].tolist() == ["a, b"]
    with pytest.raises(InputFileError, match="cannot be used"):
        read_table(semi, delimiter=";;")
