"""Cells and column names: blank cells and rows, header-like text, unique names."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:[eE][+-]?\d+)?%?")


def unique_names(names: Sequence[Any]) -> list[str]:
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


def is_blank_cell(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    return isinstance(value, float) and math.isnan(value)


def is_blank_row(row: Sequence[Any]) -> bool:
    return all(is_blank_cell(v) for v in row)


def is_text_cell(value: Any) -> bool:
    """A header-like cell: text that is not a number (dates and numbers are data)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(text) and not _NUMBER_TEXT.fullmatch(text)


def last_filled(row: Sequence[Any]) -> int:
    """1-based position of the last non-empty cell of a row, 0 for an empty row."""
    for position in range(len(row), 0, -1):
        if not is_blank_cell(row[position - 1]):
            return position
    return 0


def cell_text(value: Any) -> str:
    """A cell as text: "" for empty or missing, otherwise str(value)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)
