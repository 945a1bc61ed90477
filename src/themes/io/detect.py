"""What a file is: its format (from the extension and first bytes), encoding and delimiter."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import os
from collections import Counter
from pathlib import Path

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
SNIFF_BYTES = 256 * 1024
_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DELIMITER_WORDS = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|"}


OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


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


def detect_encoding_streaming(path: Path) -> str:
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


def first_undecodable_line(path: Path, encoding: str) -> int | None:
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


def sniff_delimiter(text: str, suffix: str, truncated: bool = False) -> str:
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


def normal_delimiter(delimiter: str) -> str:
    value = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
    if len(value) != 1 or value in '"\r\n':
        raise InputFileError(
            f"delimiter {delimiter!r} cannot be used; expected one character such as "
            "',', ';', '|' or 'tab'"
        )
    return value


def _lock_file_target(path: Path) -> str | None:
    """The workbook an Office lock file ("~$name.xlsx") stands for, or None."""
    if not path.name.startswith("~$"):
        return None
    rest = path.name[2:]
    if (path.parent / rest).exists():
        return rest
    with contextlib.suppress(OSError):
        # Excel drops the first two characters of longer names: "~$mplaints.xlsx".
        for sibling in sorted(path.parent.iterdir()):
            name = sibling.name
            if len(name) == len(rest) + 2 and name.endswith(rest) and not name.startswith("~$"):
                return name
    return rest


def check_exists(path: Path) -> None:
    target = _lock_file_target(path)
    if target is not None:
        raise InputFileError(
            f"'{path.name}' is Excel's lock file for {target} (the workbook is open in "
            f"Excel); pass {target}"
        )
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


def refuse_binary(path: Path, head: bytes, wanted: str) -> None:
    """A clear error for a workbook or binary file given as CSV or JSON lines."""
    if head.startswith(ZIP_SIGNATURES):
        raise InputFileError(
            f"'{path.name}' is a zip file (an Excel .xlsx workbook?), not {wanted} text; "
            "if it is an Excel workbook, rename it to .xlsx"
        )
    if head.startswith(OLE2_SIGNATURE):
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


def ole2_kind(path: Path) -> str:
    data = path.read_bytes()[: 64 * 1024 * 1024]
    if (
        "EncryptedPackage".encode("utf-16-le") in data
        or "EncryptionInfo".encode("utf-16-le") in data
    ):
        return "password-protected"
    return "old"
