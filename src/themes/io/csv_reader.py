"""Reading CSV files: strict parsing, every cell kept as text."""

from __future__ import annotations

import codecs
import contextlib
import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from themes.errors import InputFileError
from themes.io.cells import unique_names
from themes.io.columns import reference_of, reference_position
from themes.io.detect import (
    DELIMITER_NAMES,
    SNIFF_BYTES,
    detect_encoding_streaming,
    first_undecodable_line,
    normal_delimiter,
    refuse_binary,
    sniff_delimiter,
)
from themes.io.header import find_header_index, header_note
from themes.io.limits import HEADER_SCAN_ROWS
from themes.io.rows import RowCounts, batches, no_text

_readers_open = [0, 0]  # files being read now, and the limit to put back after them


@contextlib.contextmanager
def _csv_field_limit() -> Iterator[None]:
    """Let the csv module read cells of any size while files are being read.

    It refuses cells over 128 KiB by default, and complaint letters pasted into one
    cell can be larger. The limit is process-wide, so it is raised only while a
    file is read and put back when the last file being read is done.
    """
    if _readers_open[0] == 0:
        _readers_open[1] = csv.field_size_limit()
        csv.field_size_limit(max(_readers_open[1], 2**31 - 1))
    _readers_open[0] += 1
    try:
        yield
    finally:
        _readers_open[0] -= 1
        if _readers_open[0] == 0:
            csv.field_size_limit(_readers_open[1])


class CsvSource:
    def __init__(
        self, path: Path, encoding: str | None, delimiter: str | None, header_row: int | None
    ) -> None:
        self.path = path
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        refuse_binary(path, head, "CSV")
        if encoding:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError:
                raise InputFileError(
                    f"unknown encoding '{encoding}'; try utf-8, cp1252 or latin-1"
                ) from None
        self.encoding = encoding or detect_encoding_streaming(path)
        head_text = head.decode(self.encoding, errors="replace").lstrip("\ufeff")
        if delimiter:
            self.delimiter = normal_delimiter(delimiter)
        else:
            with _csv_field_limit():
                truncated = len(head) == SNIFF_BYTES
                self.delimiter = sniff_delimiter(head_text, path.suffix.lower(), truncated)
        self._delimiter_name = DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        limit = max(HEADER_SCAN_ROWS, header_row or 0)
        top: list[tuple[int, list[str]]] = list(itertools.islice(self._records(), limit))
        index = find_header_index([fields for _, fields in top], header_row, f"'{path.name}'")
        self.header_index = index
        self.header_row = index + 1
        fields_top = [fields for _, fields in top]
        first = next((i for i, f in enumerate(fields_top) if any(f)), index)
        self.note = header_note(
            row=index + 1,
            first_row=first + 1,
            rows_used=1,
            cells=top[index][1],
            given=header_row is not None,
        )
        self.header_line = top[index][0]
        header = top[index][1]
        self.original_columns = list(header)
        self.columns = unique_names(header)
        self._reference = reference_position(self.columns)

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Every record of the file with the line it starts on."""
        try:
            with _csv_field_limit(), self.path.open(encoding=self.encoding, newline="") as handle:
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
        line = first_undecodable_line(self.path, self.encoding)
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
            with _csv_field_limit(), self.path.open(encoding=self.encoding, newline="") as handle:
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
                f"'{self.path.name}' line {start}{reference_of(fields, self._reference)} has "
                f"{count} cells but the header "
                f"(line {self.header_line}) has {width}: a {self._delimiter_name} "
                "inside a text that is not in double quotes would do this; quote that "
                "text or re-save the file from Excel (if the delimiter is not a "
                f"{self._delimiter_name}, pass --delimiter)"
            )
        else:
            del fields[width:]

    def chunks(self, chunksize: int, counts: RowCounts) -> Iterator[pd.DataFrame]:
        # "" for blanks and the pandas string dtype: CSV cells are text.
        yield from batches(self.rows(), self.columns, chunksize, "", no_text, str, counts)

    def close(self) -> None:
        pass
