"""Reading Excel .xlsx files with openpyxl's read-only mode, cells kept as native values."""

from __future__ import annotations

import contextlib
import itertools
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from themes.errors import InputFileError
from themes.io.cells import is_blank_cell, is_blank_row, last_filled, unique_names
from themes.io.columns import reference_of, reference_position
from themes.io.detect import OLE2_SIGNATURE, ZIP_SIGNATURES, ole2_kind
from themes.io.header import (
    fill_merged,
    find_header_index,
    has_sub_header,
    header_note,
    join_labels,
    merged_ranges,
)
from themes.io.limits import HEADER_SCAN_ROWS, WIDTH_LOOKAHEAD_ROWS, XLSX_MAX_CELL_CHARS
from themes.io.messages import may_show, show_name
from themes.io.rows import RowCounts, batches
from themes.io.xlsx_guard import check_archive, check_cell_length, uncached_formulas

_XLSX_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _unescape_xlsx(value: str) -> str:
    """Decode OOXML's _xHHHH_ escapes (control characters, and _x005F_ for "_")."""
    if "_x" not in value:
        return value
    value = _XLSX_UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    if _SURROGATES.search(value):
        # A pair escaped as two halves (_xD83D__xDE00_) is one character again.
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return value


def _open_workbook(path: Path) -> Any:
    """openpyxl's read-only workbook, but with shared strings read without loss.

    openpyxl strips every "x005F_" from shared strings, which turns Excel's escape of a
    literal "_x0041_" into "A" once the escapes are decoded; reading them raw lets
    ``_unescape_xlsx`` decode every escape exactly once, as Excel does.
    """
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    class _RawStringsReader(ExcelReader):  # type: ignore[misc]
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is None:
                return
            tag = f"{{{SHEET_MAIN_NS}}}si"
            strings: list[str] = []
            with self.archive.open(part.PartName[1:]) as source:
                for _, node in iterparse(source):
                    if node.tag == tag:
                        text = Text.from_tree(node).content
                        check_cell_length(text, path, f"shared string {len(strings) + 1}")
                        strings.append(text)
                        node.clear()
            self.shared_strings = strings

    reader = _RawStringsReader(path, read_only=True, data_only=True)
    try:
        reader.read()
    except BaseException:
        with contextlib.suppress(Exception):
            reader.archive.close()
        raise
    return reader.wb


def _pull(rows: Iterator[Any], count: int) -> list[Any]:
    """Up to ``count`` rows from openpyxl with its warnings (styles, extensions) muted.

    Those warnings are noise to a complaints officer; the filter is set only while
    openpyxl runs, never across a ``yield``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(itertools.islice(rows, count))


def _xlsx_row(row: Sequence[Any]) -> list[Any]:
    return [_unescape_xlsx(v) if v.__class__ is str and "_x" in v else v for v in row]


class XlsxSource:
    def __init__(self, path: Path, sheet: str | None, header_row: int | None) -> None:
        self.path = path
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(OLE2_SIGNATURE):
            if ole2_kind(path) == "password-protected":
                raise InputFileError(
                    f"'{path.name}' is password-protected (encrypted), so it cannot be read; "
                    "open it in Excel, remove the password (File > Info > Protect Workbook) "
                    "and save a copy as .xlsx"
                )
            raise InputFileError(
                f"'{path.name}' is an old Excel .xls file (or another Office file) renamed "
                ".xlsx; open it in Excel and save a copy as Excel Workbook (.xlsx)"
            )
        if not head.startswith(ZIP_SIGNATURES):
            looks_text = b"\x00" not in head and head[:1].isascii()
            kind = "it looks like text: a CSV file renamed .xlsx?" if looks_text else "corrupt?"
            raise InputFileError(
                f"'{path.name}' is not an Excel workbook ({kind}); if it is CSV, rename it to "
                ".csv; otherwise open it in Excel and save a copy as .xlsx"
            )
        check_archive(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.workbook = _open_workbook(path)
        except (MemoryError, PermissionError, InputFileError):
            raise
        except zipfile.BadZipFile:
            raise InputFileError(
                f"'{path.name}' is damaged (its zip structure is incomplete: a copy cut short?); "
                "open it in Excel to repair it, or copy it again"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any failure of openpyxl on a bad file
            raise InputFileError(
                f"cannot open '{path.name}' as an Excel workbook ({type(exc).__name__}): it may "
                "be corrupt, password-protected, or another kind of zip file (Word, "
                "OpenDocument); open it in Excel and save a copy as .xlsx without a password"
            ) from None
        try:
            self._setup(sheet, header_row)
        except (InputFileError, MemoryError):
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl failing on a damaged sheet
            self.close()
            raise InputFileError(
                f"cannot read the first rows of '{path.name}' ({type(exc).__name__}): the file "
                "may be damaged; open it in Excel and save a copy as .xlsx"
            ) from None
        except BaseException:
            self.close()
            raise

    def _setup(self, sheet: str | None, header_row: int | None) -> None:
        worksheets = list(self.workbook.worksheets)
        names = [ws.title for ws in worksheets]
        if not worksheets:
            raise InputFileError(f"'{self.path.name}' has no worksheets")
        chosen = self._choose_sheet(worksheets, names, sheet)
        # Files written by some programs declare a wrong used range; openpyxl would
        # then cut rows or columns off, so the declared size is ignored.
        chosen.reset_dimensions()
        self.sheet = chosen
        self.sheet_name = chosen.title
        self.formula_note = self._formula_note(chosen)
        self.sheet_shown = show_name(chosen.title, names.index(chosen.title) + 1, "sheet")
        where = f"sheet {self.sheet_shown} of '{self.path.name}'"
        rows = self._raw_rows()
        limit = max(HEADER_SCAN_ROWS, header_row or 0)
        top = [_xlsx_row(r) for r in _pull(rows, limit)]
        if len(top) < limit and all(is_blank_row(r) for r in top):
            others = [n for n in names if n != chosen.title]
            listed = ", ".join(show_name(n, names.index(n) + 1, "sheet") for n in others)
            hint = f"; pass --sheet with one of: {listed}" if others else ""
            raise InputFileError(f"{where} is empty; expected a header row and data{hint}")
        index = find_header_index(top, header_row, where)
        header = list(top[index])
        first = next((i for i, r in enumerate(top) if not is_blank_row(r)), index)
        rows_used = 1
        if any(is_blank_cell(v) for v in header):
            # Only a header with gaps can hold merged cells: scan the sheet for them.
            merges = merged_ranges(chosen)
            header = fill_merged(header, index + 1, top, merges)
            if header_row is None and has_sub_header(index + 1, top, merges):
                lower = fill_merged(list(top[index + 1]), index + 2, top, merges)
                header = [join_labels(a, b) for a, b in itertools.zip_longest(header, lower)]
                index += 1
                rows_used = 2
        # Data in columns with no name is kept (as a column with a blank name) when it
        # shows up in the first rows; later, it is an error rather than a silent loss.
        data_rows = top[index + 1 :]
        data_rows += _pull(rows, max(0, WIDTH_LOOKAHEAD_ROWS - len(data_rows)))
        self.width = max([last_filled(header), *(last_filled(r) for r in data_rows)])
        header = header[: self.width] + [None] * (self.width - len(header))
        # With a two-row header, index is its second row: data starts below it.
        self.header_index = index
        self.header_row = index + 1
        self.note = header_note(
            row=index + 1,
            first_row=first + 1,
            rows_used=rows_used,
            cells=header,
            given=header_row is not None,
        )
        self.original_columns = ["" if is_blank_cell(v) else str(v) for v in header]
        self.columns = unique_names(header)
        self._reference = reference_position(self.columns)
        if not self.columns:
            raise InputFileError(f"{where} has no columns")

    def _formula_note(self, sheet: Any) -> str | None:
        """A note naming formula cells that have no saved value (read as empty)."""
        part = getattr(sheet, "_worksheet_path", None)
        archive = getattr(self.workbook, "_archive", None)
        if not part or archive is None:
            return None
        count, cells = uncached_formulas(archive, part)
        if not count:
            return None
        prefix = f"{sheet.title}!" if may_show(sheet.title) else ""
        named = ", ".join(f"{prefix}{c}" for c in cells)
        more = f" and {count - len(cells)} more" if count > len(cells) else ""
        return (
            f"{count} formula cell{'s' if count != 1 else ''} of '{self.path.name}' "
            f"({named}{more}) {'have' if count != 1 else 'has'} no saved value and "
            "read as empty; open the file in Excel and save it, so the values are saved"
        )

    def _choose_sheet(self, worksheets: list[Any], names: list[str], sheet: str | None) -> Any:
        if sheet is None:
            return worksheets[0]
        if sheet in names:
            return worksheets[names.index(sheet)]
        folded = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        if len(folded) == 1:
            return worksheets[names.index(folded[0])]
        if sheet.isdigit() and 1 <= int(sheet) <= len(worksheets):
            return worksheets[int(sheet) - 1]
        raise InputFileError(
            f"sheet '{sheet}' not found in '{self.path.name}'; sheets are: "
            f"{', '.join(show_name(n, i, 'sheet') for i, n in enumerate(names, start=1))}; "
            "pass --sheet with one of those names (or its number, 1 for the first)"
        )

    def _raw_rows(self) -> Iterator[Any]:
        return iter(self.sheet.iter_rows(values_only=True))

    def rows(self) -> Iterator[list[Any]]:
        from openpyxl.utils import get_column_letter

        width = self.width
        raw = self._raw_rows()
        row_number = 0
        try:
            skipped = _pull(raw, self.header_index + 1)
            row_number = len(skipped)
            while True:
                block = _pull(raw, 1000)
                if not block:
                    return
                for values in block:
                    row_number += 1
                    row = _xlsx_row(values)
                    for index, value in enumerate(row):
                        if value.__class__ is str and len(value) > XLSX_MAX_CELL_CHARS:
                            cell = f"{get_column_letter(index + 1)}{row_number}"
                            check_cell_length(value, self.path, cell)
                    count = len(row)
                    if count < width:
                        row.extend([None] * (width - count))
                    elif count > width:
                        extra = [i for i, v in enumerate(row[width:]) if not is_blank_cell(v)]
                        if extra:
                            column = get_column_letter(width + extra[0] + 1)
                            raise InputFileError(
                                f"row {row_number}{reference_of(row, self._reference)} of "
                                f"sheet {self.sheet_shown} in "
                                f"'{self.path.name}' has a value in column {column}, which has "
                                f"no name in the header (row {self.header_row}); name the "
                                "column in the header row, or delete it, and run again"
                            )
                        del row[width:]
                    yield row
        except (InputFileError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl failing on a damaged sheet
            raise InputFileError(
                f"cannot read sheet {self.sheet_shown} of '{self.path.name}' after row "
                f"{row_number} ({type(exc).__name__}): the file may be damaged; open it in "
                "Excel and save a copy as .xlsx"
            ) from None

    def chunks(self, chunksize: int, counts: RowCounts) -> Iterator[pd.DataFrame]:
        yield from batches(self.rows(), self.columns, chunksize, None, is_blank_row, object, counts)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.workbook.close()
