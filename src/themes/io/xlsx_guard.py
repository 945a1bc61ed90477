"""Limits on .xlsx input, checked before openpyxl reads a byte of it, and uncached formulas.

An .xlsx file is a zip archive: a 100 KB file can hold a 1 GB part (a "zip bomb").
Before the workbook is opened every part's declared size is checked (Python's
zipfile never inflates a part past its declared size, and checks its CRC), so
memory stays bounded by ``MAX_PART_BYTES`` whatever the file claims:

* no part over 64 MB uncompressed (a log of 100,000 complaints is about 40 MB);
* no part over 1 MB that is compressed more than 200 times (real sheets compress
  5 to 20 times; a bomb thousands of times);
* no cell longer than Excel's own limit of 32,767 characters (checked as strings
  are read, see ``check_cell_length``).

It also finds formula cells that have no value saved with them (files written by
programs rather than Excel): openpyxl reads them as empty, so they are reported
by cell ("Sheet1!C7") instead.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from themes.errors import InputFileError
from themes.io.limits import XLSX_MAX_CELL_CHARS

MAX_PART_BYTES = 64 * 1024 * 1024
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
_FIX = "open it in Excel and save a copy, or check it is the file you meant"


def check_archive(path: Path) -> None:
    """Refuse an .xlsx whose parts are too large or too compressed (one-line error)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # opening it properly reports the damage
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise InputFileError(
                f"'{path.name}' holds a part ({info.filename}) of {info.file_size / 2**20:,.0f} MB "
                f"uncompressed, over the limit of {MAX_PART_BYTES // 2**20} MB per part; "
                f"it is not read (a damaged or hostile file?); {_FIX}"
            )
        if info.file_size > RATIO_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise InputFileError(
                    f"'{path.name}' holds a part ({info.filename}) compressed {ratio:,.0f} "
                    f"times, over the limit of {MAX_RATIO} (a zip bomb?); it is not read; {_FIX}"
                )


def check_cell_length(value: Any, path: Path, where: str) -> None:
    """Refuse a text longer than Excel allows in a cell (32,767 characters)."""
    if value.__class__ is str and len(value) > XLSX_MAX_CELL_CHARS:
        raise InputFileError(
            f"'{path.name}' has a cell ({where}) of {len(value):,} characters, over Excel's "
            f"limit of {XLSX_MAX_CELL_CHARS:,} per cell; Excel cannot have written it; {_FIX}"
        )


_FORMULA_CELL = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Za-z]{1,3}[0-9]{1,7})\"[^>]*?(?<!/)>"
    rb"\s*<(?:\w+:)?f\b(.*?)</(?:\w+:)?c>",
    re.DOTALL,
)


# A saved value: <v>text</v> with something in it (programs write an empty <v></v>).
_CACHED_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")


def uncached_formulas(archive: Any, part: str, limit: int = 5) -> tuple[int, list[str]]:
    """(count, first cells) of formula cells with no saved value in one sheet part.

    Read in blocks (flat memory); blocks without a formula are skipped quickly.
    """
    count = 0
    cells: list[str] = []
    try:
        with archive.open(part.lstrip("/")) as source:
            tail = b""
            for block in iter(lambda: source.read(1 << 20), b""):
                data = tail + block
                if b"<f" not in data and b":f" not in data:
                    tail = data[-4096:]
                    continue
                last = 0
                for match in _FORMULA_CELL.finditer(data):
                    last = match.end()
                    if not _CACHED_VALUE.search(match.group(2)):
                        count += 1
                        if len(cells) < limit:
                            cells.append(match.group(1).decode().upper())
                tail = data[max(last, len(data) - 4096) :]
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, zlib.error):
        return count, cells
    return count, cells
