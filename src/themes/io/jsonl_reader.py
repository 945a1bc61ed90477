"""Reading JSON lines: one object per line, columns in order of first appearance."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from themes.errors import InputFileError
from themes.io.cells import is_blank_row, unique_names
from themes.io.detect import SNIFF_BYTES, first_undecodable_line, refuse_binary
from themes.io.messages import show_name
from themes.io.rows import RowCounts, batches


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


class JsonlSource:
    header_row = None
    delimiter = None

    def __init__(self, path: Path, encoding: str | None) -> None:
        self.path = path
        with path.open("rb") as handle:
            refuse_binary(path, handle.read(SNIFF_BYTES), "JSON lines")
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
        self.columns = unique_names(keys)

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
                            f"'{name}' line {number} has the key "
                            f"{show_name(exc.key, kind='key')} twice; "
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
            line = first_undecodable_line(self.path, self.encoding)
            where = f" (line {line})" if line else ""
            raise InputFileError(
                f"'{name}' is not valid {self.encoding}{where}; JSON lines files must be UTF-8"
            ) from None

    def rows(self) -> Iterator[list[Any]]:
        keys = self.keys
        for _, record in self._records():
            yield [record.get(key) for key in keys]

    def chunks(self, chunksize: int, counts: RowCounts) -> Iterator[pd.DataFrame]:
        yield from batches(self.rows(), self.columns, chunksize, None, is_blank_row, object, counts)

    def close(self) -> None:
        pass
