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


# ---------------------------------------------------------------------------
# Header guessing never loses a row (issue 17, item 1)
# ---------------------------------------------------------------------------

LETTER = "Nobody rang me back about the contact arrangements for my son"


def _six_column_csv(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    rows = [f"C{i},{LETTER} ({i}),2023-05-0{i},upheld,Fostering,Stage {i}" for i in range(1, 4)]
    path.write_text("reference,text,,,,\n" + "\n".join(rows) + "\n")
    return path


def test_a_short_header_over_more_filled_columns_is_kept(tmp_path):
    table = Table(_six_column_csv(tmp_path))
    assert table.header_row == 1
    assert table.columns[:2] == ["reference", "text"]
    frame = table.read()
    assert frame["reference"].tolist() == ["C1", "C2", "C3"]
    assert table.header_note is None


def _merged_dates_xlsx(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Reference", "Dates", None, "Text"])
    ws.merge_cells("B1:C1")
    for i in range(1, 6):
        ws.append([f"R{i}", f"0{i}/05/2023", f"1{i}/05/2023", f"{LETTER} {i}"])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    return path


def test_dates_as_text_under_a_merged_header_are_data_not_a_second_header(tmp_path):
    table = Table(_merged_dates_xlsx(tmp_path))
    assert table.header_row == 1
    assert table.columns == ["Reference", "Dates", "Dates (2)", "Text"]
    assert table.read()["Reference"].tolist() == ["R1", "R2", "R3", "R4", "R5"]


def test_a_guessed_header_says_which_row_and_how_to_change_it():
    table = Table(DATA.parent / "data" / "robust_title_rows.csv")
    assert table.header_row == 3
    assert "row 3" in table.header_note and "--header-row" in table.header_note
    given = Table(DATA / "robust_title_rows.csv", header_row=3)
    assert given.header_note is None


def test_a_header_that_looks_like_data_is_said_to_be_guessed(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(f"N1,2023-05-01,{LETTER}\nN2,2023-05-02,{LETTER}\n")
    table = Table(path)
    note = table.header_note
    assert note and "row 1" in note and "--header-row" in note
    assert "N1" not in note and "2023" not in note and "Nobody" not in note


def test_read_options_are_validated_when_made():
    from themes.io import ReadOptions

    with pytest.raises(InputFileError, match="--header-row 0"):
        ReadOptions(header_row=0)
    with pytest.raises(InputFileError, match="unknown encoding"):
        ReadOptions(encoding="klingon-8")
    with pytest.raises(InputFileError, match="delimiter"):
        ReadOptions(delimiter="ab")
    assert ReadOptions(delimiter="semicolon").delimiter == ";"


def test_every_read_goes_through_read_options(tmp_path):
    from themes.io import ReadOptions

    path = _six_column_csv(tmp_path)
    options = ReadOptions(header_row=1)
    with options.open(path) as table:
        assert table.options is options
    assert read_table(path, options).shape == (3, 6)


# ---------------------------------------------------------------------------
# One atomic-write helper
# ---------------------------------------------------------------------------


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_atomic_file_is_private_and_removes_leftovers_of_killed_runs(tmp_path):
    import os
    import stat

    from themes.io.atomic import AtomicFile

    out = tmp_path / "tagged.csv"
    dead = tmp_path / f".tagged.csv.{_dead_pid()}.abcd.part"
    dead.write_text("complaint text left by a killed run")
    older = tmp_path / ".tagged.csv.x1y2z3.part"  # the name used before pids were added
    older.write_text("complaint text")
    alive = tmp_path / f".tagged.csv.{os.getppid()}.efgh.part"  # a run still going
    alive.write_text("in progress")
    other = tmp_path / f".other.csv.{_dead_pid()}.ijkl.part"  # another output's file
    other.write_text("not ours")
    with AtomicFile(out, "w", encoding="utf-8") as handle:
        handle.write("a,b\n")
    assert out.read_text() == "a,b\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not dead.exists() and not older.exists()
    assert alive.exists() and other.exists()


def test_atomic_file_leaves_the_old_output_when_writing_fails(tmp_path):
    from themes.io.atomic import AtomicFile

    out = tmp_path / "tagged.csv"
    out.write_text("last year's")
    with pytest.raises(RuntimeError), AtomicFile(out, "w", encoding="utf-8") as handle:
        handle.write("half")
        raise RuntimeError("interrupted")
    assert out.read_text() == "last year's"
    assert [p.name for p in tmp_path.iterdir()] == ["tagged.csv"]


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import errno
    import os

    from themes.io.atomic import AtomicFile

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "tagged.csv"
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as info, AtomicFile(out, "w", encoding="utf-8") as handle:
        handle.write("x")
    message = str(info.value)
    assert "\n" not in message and "No space left" in message and "--out" in message
    assert list(tmp_path.iterdir()) == []


def test_atomic_folder_swaps_a_whole_folder_or_nothing(tmp_path):
    from themes.io.atomic import atomic_folder

    report = tmp_path / "report"
    report.mkdir()
    (report / "old.md").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(report) as staging:
        (staging / "half.csv").write_text("x")
        raise RuntimeError("killed")
    assert [p.name for p in report.iterdir()] == ["old.md"]
    with atomic_folder(report) as staging:
        (staging / "report.md").write_text("new")
    assert [p.name for p in report.iterdir()] == ["report.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


# ---------------------------------------------------------------------------
# Limits on .xlsx input (issue 17, item 6) and uncached formulas (item 11)
# ---------------------------------------------------------------------------


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_MINIMAL_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
    "xl/worksheets/sheet1.xml": (
        f'<worksheet xmlns="{_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>R1</t></is></c>'
        '<c r="B2" t="s"><v>2</v></c></row></sheetData></worksheet>'
    ),
}


def _workbook_with_big_string(tmp_path: Path, size: int, name: str = "bomb.xlsx") -> Path:
    """A valid workbook whose cell B2 is a shared string of ``size`` letters."""
    import zipfile

    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, text in _MINIMAL_PARTS.items():
            zf.writestr(part, text)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                f'<sst xmlns="{_MAIN}" count="3" uniqueCount="3"><si><t>reference</t></si>'
                "<si><t>text</t></si><si><t>".encode()
            )
            block = b"a" * (1 << 20)
            left = size
            while left > 0:
                part.write(block[: min(left, len(block))])
                left -= len(block)
            part.write(b"</t></si></sst>")
    return path


def _peak_while(action) -> tuple[int, Exception | None]:
    import tracemalloc

    tracemalloc.start()
    error = None
    try:
        action()
    except Exception as exc:  # noqa: BLE001 - the error is what the test checks
        error = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, error


def test_an_oversized_part_is_refused_in_one_line_with_little_memory(tmp_path):
    path = _workbook_with_big_string(tmp_path, 65 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024  # a small file claiming a huge part
    peak, error = _peak_while(lambda: Table(path))
    assert isinstance(error, InputFileError)
    message = str(error)
    assert "\n" not in message and "64 MB" in message and "sharedStrings" in message
    assert peak < 8 * 1024 * 1024, peak


def test_a_part_compressed_too_far_is_refused(tmp_path):
    path = _workbook_with_big_string(tmp_path, 8 * 1024 * 1024)
    peak, error = _peak_while(lambda: Table(path))
    assert isinstance(error, InputFileError) and "compressed" in str(error)
    assert "200" in str(error)
    assert peak < 8 * 1024 * 1024, peak


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path):
    path = _workbook_with_big_string(tmp_path, 40_000)
    with pytest.raises(InputFileError, match=r"40,\d{3} characters, over Excel's limit of 32,767"):
        Table(path).read()


def test_a_formula_with_no_saved_value_is_named_not_silently_empty(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["reference", "text", "days"])
    for i in range(1, 7):
        ws.append([f"R{i}", f"{LETTER} {i}", 3])
    ws["C7"] = "=SUM(C2:C6)"
    path = tmp_path / "log.xlsx"
    wb.save(path)
    table = Table(path)
    assert any("Sheet1!C7" in note and "no saved value" in note for note in table.notes)
    clean = tmp_path / "clean.xlsx"
    ws["C7"] = 3
    wb.save(clean)
    assert Table(clean).notes == []


@pytest.mark.parametrize(
    ("lock", "real"), [("~$log.xlsx", "log.xlsx"), ("~$mplaints.xlsx", "complaints.xlsx")]
)
def test_excels_lock_file_names_the_workbook(tmp_path, lock, real):
    (tmp_path / real).write_bytes(b"PK\x03\x04")
    (tmp_path / lock).write_bytes(b"\x05owner" + b"\x00" * 160)
    with pytest.raises(InputFileError) as info:
        Table(tmp_path / lock)
    assert str(info.value) == (
        f"'{lock}' is Excel's lock file for {real} (the workbook is open in Excel); pass {real}"
    )


# ---------------------------------------------------------------------------
# Column detection (issue 18, item 1)
# ---------------------------------------------------------------------------

COMPLAINTS = [
    "My son has had four social workers this year and none of them returned my calls",
    "The contact arrangements were cancelled twice without anyone telling us why",
    "Nobody explained the outcome of the assessment and the letter arrived late",
    "The foster carer allowance was paid late again and we had to borrow money",
    "I asked for a copy of the plan three times and I am still waiting for it",
    "The review meeting went ahead without us although we had asked to attend",
]


def council_workbook(tmp_path: Path, **extra_columns) -> Path:
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Log 2024"
    ws["A1"] = "Brackenford Council: complaints log"
    ws.append([])
    header = ["Ref", "Date Received", "Team", "Summary of Complaint", "Outcome", *extra_columns]
    ws.append(header)
    for i, text in enumerate(COMPLAINTS):
        row = [f"CC-{100 + i}", datetime(2024, 4, 1 + i), "Fostering", text, "upheld"]
        row += [values[i] for values in extra_columns.values()]
        ws.append(row)
    path = tmp_path / "council.xlsx"
    wb.save(path)
    return path


def test_the_text_and_reference_columns_are_detected_and_explained(tmp_path):
    from themes.io import ReadOptions

    with ReadOptions().open(council_workbook(tmp_path)) as table:
        choice = table.choose_columns()
    assert (choice.text, choice.id) == ("Summary of Complaint", "Ref")
    assert choice.detected
    message = choice.message()
    assert "'Summary of Complaint'" in message and "longest free text" in message
    assert "'Ref'" in message and "\n" not in message
    assert not any(text[:20] in message for text in COMPLAINTS)


def test_a_usual_name_wins_over_an_unnamed_long_column(tmp_path):
    from themes.io import ReadOptions

    notes = [text.upper() for text in COMPLAINTS]  # as long, but no usual name
    path = council_workbook(tmp_path, **{"Officer log": notes})
    with ReadOptions().open(path) as table:
        assert table.choose_columns().text == "Summary of Complaint"


def test_two_close_text_columns_are_refused_with_both_listed(tmp_path):
    from themes.errors import ColumnError
    from themes.io import ReadOptions

    other = list(reversed(COMPLAINTS))
    path = council_workbook(tmp_path, **{"Details": other})
    with ReadOptions().open(path) as table, pytest.raises(ColumnError) as info:
        table.choose_columns()
    message = str(info.value)
    assert "'Summary of Complaint'" in message and "'Details'" in message
    assert "--text-column" in message
    assert not any(text[:20] in message for text in COMPLAINTS)


def test_a_given_or_named_text_column_is_used_as_it_is(tmp_path):
    from themes.errors import ColumnError
    from themes.io import ReadOptions

    path = council_workbook(tmp_path)
    with ReadOptions(text_column="Team").open(path) as table:
        choice = table.choose_columns()
    assert choice.text == "Team" and not choice.detected
    with ReadOptions(text_column="Summary").open(path) as table, pytest.raises(ColumnError):
        table.choose_columns()
    csv = tmp_path / "log.csv"
    csv.write_text("reference,text,notes\nR1,short,x\nR2,also short,y\n")
    with ReadOptions().open(csv) as table:
        assert (table.choose_columns().text, table.choose_columns().id) == ("text", "reference")


def test_two_reference_columns_with_equal_names_are_refused(tmp_path):
    from themes.errors import ColumnError
    from themes.io import ReadOptions

    refs = [f"X{i}" for i in range(len(COMPLAINTS))]
    path = council_workbook(tmp_path, **{"Reference": refs})
    with ReadOptions().open(path) as table, pytest.raises(ColumnError, match="'Ref'.*'Reference'"):
        table.choose_columns()
    with ReadOptions(id_column="Reference").open(path) as table:
        assert table.choose_columns().id == "Reference"


def test_a_headerless_file_never_shows_its_first_row_in_a_message(tmp_path):
    from themes.errors import ColumnError
    from themes.io import ReadOptions

    path = tmp_path / "log.csv"
    path.write_text(f"N1,2023-05-01,{COMPLAINTS[0]}\nN2,2023-05-02,{COMPLAINTS[1]}\n")
    for options in (ReadOptions(text_column="text"), ReadOptions(id_column="reference")):
        with options.open(path) as table, pytest.raises(ColumnError) as info:
            table.choose_columns()
        message = str(info.value)
        assert "N1" not in message and "2023" not in message and "social" not in message
        assert "look like cell contents" in message


# ---------------------------------------------------------------------------
# The officer's workbook comes back as they left it (issue 18, item 6)
# ---------------------------------------------------------------------------


def _styled_council_workbook(tmp_path: Path) -> Path:
    from openpyxl import load_workbook
    from openpyxl.styles import Font, PatternFill

    path = council_workbook(tmp_path)
    wb = load_workbook(path)
    ws = wb["Log 2024"]
    for cell in ws[3]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
    ws.column_dimensions["D"].width = 60
    for row in range(4, 10):
        ws.cell(row, 2).number_format = "dd mmm yyyy"
    ws["G4"] = "=LEN(D4)"  # a working formula in the officer's own column
    ws["G3"] = "Length"
    wb.create_sheet("Notes").append(["Notes for the board", "draft"])
    wb.save(path)
    return path


def _tag_like(table: Table, risky: str) -> tuple[list[str], list[pd.DataFrame]]:
    header = [*table.original_columns, "suggested_kind", "review_reason"]
    chunks = []
    for chunk in table.chunks(4):
        chunk = chunk.copy()
        chunk["suggested_kind"] = "complaint"
        chunk["review_reason"] = risky
        chunks.append(chunk)
    return header, chunks


def test_an_xlsx_output_keeps_the_inputs_sheets_layout_and_formats(tmp_path):
    from openpyxl import load_workbook

    from themes.io.stream import write_table

    source = _styled_council_workbook(tmp_path)
    out = tmp_path / "tagged.xlsx"
    with Table(source) as table:
        header, chunks = _tag_like(table, "=HYPERLINK(1)")
        result = write_table(table, out, header, chunks, id_column="Ref")
    assert result.layout_kept and result.rows == 6 and result.notes == []
    wb = load_workbook(out)
    assert wb.sheetnames == ["Log 2024", "Notes"]
    ws = wb["Log 2024"]
    assert ws["A1"].value == "Brackenford Council: complaints log"
    assert ws.column_dimensions["D"].width == 60
    assert ws["B4"].number_format == "dd mmm yyyy"
    assert ws["G4"].value == "=LEN(D4)"  # the officer's formula is kept
    assert [ws.cell(3, c).value for c in (8, 9)] == ["suggested_kind", "review_reason"]
    assert ws.cell(3, 8).font.b and ws.cell(3, 8).fill.fgColor.rgb == ws["A3"].fill.fgColor.rgb
    assert ws.cell(4, 9).value == "=HYPERLINK(1)" and ws.cell(4, 9).data_type == "s"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:I9"
    assert [ws.cell(r, 1).value for r in range(4, 10)] == [f"CC-{100 + i}" for i in range(6)]


def test_a_large_workbook_falls_back_to_the_streaming_writer_and_says_so(tmp_path):
    from openpyxl import load_workbook

    from themes.io.stream import write_table

    source = _styled_council_workbook(tmp_path)
    out = tmp_path / "tagged.xlsx"
    with Table(source) as table:
        header, chunks = _tag_like(table, "=HYPERLINK(1)")
        result = write_table(table, out, header, chunks, keep_layout_max_bytes=0)
    assert not result.layout_kept and "streaming writer" in result.notes[0]
    ws = load_workbook(out).active
    assert ws.cell(1, 9).value == "review_reason" and ws.cell(2, 9).data_type == "s"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I7"


def test_a_text_too_long_for_excel_names_the_input_row_and_reference(tmp_path):
    from themes.io.stream import write_table

    source = council_workbook(tmp_path)
    with Table(source) as table:
        header, chunks = _tag_like(table, "x" * 40_000)
        with pytest.raises(OutputError) as info:
            write_table(table, tmp_path / "out.xlsx", header, chunks, id_column="Ref")
        with pytest.raises(OutputError) as streamed:
            header, chunks = _tag_like(table, "x" * 40_000)
            write_table(
                table,
                tmp_path / "out.xlsx",
                header,
                chunks,
                id_column="Ref",
                keep_layout_max_bytes=0,
            )
    for error in (info.value, streamed.value):
        assert "input row 4 (reference CC-100)" in str(error)
        assert "'review_reason'" in str(error)
    assert not (tmp_path / "out.xlsx").exists()


# ---------------------------------------------------------------------------
# No cell contents in any io message (issue 17, item 2)
# ---------------------------------------------------------------------------

MARK = "Quillfeather"
SENTENCE = f"{MARK} rang the duty team four times and nobody called back"


def _xlsx(tmp_path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    path = tmp_path / "log.xlsx"
    wb.save(path)
    return path


def _text(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _choose(path: Path, **options: str) -> None:
    from themes.io import ReadOptions

    with ReadOptions(**options).open(path) as table:
        table.choose_columns()


MARKED_CASES = {
    "headerless csv, text column named": lambda tmp: _choose(
        _text(tmp, "a.csv", f"N1,2023-05-01,{SENTENCE}\nN2,2023-05-02,{SENTENCE}\n"),
        text_column="text",
    ),
    "headerless csv, nothing named": lambda tmp: _choose(
        _text(tmp, "a.csv", f"{MARK},{MARK}\n{MARK},{MARK}\n")
    ),
    "sentence as a header": lambda tmp: _choose(
        _text(tmp, "a.csv", f"ref,{SENTENCE}\nR1,short\n"), text_column="text"
    ),
    "two long text columns named by sentences": lambda tmp: _choose(
        _text(tmp, "a.csv", f"{SENTENCE},{SENTENCE} again\n{SENTENCE},{SENTENCE}\n")
    ),
    "extra cells on a csv line": lambda tmp: read_table(
        _text(tmp, "a.csv", f"reference,text\nR1,{SENTENCE},{MARK}\n")
    ),
    "unclosed quote": lambda tmp: read_table(
        _text(tmp, "a.csv", f'reference,text\nR1,"{SENTENCE}\nR2,{MARK}\n')
    ),
    "wrong encoding": lambda tmp: read_table(
        _text(tmp, "a.csv", f"reference,text\nR1,{SENTENCE} £5\n", "cp1252"), encoding="utf-8"
    ),
    "duplicate json key": lambda tmp: read_table(
        _text(tmp, "a.jsonl", f'{{"{SENTENCE}": 1, "{SENTENCE}": 2}}\n')
    ),
    "bad json line": lambda tmp: read_table(_text(tmp, "a.jsonl", f'{{"text": {MARK}}}\n')),
    "value in an unnamed xlsx column": lambda tmp: read_table(
        _xlsx(tmp, [["reference", "text"], *[["R", "t"]] * 1000, ["R9", "t", SENTENCE]])
    ),
    "text too long for excel": lambda tmp: _write_long(tmp),
}


def _write_long(tmp_path: Path) -> None:
    with TableWriter(tmp_path / "out.xlsx", [SENTENCE, "text"]) as writer:
        writer.write(pd.DataFrame({SENTENCE: ["R1"], "text": [SENTENCE * 1000]}))


@pytest.mark.parametrize("case", sorted(MARKED_CASES))
def test_no_io_message_quotes_a_cell(tmp_path, case):
    from themes.errors import ThemesError

    with pytest.raises(ThemesError) as info:
        MARKED_CASES[case](tmp_path)
    message = str(info.value)
    assert MARK not in message, message
    assert "\n" not in message


def test_may_show_is_the_one_policy_for_names():
    from themes.io.messages import may_show, show_columns

    assert may_show("Summary of Complaint") and may_show("Ref") and may_show("CC-104")
    assert not may_show(SENTENCE) and not may_show("a\nb") and not may_show("x" * 41)
    assert not may_show("He rang. Nobody came")
    assert show_columns(["N1", "2023-05-01", SENTENCE]) == (
        "3 columns whose names look like cell contents (not shown)"
    )


def test_reading_a_huge_cell_leaves_the_csv_module_as_it_was(tmp_path):
    import csv

    before = csv.field_size_limit()
    path = tmp_path / "log.csv"
    path.write_text("reference,text\nR1," + "word " * 60_000 + "\n")
    frame = read_table(path)
    assert len(frame.loc[0, "text"]) == 300_000
    assert csv.field_size_limit() == before


def test_a_two_cell_title_above_the_header_is_still_skipped(tmp_path):
    path = tmp_path / "log.csv"
    rows = [f"C{i},2023-05-0{i},{LETTER},upheld" for i in range(1, 4)]
    path.write_text(
        "Brackenford Council,Complaints 2024,,\n,,,\nreference,received,text,outcome\n"
        + "\n".join(rows)
        + "\n"
    )
    table = Table(path)
    assert table.header_row == 3 and table.columns[0] == "reference"
    assert table.read()["reference"].tolist() == ["C1", "C2", "C3"]
    assert "row 3" in table.header_note
