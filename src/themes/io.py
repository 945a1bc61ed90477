"""Reading and writing complaint logs: CSV (any common encoding), Excel .xlsx and JSON lines.

Reading keeps every cell as it was, so that ``tag`` and ``redact`` can write every
input column back unchanged:

* CSV cells are text, exactly as in the file ("" when empty): numbers and dates
  stay as written ("00123", "03/04/2023", "45000"). The encoding is detected
  (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252, Latin-1) unless
  given, and the delimiter is sniffed (comma, semicolon, tab, pipe) unless given.
  The file must be well-formed: an unclosed quote or a quote followed by more
  text is reported with its line number rather than guessed at, because guessing
  silently merges rows.
* Excel cells keep their native values (text, numbers, dates as datetimes,
  booleans); text escaped by Excel as ``_xHHHH_`` is decoded. Only the anchor
  (top-left) cell of a merged range holds its value; the other cells of a merge
  stay empty. Formulas give the value Excel last calculated.
* JSON lines: one object per line; blank lines are not records; columns are the
  keys in order of first appearance.

The header is the first row that looks like one (at least two text cells, and
at least half as many as the widest of the first rows, above any row holding a
long text), so a title such as "Complaints log 2023/24" and blank rows above the
real header are skipped; pass ``header_row`` to choose it. In Excel, header cells
of a merged range take its label, and a label merged across columns above a row
of sub-headings makes a two-row header ("Dates received", "Dates responded").
Rows above the header are not data and are not read. Column names are made
unique and non-blank for use inside the program ("text (2)", "Column 4");
``Table.original_columns`` keeps the header exactly as in the file for writing
it back.

Rows: every data row is read, in file order, including rows that are entirely
empty in the middle of the data. Rows at the very end of the data in which
every cell is empty (spreadsheets leave them behind) are dropped; this is the
same for CSV, Excel and JSON lines and ``Table.blank_rows_dropped`` counts them.

Writing goes to a temporary file ``.NAME.XXXX.part`` beside the output that is
renamed over it only when complete, so an interrupted run never leaves a
half-written or damaged output, and Excel output never contains a formula.
Error messages name files, lines, rows and columns, never cell contents.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import json
import math
import os
import re
import stat
import tempfile
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themes.errors import InputFileError, OutputError, describe_name

READ_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
WRITE_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl"}
# Formats people try that we cannot read, with what to do instead.
_OTHER_FORMATS = {
    ".xls": "the old Excel format",
    ".xlsb": "Excel's binary format",
    ".ods": "an OpenDocument spreadsheet",
    ".numbers": "a Numbers spreadsheet",
    ".json": "a JSON file (not JSON lines)",
}
# Encodings tried in order when none is given: Excel's "CSV UTF-8" (BOM), plain
# UTF-8, then Windows-1252 (Excel's default "CSV" on English Windows), then Latin-1,
# which decodes any byte sequence and so always succeeds.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_SNIFF_BYTES = 256 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}
# How many rows from the top are searched for the header, and the longest text that
# can be a column name there.
_HEADER_SCAN_ROWS = 30
_MAX_NAME_CHARS = 150
# Excel data rows looked at to find unnamed columns that hold data.
_WIDTH_LOOKAHEAD_ROWS = 1000
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Excel's own limits.
XLSX_MAX_CELL_CHARS = 32_767
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
# Excel treats these leading characters as the start of a formula (with the
# full-width forms that some locales accept too).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?%?")
# OOXML writes characters that XML cannot hold as _xHHHH_, and a literal "_x" that
# would read as such an escape with its underscore escaped (_x005F_).
_XLSX_ESCAPE = re.compile(
    r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\r\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)
_XLSX_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _replace_unencodable(exc: UnicodeError) -> tuple[bytes, int]:
    """UTF-8 error handler: a lone surrogate (only JSON can carry one) becomes U+FFFD.

    Returned as bytes: CPython's UTF-8 encoder takes only ASCII text from a handler.
    """
    if not isinstance(exc, UnicodeEncodeError):  # pragma: no cover - only used for encoding
        raise exc
    return "\ufffd".encode() * (exc.end - exc.start), exc.end


codecs.register_error("themes.replace", _replace_unencodable)


@dataclass(frozen=True)
class TableInfo:
    """What was learnt about an input file while opening it."""

    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    columns: tuple[str, ...] = ()
    header_row: int | None = None
    sheet: str | None = None


def file_format(path: Path, *, for_writing: bool = False) -> str:
    """The format named by a file's extension, or a clear error."""
    formats = WRITE_FORMATS if for_writing else READ_FORMATS
    suffix = path.suffix.lower()
    fmt = formats.get(suffix)
    if fmt is None:
        expected = ", ".join(sorted(formats))
        found = path.suffix or "no extension"
        what = "output" if for_writing else "input"
        if suffix in _OTHER_FORMATS and not for_writing:
            fix = "open it in Excel and save a copy as .xlsx (Excel Workbook) or CSV"
            found = f"{found}, {_OTHER_FORMATS[suffix]}"
        elif for_writing:
            fix = "give --out a name ending in .csv, .xlsx or .jsonl"
        else:
            fix = "rename the file or save it from Excel as .xlsx or .csv"
        raise (OutputError if for_writing else InputFileError)(
            f"{what} file '{path.name}' has {found}; expected one of {expected}; {fix}"
        )
    return fmt


def detect_encoding(path: Path, sample: bytes | None = None) -> str:
    """The first of UTF-8 (with or without BOM), Windows-1252, Latin-1 that decodes the file.

    A UTF-16 byte-order mark (Excel's "Unicode Text") gives "utf-16".
    """
    data = sample if sample is not None else path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in _ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"  # pragma: no cover - latin-1 decodes everything


def _detect_encoding_streaming(path: Path) -> str:
    """Like detect_encoding but reads the file in blocks (flat memory on big files)."""
    with path.open("rb") as handle:
        if handle.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    candidates = list(_ENCODINGS)
    decoders = {enc: codecs.getincrementaldecoder(enc)() for enc in candidates}
    with path.open("rb") as handle:
        while len(candidates) > 1:
            block = handle.read(1 << 20)
            final = not block
            for enc in list(candidates):
                try:
                    decoders[enc].decode(block, final=final)
                except UnicodeDecodeError:
                    candidates.remove(enc)
            if final:
                break
    return candidates[0] if candidates else "latin-1"


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The line holding the first byte that ``encoding`` cannot decode (for messages)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block[: max(exc.start, 0)].count(b"\n")
            line += block.count(b"\n")
    return None


def _sniff_delimiter(text: str, suffix: str, truncated: bool = False) -> str:
    """The delimiter that splits the first rows into the most consistent number of cells.

    Each candidate parses up to 50 rows; the winner gives several cells per row in
    (nearly) every row. A title row or a text full of commas does not fool it the way
    counting characters does. Ties go to the comma.
    """
    if suffix == ".tsv":
        return "\t"
    best, best_key = ",", (False, 0.0, 0)
    for candidate in _DELIMITERS:
        try:
            records = list(itertools.islice(csv.reader(io.StringIO(text), delimiter=candidate), 51))
        except csv.Error:
            continue
        if truncated and len(records) > 1:
            records = records[:-1]  # the last one may be cut short by the sample
        counts = [len(r) for r in records if any(cell.strip() for cell in r)]
        if not counts:
            continue
        mode, hits = Counter(counts).most_common(1)[0]
        key = (mode > 1, round(hits / len(counts), 2), mode)
        if key > best_key:
            best, best_key = candidate, key
    # When no candidate splits rows into several cells the file has one column (or
    # none): the comma, as Excel would write it.
    return best if best_key[0] else ","


def _normal_delimiter(delimiter: str) -> str:
    value = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
    if len(value) != 1 or value in '"\r\n':
        raise InputFileError(
            f"delimiter {delimiter!r} cannot be used; expected one character such as "
            "',', ';', '|' or 'tab'"
        )
    return value


def _unique_names(names: Sequence[Any]) -> list[str]:
    """Column labels made unique and non-blank for internal use ("Column 3", "ref (2)").

    Runs of whitespace (a line break typed in an Excel header, say) become one space.
    """
    labels: list[str] = []
    for position, name in enumerate(names, start=1):
        if name is None or (isinstance(name, float) and math.isnan(name)):
            label = ""
        else:
            label = " ".join(str(name).replace("\ufeff", "").split())
        labels.append(label or f"Column {position}")
    taken = set(labels)
    seen: set[str] = set()
    result: list[str] = []
    for label in labels:
        if label in seen:
            number = 2
            while f"{label} ({number})" in taken:
                number += 1
            label = f"{label} ({number})"
            taken.add(label)
        seen.add(label)
        result.append(label)
    return result


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"input file '{path}' not found; check the path and try again")
    if path.is_dir():
        raise InputFileError(f"'{path}' is a folder; expected a .csv, .xlsx or .jsonl file")
    if not os.access(path, os.R_OK):
        raise InputFileError(
            f"input file '{path.name}' cannot be read (permission denied); check who may read it"
        )
    if path.stat().st_size == 0:
        raise InputFileError(f"input file '{path.name}' is empty; expected a header row and data")


def _is_blank_cell(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    return isinstance(value, float) and math.isnan(value)


def _is_blank_row(row: Sequence[Any]) -> bool:
    return all(_is_blank_cell(v) for v in row)


def _is_text_cell(value: Any) -> bool:
    """A header-like cell: text that is not a number (dates and numbers are data)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and not _NUMBER_TEXT.fullmatch(text)


def _header_index(rows: Sequence[Sequence[Any]], header_row: int | None, where: str) -> int:
    """Which of the top ``rows`` is the header (0-based).

    With ``header_row`` (1-based) that row. Otherwise the first row with at least two
    text cells and at least half as many as the fullest of these rows; else the first
    row with two text cells; else the first non-empty row. A row holding a cell longer
    than a column name can be is data: neither it nor any row below is the header.
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
        if _is_blank_row(rows[header_row - 1]):
            raise InputFileError(
                f"row {header_row} of {where} is empty; --header-row must name the row "
                "holding the column names"
            )
        return header_row - 1
    # A cell longer than any column name (a complaint's text) means the data has
    # begun: neither that row nor any below it can be the header. So a header with a
    # single name is not passed over for a row of data.
    data_from = next(
        (
            index
            for index, row in enumerate(rows)
            if any(isinstance(v, str) and len(v) > _MAX_NAME_CHARS for v in row)
        ),
        len(rows),
    )
    text_counts = [
        sum(_is_text_cell(v) for v in row) if index < data_from else 0
        for index, row in enumerate(rows)
    ]
    filled = [sum(not _is_blank_cell(v) for v in row) for row in rows]
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


@dataclass
class _Counts:
    rows: int = 0
    blank_dropped: int = 0


def _batches(
    rows: Iterator[list[Any]],
    columns: list[str],
    chunksize: int,
    blank: Any,
    is_blank: Callable[[list[Any]], bool],
    dtype: Any,
    counts: _Counts,
) -> Iterator[pd.DataFrame]:
    """Rows as DataFrames of at most ``chunksize``; blank rows kept unless nothing follows them.

    Blank rows are only counted while waiting (a sheet can end in a million formatted
    empty rows) and written out once a row with content follows.
    """
    if chunksize < 1:
        raise ValueError("chunksize must be at least 1")
    width = len(columns)
    batch: list[list[Any]] = []
    waiting = 0
    counts.rows = counts.blank_dropped = 0
    for row in rows:
        if is_blank(row):
            waiting += 1
            continue
        while waiting:
            batch.append([blank] * width)
            waiting -= 1
            if len(batch) >= chunksize:
                counts.rows += len(batch)
                yield pd.DataFrame(batch, columns=columns, dtype=dtype)
                batch = []
        batch.append(row)
        if len(batch) >= chunksize:
            counts.rows += len(batch)
            yield pd.DataFrame(batch, columns=columns, dtype=dtype)
            batch = []
    if batch:
        counts.rows += len(batch)
        yield pd.DataFrame(batch, columns=columns, dtype=dtype)
    counts.blank_dropped = waiting


def _refuse_binary(path: Path, head: bytes, wanted: str) -> None:
    """A clear error for a workbook or binary file given as CSV or JSON lines."""
    if head.startswith(_ZIP_SIGNATURES):
        raise InputFileError(
            f"'{path.name}' is a zip file (an Excel .xlsx workbook?), not {wanted} text; "
            "if it is an Excel workbook, rename it to .xlsx"
        )
    if head.startswith(_OLE2_SIGNATURE):
        raise InputFileError(
            f"'{path.name}' is an old Excel .xls (or password-protected Office) file, not "
            f"{wanted} text; open it in Excel and save a copy as .xlsx or CSV"
        )
    # A few NUL characters can be text (and must round-trip); when they are over 30%
    # of a kilobyte or more, it is binary data or UTF-16 without its byte-order mark.
    sample = head[:65536]
    utf16 = sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if len(sample) >= 1024 and sample.count(b"\x00") * 10 > len(sample) * 3 and not utf16:
        raise InputFileError(
            f"'{path.name}' holds binary data, not {wanted} text; check it is the right file, "
            "or save it from Excel as CSV UTF-8"
        )


def _raise_csv_field_limit() -> None:
    # The csv module refuses cells over 128 KiB by default; complaint letters pasted
    # into one cell can be larger. The limit is process-wide and only ever raised here.
    limit = 2**31 - 1
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)


class _CsvSource:
    def __init__(
        self, path: Path, encoding: str | None, delimiter: str | None, header_row: int | None
    ) -> None:
        _raise_csv_field_limit()
        self.path = path
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        _refuse_binary(path, head, "CSV")
        if encoding:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise InputFileError(
                    f"unknown encoding '{encoding}'; try utf-8, cp1252 or latin-1"
                ) from None
        self.encoding = encoding or _detect_encoding_streaming(path)
        head_text = head.decode(self.encoding, errors="replace").lstrip("\ufeff")
        self.delimiter = (
            _normal_delimiter(delimiter)
            if delimiter
            else _sniff_delimiter(head_text, path.suffix.lower(), len(head) == _SNIFF_BYTES)
        )
        self._delimiter_name = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        limit = max(_HEADER_SCAN_ROWS, header_row or 0)
        top: list[tuple[int, list[str]]] = list(itertools.islice(self._records(), limit))
        index = _header_index([fields for _, fields in top], header_row, f"'{path.name}'")
        self.header_index = index
        self.header_row = index + 1
        self.header_line = top[index][0]
        header = top[index][1]
        self.original_columns = list(header)
        self.columns = _unique_names(header)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record of the file with the line it starts on."""
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                # strict: an unclosed quote or text after a closing quote is an error,
                # never a guess that silently merges rows.
                reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
                first = True
                while True:
                    start = reader.line_num + 1
                    try:
                        fields = next(reader)
                    except StopIteration:
                        return
                    except csv.Error as exc:
                        raise self._malformed(str(exc), start, reader.line_num) from None
                    if first and fields:
                        fields[0] = fields[0].lstrip("\ufeff")
                    first = False
                    yield start, fields
        except UnicodeDecodeError:
            raise self._undecodable() from None

    def _undecodable(self) -> InputFileError:
        line = _first_undecodable_line(self.path, self.encoding)
        where = f"line {line}" if line else "a line"
        return InputFileError(
            f"'{self.path.name}' is not valid {self.encoding}: {where} has a byte that "
            "does not decode; leave out --encoding to detect it, or pass --encoding "
            "cp1252 (Excel on Windows) or --encoding utf-8"
        )

    def _malformed(self, reason: str, start: int, line: int) -> InputFileError:
        # The csv module's messages name characters of the grammar, never cell text;
        # they are still turned into our own words here.
        if "unexpected end of data" in reason:
            what = (
                f"a double-quoted cell in the row starting on line {start} is never closed, "
                "so the rest of the file would become one cell; close the quote on that line"
            )
        elif "expected after" in reason:
            where = f"line {line}" if line == start else f"line {line} (row starting line {start})"
            what = (
                f"on {where} a closing double quote is followed by more text in the same "
                'cell; inside a quoted cell write a double quote twice (""), or an opening '
                "quote above is never closed"
            )
        else:
            what = f"line {line} cannot be read as CSV"
        return InputFileError(
            f"'{self.path.name}' is not a well-formed CSV file: {what}; "
            "or open the file in Excel and save it again as CSV"
        )

    def rows(self) -> Iterator[list[str]]:
        # The hot loop of a million-row run: one plain pass over the csv reader, with
        # line numbers worked out only for a message.
        width = len(self.columns)
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
                for _ in range(self.header_index + 1):
                    next(reader, None)
                end = reader.line_num
                try:
                    for fields in reader:
                        if len(fields) != width:
                            self._fit(fields, width, end + 1)
                        end = reader.line_num
                        yield fields
                except csv.Error as exc:
                    raise self._malformed(str(exc), end + 1, reader.line_num) from None
        except UnicodeDecodeError:
            raise self._undecodable() from None

    def _fit(self, fields: list[str], width: int, start: int) -> None:
        """Pad a short row; drop empty cells past the header; refuse to drop others."""
        count = len(fields)
        if count < width:
            fields.extend([""] * (width - count))
        elif any(fields[width:]):
            raise InputFileError(
                f"'{self.path.name}' line {start} has {count} cells but the header "
                f"(line {self.header_line}) has {width}: a {self._delimiter_name} "
                "inside a text that is not in double quotes would do this; quote that "
                "text or re-save the file from Excel (if the delimiter is not a "
                f"{self._delimiter_name}, pass --delimiter)"
            )
        else:
            del fields[width:]

    def chunks(self, chunksize: int, counts: _Counts) -> Iterator[pd.DataFrame]:
        # "" for blanks and the pandas string dtype: CSV cells are text.
        yield from _batches(self.rows(), self.columns, chunksize, "", _no_text, str, counts)

    def close(self) -> None:
        pass


def _no_text(row: list[str]) -> bool:
    return not any(row)


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
                        strings.append(Text.from_tree(node).content)
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


def _ole2_kind(path: Path) -> str:
    data = path.read_bytes()[: 64 * 1024 * 1024]
    if (
        "EncryptedPackage".encode("utf-16-le") in data
        or "EncryptionInfo".encode("utf-16-le") in data
    ):
        return "password-protected"
    return "old"


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
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


def _fill_merged(
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
        if _is_blank_cell(label):
            continue
        if len(filled) < max_col:
            filled.extend([None] * (max_col - len(filled)))
        for col in range(min_col, max_col + 1):
            if _is_blank_cell(filled[col - 1]):
                filled[col - 1] = label
    return filled


def _has_sub_header(
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
        if spans and any(_is_text_cell(v) for v in below[min_col - 1 : max_col]):
            return True
    return False


def _join_labels(upper: Any, lower: Any) -> Any:
    if _is_blank_cell(upper):
        return lower
    if _is_blank_cell(lower) or str(lower) == str(upper):
        return upper
    return f"{upper} {lower}"


def _pull(rows: Iterator[Any], count: int) -> list[Any]:
    """Up to ``count`` rows from openpyxl with its warnings (styles, extensions) muted.

    Those warnings are noise to a complaints officer; the filter is set only while
    openpyxl runs, never across a ``yield``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(itertools.islice(rows, count))


def _last_filled(row: Sequence[Any]) -> int:
    """1-based position of the last non-empty cell of a row, 0 for an empty row."""
    for position in range(len(row), 0, -1):
        if not _is_blank_cell(row[position - 1]):
            return position
    return 0


def _xlsx_row(row: Sequence[Any]) -> list[Any]:
    return [_unescape_xlsx(v) if v.__class__ is str and "_x" in v else v for v in row]


class _XlsxSource:
    def __init__(self, path: Path, sheet: str | None, header_row: int | None) -> None:
        self.path = path
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(_OLE2_SIGNATURE):
            if _ole2_kind(path) == "password-protected":
                raise InputFileError(
                    f"'{path.name}' is password-protected (encrypted), so it cannot be read; "
                    "open it in Excel, remove the password (File > Info > Protect Workbook) "
                    "and save a copy as .xlsx"
                )
            raise InputFileError(
                f"'{path.name}' is an old Excel .xls file (or another Office file) renamed "
                ".xlsx; open it in Excel and save a copy as Excel Workbook (.xlsx)"
            )
        if not head.startswith(_ZIP_SIGNATURES):
            looks_text = b"\x00" not in head and head[:1].isascii()
            kind = "it looks like text: a CSV file renamed .xlsx?" if looks_text else "corrupt?"
            raise InputFileError(
                f"'{path.name}' is not an Excel workbook ({kind}); if it is CSV, rename it to "
                ".csv; otherwise open it in Excel and save a copy as .xlsx"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.workbook = _open_workbook(path)
        except (MemoryError, PermissionError):
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
        where = f"sheet '{chosen.title}' of '{self.path.name}'"
        rows = self._raw_rows()
        limit = max(_HEADER_SCAN_ROWS, header_row or 0)
        top = [_xlsx_row(r) for r in _pull(rows, limit)]
        if len(top) < limit and all(_is_blank_row(r) for r in top):
            others = [n for n in names if n != chosen.title]
            hint = f"; pass --sheet with one of: {', '.join(others)}" if others else ""
            raise InputFileError(f"{where} is empty; expected a header row and data{hint}")
        index = _header_index(top, header_row, where)
        header = list(top[index])
        if any(_is_blank_cell(v) for v in header):
            # Only a header with gaps can hold merged cells: scan the sheet for them.
            merges = _merged_ranges(chosen)
            header = _fill_merged(header, index + 1, top, merges)
            if header_row is None and _has_sub_header(index + 1, top, merges):
                lower = _fill_merged(list(top[index + 1]), index + 2, top, merges)
                header = [_join_labels(a, b) for a, b in itertools.zip_longest(header, lower)]
                index += 1
        # Data in columns with no name is kept (as a column with a blank name) when it
        # shows up in the first rows; later, it is an error rather than a silent loss.
        data_rows = top[index + 1 :]
        data_rows += _pull(rows, max(0, _WIDTH_LOOKAHEAD_ROWS - len(data_rows)))
        self.width = max([_last_filled(header), *(_last_filled(r) for r in data_rows)])
        header = header[: self.width] + [None] * (self.width - len(header))
        # With a two-row header, index is its second row: data starts below it.
        self.header_index = index
        self.header_row = index + 1
        self.original_columns = ["" if _is_blank_cell(v) else str(v) for v in header]
        self.columns = _unique_names(header)
        if not self.columns:
            raise InputFileError(f"{where} has no columns")

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
            f"sheet '{sheet}' not found in '{self.path.name}'; sheets are: {', '.join(names)}; "
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
                    count = len(row)
                    if count < width:
                        row.extend([None] * (width - count))
                    elif count > width:
                        extra = [i for i, v in enumerate(row[width:]) if not _is_blank_cell(v)]
                        if extra:
                            column = get_column_letter(width + extra[0] + 1)
                            raise InputFileError(
                                f"row {row_number} of sheet '{self.sheet_name}' in "
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
                f"cannot read sheet '{self.sheet_name}' of '{self.path.name}' after row "
                f"{row_number} ({type(exc).__name__}): the file may be damaged; open it in "
                "Excel and save a copy as .xlsx"
            ) from None

    def chunks(self, chunksize: int, counts: _Counts) -> Iterator[pd.DataFrame]:
        yield from _batches(
            self.rows(), self.columns, chunksize, None, _is_blank_row, object, counts
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.workbook.close()


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


class _JsonlSource:
    header_row = None
    delimiter = None

    def __init__(self, path: Path, encoding: str | None) -> None:
        self.path = path
        with path.open("rb") as handle:
            _refuse_binary(path, handle.read(_SNIFF_BYTES), "JSON lines")
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise InputFileError(
                    f"unknown encoding '{encoding}'; JSON lines files are UTF-8: leave out "
                    "--encoding"
                ) from None
        self.encoding = encoding or "utf-8-sig"
        keys: list[str] = []
        seen: set[str] = set()
        # Columns are the union of keys in order of first appearance: one pass over keys.
        for _, record in self._records():
            for key in record:
                if key not in seen:
                    seen.add(key)
                    keys.append(key)
        if not keys:
            raise InputFileError(
                f"'{path.name}' has no JSON objects with keys; expected one object per line, "
                'such as {"reference": "C1", "text": "..."}'
            )
        self.keys = keys
        self.original_columns = list(keys)
        self.columns = _unique_names(keys)

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        name = self.path.name
        try:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                # newline="": lines end at "\n", "\r\n" or "\r" as an editor counts them;
                # a raw U+2028 inside a JSON string does not split a line.
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line, object_pairs_hook=_no_duplicates)
                    except json.JSONDecodeError as exc:
                        raise InputFileError(
                            f"'{name}' line {number} is not valid JSON ({exc.msg}, at "
                            f"character {exc.colno}); expected one JSON object per line"
                        ) from None
                    except _DuplicateKey as exc:
                        raise InputFileError(
                            f"'{name}' line {number} has the key {describe_name(exc.key)} twice; "
                            "one of the values would be lost; keep one key per name"
                        ) from None
                    except RecursionError:
                        raise InputFileError(
                            f"'{name}' line {number} is nested too deeply to read"
                        ) from None
                    if not isinstance(record, dict):
                        raise InputFileError(
                            f"'{name}' line {number} is a JSON {type(record).__name__}, not an "
                            "object; expected one object per line (a .json array is not JSON "
                            "lines)"
                        )
                    yield number, record
        except UnicodeDecodeError:
            line = _first_undecodable_line(self.path, self.encoding)
            where = f" (line {line})" if line else ""
            raise InputFileError(
                f"'{name}' is not valid {self.encoding}{where}; JSON lines files must be UTF-8"
            ) from None

    def rows(self) -> Iterator[list[Any]]:
        keys = self.keys
        for _, record in self._records():
            yield [record.get(key) for key in keys]

    def chunks(self, chunksize: int, counts: _Counts) -> Iterator[pd.DataFrame]:
        yield from _batches(
            self.rows(), self.columns, chunksize, None, _is_blank_row, object, counts
        )

    def close(self) -> None:
        pass


class Table:
    """An opened input file: its columns and a way to read it in chunks.

    ``columns`` are unique, non-blank names for use in the program; ``original_columns``
    the header exactly as in the file. ``header_row`` is the row number of the header
    (1 when it is the first row; None for JSON lines), so data row ``i`` (0-based) is
    row ``header_row + 1 + i`` of the file as a spreadsheet numbers it. After reading,
    ``rows_read`` is the number of data rows and ``blank_rows_dropped`` the number of
    empty rows dropped from the end. Use as a context manager, or call ``close()``, to
    release an Excel file early.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        delimiter: str | None = None,
        header_row: int | None = None,
    ) -> None:
        self.path = Path(path)
        _check_exists(self.path)
        self.format = file_format(self.path)
        source: _CsvSource | _XlsxSource | _JsonlSource
        try:
            if self.format == "csv":
                source = _CsvSource(self.path, encoding, delimiter, header_row)
            elif self.format == "xlsx":
                source = _XlsxSource(self.path, sheet, header_row)
            else:
                source = _JsonlSource(self.path, encoding)
        except PermissionError:
            raise InputFileError(
                f"input file '{self.path.name}' cannot be read (permission denied, or it is "
                "locked by another program); close it there and try again"
            ) from None
        self._source = source
        self._counts = _Counts()
        self.columns: list[str] = list(source.columns)
        # The header exactly as in the file, for writing it back unchanged.
        self.original_columns: list[str] = list(source.original_columns)
        self.encoding: str | None = getattr(source, "encoding", None)
        self.delimiter: str | None = getattr(source, "delimiter", None)
        self.sheet: str | None = getattr(source, "sheet_name", None)
        self.header_row: int | None = source.header_row

    @property
    def rows_read(self) -> int:
        """Data rows yielded by the last (or current) pass over the file."""
        return self._counts.rows

    @property
    def blank_rows_dropped(self) -> int:
        """Empty rows dropped from the end of the data by the last complete pass."""
        return self._counts.blank_dropped

    @property
    def info(self) -> TableInfo:
        """What was learnt about the file while opening it."""
        return TableInfo(
            path=self.path,
            format=self.format,
            encoding=self.encoding,
            delimiter=self.delimiter,
            columns=tuple(self.columns),
            header_row=self.header_row,
            sheet=self.sheet,
        )

    def row_number(self, position: int) -> int:
        """The row number, as a spreadsheet shows it, of data row ``position`` (0-based).

        For JSON lines this is the record's number (its line number when the file has
        no blank lines).
        """
        return (self.header_row or 0) + 1 + position

    def chunks(self, chunksize: int = 5000) -> Iterator[pd.DataFrame]:
        """Yield the rows as DataFrames of at most ``chunksize`` rows, in file order.

        Every call reads the file again from the top.
        """
        yield from self._source.chunks(chunksize, self._counts)

    def read(self) -> pd.DataFrame:
        """The whole table in memory (for training, evaluation and reports).

        ``frame.attrs["first_row"]`` is the row number of the first data row.
        """
        frames = list(self.chunks(50_000))
        if not frames:
            frame = pd.DataFrame(
                {c: pd.Series(dtype=str if self.format == "csv" else object) for c in self.columns}
            )
        elif len(frames) > 1:
            frame = pd.concat(frames, ignore_index=True)
        else:
            frame = frames[0].reset_index(drop=True)
        frame.attrs["first_row"] = self.row_number(0)
        return frame

    def close(self) -> None:
        """Release the file (Excel workbooks stay open while a Table is in use)."""
        self._source.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ReadOptions:
    """How to open an input log; the options of every command that reads one extend it."""

    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    delimiter: str | None = None

    def open(self, path: str | Path) -> Table:
        """Open ``path`` as a Table with these options."""
        return Table(
            path,
            encoding=self.encoding,
            sheet=self.sheet,
            delimiter=self.delimiter,
            header_row=self.header_row,
        )

    def read(self, path: str | Path) -> pd.DataFrame:
        """Read the whole of ``path`` with these options."""
        with self.open(path) as table:
            return table.read()


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """Read a whole CSV, Excel or JSON-lines file into a DataFrame.

    CSV cells are strings ("" when empty); Excel and JSON cells keep their types.
    ``header_row`` (1-based) names the header row when it is not found by itself.
    Raises InputFileError with a one-line explanation for unreadable input.
    """
    with Table(
        path, encoding=encoding, sheet=sheet, delimiter=delimiter, header_row=header_row
    ) as table:
        return table.read()


def cell_text(value: Any) -> str:
    """A cell as text: "" for empty or missing, otherwise str(value)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def check_output_path(output: str | Path, *inputs: str | Path, force: bool = True) -> Path:
    """Refuse to write over an input file; check the folder exists and the format is known."""
    out = Path(output)
    file_format(out, for_writing=True)
    for source in inputs:
        src = Path(source)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            with contextlib.suppress(OSError):
                same = os.path.samefile(out, src)
        if same:
            raise OutputError(
                f"output '{out.name}' is the input file; choose another --out so the original "
                "log is never overwritten"
            )
    parent = out.parent
    if not parent.exists():
        raise OutputError(
            f"folder '{parent}' for the output does not exist; create it or choose another --out"
        )
    if out.is_dir():
        raise OutputError(f"output '{out}' is a folder; give --out a file name such as tagged.csv")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"cannot write to folder '{parent}' (permission denied); choose another --out"
        )
    if out.exists() and not force:
        raise OutputError(f"'{out}' already exists; pass --force to replace it")
    return out


def neutralise_formula(value: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    That is text starting with = + - @ (after any spaces; full-width forms too), a
    tab or a line break. Plain numbers such as "-5" or "+44" are left alone: a
    spreadsheet reads them as numbers, never as formulas.
    """
    if not value:
        return value
    if value[0] in "\t\r\n":
        return "'" + value
    stripped = value.lstrip(" \u00a0")
    if stripped[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(stripped):
        return "'" + value
    return value


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return str(value)  # JSON has no infinity
        return value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, timedelta):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _json_value(value.item())
    return value


def _text_value(value: Any) -> str:
    """A cell as CSV text: dates at midnight as 2023-04-03, objects as JSON."""
    if isinstance(value, datetime):
        if value != value:  # NaT
            return ""
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return cell_text(value)


def _columns(frame: pd.DataFrame) -> list[pd.Series]:
    return [frame.iloc[:, i] for i in range(frame.shape[1])]


def _csv_column(column: pd.Series) -> list[str]:
    """A column's cells as CSV text (what _text_value gives each cell), column at a time.

    Numbers and booleans are converted by one str() each; a per-cell type check of
    every value was a large part of writing a tagged file.
    """
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
    values = column.tolist()
    if kind in "biu":
        return [str(v) for v in values]
    if kind == "f":
        return ["" if v != v else str(v) for v in values]  # NaN (v != v) is empty
    return [v if v.__class__ is str else _text_value(v) for v in values]


class TableWriter:
    """Write rows to CSV, Excel or JSON lines through a temporary file renamed on success.

    Use as a context manager; if the block raises (or the process dies), the output
    path is untouched: rows go to ``.NAME.XXXX.part`` in the same folder, which is
    flushed to disk and renamed over ``path`` only when complete. A new output is
    readable by its owner only (it holds complaint text); a replaced one keeps the
    permissions the old file had.

    CSV is UTF-8 with a BOM (so Excel shows £ and smart quotes); ``safe_csv`` puts an
    apostrophe before any cell (header included) that a spreadsheet would run as a
    formula. Excel cells are always written as values, never formulas; text longer
    than Excel's 32,767 characters per cell is refused with an OutputError naming
    the row (write .csv or .jsonl instead), never cut.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], *, safe_csv: bool = False) -> None:
        self.path = Path(path)
        self.format = file_format(self.path, for_writing=True)
        self.columns = [str(c) for c in columns]
        self.safe_csv = safe_csv
        self.rows_written = 0
        self._closed = False
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        except FileNotFoundError:
            raise OutputError(
                f"folder '{folder}' for the output does not exist; create it or choose "
                "another --out"
            ) from None
        except OSError as exc:
            raise OutputError(
                f"cannot write in folder '{folder}' ({exc.strerror}); choose another --out"
            ) from None
        os.close(fd)
        self._tmp = Path(tmp)
        with contextlib.suppress(OSError):
            if self.path.exists():
                os.chmod(self._tmp, stat.S_IMODE(self.path.stat().st_mode))
        self._handle: Any = None
        self._writer: Any = None
        self._xlsx: _XlsxStream | None = None
        try:
            self._open()
        except BaseException:
            self.abort()
            raise

    def _open(self) -> None:
        if self.format == "csv":
            # UTF-8 with BOM so that Excel shows £ and smart quotes correctly.
            self._handle = self._tmp.open(
                "w", encoding="utf-8-sig", errors="themes.replace", newline=""
            )
            self._writer = csv.writer(self._handle)
            header = self.columns
            if self.safe_csv:
                header = [neutralise_formula(c) for c in header]
            self._guard(self._writer.writerow, header)
        elif self.format == "jsonl":
            self._handle = self._tmp.open("wb")
        else:
            if len(self.columns) > XLSX_MAX_COLUMNS:
                raise OutputError(
                    f"{len(self.columns):,} columns do not fit in an Excel sheet (at most "
                    f"{XLSX_MAX_COLUMNS:,}); write the output as .csv or .jsonl"
                )
            self._handle = self._tmp.open("wb")
            self._xlsx = _XlsxStream(self._handle, self.columns)

    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        try:
            return action(*args)
        except OSError as exc:
            raise self._disk_error(exc) from None

    def _disk_error(self, exc: OSError) -> OutputError:
        return OutputError(
            f"cannot write '{self.path.name}' ({exc.strerror or type(exc).__name__}; is the "
            "disk full?); the output was not replaced; free some space or choose another --out"
        )

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (columns in the writer's order)."""
        if self.format == "csv":
            rows: list[Any] = list(zip(*map(_csv_column, _columns(frame)), strict=True))
            if self.safe_csv:
                rows = [[neutralise_formula(c) if c else c for c in row] for row in rows]
            self._guard(self._writer.writerows, rows)
            self.rows_written += len(rows)
            return
        values = frame.to_numpy(dtype=object).tolist()
        if self.format == "jsonl":
            lines = []
            for row in values:
                record = {c: _json_value(v) for c, v in zip(self.columns, row, strict=True)}
                text = json.dumps(record, ensure_ascii=False, default=str)
                try:
                    lines.append(text.encode("utf-8") + b"\n")
                except UnicodeEncodeError:
                    # A lone surrogate (from a JSON "\ud800" escape) cannot be UTF-8;
                    # ASCII-escaped JSON keeps it exactly.
                    lines.append(json.dumps(record, default=str).encode("ascii") + b"\n")
            self._guard(self._handle.writelines, lines)
        else:
            assert self._xlsx is not None
            if self.rows_written + len(values) > XLSX_MAX_ROWS - 1:
                raise OutputError(
                    f"more than {XLSX_MAX_ROWS - 1:,} rows do not fit in an Excel sheet; "
                    "write the output as .csv or .jsonl"
                )
            try:
                for offset, row in enumerate(values):
                    try:
                        self._xlsx.append(row)
                    except _CellTooLong as exc:
                        number = self.rows_written + offset + 1
                        raise OutputError(
                            f"data row {number:,} has a text of {exc.length:,} characters in "
                            f"column {describe_name(self.columns[exc.column])}, over Excel's "
                            f"limit of {XLSX_MAX_CELL_CHARS:,} per cell; write the output as "
                            ".csv or .jsonl, which keep it whole"
                        ) from None
                self._xlsx.flush()
            except OSError as exc:
                raise self._disk_error(exc) from None
        self.rows_written += len(values)

    def close(self) -> None:
        """Finish the file, flush it to disk and rename it over ``path``."""
        if self._closed:
            return
        try:
            if self._xlsx is not None:
                self._guard(self._xlsx.close)
            if self._handle is not None:
                self._guard(self._handle.flush)
                self._guard(os.fsync, self._handle.fileno())
                self._handle.close()
            try:
                os.replace(self._tmp, self.path)
            except OSError as exc:
                raise OutputError(
                    f"cannot replace '{self.path.name}' ({exc.strerror}); if it is open in "
                    "Excel or another program, close it and run again, or choose another --out"
                ) from None
        except BaseException:
            self.abort()
            raise
        self._closed = True
        _fsync_folder(self.path.parent)

    def abort(self) -> None:
        """Drop the temporary file; an existing file at ``path`` is left as it was."""
        self._closed = True
        if self._xlsx is not None:
            self._xlsx.discard()
        with contextlib.suppress(Exception):
            if self._handle is not None:
                self._handle.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (or needed) on Windows.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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


class _CellTooLong(Exception):
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
_SHEET_TAIL = "</sheetData></worksheet>"


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _XlsxStream:
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
            except _CellTooLong as exc:
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
            raise _CellTooLong(0, length)
        style = ' s="5"' if header else ""
        text = _xml_text(_escape_xlsx(value))
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    def flush(self) -> None:
        if self._pending:
            self._sheet.write("".join(self._pending).encode("utf-8"))
            self._pending = []

    def close(self) -> None:
        self._pending.append(_SHEET_TAIL)
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
