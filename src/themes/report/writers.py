"""The report as files: tables/*.csv, report.json, report.md and report.xlsx.

Each writer writes one file into a folder it is given (the temporary folder
``themes.report.output`` later moves into place).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from themes.io import TableWriter, cell_text
from themes.report.charts import CHARTS
from themes.report.headline import suppress_headline
from themes.report.options import ALL_COMPLAINTS, ALL_COMPLIMENTS, SECONDARY_MARK, TOTAL, Report

TOTAL_ROWS = (TOTAL, ALL_COMPLAINTS, ALL_COMPLIMENTS)
_NUMBER_LIKE = re.compile(rf"<\d+|{re.escape(SECONDARY_MARK)}|")


def number_like(value: Any) -> bool:
    """A count, a percentage or a suppression mark: right-aligned in tables."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and _NUMBER_LIKE.fullmatch(value) is not None


def headline_json(report: Report) -> dict[str, Any]:
    """report.json's content: exact counts, or with suppression, small counts as null."""
    if report.suppress_below:
        return suppress_headline(report.headline, report.suppress_below)
    return report.headline


def write_json(report: Report, path: Path) -> None:
    path.write_text(
        json.dumps(headline_json(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_csv(table: pd.DataFrame, path: Path) -> None:
    with TableWriter(path, [str(c) for c in table.columns], safe_csv=True) as writer:
        writer.write(table)


def _markdown_cell(value: Any) -> str:
    return cell_text(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(table: pd.DataFrame) -> str:
    header = [_markdown_cell(c) for c in table.columns]
    numeric = [
        i > 0 and all(number_like(v) for v in table.iloc[:, i]) for i in range(table.shape[1])
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if right else "---" for right in numeric) + "|",
    ]
    for row in table.itertuples(index=False):
        cells = [_markdown_cell(v) for v in row]
        if cells and cells[0] in TOTAL_ROWS:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_markdown(
    report: Report, path: Path, charts: dict[str, Path], left_out: dict[str, str]
) -> None:
    out = [
        f"# Children's social care complaints and compliments: annual report tables {report.year}",
        "",
        f"Figures for the financial year {report.year} (1 April to 31 March), with trends "
        f"from {report.years[0]}.",
        "",
        "## About these figures",
        "",
        *[f"- {note}" for note in report.notes],
        *[f"- The chart {CHARTS[s][1].lower()} is left out: {why}." for s, why in left_out.items()],
        "",
    ]
    chart_for = {table: stem for stem, (table, _) in CHARTS.items()}
    for number, (name, table) in enumerate(report.tables.items(), start=1):
        out += [
            f"## {number}. {report.titles[name]}",
            "",
            f"*{report.captions[name]}*",
            "",
            markdown_table(table),
            "",
        ]
        stem = chart_for.get(name)
        if stem and stem in charts:
            out += [f"![{CHARTS[stem][1]}](charts/{charts[stem].name})", ""]
    if report.skipped:
        out += ["## Tables not produced", ""]
        out += [f"- {name}: {reason}" for name, reason in report.skipped.items()]
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def _put(sheet: Any, row: int, column: int, value: Any) -> Any:
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a live formula, whatever a team is called
    return cell


def write_xlsx(report: Report, path: Path, charts: dict[str, Path]) -> None:
    """A Contents sheet (captions, notes), then a sheet per table: title, caption, table, chart."""
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    _put(contents, 1, 1, f"Annual report tables {report.year}").font = Font(bold=True, size=14)
    for j, text in enumerate(("Sheet", "Table", "Caption"), start=1):
        _put(contents, 3, j, text).font = bold
    row = 4
    for name in report.tables:
        _put(contents, row, 1, name)
        _put(contents, row, 2, report.titles[name])
        _put(contents, row, 3, report.captions[name])
        row += 1
    row += 1
    _put(contents, row, 1, "Notes").font = bold
    for note in report.notes:
        row += 1
        _put(contents, row, 1, note)
    if report.skipped:
        row += 2
        _put(contents, row, 1, "Tables not produced").font = bold
        for name, reason in report.skipped.items():
            row += 1
            _put(contents, row, 1, name)
            _put(contents, row, 2, reason)
    contents.column_dimensions["A"].width = 26
    contents.column_dimensions["B"].width = 40
    contents.column_dimensions["C"].width = 100
    contents.freeze_panes = "A4"

    chart_for = {table: stem for stem, (table, _) in CHARTS.items()}
    for name, table in report.tables.items():
        sheet = book.create_sheet(name[:31])
        _put(sheet, 1, 1, report.titles[name]).font = Font(bold=True, size=13)
        _put(sheet, 2, 1, report.captions[name]).font = Font(italic=True)
        top = 4  # the table's header row
        for j, column in enumerate(table.columns, start=1):
            cell = _put(sheet, top, j, str(column))
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, values in enumerate(table.itertuples(index=False), start=top + 1):
            is_total = str(values[0]) in TOTAL_ROWS
            for j, value in enumerate(values, start=1):
                cell = _put(sheet, i, j, value)
                if is_total:
                    cell.font = bold
                if number_like(value):
                    cell.alignment = Alignment(horizontal="right")
        for j, column in enumerate(table.columns, start=1):
            width = max([len(str(column)), *(len(cell_text(v)) for v in table.iloc[:, j - 1])])
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = f"B{top + 1}"
        stem = chart_for.get(name)
        if stem in charts:
            image = Image(str(charts[stem]))
            image.width, image.height = image.width * 0.35, image.height * 0.35
            sheet.add_image(image, f"A{top + len(table) + 3}")
    book.save(path)
