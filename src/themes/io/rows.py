"""Rows into DataFrame chunks, keeping blank rows inside the data and dropping trailing ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass
class RowCounts:
    rows: int = 0
    blank_dropped: int = 0


def batches(
    rows: Iterator[list[Any]],
    columns: list[str],
    chunksize: int,
    blank: Any,
    is_blank: Callable[[list[Any]], bool],
    dtype: Any,
    counts: RowCounts,
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


def no_text(row: list[str]) -> bool:
    return not any(row)
