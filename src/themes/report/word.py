"""report.docx: a Word document an officer edits and puts before councillors.

Built with python-docx: a title, contents, empty headed sections for the
officer's narrative (introduction, learning and actions, conclusion), every
table with its caption and base, the charts, and the notes on method and
suppression. Headings use Word's own styles, so Word's navigation pane and a
table of contents inserted later both find them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from themes.io import cell_text
from themes.report.charts import CHARTS
from themes.report.options import Report
from themes.report.writers import TOTAL_ROWS, number_like

_NARRATIVE = {
    "Introduction": (
        "[For the officer: the purpose of this report, the period it covers and the "
        "statutory framework (Children Act 1989 representations procedure).]"
    ),
    "Learning and actions": (
        "[For the officer: what the service learned from complaints this year and the "
        "actions taken or planned.]"
    ),
    "Conclusion": "[For the officer: the main messages for councillors.]",
}


def _placeholder(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True


def _table(document: Any, table: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    columns = list(table.columns)
    size = Pt(9) if len(columns) <= 6 else Pt(7.5) if len(columns) <= 10 else Pt(6.5)
    grid = document.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    for j, name in enumerate(columns):
        cell = grid.rows[0].cells[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold = True
        run.font.size = size
    # Repeat the header row on every page the table runs over.
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for values in table.itertuples(index=False):
        cells = grid.add_row().cells
        is_total = str(values[0]) in TOTAL_ROWS
        for j, value in enumerate(values):
            paragraph = cells[j].paragraphs[0]
            run = paragraph.add_run(cell_text(value))
            run.font.size = size
            run.bold = is_total
            if j > 0 and number_like(value):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def write_docx(
    report: Report, path: Path, charts: dict[str, Path], left_out: dict[str, str]
) -> None:
    from docx import Document
    from docx.shared import Inches

    document = Document()
    section = document.sections[0]
    section.left_margin = section.right_margin = Inches(0.9)
    document.add_heading(
        f"Children's social care complaints and compliments: annual report {report.year}", 0
    )
    document.add_paragraph(
        f"Figures for the financial year {report.year} (1 April to 31 March), with trends "
        f"from {report.years[0]}."
    )
    document.add_heading("Contents", 1)
    figures = [f"{n}. {report.titles[name]}" for n, name in enumerate(report.tables, start=1)]
    sections = [
        "Introduction",
        "The figures",
        *[f"    {title}" for title in figures],
        "Learning and actions",
        "Conclusion",
        "Notes on method and suppression",
    ]
    for entry in sections:
        document.add_paragraph(
            entry.strip(), style="List Bullet" if entry[0] != " " else "List Bullet 2"
        )

    document.add_heading("Introduction", 1)
    _placeholder(document, _NARRATIVE["Introduction"])

    document.add_heading("The figures", 1)
    chart_for = {table: stem for stem, (table, _) in CHARTS.items()}
    for title, (name, table) in zip(figures, report.tables.items(), strict=True):
        document.add_heading(title, 2)
        document.add_paragraph(report.captions[name], style="Caption")
        _table(document, table)
        stem = chart_for.get(name)
        if stem in charts:
            document.add_picture(str(charts[stem]), width=Inches(6.2))
            document.add_paragraph(f"Chart: {CHARTS[stem][1]}.", style="Caption")

    for heading in ("Learning and actions", "Conclusion"):
        document.add_heading(heading, 1)
        _placeholder(document, _NARRATIVE[heading])

    document.add_heading("Notes on method and suppression", 1)
    for note in report.notes:
        document.add_paragraph(note, style="List Bullet")
    for stem, why in left_out.items():
        document.add_paragraph(
            f"The chart {CHARTS[stem][1].lower()} is left out: {why}.", style="List Bullet"
        )
    if report.skipped:
        document.add_heading("Tables not produced", 2)
        for name, reason in report.skipped.items():
            document.add_paragraph(f"{name}: {reason}", style="List Bullet")
    document.save(str(path))
