"""Which row is the header, and header cells filled from merged ranges."""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any

from themes.errors import InputFileError
from themes.io.cells import is_blank_cell, is_blank_row, is_text_cell
from themes.io.limits import MAX_NAME_CHARS
from themes.io.messages import is_label


def find_header_index(rows: Sequence[Sequence[Any]], header_row: int | None, where: str) -> int:
    """Which of the top ``rows`` is the header (0-based).

    With ``header_row`` (1-based) that row. Otherwise the first non-empty row when it
    is a plausible header (two or more distinct short names, see ``plausible_header``),
    unless a blank row and then a fuller row of names follow it before any data.
    Otherwise (a title row above the header, a file without a header) the first row
    with at least two text cells and at least half as many as the fullest of these
    rows; else the first row with two text cells; else the first non-empty row. A row
    holding a cell longer than a column name can be is data: neither it nor any row
    below is the header.
    """
    if header_row is not None:
        if header_row < 1:
            raise InputFileError(
                f"--header-row {header_row} is not a row number; rows are numbered from 1"
            )
        if header_row > len(rows):
            raise InputFileError(
                f"{where} has {len(rows)} rows, so --header-row {header_row} is past the end; "
                "give the number of the row holding the column names"
            )
        if is_blank_row(rows[header_row - 1]):
            raise InputFileError(
                f"row {header_row} of {where} is empty; --header-row must name the row "
                "holding the column names"
            )
        return header_row - 1
    first = next((i for i, row in enumerate(rows) if not is_blank_row(row)), None)
    if first is not None and plausible_header(rows[first]):
        # A first row of short distinct names is the header, however many columns
        # of data are unnamed: guessing it away would lose a row and read the real
        # header as data. Only a fuller row of names below it, after a blank row and
        # before any data (a two-cell title such as "Council | Complaints 2024" over
        # a blank row and the header), takes its place.
        return _fuller_names_below(rows, first)
    # A cell longer than any column name (a complaint's text) means the data has
    # begun: neither that row nor any below it can be the header. So a header with a
    # single name is not passed over for a row of data.
    data_from = next(
        (
            index
            for index, row in enumerate(rows)
            if any(isinstance(v, str) and len(v) > MAX_NAME_CHARS for v in row)
        ),
        len(rows),
    )
    text_counts = [
        sum(is_text_cell(v) for v in row) if index < data_from else 0
        for index, row in enumerate(rows)
    ]
    filled = [sum(not is_blank_cell(v) for v in row) for row in rows]
    widest = max(filled, default=0)
    for index, count in enumerate(text_counts):
        if count >= 2 and 2 * count >= widest:
            return index
    for index, count in enumerate(text_counts):
        if count >= 2:
            return index
    for index, count in enumerate(filled):
        if count:
            return index
    raise InputFileError(
        f"{where} has no header row: its first {len(rows)} rows are empty; expected column "
        "names above the data; pass --header-row with the number of the header row"
    )


def merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of every merged range of a read-only sheet.

    openpyxl's read-only mode does not read merges, so the sheet XML is scanned for
    <mergeCell ref="A1:C1"/> in blocks (flat memory). Best effort: [] on any surprise.
    """
    from openpyxl.utils.cell import coordinate_to_tuple

    part = getattr(sheet, "_worksheet_path", None)
    archive = getattr(getattr(sheet, "parent", None), "_archive", None)
    if not part or archive is None:
        return []
    pattern = re.compile(
        rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+\d+)(?::([A-Za-z]+\d+))?\""
    )
    found: list[tuple[int, int, int, int]] = []
    try:
        with archive.open(part.lstrip("/")) as source:
            tail = b""
            for block in iter(lambda: source.read(1 << 20), b""):
                data = tail + block
                last = 0
                for match in pattern.finditer(data):
                    start, end = match.group(1), match.group(2) or match.group(1)
                    first = coordinate_to_tuple(start.decode().upper())
                    second = coordinate_to_tuple(end.decode().upper())
                    found.append((first[0], first[1], second[0], second[1]))
                    last = match.end()
                tail = data[max(last, len(data) - 512) :]
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, zlib.error):
        return []
    return found


def _fuller_names_below(rows: Sequence[Sequence[Any]], first: int) -> int:
    """The row of names to use when ``first`` is a plausible header (see above)."""
    best, width = first, _filled(rows[first])
    gap = False  # a title is set apart from the header by a blank row
    for index in range(first + 1, len(rows)):
        row = rows[index]
        if is_blank_row(row):
            gap = True
            continue
        if not plausible_header(row):
            break  # data has begun
        if gap and _filled(row) > width:
            best, width = index, _filled(row)
    return best


def _filled(row: Sequence[Any]) -> int:
    return sum(not is_blank_cell(v) for v in row)


def plausible_header(row: Sequence[Any]) -> bool:
    """A row that can only be a header: two or more distinct labels and nothing else.

    Labels are short names (``is_label``): not dates, numbers or sentences. A title
    row ("Complaints log 2023/24") has one cell and is not a plausible header.
    """
    filled = [v for v in row if not is_blank_cell(v)]
    if len(filled) < 2 or not all(is_label(v) for v in filled):
        return False
    names = [str(v).strip().casefold() for v in filled]
    return len(set(names)) == len(names)


def fill_merged(
    header: list[Any],
    row_number: int,
    top: list[list[Any]],
    merges: list[tuple[int, int, int, int]],
) -> list[Any]:
    """Cells of a merged range in a header row take the merge's label.

    openpyxl gives the label to the range's first cell only; a header "Date" merged
    over two columns becomes "Date", "Date" (made "Date", "Date (2)" inside).
    """
    filled = list(header)
    for min_row, min_col, max_row, max_col in merges:
        if not min_row <= row_number <= max_row or min_row - 1 >= len(top):
            continue
        anchor_row = top[min_row - 1]
        label = anchor_row[min_col - 1] if min_col - 1 < len(anchor_row) else None
        if is_blank_cell(label):
            continue
        if len(filled) < max_col:
            filled.extend([None] * (max_col - len(filled)))
        for col in range(min_col, max_col + 1):
            if is_blank_cell(filled[col - 1]):
                filled[col - 1] = label
    return filled


def has_sub_header(
    row_number: int, top: list[list[Any]], merges: list[tuple[int, int, int, int]]
) -> bool:
    """True when a label merged across columns ends on the header row with names under it.

    That is a two-row header ("Dates" over "received" and "responded").
    """
    if row_number >= len(top):
        return False
    below = top[row_number]
    for min_row, min_col, max_row, max_col in merges:
        spans = max_row == row_number and max_col > min_col and min_row <= row_number
        under = [v for v in below[min_col - 1 : max_col] if not is_blank_cell(v)]
        # Sub-headings are names ("received", "responded"); dates or numbers typed
        # as text under the merge are the first row of data.
        if spans and under and all(is_label(v) for v in under) and _no_data(below):
            return True
    return False


def _no_data(row: Sequence[Any]) -> bool:
    """No cell of ``row`` is a value (date, number) or a text too long to be a name."""
    return all(is_blank_cell(v) or is_label(v) for v in row)


def join_labels(upper: Any, lower: Any) -> Any:
    if is_blank_cell(upper):
        return lower
    if is_blank_cell(lower) or str(lower) == str(upper):
        return upper
    return f"{upper} {lower}"


def header_note(
    *, row: int, first_row: int, rows_used: int, cells: Sequence[Any], given: bool
) -> str | None:
    """What to tell the user when the header row was guessed (None when it was not).

    Says which row was used and how to choose another (--header-row); never quotes
    a cell.
    """
    if given:
        return None
    fix = "pass --header-row N if the column names are on another row"
    if rows_used == 2:
        return (
            f"used rows {row - 1} and {row} as a two-row header (a label merged over "
            f"columns); {fix}"
        )
    if row != first_row:
        return f"used row {row} as the header (the rows above it look like a title); {fix}"
    if not all(is_blank_cell(v) or is_label(v) for v in cells):
        return (
            f"used row {row} as the header although some of its cells look like data "
            "(dates, numbers or long text): does the file have a header row? add one, or "
            "pass --header-row N"
        )
    return None
