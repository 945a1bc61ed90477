"""Real-world files (issue 7): bad input gets one clear line, nothing is lost, nothing leaks.

Every bad input is tried twice: through ``themes tag`` (CliRunner: exit code 2, one
line, no traceback, no complaint text) and through the library (a typed error).
Round trips through CSV, JSON lines and Excel are checked on arbitrary text with
hypothesis, and a tagging run is killed mid-write to show the output is untouched.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from themes.cli import app
from themes.dataset import Columns
from themes.errors import (
    ColumnError,
    InputFileError,
    LabelError,
    ModelError,
    OutputError,
    ThemesError,
)
from themes.io import Table, TableWriter, neutralise_formula, read_table
from themes.tagger import SUGGESTION_COLUMNS, TagOptions, tag_file
from themes.workdays import parse_date

DATA = Path(__file__).resolve().parent / "data"
# A made-up word put in every text of the bad inputs: it must never be printed.
SECRET = "Quillfeather"
runner = CliRunner()


@pytest.fixture(scope="module")
def model(small_model: Path) -> Any:
    from themes.registry import load_model

    return load_model(small_model).model


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


# --- the table of bad inputs -------------------------------------------------------


@dataclass
class Case:
    """One bad input: how to make it, what the user must be told, which error the library raises."""

    make: Callable[[Path], dict[str, Any]]
    fragments: tuple[str, ...]
    error: type[ThemesError]
    command: str = "tag"


def csv_file(text: str, name: str = "log.csv", encoding: str = "utf-8") -> Callable:
    def make(tmp: Path) -> dict[str, Any]:
        path = tmp / name
        path.write_bytes(text.encode(encoding))
        return {"input": path}

    return make


def named_text(make: Callable) -> Callable:
    """The case names the text column 'text' (without it, the command would detect one)."""
    return lambda tmp: {**make(tmp), "text_column": "text"}


def given_file(source: str, **extra: Any) -> Callable:
    def make(tmp: Path) -> dict[str, Any]:
        path = tmp / Path(source).name
        shutil.copy(DATA / source, path)
        return {"input": path, **extra}

    return make


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.append(["reference", "text"])
    wb.active.append(["R1", f"{SECRET} wrote to complain"])
    wb.save(buffer)
    return buffer.getvalue()


def raw_file(name: str, data: Callable[[], bytes], **extra: Any) -> Callable:
    def make(tmp: Path) -> dict[str, Any]:
        path = tmp / name
        path.write_bytes(data())
        return {"input": path, **extra}

    return make


def damaged_sheet() -> bytes:
    """A workbook whose zip is fine but whose sheet XML is cut short."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return buffer.getvalue()


def word_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", f"<w:document>{SECRET}</w:document>")
    return buffer.getvalue()


def good_log(tmp: Path) -> Path:
    path = tmp / "good.csv"
    path.write_text(f"reference,text\nG1,{SECRET} had no call back about the CIN meeting\n")
    return path


def output_case(out_name: str, prepare: Callable[[Path], None] | None = None) -> Callable:
    def make(tmp: Path) -> dict[str, Any]:
        source = good_log(tmp)
        out = source if out_name == "<input>" else tmp / out_name
        if prepare is not None:
            prepare(out)
        return {"input": source, "out": out}

    return make


def model_case(breaks: Callable[[Path, Path], Path]) -> Callable:
    def make(tmp: Path, small_model: Path | None = None) -> dict[str, Any]:
        assert small_model is not None
        return {"input": good_log(tmp), "model": breaks(tmp, small_model)}

    make.needs_model = True  # type: ignore[attr-defined]
    return make


def copy_model(tmp: Path, small_model: Path) -> Path:
    folder = tmp / "model"
    shutil.copytree(small_model, folder)
    return folder


def corrupt_meta(tmp: Path, small_model: Path) -> Path:
    folder = copy_model(tmp, small_model)
    (folder / "meta.json").write_text("{not json")
    return folder


def other_format(tmp: Path, small_model: Path) -> Path:
    folder = copy_model(tmp, small_model)
    meta = json.loads((folder / "meta.json").read_text())
    meta["format_version"] = 99
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


def tampered(tmp: Path, small_model: Path) -> Path:
    folder = copy_model(tmp, small_model)
    with (folder / "arrays.npz").open("ab") as handle:
        handle.write(b"\0")
    return folder


def not_a_model(tmp: Path, small_model: Path) -> Path:
    folder = tmp / "spacy_model"
    folder.mkdir()
    (folder / "config.cfg").write_text("[nlp]\n")
    return folder


def model_is_file(tmp: Path, small_model: Path) -> Path:
    path = tmp / "model.joblib"
    path.write_bytes(b"x")
    return path


def bad_label(tmp: Path) -> dict[str, Any]:
    path = tmp / "labelled.csv"
    path.write_text(
        "reference,text,kind,category,themes\n"
        f"B1,{SECRET} was rude on the phone,complaint,staff,staff_conduct\n"
        f"B2,{SECRET} waited weeks for the assessment,complaint,assesment_review,delay\n"
    )
    return {"input": path}


CP1252 = f"reference,text\nR1,{SECRET} is owed \u00a3150 \u2013 \u201cstill waiting\u201d\n"
CASES: dict[str, Case] = {
    "missing file": Case(
        lambda tmp: {"input": tmp / "nothere.csv"}, ("not found",), InputFileError
    ),
    "empty file": Case(csv_file(""), ("is empty",), InputFileError),
    "only blank lines": Case(csv_file("\r\n\r\n,\r\n"), ("no header row",), InputFileError),
    "unclosed quote": Case(
        csv_file(f'reference,text\nR1,"fine"\nR2,"{SECRET} never closes\nR3,more\n'),
        ("not a well-formed CSV file", "starting on line 3", "never closed"),
        InputFileError,
    ),
    "text after closing quote": Case(
        csv_file(f'reference,text\nR1,"{SECRET}" said no\n'),
        ("not a well-formed CSV file", "on line 2", "double quote twice"),
        InputFileError,
    ),
    "unquoted delimiter": Case(
        csv_file(f"reference,text\nR1,{SECRET}, then a comma\n"),
        ("line 2 (reference R1) has 3 cells", "header (line 1) has 2", "quote that text"),
        InputFileError,
    ),
    "wrong encoding given": Case(
        lambda tmp: {**csv_file(CP1252, encoding="cp1252")(tmp), "encoding": "utf-8"},
        ("not valid utf-8", "line 2", "--encoding cp1252"),
        InputFileError,
    ),
    "unknown encoding": Case(
        lambda tmp: {**csv_file(CP1252)(tmp), "encoding": "klingon"},
        ("unknown encoding 'klingon'",),
        InputFileError,
    ),
    "workbook named .csv": Case(
        raw_file("log.csv", xlsx_bytes), ("is a zip file", "rename it to .xlsx"), InputFileError
    ),
    "password-protected xlsx": Case(
        given_file("robust_password.xlsx"),
        ("password-protected", "remove the password"),
        InputFileError,
    ),
    "old .xls renamed .xlsx": Case(
        given_file("robust_old_format.xlsx"), ("old Excel .xls",), InputFileError
    ),
    ".xls extension": Case(
        raw_file("log.xls", lambda: b"\xd0\xcf\x11\xe0"),
        ("the old Excel format", "save a copy as .xlsx"),
        InputFileError,
    ),
    "CSV renamed .xlsx": Case(
        raw_file("log.xlsx", lambda: f"reference,text\nR1,{SECRET}\n".encode()),
        ("not an Excel workbook", "CSV file renamed"),
        InputFileError,
    ),
    "truncated xlsx": Case(
        raw_file("log.xlsx", lambda: xlsx_bytes()[:2000]), ("is damaged",), InputFileError
    ),
    "Word file renamed .xlsx": Case(
        raw_file("log.xlsx", word_zip),
        ("cannot open 'log.xlsx' as an Excel workbook",),
        InputFileError,
    ),
    "damaged sheet": Case(
        raw_file("log.xlsx", damaged_sheet), ("cannot read", "may be damaged"), InputFileError
    ),
    "missing sheet": Case(
        given_file("robust_title_rows.xlsx", sheet="Nope"),
        ("sheet 'Nope' not found", "sheets are: 'Complaints', 'Notes'"),
        InputFileError,
    ),
    "missing column": Case(
        named_text(csv_file(f"reference,summary\nR1,{SECRET}\n")),
        ("column 'text' not found", "columns are: reference, summary", "--text-column"),
        ColumnError,
    ),
    "column in other case": Case(
        named_text(csv_file(f"Reference,Text\nR1,{SECRET}\n")),
        ("column 'text' not found", "pass --text-column Text"),
        ColumnError,
    ),
    "column spelt differently": Case(
        lambda tmp: {
            **csv_file(f"Reference,Complaint Text\nR1,{SECRET}\n")(tmp),
            "text_column": "complaint_text",
        },
        ("column 'complaint_text' not found", 'pass --text-column "Complaint Text"'),
        ColumnError,
    ),
    "no header row, short texts": Case(
        named_text(csv_file(f"R1,{SECRET} rang twice and nobody came\nR2,another one\n")),
        ("column 'text' not found", "<column 2: ", "--header-row"),
        ColumnError,
    ),
    "no header row": Case(
        named_text(
            csv_file(
                f"R1,03/04/2023,{SECRET} rang the duty team four times and nobody called back\n"
                "R2,04/04/2023,short\n"
            )
        ),
        ("column 'text' not found", "<column 3: 65 characters that look like text", "--header-row"),
        ColumnError,
    ),
    "bad JSON line": Case(
        csv_file(f'{{"text": "{SECRET}"}}\n{{"text": {SECRET}}}\n', name="log.jsonl"),
        ("line 2 is not valid JSON",),
        InputFileError,
    ),
    "duplicate JSON key": Case(
        csv_file(f'{{"text": "{SECRET}", "text": "again"}}\n', name="log.jsonl"),
        ("line 1 has the key 'text' twice",),
        InputFileError,
    ),
    "JSON array, not lines": Case(
        csv_file(f'[{{"text": "{SECRET}"}}]\n', name="log.jsonl"),
        ("line 1 is a JSON list, not an object",),
        InputFileError,
    ),
    "output is the input": Case(output_case("<input>"), ("is the input file",), OutputError),
    "output folder missing": Case(
        output_case("nofolder/out.csv"), ("does not exist",), OutputError
    ),
    "output format unknown": Case(output_case("out.docx"), ("expected one of",), OutputError),
    "output is a folder": Case(
        output_case("out.csv", lambda p: p.mkdir()), ("is a folder",), OutputError
    ),
    "text too long for Excel": Case(
        lambda tmp: {
            **csv_file(f"reference,text\nR1,short\nR2,{SECRET} {'x' * 40_000}\n")(tmp),
            "out": tmp / "out.xlsx",
        },
        ("input row 3 (reference R2)", "40,013 characters", "limit of 32,767", ".csv or .jsonl"),
        OutputError,
    ),
    "model folder missing": Case(
        model_case(lambda tmp, _: tmp / "nomodel"), ("model folder", "not found"), ModelError
    ),
    "model meta corrupt": Case(model_case(corrupt_meta), ("corrupt",), ModelError),
    "model of another format": Case(model_case(other_format), ("format version 99",), ModelError),
    "model file swapped": Case(model_case(tampered), ("does not match the checksum",), ModelError),
    "not a model folder": Case(model_case(not_a_model), ("not a themes model folder",), ModelError),
    "model is a file": Case(model_case(model_is_file), ("is a file",), ModelError),
    "unknown label": Case(
        bad_label, ("assesment_review", "assessment_review"), LabelError, command="evaluate"
    ),
}


def build(case: Case, tmp: Path, small_model: Path) -> dict[str, Any]:
    if getattr(case.make, "needs_model", False):
        spec = case.make(tmp, small_model)  # type: ignore[call-arg]
    else:
        spec = case.make(tmp)
    spec.setdefault("out", tmp / "out.csv")
    spec.setdefault("model", small_model)
    return spec


def cli_args(case: Case, spec: dict[str, Any]) -> list[str]:
    args = [case.command, str(spec["input"])]
    if case.command == "tag":
        args += ["--out", str(spec["out"])]
    args += ["--model", str(spec["model"])]
    for key in ("encoding", "sheet", "text_column"):
        if key in spec:
            args += [f"--{key.replace('_', '-')}", spec[key]]
    return args


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_on_the_command_line(name: str, tmp_path: Path, small_model: Path) -> None:
    case = CASES[name]
    spec = build(case, tmp_path, small_model)
    result = runner.invoke(app, cli_args(case, spec))
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output and not isinstance(result.exception, ThemesError)
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    for fragment in case.fragments:
        assert fragment in lines[0], lines[0]
    assert SECRET not in output


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_in_the_library(name: str, tmp_path: Path, small_model: Path, model) -> None:
    from themes.registry import load_model
    from themes.training import evaluate_file

    case = CASES[name]
    spec = build(case, tmp_path, small_model)
    columns = Columns(text=spec.get("text_column", "text"))
    with pytest.raises(case.error) as caught:
        if spec["model"] != small_model:
            load_model(spec["model"])
        elif case.command == "evaluate":
            evaluate_file(model, spec["input"], columns=columns)
        else:
            options = TagOptions(
                columns=columns, encoding=spec.get("encoding"), sheet=spec.get("sheet")
            )
            tag_file(model, spec["input"], spec["out"], options)
    message = str(caught.value)
    assert "\n" not in message and SECRET not in message
    for fragment in case.fragments:
        assert fragment in message


def test_failed_run_leaves_the_old_output_alone(tmp_path: Path, model) -> None:
    source = tmp_path / "log.csv"
    source.write_text(f"reference,text\nR1,short\nR2,{'x' * 40_000}\n")
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"the previous report")
    with pytest.raises(OutputError):
        tag_file(model, source, out, TagOptions(chunk_rows=1))
    assert out.read_bytes() == b"the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "out.xlsx"]


def test_header_row_errors() -> None:
    with pytest.raises(InputFileError, match="--header-row 40 is past the end"):
        Table(DATA / "robust_title_rows.csv", header_row=40)
    with pytest.raises(InputFileError, match="row 2 of 'robust_title_rows.csv' is empty"):
        Table(DATA / "robust_title_rows.csv", header_row=2)
    with pytest.raises(InputFileError, match="rows are numbered from 1"):
        Table(DATA / "robust_title_rows.xlsx", header_row=0)


# --- reading what councils actually send ------------------------------------------


def test_title_rows_are_skipped_in_a_windows_csv() -> None:
    table = Table(DATA / "robust_title_rows.csv")
    assert (table.encoding, table.delimiter, table.header_row) == ("cp1252", ";", 3)
    frame = table.read()
    assert list(frame.columns) == ["reference", "date_received", "text", "outcome"]
    # The blank row in the middle is a row; the two at the end are Excel's leftovers.
    assert frame["reference"].tolist() == ["W1", "", "W2", "W3"]
    assert table.blank_rows_dropped == 2
    assert (
        frame.loc[0, "text"] == "\u201cWe\u2019re still waiting\u201d for the \u00a3150 allowance"
    )
    assert frame.loc[2, "text"] == "First line\r\nsecond line; with a semicolon"
    assert frame["date_received"].tolist() == ["03/04/2023", "", "1 April 2023", "45000"]
    assert frame.attrs["first_row"] == 4 and table.row_number(2) == 6


def test_title_rows_are_skipped_in_an_excel_export() -> None:
    table = Table(DATA / "robust_title_rows.xlsx")
    assert table.header_row == 3 and table.sheet == "Complaints"
    frame = table.read()
    assert frame["Reference"].tolist() == ["00123", "00124", None, "00125", "00126"]
    assert frame["Date received"].tolist() == [
        datetime(2023, 4, 3),
        "1 April 2023",
        None,
        45000,
        "03/04/2023",
    ]
    # A merged cell's value belongs to its anchor; the other cells of the merge stay empty.
    assert frame.loc[1, ["Text", "Outcome"]].tolist() == ["Merged across two cells", None]
    assert frame.loc[3, "Text"].startswith("=HYPERLINK(")
    assert table.blank_rows_dropped == 4
    assert Table(DATA / "robust_title_rows.xlsx", sheet="notes").columns == [
        "Notes",
        "for the board",
    ]
    assert Table(DATA / "robust_title_rows.xlsx", sheet="2").sheet == "Notes"


def test_header_row_can_be_given() -> None:
    table = Table(DATA / "robust_title_rows.csv", header_row=1)
    assert table.original_columns == ["Complaints log 2023/24", "", "", ""]
    assert table.columns == ["Complaints log 2023/24", "Column 2", "Column 3", "Column 4"]
    assert read_table(DATA / "robust_title_rows.xlsx", header_row=3).shape == (5, 6)


def test_a_header_with_one_name_is_not_passed_over(tmp_path: Path) -> None:
    letter = "I am writing to complain about the way my family has been treated. " * 4
    path = tmp_path / "log.csv"
    path.write_text(f"text,,\n{letter},R1,03/04/2023\nshort,R2,04/04/2023\n")
    table = Table(path)
    assert table.header_row == 1 and table.columns == ["text", "Column 2", "Column 3"]
    assert table.read()["Column 2"].tolist() == ["R1", "R2"]


def test_two_row_merged_header_is_flattened() -> None:
    table = Table(DATA / "robust_two_row_header.xlsx")
    assert table.columns == ["Reference", "Dates received", "Dates responded", "text"]
    assert table.header_row == 2
    assert table.read()["Reference"].tolist() == ["T1", "T2"]


@pytest.mark.parametrize(
    "encoding, prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("cp1252", b""),
        ("latin-1", b""),
        ("utf-16", b""),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    text = "caf\u00e9 \u00a3150 \u00bd" if encoding == "latin-1" else "caf\u00e9 \u00a3150 \u2019"
    extra = "\x81" if encoding == "latin-1" else ""  # a byte Windows-1252 leaves undefined
    path = tmp_path / "log.csv"
    path.write_bytes(prefix + f"reference,text\nR1,{text}{extra}\n".encode(encoding))
    assert read_table(path)["text"].tolist() == [text + extra]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed_even_with_other_delimiters_in_text(tmp_path, delimiter) -> None:
    rows = [["reference", "text", "team"]] + [
        [f"R{i}", f"called, twice; no answer\tat all | {i}", "Fostering"] for i in range(5)
    ]
    path = tmp_path / "log.csv"
    with path.open("w", newline="") as handle:
        import csv

        csv.writer(handle, delimiter=delimiter).writerows(rows)
    table = Table(path)
    assert table.delimiter == delimiter
    assert table.read()["text"].tolist() == [r[1] for r in rows[1:]]


def test_duplicate_and_blank_names_survive_tagging(tmp_path: Path, model) -> None:
    source = tmp_path / "dup.xlsx"
    write_xlsx(
        source, [["reference", "text", "text", None, "text (2)"], ["R1", "a", "b", "c", "d"]]
    )
    table = Table(source)
    assert table.columns == ["reference", "text", "text (3)", "Column 4", "text (2)"]
    out = tmp_path / "out.csv"
    tag_file(model, source, out)
    written = Table(out, header_row=1)
    # The input header exactly (duplicates and blanks included), then what tag adds.
    assert written.original_columns[:5] == ["reference", "text", "text", "", "text (2)"]
    assert set(SUGGESTION_COLUMNS) <= set(written.original_columns[5:])
    assert written.read().iloc[0, :5].tolist() == ["R1", "a", "b", "c", "d"]


def test_excel_escapes_are_decoded_from_shared_strings(tmp_path: Path) -> None:
    # What Excel itself writes for a literal "_x0041_" and for a carriage return.
    path = write_xlsx(
        tmp_path / "excel.xlsx",
        [["reference", "text"], ["R1", "_x005F_x0041_ kept"], ["R2", "one_x000D_two"]],
    )
    assert read_table(path)["text"].tolist() == ["_x0041_ kept", "one\rtwo"]


def test_blank_rows_are_kept_in_the_middle_and_dropped_at_the_end(tmp_path: Path) -> None:
    rows = [
        ["reference", "text"],
        ["R1", "a"],
        [None, None],
        ["R2", ""],
        [None, None],
        [None, None],
    ]
    csv_path = tmp_path / "log.csv"
    csv_path.write_text("reference,text\nR1,a\n\nR2,\n,\n\n")
    jsonl_path = tmp_path / "log.jsonl"
    jsonl_path.write_text(
        '{"reference": "R1", "text": "a"}\n{}\n{"reference": "R2", "text": ""}\n'
        '{"reference": null}\n\n{}\n'
    )
    for path in (csv_path, write_xlsx(tmp_path / "log.xlsx", rows), jsonl_path):
        table = Table(path)
        frame = table.read()
        refs = [r or "" for r in frame["reference"].tolist()]
        assert refs == ["R1", "", "R2"], path.name
        assert table.blank_rows_dropped == 2, path.name


def test_every_row_is_tagged_in_order_with_columns_unchanged(tmp_path: Path, small_model) -> None:
    out = tmp_path / "tagged.csv"
    source = DATA / "robust_title_rows.csv"
    result = runner.invoke(
        app, ["tag", str(source), "--out", str(out), "--model", str(small_model)]
    )
    assert result.exit_code == 0, result.output
    tagged = read_table(out)
    original = read_table(source)
    width = len(original.columns)
    assert list(tagged.columns)[:width] == list(original.columns)
    assert set(SUGGESTION_COLUMNS) <= set(tagged.columns[width:])
    assert tagged[list(original.columns)].equals(original)
    # The blank row and the row with no text are kept and flagged for review.
    assert tagged.loc[[1, 3], "needs_review"].tolist() == ["True", "True"]
    assert tagged.loc[[1, 3], "review_reason"].tolist() == ["no text", "no text"]
    assert "2 rows had no text" in result.output


def test_excel_round_trip_keeps_types_dates_and_text(tmp_path: Path, small_model) -> None:
    out = tmp_path / "tagged.xlsx"
    source = DATA / "robust_title_rows.xlsx"
    args = ["tag", str(source), "--out", str(out), "--model", str(small_model)]
    result = runner.invoke(app, [*args, "--text-column", "Text"])
    assert result.exit_code == 0, result.output
    original, tagged = read_table(source), read_table(out)
    for column in original.columns:
        assert tagged[column].tolist() == original[column].tolist(), column
    # Dates stay dates, numbers stored as text stay text, and the same day reads back.
    back_csv = tmp_path / "tagged.csv"
    tag_file(load_small(small_model), out, back_csv, TagOptions(columns=Columns(text="Text")))
    for before, after in zip(
        original["Date received"], read_table(back_csv)["Date received"], strict=True
    ):
        assert parse_date(before) == parse_date(after or None)
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def load_small(folder: Path) -> Any:
    from themes.registry import load_model

    return load_model(folder).model


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_very_long_texts_are_kept_whole(tmp_path: Path, model, suffix: str) -> None:
    long_text = ("Dear Sir, " + "my son's placement has broken down again, " * 12_000)[:500_000]
    source = tmp_path / f"log{suffix}"
    frame = pd.DataFrame({"reference": ["L1", "L2"], "text": [long_text, "short"]})
    with TableWriter(source, ["reference", "text"]) as writer:
        writer.write(frame)
    for out_suffix in (".csv", ".jsonl"):
        out = tmp_path / f"out{out_suffix}"
        assert tag_file(model, source, out).rows == 2
        assert read_table(out)["text"].tolist() == [long_text, "short"]


def test_the_longest_excel_cell_fits(tmp_path: Path, model) -> None:
    text = "\U0001f600" + "y" * 32_765  # the emoji counts twice, as in Excel
    source = tmp_path / "log.jsonl"
    source.write_text(json.dumps({"text": text}) + "\n")
    out = tmp_path / "out.xlsx"
    tag_file(model, source, out)
    assert read_table(out)["text"].tolist() == [text]


# --- safe to open, private by default ------------------------------------------------

RISKY = ["=1+1", "+44 7700 900123", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\r\n=cmd", " =1+1"]


def test_excel_output_never_holds_formulas(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    with TableWriter(out, ["=header", "text"]) as writer:
        writer.write(pd.DataFrame({"=header": ["x"] * len(RISKY), "text": RISKY}))
    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    cells = re.findall(r"<c [^>]*>", sheet)
    assert cells and all('t="inlineStr"' in c for c in cells)
    assert read_table(out)["text"].tolist() == RISKY
    full = load_workbook(out)  # Excel's own reading path: every cell is text
    assert all(cell.data_type == "s" for row in full.active.iter_rows() for cell in row)


def test_safe_csv_neutralises_formulas_but_not_numbers(tmp_path: Path) -> None:
    assert [neutralise_formula(v) for v in RISKY] == ["'" + v for v in RISKY]
    assert [neutralise_formula(v) for v in ["-5", "+44", "-1,000.50", "12%", "plain", ""]] == [
        "-5",
        "+44",
        "-1,000.50",
        "12%",
        "plain",
        "",
    ]
    out = tmp_path / "out.csv"
    with TableWriter(out, ["=header", "text"], safe_csv=True) as writer:
        writer.write(pd.DataFrame({"=header": ["-5"] * len(RISKY), "text": RISKY}))
    back = Table(out, header_row=1)
    assert back.original_columns == ["'=header", "text"]
    assert back.read()["text"].tolist() == ["'" + v for v in RISKY]


def test_safe_csv_through_the_command(tmp_path: Path, small_model: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text('reference,text\nR1,"=HYPERLINK(""http://x"")"\nR2,-5\n')
    out = tmp_path / "out.csv"
    args = ["tag", str(source), "--out", str(out), "--model", str(small_model), "--safe-csv"]
    assert runner.invoke(app, args).exit_code == 0
    assert read_table(out)["text"].tolist() == ['\'=HYPERLINK("http://x")', "-5"]


def test_no_text_in_what_the_command_prints(tmp_path: Path, small_model: Path) -> None:
    source = tmp_path / "log.csv"
    source.write_text(
        "reference,text\n" + "".join(f"R{i},{SECRET} rang about contact {i}\n" for i in range(30))
    )
    out = tmp_path / "out.xlsx"
    result = runner.invoke(
        app, ["tag", str(source), "--out", str(out), "--model", str(small_model)]
    )
    assert result.exit_code == 0 and "Tagged 30 rows" in result.output
    assert SECRET not in result.output
    if os.name == "posix":  # a new output holds complaint text: readable by its owner only
        assert out.stat().st_mode & 0o077 == 0


# --- round trips of arbitrary text ---------------------------------------------------

SPECIAL = st.sampled_from(
    [
        '"',
        "'",
        ",",
        ";",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "=",
        "+",
        "-",
        "@",
        "_x0041_",
        "_x005F_",
        "_x",
        "\x00",
        "\x01",
        "\x0b",
        "\x1f",
        "\x7f",
        "\x85",
        "\ufeff",
        "\u2028",
        "\ufffe",
        "\U0001f600",
        "\u00a3",
        "\u201c",
        " ",
        "\u00a0",
    ]  # fmt: skip
)
TEXT = st.lists(st.one_of(st.text(max_size=12), SPECIAL), max_size=10).map("".join)


def round_trip(tmp_path: Path, suffix: str, texts: list[str]) -> list[str]:
    path = tmp_path / f"rt{suffix}"
    frame = pd.DataFrame({"reference": [f"R{i}" for i in range(len(texts))], "text": texts})
    with TableWriter(path, ["reference", "text"]) as writer:
        writer.write(frame)
    table = Table(path)
    back = table.read()
    assert table.columns == ["reference", "text"]
    assert back["reference"].tolist() == frame["reference"].tolist()
    return ["" if v is None else v for v in back["text"].tolist()]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".xlsx"])
@settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
@example(texts=["=1+1", "_x0041_", "_x005F_x0041_", "a\r\nb\rc", "\x00\x01", '"quoted", ok;'])
@example(texts=["", "   ", "\t", "\ufeffbom first", "x" * 5000])
def test_any_text_survives_a_round_trip(tmp_path_factory, suffix: str, texts: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    assert round_trip(tmp, suffix, texts) == texts


@pytest.mark.parametrize("suffix", [".jsonl", ".xlsx"])
def test_lone_surrogates_from_json_survive(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"reference": "R1", "text": "half \\ud83d emoji"}\n')
    assert read_table(source)["text"].tolist() == ["half \ud83d emoji"]
    assert round_trip(tmp_path, suffix, ["half \ud83d emoji"]) == ["half \ud83d emoji"]
    # CSV is UTF-8, which cannot hold half a character: it becomes U+FFFD, never an error.
    assert round_trip(tmp_path, ".csv", ["half \ud83d emoji"]) == ["half \ufffd emoji"]


# --- an interrupted run ---------------------------------------------------------------

KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    import themes.flows.tag as tagger

    real = tagger.tag_file

    def slow(model, source, out, options=None, progress=None):
        options.chunk_rows = 50  # small chunks, slowed down, so the kill lands mid-write

        def step(rows):
            time.sleep(0.05)
            if progress is not None:
                progress(rows)

        return real(model, source, out, options, step)

    tagger.tag_file = slow
    from themes.cli import app

    sys.argv = ["themes", "tag", *sys.argv[1:]]
    app()
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_killed_run_leaves_output_untouched(tmp_path: Path, small_model: Path, suffix) -> None:
    source = tmp_path / "log.csv"
    pd.DataFrame(
        {"reference": [f"K{i}" for i in range(3000)], "text": ["no call back from SW"] * 3000}
    ).to_csv(source, index=False)
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"last year's tagged log")
    script = tmp_path / "run.py"
    script.write_text(KILLED_RUN)
    args = [
        sys.executable,
        str(script),
        str(source),
        "--out",
        str(out),
        "--model",
        str(small_model),
    ]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pattern = re.compile(rf"^\.out{re.escape(suffix)}\..+\.part$")
    try:
        deadline = time.monotonic() + 60
        parts: list[Path] = []
        while time.monotonic() < deadline and process.poll() is None:
            parts = [p for p in tmp_path.iterdir() if pattern.match(p.name)]
            if parts and parts[0].stat().st_size > 0:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # let a few chunks be written
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert parts, "the temporary file never appeared"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert out.read_bytes() == b"last year's tagged log"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    extra = [n for n in leftovers if n not in {"log.csv", out.name, "run.py"}]
    assert len(extra) == 1 and pattern.match(extra[0]), leftovers


# ---------------------------------------------------------------------------
# Issue 17 item 1 and issue 18 item 6, through tagging
# ---------------------------------------------------------------------------

LONGISH = "Nobody rang me back about the contact arrangements for my son"


def test_a_short_header_over_six_columns_tags_every_row(tmp_path: Path, model) -> None:
    source = tmp_path / "log.csv"
    rows = [f"C{i},{LONGISH} {i},2023-05-0{i},upheld,Fostering,Stage 1" for i in range(1, 6)]
    source.write_text("reference,text,,,,\n" + "\n".join(rows) + "\n")
    summary = tag_file(model, source, tmp_path / "out.csv")
    assert summary.rows == 5 and summary.header_row == 1
    assert read_table(tmp_path / "out.csv")["reference"].tolist() == [f"C{i}" for i in range(1, 6)]


def test_tagging_a_workbook_keeps_its_layout(tmp_path: Path, model) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Log 2024"
    ws["A1"] = "Brackenford Council: complaints log"
    ws.append([])
    ws.append(["Ref", "Dates", None, "Summary of Complaint"])
    ws.merge_cells("B3:C3")
    for i in range(1, 6):
        ws.append([f"R{i}", f"0{i}/05/2023", f"1{i}/05/2023", f"{LONGISH} {i}"])
    ws.column_dimensions["D"].width = 70
    wb.create_sheet("Notes").append(["for the board"])
    source = tmp_path / "log.xlsx"
    wb.save(source)
    out = tmp_path / "tagged.xlsx"
    options = TagOptions(columns=Columns(text="Summary of Complaint", id="Ref"))
    summary = tag_file(model, source, out, options)
    assert summary.rows == 5 and summary.header_row == 3
    assert any("row 3" in note and "--header-row" in note for note in summary.notes)
    back = load_workbook(out)
    assert back.sheetnames == ["Log 2024", "Notes"]
    sheet = back["Log 2024"]
    assert sheet["A1"].value == "Brackenford Council: complaints log"
    assert sheet.column_dimensions["D"].width == 70
    assert [sheet.cell(r, 1).value for r in range(4, 9)] == [f"R{i}" for i in range(1, 6)]
    added = [sheet.cell(3, c).value for c in range(5, sheet.max_column + 1)]
    assert added[:4] == ["kind", "themes", "category", "reviewed"]
    assert "suggested_kind" in added and "review_reason" in added
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")
