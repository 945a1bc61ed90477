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
from themes.report.build import TABLE_TITLES
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


WIDE = 9
"""Tables with more columns than this go on a landscape page of their own."""


def _text_width(document: Any) -> float:
    section = document.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 914400


def _orient(document: Any, *, landscape: bool) -> None:
    """Start a new section, landscape or portrait, unless the last one already is."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    last = document.sections[-1]
    if (last.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    section = document.add_section(WD_SECTION.NEW_PAGE)
    width, height = last.page_width, last.page_height
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = height, width


def _placeholder(document: Any, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.italic = True


def _widths(table: Any, total: float) -> list[float]:
    """Column widths (inches) in proportion to each column's longest word, so no word breaks.

    A label column also wants room for its longest entry on about two lines.
    """
    wants = []
    for j, name in enumerate(table.columns):
        texts = [str(name), *(cell_text(v) for v in table.iloc[:, j])]
        longest_word = max(len(w) for t in texts for w in (t.split() or [""]))
        longest = max(len(t) for t in texts)
        text = j == 0 or not all(number_like(v) for v in table.iloc[:, j])
        wants.append(max(longest_word, min(longest / 2, 30) if text else 0, 3))
    scale = total / sum(wants)
    return [w * scale for w in wants]


def _table(document: Any, table: Any, width: float) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    columns = list(table.columns)
    size = Pt(9) if len(columns) <= 6 else Pt(7.5) if len(columns) <= 10 else Pt(6.5)
    grid = document.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.autofit = False
    widths = _widths(table, width)
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
    for _ in range(len(table)):
        grid.add_row()
    # LibreOffice reads the grid's column widths, Word the cells': set both.
    for j, column in enumerate(grid.columns):
        column.width = Inches(widths[j])
    for row in grid.rows:
        for j, cell in enumerate(row.cells):
            cell.width = Inches(widths[j])
    for i, values in enumerate(table.itertuples(index=False), start=1):
        cells = grid.rows[i].cells
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
    from docx.shared import Inches, Mm, Pt, RGBColor

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4, as councils print
    section.left_margin = section.right_margin = Inches(0.9)
    caption = document.styles["Caption"].font
    caption.size, caption.bold, caption.italic = Pt(9), False, True
    caption.color.rgb = RGBColor(0x40, 0x40, 0x40)
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
        _orient(document, landscape=len(table.columns) > WIDE)
        document.add_heading(title, 2)
        document.add_paragraph(report.captions[name], style="Caption")
        _table(document, table, _text_width(document))
        stem = chart_for.get(name)
        if stem in charts:
            document.add_picture(str(charts[stem]), width=Inches(6.2))
            document.paragraphs[-1].paragraph_format.space_before = Pt(10)
            document.add_paragraph(f"Chart: {CHARTS[stem][1]}.", style="Caption")

    _orient(document, landscape=False)
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
            title = TABLE_TITLES.get(name, name)
            document.add_paragraph(f"{title}: {reason}", style="List Bullet")
    document.save(str(path))
