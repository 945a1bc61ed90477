"""The officer's workbook written back as they left it, with new columns at the right.

For .xlsx input and .xlsx output, ``WorkbookWriter`` loads the input workbook whole
(so every sheet, sheet name, title row, column width, format and formula stays),
writes only the cells whose value changed (a redacted text, a pre-filled officer
cell) and the new columns to the right of the data, their header styled like the
input's last header cell, then freezes the header and turns the filter on. Text is
always written as text, never as a formula. It is used for inputs up to
``KEEP_LAYOUT_MAX_BYTES``; larger ones go through the streaming writer.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from copy import copy
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themes.errors import OutputError
from themes.io.atomic import AtomicFile
from themes.io.cells import cell_text
from themes.io.limits import XLSX_MAX_CELL_CHARS
from themes.io.messages import may_show, show_name

# About 20,000 rows of a typical log: openpyxl holds a whole workbook in memory.
KEEP_LAYOUT_MAX_BYTES = 3 * 1024 * 1024
NEW_COLUMN_WIDTH = 16
WIDE_COLUMNS = {"review_reason": 40, "suggested_themes": 30}


def _plain(value: Any) -> Any:
    """A frame value as openpyxl takes it: None for blanks, Python scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = (
            pd.Timestamp(value).to_pydatetime()
            if isinstance(value, np.datetime64)
            else value.item()
        )
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dict, list)):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def _same(old: Any, new: Any) -> bool:
    if old is None or old == "":
        return new is None or new == ""
    if isinstance(old, (datetime, date, time, timedelta)) or isinstance(new, str):
        return old == new or cell_text(old) == cell_text(new)
    return old == new


class WorkbookWriter:
    """Write a tagged or redacted copy of an .xlsx input, keeping its layout."""

    def __init__(
        self,
        source: Path,
        output: Path,
        *,
        sheet: str,
        header_row: int,
        width: int,
        header: Sequence[str],
        source_row: Callable[[int], int],
        original_rows: Iterator[Sequence[Any]],
        id_column: int | None = None,
    ) -> None:
        from openpyxl import load_workbook

        self.output = output
        self.header_row = header_row
        self.width = width
        self.header = [str(h) for h in header]
        self.source_row = source_row
        self.id_column = id_column
        self.rows_written = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._book = load_workbook(source)
        self._sheet = self._book[sheet]
        # The input's rows as they were read (values, not formulas), in step with the
        # rows written: a cell is written only where its value changed.
        self._original = original_rows
        self._file = AtomicFile(output, "wb")
        self._add_columns()

    def _add_columns(self) -> None:
        from openpyxl.utils import get_column_letter

        sheet = self._sheet
        styled = [
            sheet.cell(self.header_row, c)
            for c in range(self.width, 0, -1)
            if sheet.cell(self.header_row, c).has_style
        ]
        model = styled[0] if styled else None
        for offset, name in enumerate(self.header[self.width :], start=1):
            column = self.width + offset
            cell = sheet.cell(self.header_row, column)
            self._set(cell, name)
            if model is not None:
                cell.font = copy(model.font)
                cell.fill = copy(model.fill)
                cell.border = copy(model.border)
                cell.alignment = copy(model.alignment)
            letter = get_column_letter(column)
            sheet.column_dimensions[letter].width = WIDE_COLUMNS.get(name, NEW_COLUMN_WIDTH)

    def _set(self, cell: Any, value: Any) -> None:
        cell.value = value
        if isinstance(value, str):
            # openpyxl takes text starting with "=" for a formula: keep it text.
            cell.data_type = "s"

    def write(self, frame: pd.DataFrame) -> None:
        """Write the rows of ``frame`` (columns in the header's order) into the sheet."""
        rows = frame.to_numpy(dtype=object).tolist()
        for offset, values in enumerate(rows):
            position = self.rows_written + offset
            row = self.source_row(position)
            before = next(self._original, None) or ()
            for index, raw in enumerate(values):
                value = _plain(raw)
                if isinstance(value, str) and len(value) > XLSX_MAX_CELL_CHARS:
                    raise OutputError(
                        f"{self._describe(row, values)} has a text of {len(value):,} characters "
                        f"in column {show_name(self.header[index], index + 1)}, over Excel's "
                        f"limit of {XLSX_MAX_CELL_CHARS:,} per cell; write the output as .csv "
                        "or .jsonl, which keep it whole"
                    )
                column = index + 1
                if index < self.width:
                    old = before[index] if index < len(before) else None
                    if _same(_plain(old), value):
                        continue  # unchanged: the cell keeps its formula and format
                cell = self._sheet.cell(row, column)
                if cell.__class__.__name__ == "MergedCell":
                    continue
                self._set(cell, value)
        self.rows_written += len(rows)

    def _describe(self, row: int, values: Sequence[Any]) -> str:
        where = f"input row {row:,}"
        if self.id_column is not None:
            reference = cell_text(values[self.id_column]).strip()
            if reference and may_show(reference):
                where += f" (reference {reference})"
        return where

    def close(self) -> None:
        """Freeze the header, turn the filter on, and save atomically."""
        from openpyxl.utils import get_column_letter

        sheet = self._sheet
        last_column = max(len(self.header), self.width, 1)
        last_row = self.header_row + max(self.rows_written, 0)
        sheet.freeze_panes = sheet.cell(self.header_row + 1, 1)
        if not sheet.tables:
            sheet.auto_filter.ref = f"A{self.header_row}:{get_column_letter(last_column)}{last_row}"
        try:
            self._book.save(self._file.handle)
        except OSError as exc:
            self._file.abort()
            raise self._file.error(exc) from None
        except BaseException:
            self._file.abort()
            raise
        self._file.commit()

    def abort(self) -> None:
        """Leave the output as it was."""
        self._file.abort()

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
