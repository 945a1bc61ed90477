"""One way to open a table: ReadOptions and Table."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from themes.errors import InputFileError
from themes.io.columns import SAMPLE_ROWS, ColumnChoice, choose_columns
from themes.io.csv_reader import CsvSource
from themes.io.detect import check_exists, file_format, normal_delimiter
from themes.io.jsonl_reader import JsonlSource
from themes.io.rows import RowCounts
from themes.io.xlsx_reader import XlsxSource


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


@dataclass
class ReadOptions:
    """How to open an input log: the one set of read options of every command.

    ``encoding`` and ``delimiter`` apply to CSV (delimiter as a character or a word:
    comma, semicolon, tab, pipe), ``sheet`` to Excel (a name or a number from 1),
    ``header_row`` (from 1) names the header row instead of finding it. ``text_column``
    and ``id_column``: None means detect them (see ``themes.io.columns``). Validated
    when made: a wrong value is a one-line InputFileError naming the option.
    """

    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    delimiter: str | None = None
    text_column: str | None = None
    id_column: str | None = None

    def __post_init__(self) -> None:
        if self.header_row is not None:
            if isinstance(self.header_row, bool) or not isinstance(self.header_row, int):
                raise InputFileError(
                    f"--header-row must be a whole number, got {type(self.header_row).__name__}"
                )
            if self.header_row < 1:
                raise InputFileError(
                    f"--header-row {self.header_row} is not a row number; rows are numbered from 1"
                )
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise InputFileError(
                    f"unknown encoding {self.encoding!r}; try utf-8, cp1252 or latin-1, or "
                    "leave out --encoding to detect it"
                ) from None
        if self.delimiter is not None:
            self.delimiter = normal_delimiter(self.delimiter)
        if self.sheet is not None and not str(self.sheet).strip():
            raise InputFileError(
                "--sheet is empty; give a sheet name or its number (1 for the first)"
            )
        for option, value in (("--text-column", self.text_column), ("--id-column", self.id_column)):
            if value is not None and not str(value).strip():
                raise InputFileError(f"{option} is empty; give a column name or leave it out")

    def open(self, path: str | Path) -> Table:
        """Open ``path`` as a Table with these options."""
        return Table(path, self)

    def read(self, path: str | Path) -> pd.DataFrame:
        """Read the whole of ``path`` with these options."""
        with self.open(path) as table:
            return table.read()


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
        options: ReadOptions | None = None,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        delimiter: str | None = None,
        header_row: int | None = None,
    ) -> None:
        if options is None:
            options = ReadOptions(
                encoding=encoding, sheet=sheet, delimiter=delimiter, header_row=header_row
            )
        elif (encoding, sheet, delimiter, header_row) != (None, None, None, None):
            raise ValueError("give the read options either as ReadOptions or one by one")
        self.options = options
        encoding, sheet = options.encoding, options.sheet
        delimiter, header_row = options.delimiter, options.header_row
        self.path = Path(path)
        check_exists(self.path)
        self.format = file_format(self.path)
        source: CsvSource | XlsxSource | JsonlSource
        try:
            if self.format == "csv":
                source = CsvSource(self.path, encoding, delimiter, header_row)
            elif self.format == "xlsx":
                source = XlsxSource(self.path, sheet, header_row)
            else:
                source = JsonlSource(self.path, encoding)
        except PermissionError:
            raise InputFileError(
                f"input file '{self.path.name}' cannot be read (permission denied, or it is "
                "locked by another program); close it there and try again"
            ) from None
        self._source = source
        self._counts = RowCounts()
        self.columns: list[str] = list(source.columns)
        # The header exactly as in the file, for writing it back unchanged.
        self.original_columns: list[str] = list(source.original_columns)
        self.encoding: str | None = getattr(source, "encoding", None)
        self.delimiter: str | None = getattr(source, "delimiter", None)
        self.sheet: str | None = getattr(source, "sheet_name", None)
        self.header_row: int | None = source.header_row
        # Set when the header row was guessed: which row, and how to choose another.
        self.header_note: str | None = getattr(source, "note", None)
        formula_note: str | None = getattr(source, "formula_note", None)
        # Everything the user should be told about how the file was read (one line
        # each, never a cell's contents): the CLI prints them on stderr.
        self.notes: list[str] = [n for n in (self.header_note, formula_note) if n]
        self._choice: ColumnChoice | None = None

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

    def rows(self) -> Iterator[list[Any]]:
        """The data rows as lists of cells, in file order, read again from the top.

        Blank rows are included (the same rows as ``chunks``, plus any blank rows
        at the very end).
        """
        return self._source.rows()

    def choose_columns(self) -> ColumnChoice:
        """The text and id columns: the options' own, or detected from the first rows.

        ``ReadOptions.text_column``/``id_column`` None means detect (see
        ``themes.io.columns``); the returned ``ColumnChoice.message()`` is the line
        the CLI prints on stderr. Raises ColumnError when a column is missing or the
        choice is unclear (candidates listed, no cell contents).
        """
        if self._choice is None:
            sample = next(iter(self.chunks(SAMPLE_ROWS)), None)
            if sample is None:
                sample = pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns})
            self._choice = choose_columns(
                sample, self.options.text_column, self.options.id_column, self.original_columns
            )
        return self._choice

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


def read_table(
    path: str | Path,
    options: ReadOptions | None = None,
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
        path, options, encoding=encoding, sheet=sheet, delimiter=delimiter, header_row=header_row
    ) as table:
        return table.read()
