"""The officer's round trip on a council's own workbook (issue 18's "done when").

A council workbook (two title rows, Ref / Date Received / Summary of Complaint /
Outcome, a second Notes sheet) is tagged with no --text-column, corrected in the
cells and marked reviewed with several accepted marks (and one "maybe later") as an
officer would in Excel (openpyxl), retrained, and tagged again.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from conftest import RUNNER as runner
from themes.cli import app

TITLE_ROWS = 2
HEADER_ROW = TITLE_ROWS + 1
MARKS = ["yes", "Done", "\u2713", "x", " OK ", "checked", "Reviewed", "TRUE", "y", "\u2714"]
CORRECTED = 30


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture()
def council_workbook(tmp_path, corpus_train) -> Path:
    rows = corpus_train.iloc[400:520].reset_index(drop=True)
    book = openpyxl.Workbook()
    log = book.active
    log.title = "Complaints 2024-25"
    log["A1"] = "Children's Services complaints log 2024/25"
    log["A2"] = "OFFICIAL - SENSITIVE"
    log.append(["Ref", "Date Received", "Summary of Complaint", "Outcome"])
    for i, row in rows.iterrows():
        log.append([row["reference"], f"{(i % 28) + 1:02d}/05/2024", row["text"], "Upheld"])
    notes = book.create_sheet("Notes")
    notes["A1"] = "Outcome codes agreed with the service manager"
    path = tmp_path / "council_log.xlsx"
    book.save(path)
    return path


def _columns(sheet) -> dict[str, int]:
    return {str(cell.value): cell.column for cell in sheet[HEADER_ROW] if cell.value is not None}


def _correct(tagged: Path, edited: Path, truth) -> tuple[dict[str, tuple], int]:
    """Correct and mark 30 rows as an officer would; mark one more "maybe later"."""
    book = openpyxl.load_workbook(tagged)
    sheet = book.worksheets[0]
    col = _columns(sheet)
    corrected: dict[str, tuple] = {}
    rows = range(HEADER_ROW + 1, sheet.max_row + 1)

    def differs(r: int) -> bool:
        row = truth.loc[sheet.cell(r, col["Ref"]).value]
        given = (sheet.cell(r, col["category"]).value, sheet.cell(r, col["themes"]).value)
        return (row["category"] or None, row["themes"] or None) != given

    # Rows the model got wrong first (the ones an officer changes), then agreeing ones.
    order = sorted(rows, key=lambda r: not differs(r))
    for r in order[:CORRECTED]:
        ref = sheet.cell(r, col["Ref"]).value
        row = truth.loc[ref]
        sheet.cell(r, col["kind"]).value = row["kind"]
        sheet.cell(r, col["category"]).value = row["category"] or None
        sheet.cell(r, col["themes"]).value = row["themes"] or None
        sheet.cell(r, col["reviewed"]).value = MARKS[len(corrected) % len(MARKS)]
        corrected[ref] = (row["kind"], row["category"], frozenset(row["themes"].split(";")) - {""})
    maybe = order[CORRECTED]
    sheet.cell(maybe, col["reviewed"]).value = "maybe later"
    book.save(edited)
    return corrected, maybe


def test_officer_round_trip(tmp_path, registry, council_workbook, corpus_train):
    tagged = tmp_path / "review.xlsx"
    model = str(registry.active_path())
    result = runner.invoke(
        app, ["tag", str(council_workbook), "--out", str(tagged), "--model", model]
    )
    assert result.exit_code == 0, result.output
    note = _flat(result.stderr)
    assert "text column: 'Summary of Complaint'" in note and "'Ref'" in note

    truth = corpus_train.set_index("reference")
    edited = tmp_path / "review_checked.xlsx"
    corrected, maybe = _correct(tagged, edited, truth)
    maybe_ref = openpyxl.load_workbook(edited).worksheets[0].cell(maybe, 1).value

    # --strict-reviewed refuses the file, naming the mark's row and reference.
    strict = runner.invoke(
        app, ["retrain", str(edited), "--registry", str(registry.root), "--strict-reviewed"]
    )
    assert strict.exit_code == 2
    assert f"first at row {maybe}, reference {maybe_ref}" in _flat(strict.output)
    assert registry.active_name() == "default" and not (registry.root / "v001").exists()

    result = runner.invoke(app, ["retrain", str(edited), "--registry", str(registry.root)])
    assert result.exit_code == 0, result.output
    out, err = _flat(result.stdout), _flat(result.stderr)
    assert "text column: 'Summary of Complaint'" in err
    assert "1 row(s) with a mark in 'reviewed'" in err
    assert f"first at row {maybe}, reference {maybe_ref}" in err
    assert f"{CORRECTED} corrections: " in out and f"then all {CORRECTED} learnt" in out
    if registry.active_name() != "v001":  # the gate refused: make it active as an officer may
        assert "themes models use v001" in out
        use = runner.invoke(app, ["models", "use", "v001", "--registry", str(registry.root)])
        assert use.exit_code == 0, use.output
    changed = registry.root / "v001" / "changed_suggestions.csv"
    assert changed.exists()
    assert "Summary" not in changed.read_text()

    # Retagging the checked file: corrected rows come back as corrected.
    retagged = tmp_path / "retagged.xlsx"
    result = runner.invoke(
        app, ["tag", str(edited), "--out", str(retagged), "--model", str(registry.active_path())]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(retagged)
    assert book.sheetnames == ["Complaints 2024-25", "Notes"]
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "Children's Services complaints log 2024/25"
    assert sheet["A2"].value == "OFFICIAL - SENSITIVE"
    assert book["Notes"]["A1"].value == "Outcome codes agreed with the service manager"
    col = _columns(sheet)
    back = 0
    for r in range(HEADER_ROW + 1, sheet.max_row + 1):
        ref = sheet.cell(r, col["Ref"]).value
        if ref not in corrected:
            continue
        themes = sheet.cell(r, col["suggested_themes"]).value or ""
        suggestion = (
            sheet.cell(r, col["suggested_kind"]).value,
            sheet.cell(r, col["suggested_category"]).value or "",
            frozenset(themes.split(";")) - {""},
        )
        back += suggestion == corrected[ref]
    assert back >= 0.95 * CORRECTED, f"{back} of {CORRECTED} corrected rows came back"


LETTER = (
    "Dear Sir, the social worker has cancelled three visits and never returns my calls. "
    "The review meeting was moved without telling me."
)


def test_suggest_reads_word_letters_and_emails(tmp_path, small_model):
    from email.message import EmailMessage

    from docx import Document

    from themes.flows.letter import read_letter

    document = Document()
    for line in LETTER.split(". "):
        document.add_paragraph(line)
    docx = tmp_path / "letter.docx"
    document.save(docx)
    assert _flat(read_letter(docx)) == _flat(LETTER.replace(". ", "\n"))

    message = EmailMessage()
    message["Subject"] = "Complaint about my son's social worker"
    message["From"] = "parent@example.org"
    message.set_content(LETTER)
    eml = tmp_path / "complaint.eml"
    eml.write_bytes(bytes(message))
    text = read_letter(eml)
    assert text.startswith("Complaint about my son's social worker") and LETTER in text
    assert "parent@example.org" not in text

    for path in (docx, eml):
        result = runner.invoke(app, ["suggest", "--file", str(path), "--model", str(small_model)])
        assert result.exit_code == 0, result.output
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    result = runner.invoke(app, ["suggest", "--file", str(pdf), "--model", str(small_model)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert ".txt, .docx, .eml" in result.output
    fake = tmp_path / "old.docx"
    fake.write_bytes(b"not a zip at all")
    result = runner.invoke(app, ["suggest", "--file", str(fake), "--model", str(small_model)])
    assert result.exit_code == 2 and "not a Word .docx document" in result.output


def test_review_queue_finds_the_text_column(tmp_path, small_model, council_workbook):
    out = tmp_path / "queue.csv"
    result = runner.invoke(
        app, ["review-queue", str(council_workbook), "--out", str(out), "--model", str(small_model)]
    )
    assert result.exit_code == 0, result.output
    assert "text column: 'Summary of Complaint'" in _flat(result.stderr)
    book = openpyxl.load_workbook(council_workbook)
    sheet = book.worksheets[0]
    import pandas as pd

    queue = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(queue)
    for row, ref in zip(queue["source_row"], queue["Ref"], strict=True):
        assert sheet.cell(int(row), 1).value == ref  # the row as Excel numbers it
