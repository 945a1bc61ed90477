"""Writing tables: TableWriter (CSV, Excel, JSON lines), formula neutralising, output checks."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themes.errors import OutputError
from themes.io.atomic import AtomicFile
from themes.io.cells import cell_text
from themes.io.detect import file_format
from themes.io.limits import XLSX_MAX_CELL_CHARS, XLSX_MAX_COLUMNS, XLSX_MAX_ROWS
from themes.io.messages import may_show, show_name
from themes.io.xlsx_stream import CellTooLong, XlsxStream

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def _replace_unencodable(exc: UnicodeError) -> tuple[bytes, int]:
    """UTF-8 error handler: a lone surrogate (only JSON can carry one) becomes U+FFFD.

    Returned as bytes: CPython's UTF-8 encoder takes only ASCII text from a handler.
    """
    if not isinstance(exc, UnicodeEncodeError):  # pragma: no cover - only used for encoding
        raise exc
    return "\ufffd".encode() * (exc.end - exc.start), exc.end


codecs.register_error("themes.replace", _replace_unencodable)


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

    def __init__(
        self,
        path: str | Path,
        columns: Sequence[str],
        *,
        safe_csv: bool = False,
        source_row: Callable[[int], int] | None = None,
        id_column: int | None = None,
    ) -> None:
        self.path = Path(path)
        # How messages name a row: its number in the input as a spreadsheet shows it
        # (``source_row`` maps a data row's position to it) and its reference (the
        # value in column ``id_column``, when label-like).
        self.source_row = source_row
        self.id_column = id_column
        self.format = file_format(self.path, for_writing=True)
        self.columns = [str(c) for c in columns]
        self.safe_csv = safe_csv
        self.rows_written = 0
        self._closed = False
        self._file = AtomicFile(self.path, "wb")
        self._handle: Any = None
        self._writer: Any = None
        self._xlsx: XlsxStream | None = None
        try:
            self._open()
        except BaseException:
            self.abort()
            raise

    def _open(self) -> None:
        if self.format == "csv":
            # UTF-8 with BOM so that Excel shows £ and smart quotes correctly.
            self._handle = io.TextIOWrapper(
                self._file.handle, encoding="utf-8-sig", errors="themes.replace", newline=""
            )
            self._writer = csv.writer(self._handle)
            header = self.columns
            if self.safe_csv:
                header = [neutralise_formula(c) for c in header]
            self._guard(self._writer.writerow, header)
        elif self.format == "jsonl":
            self._handle = self._file.handle
        else:
            if len(self.columns) > XLSX_MAX_COLUMNS:
                raise OutputError(
                    f"{len(self.columns):,} columns do not fit in an Excel sheet (at most "
                    f"{XLSX_MAX_COLUMNS:,}); write the output as .csv or .jsonl"
                )
            self._xlsx = XlsxStream(self._file.handle, self.columns)

    def _guard(self, action: Callable[..., Any], *args: Any) -> Any:
        try:
            return action(*args)
        except OSError as exc:
            raise self._disk_error(exc) from None

    def _disk_error(self, exc: OSError) -> OutputError:
        return self._file.error(exc)

    def describe_row(self, position: int, values: Sequence[Any] | None = None) -> str:
        """A row for a message: its spreadsheet row number, and reference when there is one."""
        if self.source_row is not None:
            where = f"input row {self.source_row(position):,}"
        else:
            where = f"row {position + 2:,} of the output"
        if self.id_column is not None and values is not None:
            reference = cell_text(values[self.id_column]).strip()
            if reference and may_show(reference):
                where += f" (reference {reference})"
        return where

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
                    except CellTooLong as exc:
                        where = self.describe_row(self.rows_written + offset, row)
                        raise OutputError(
                            f"{where} has a text of {exc.length:,} characters in column "
                            f"{show_name(self.columns[exc.column], exc.column + 1)}, over "
                            f"Excel's limit of {XLSX_MAX_CELL_CHARS:,} per cell; write the "
                            "output as .csv or .jsonl, which keep it whole"
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
            if self._handle is not None and self._handle is not self._file.handle:
                self._guard(self._handle.flush)
                self._handle.detach()  # the binary file stays open for the commit
            self._file.commit()
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Drop the temporary file; an existing file at ``path`` is left as it was."""
        self._closed = True
        if self._xlsx is not None:
            self._xlsx.discard()
        self._file.abort()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
