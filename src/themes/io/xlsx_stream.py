"""A one-sheet .xlsx written row by row straight into a file; text never becomes a formula."""

from __future__ import annotations

import contextlib
import json
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from themes.io.limits import XLSX_MAX_CELL_CHARS

# OOXML writes characters that XML cannot hold as _xHHHH_, and a literal "_x" that
# would read as such an escape with its underscore escaped (_x005F_).
_XLSX_ESCAPE = re.compile(
    r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\r\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)


def _xlsx_length(value: str) -> int:
    # Excel counts UTF-16 code units: an emoji counts twice.
    if len(value) <= XLSX_MAX_CELL_CHARS // 2:
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def _escape_xlsx(value: str) -> str:
    if _XLSX_ESCAPE.search(value):
        value = _XLSX_ESCAPE.sub(
            lambda m: "_x005F_" if m.group(0) == "_" else f"_x{ord(m.group(0)):04X}_", value
        )
    return value


class CellTooLong(Exception):
    def __init__(self, column: int, length: int) -> None:
        self.column = column
        self.length = length


_XLSX_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_XLSX_NS}" xmlns:r="{_REL_NS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Styles: 0 general, 1 date, 2 date and time, 3 time, 4 duration, 5 bold header.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_XLSX_NS}">'
        '<numFmts count="4">'
        '<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
        '<numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm:ss"/>'
        '<numFmt numFmtId="166" formatCode="hh:mm:ss"/>'
        '<numFmt numFmtId="167" formatCode="[h]:mm:ss"/>'
        "</numFmts>"
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="6">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{_XLSX_NS}" xmlns:r="{_REL_NS}">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews><sheetData>"
)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class XlsxStream:
    """A one-sheet .xlsx written straight into an open binary file, row by row.

    openpyxl's write-only mode keeps the sheet in a temporary file elsewhere (in the
    system temp folder) until saving: a killed run would leave complaint text there.
    This writer has no other file: the zip entry is compressed as rows arrive.
    Every text cell is an inline string, so nothing can become a formula.
    """

    def __init__(self, handle: Any, columns: list[str]) -> None:
        from openpyxl.utils import get_column_letter

        self._zip = zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        for name, text in _XLSX_PARTS.items():
            self._zip.writestr(name, text)
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._letters = [get_column_letter(i) for i in range(1, max(len(columns), 1) + 1)]
        self._pending: list[str] = [_SHEET_HEAD]
        self._row = 0
        self._append(columns, header=True)

    def append(self, values: Sequence[Any]) -> None:
        self._append(values, header=False)

    def _append(self, values: Sequence[Any], header: bool) -> None:
        self._row += 1
        row = self._row
        parts = [f'<row r="{row}">']
        for index, value in enumerate(values):
            try:
                cell = self._cell(value, f"{self._letters[index]}{row}", header)
            except CellTooLong as exc:
                exc.column = index
                raise
            if cell is not None:
                parts.append(cell)
        parts.append("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= 500:
            self.flush()

    def _cell(self, value: Any, ref: str, header: bool) -> str | None:
        from openpyxl.utils.datetime import to_excel

        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, np.generic):
            # numpy datetimes become datetimes (.item() would give nanoseconds as an int)
            value = pd.Timestamp(value) if isinstance(value, np.datetime64) else value.item()
            if value is pd.NaT:
                return None
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, int):
            if abs(value) < 10**15:
                return f'<c r="{ref}"><v>{value}</v></c>'
            value = str(value)  # Excel keeps 15 digits: a longer number stays exact as text
        elif isinstance(value, float):
            if math.isnan(value):
                return None
            if not math.isinf(value):
                return f'<c r="{ref}"><v>{value!r}</v></c>'
            value = str(value)
        elif isinstance(value, (datetime, date, time, timedelta)):
            style, serial = _excel_serial(value, to_excel)
            if style:
                return f'<c r="{ref}" s="{style}"><v>{serial!r}</v></c>'
            value = value.isoformat() if not isinstance(value, timedelta) else str(value)
        elif isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False, default=str)
        elif not isinstance(value, str):
            value = str(value)
        if value == "":
            return None
        length = _xlsx_length(value)
        if length > XLSX_MAX_CELL_CHARS:
            raise CellTooLong(0, length)
        style = ' s="5"' if header else ""
        text = _xml_text(_escape_xlsx(value))
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    def flush(self) -> None:
        if self._pending:
            self._sheet.write("".join(self._pending).encode("utf-8"))
            self._pending = []

    def close(self) -> None:
        # A filter on the header row over every row written, as Excel's Ctrl+Shift+L.
        last = f"{self._letters[-1]}{max(self._row, 1)}"
        self._pending.append(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>')
        self.flush()
        self._sheet.close()
        self._zip.close()

    def discard(self) -> None:
        """Close without caring what is written: the file is about to be deleted."""
        self._pending = []
        for part in (self._sheet, self._zip):
            with contextlib.suppress(Exception):
                part.close()


def _excel_serial(value: Any, to_excel: Callable[[Any], float]) -> tuple[int, float]:
    """(style, serial) for a date, time or duration; style 0 when Excel cannot hold it."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            return 0, 0.0
        return 4, value.total_seconds() / 86400
    if isinstance(value, time):
        if value.tzinfo is not None:
            return 0, 0.0
        return 3, to_excel(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.replace(tzinfo=None)  # Excel has no time zones: keep the wall time
        if not 1900 <= value.year <= 9999:
            return 0, 0.0
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        serial = to_excel(value)
        return (1 if midnight else 2), (int(serial) if midnight else serial)
    if not 1900 <= value.year <= 9999:
        return 0, 0.0
    return 1, int(to_excel(value))
