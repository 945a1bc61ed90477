"""Reading and writing complaint logs: CSV (any common encoding), Excel .xlsx and JSON lines.

Reading keeps every cell as it was (CSV cells as text, Excel cells as their
native values) so that ``tag`` can write every input column back unchanged.
Writing goes to a temporary file that is renamed into place only when complete,
so an interrupted run never leaves a half-written or damaged output.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from themes.errors import InputFileError, OutputError

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
# Encodings tried in order when none is given: Excel's "CSV UTF-8" (BOM), plain
# UTF-8, then Windows-1252 (Excel's default "CSV" on English Windows), then Latin-1,
# which decodes any byte sequence and so always succeeds.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_SNIFF_BYTES = 256 * 1024
# Excel treats these leading characters as the start of a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class TableInfo:
    """What was learnt about an input file while opening it."""

    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    columns: tuple[str, ...] = ()


def file_format(path: Path, *, for_writing: bool = False) -> str:
    """The format named by a file's extension, or a clear error."""
    formats = WRITE_FORMATS if for_writing else READ_FORMATS
    fmt = formats.get(path.suffix.lower())
    if fmt is None:
        expected = ", ".join(sorted(formats))
        found = path.suffix or "no extension"
        what = "output" if for_writing else "input"
        raise (OutputError if for_writing else InputFileError)(
            f"{what} file '{path.name}' has {found}; expected one of {expected}; "
            f"rename the file or save it from Excel as .xlsx or .csv"
        )
    return fmt


def detect_encoding(path: Path, sample: bytes | None = None) -> str:
    """The first of UTF-8 (with or without BOM), Windows-1252, Latin-1 that decodes the file."""
    data = sample if sample is not None else path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"  # pragma: no cover - latin-1 decodes everything


def _detect_encoding_streaming(path: Path) -> str:
    """Like detect_encoding but reads the file in blocks (flat memory on big files)."""
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


def _sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=",;\t|")
        return dialect.delimiter
    except csv.Error:
        return ","


def _unique_names(names: Sequence[Any]) -> list[str]:
    """Column labels made unique and non-blank for internal use ("Column 3", "ref (2)")."""
    result: list[str] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        label = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
        label = label.strip() or f"Column {position}"
        if label in seen:
            seen[label] += 1
            label = f"{label} ({seen[label]})"
        else:
            seen[label] = 1
        result.append(label)
    return result


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"input file '{path}' not found; check the path and try again")
    if path.is_dir():
        raise InputFileError(f"'{path}' is a folder; expected a .csv, .xlsx or .jsonl file")
    if path.stat().st_size == 0:
        raise InputFileError(f"input file '{path.name}' is empty; expected a header row and data")


def _csv_error(path: Path, exc: Exception) -> InputFileError:
    message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    # pandas says e.g. "EOF inside string starting at row 12" or
    # "Expected 5 fields in line 40, saw 7": both name a place, never the text.
    return InputFileError(
        f"'{path.name}' is not a well-formed CSV file ({message}); "
        "check for an unclosed quote or a stray delimiter there, or re-save it from Excel"
    )


class _CsvSource:
    def __init__(self, path: Path, encoding: str | None, delimiter: str | None) -> None:
        self.path = path
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        self.encoding = encoding or _detect_encoding_streaming(path)
        try:
            head_text = head.decode(self.encoding, errors="replace")
        except LookupError:
            raise InputFileError(
                f"unknown encoding '{encoding}'; try utf-8, cp1252 or latin-1"
            ) from None
        if head_text.startswith("\ufeff"):
            head_text = head_text[1:]
        self.delimiter = delimiter or _sniff_delimiter(head_text, path.suffix.lower())
        try:
            first = next(csv.reader(io.StringIO(head_text), delimiter=self.delimiter))
        except StopIteration:
            raise InputFileError(
                f"input file '{path.name}' has no header row; expected column names "
                "in the first line"
            ) from None
        except csv.Error as exc:
            raise _csv_error(path, exc) from None
        self.original_columns = [str(c) for c in first]
        self.columns = _unique_names(first)

    def chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        try:
            reader = pd.read_csv(
                self.path,
                sep=self.delimiter,
                encoding=self.encoding,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                header=0,
                names=self.columns,
                chunksize=chunksize,
                engine="c",
                skip_blank_lines=False,
            )
            with reader:
                for chunk in reader:
                    yield _drop_blank_trailing(chunk)
        except pd.errors.ParserError as exc:
            raise _csv_error(self.path, exc) from None
        except UnicodeDecodeError:
            raise InputFileError(
                f"'{self.path.name}' is not valid {self.encoding}; pass --encoding cp1252 "
                "(Excel on Windows) or --encoding utf-8"
            ) from None
        except pd.errors.EmptyDataError:
            return


def _drop_blank_trailing(chunk: pd.DataFrame) -> pd.DataFrame:
    """Drop rows where every cell is empty (Excel's trailing blank lines), keep all others."""
    if chunk.empty:
        return chunk
    blank = (chunk == "").all(axis=1)
    return chunk.loc[~blank] if blank.any() else chunk


class _XlsxSource:
    def __init__(self, path: Path, sheet: str | None) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            self.workbook = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
            raise InputFileError(
                f"cannot open '{path.name}' as an Excel workbook; it may be password-protected, "
                "corrupt or an old .xls file; open it in Excel and save a copy as .xlsx "
                "without a password"
            ) from None
        names = self.workbook.sheetnames
        if sheet is None:
            self.sheet = self.workbook[names[0]]
        elif sheet in names:
            self.sheet = self.workbook[sheet]
        else:
            raise InputFileError(
                f"sheet '{sheet}' not found in '{path.name}'; sheets are: {', '.join(names)}"
            )
        rows = self.sheet.iter_rows(values_only=True)
        header: tuple[Any, ...] | None = None
        for row in rows:
            if any(v is not None and str(v).strip() for v in row):
                header = row
                break
        if header is None:
            raise InputFileError(f"sheet '{self.sheet.title}' of '{path.name}' is empty")
        # Trim empty trailing header cells that Excel often leaves.
        width = len(header)
        while width and (header[width - 1] is None or str(header[width - 1]).strip() == ""):
            width -= 1
        self.width = width
        self.original_columns = ["" if v is None else str(v) for v in header[:width]]
        self.columns = _unique_names(header[:width])
        self._rows = rows

    def chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        batch: list[list[Any]] = []
        try:
            for row in self._rows:
                values = list(row[: self.width]) + [None] * max(0, self.width - len(row))
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                batch.append(values)
                if len(batch) >= chunksize:
                    yield pd.DataFrame(batch, columns=self.columns, dtype=object)
                    batch = []
            if batch:
                yield pd.DataFrame(batch, columns=self.columns, dtype=object)
        finally:
            self.workbook.close()


class _JsonlSource:
    def __init__(self, path: Path, encoding: str | None) -> None:
        self.path = path
        self.encoding = encoding or "utf-8-sig"
        columns: list[str] = []
        seen: set[str] = set()
        # Columns are the union of keys in order of first appearance: one pass over keys.
        for _, record in self._records():
            for key in record:
                if key not in seen:
                    seen.add(key)
                    columns.append(key)
        if not columns:
            raise InputFileError(f"'{path.name}' has no JSON objects; expected one per line")
        self.columns = columns
        self.original_columns = list(columns)

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            with self.path.open(encoding=self.encoding) as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputFileError(
                            f"'{self.path.name}' line {number} is not valid JSON ({exc.msg}); "
                            "expected one JSON object per line"
                        ) from None
                    if not isinstance(record, dict):
                        raise InputFileError(
                            f"'{self.path.name}' line {number} is not a JSON object"
                        )
                    yield number, record
        except UnicodeDecodeError:
            raise InputFileError(
                f"'{self.path.name}' is not valid UTF-8; JSON lines files must be UTF-8"
            ) from None

    def chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        batch: list[dict[str, Any]] = []
        for _, record in self._records():
            batch.append(record)
            if len(batch) >= chunksize:
                yield pd.DataFrame(batch, columns=self.columns, dtype=object)
                batch = []
        if batch:
            yield pd.DataFrame(batch, columns=self.columns, dtype=object)


class Table:
    """An opened input file: its columns and a way to read it in chunks."""

    def __init__(
        self,
        path: str | Path,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        self.path = Path(path)
        _check_exists(self.path)
        self.format = file_format(self.path)
        source: _CsvSource | _XlsxSource | _JsonlSource
        if self.format == "csv":
            source = _CsvSource(self.path, encoding, delimiter)
        elif self.format == "xlsx":
            source = _XlsxSource(self.path, sheet)
        else:
            source = _JsonlSource(self.path, encoding)
        self._source = source
        self.columns: list[str] = list(source.columns)
        # The header exactly as in the file, for writing it back unchanged.
        self.original_columns: list[str] = list(source.original_columns)
        self.encoding = getattr(source, "encoding", None)

    def chunks(self, chunksize: int = 5000) -> Iterator[pd.DataFrame]:
        """Yield the rows as DataFrames of at most ``chunksize`` rows, in file order."""
        yield from self._source.chunks(chunksize)

    def read(self) -> pd.DataFrame:
        """The whole table in memory (for training, evaluation and reports)."""
        frames = list(self.chunks(50_000))
        if not frames:
            return pd.DataFrame(columns=self.columns)
        return (
            pd.concat(frames, ignore_index=True)
            if len(frames) > 1
            else frames[0].reset_index(drop=True)
        )


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> pd.DataFrame:
    """Read a whole CSV, Excel or JSON-lines file into a DataFrame.

    CSV cells are strings ("" when empty); Excel and JSON cells keep their types.
    Raises InputFileError with a one-line explanation for unreadable input.
    """
    return Table(path, encoding=encoding, sheet=sheet, delimiter=delimiter).read()


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
    if not out.parent.exists():
        raise OutputError(
            f"folder '{out.parent}' for the output does not exist; "
            "create it or choose another --out"
        )
    if out.exists() and not force:
        raise OutputError(f"'{out}' already exists; pass --force to replace it")
    return out


def neutralise_formula(value: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


class TableWriter:
    """Write rows to CSV, Excel or JSON lines through a temporary file renamed on success.

    Use as a context manager; if the block raises, the temporary file is removed
    and any existing file at ``path`` is left untouched.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], *, safe_csv: bool = False) -> None:
        self.path = Path(path)
        self.format = file_format(self.path, for_writing=True)
        self.columns = [str(c) for c in columns]
        self.safe_csv = safe_csv
        self.rows_written = 0
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent or Path(".")
        )
        os.close(fd)
        self._tmp = Path(tmp)
        self._handle: Any = None
        self._writer: Any = None
        self._workbook: Any = None
        self._sheet: Any = None
        self._open()

    def _open(self) -> None:
        if self.format == "csv":
            # UTF-8 with BOM so that Excel shows £ and smart quotes correctly.
            self._handle = self._tmp.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(self.columns)
        elif self.format == "jsonl":
            self._handle = self._tmp.open("w", encoding="utf-8", newline="\n")
        else:
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("Sheet1")
            self._sheet.append([self._xlsx_cell(c) for c in self.columns])

    def _xlsx_cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        value = _json_value(value) if not isinstance(value, (int, float, bool)) else value
        if isinstance(value, float) and math.isnan(value):
            value = None
        if isinstance(value, str):
            value = _xlsx_safe_string(value)
            cell = WriteOnlyCell(self._sheet, value=value)
            # Never a live formula: text that starts with "=" stays text.
            cell.data_type = "s"
            return cell
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return value

    def write(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (columns in the writer's order)."""
        values = frame.to_numpy(dtype=object).tolist()
        if self.format == "csv":
            for row in values:
                cells = [cell_text(v) for v in row]
                if self.safe_csv:
                    cells = [neutralise_formula(c) for c in cells]
                self._writer.writerow(cells)
        elif self.format == "jsonl":
            for row in values:
                record = {c: _json_value(v) for c, v in zip(self.columns, row, strict=True)}
                self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            for row in values:
                self._sheet.append([self._xlsx_cell(v) for v in row])
        self.rows_written += len(values)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._workbook is not None:
            self._workbook.save(self._tmp)
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
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


def _xlsx_safe_string(value: str) -> str:
    """Excel cannot store most control characters or more than 32,767 characters in a cell.

    Control characters are written in Excel's own escape form (_x0001_), which
    Excel and openpyxl decode back; over-long text is kept whole but flagged by a
    clear error rather than silently cut.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)
    if len(value) > 32_767:
        raise OutputError(
            "a text cell is longer than Excel's limit of 32,767 characters; "
            "write the output as .csv or .jsonl instead"
        )
    return value
