"""Count grids: a table's counts before display, and the view of them after suppression."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from themes.report.labels import round_percent
from themes.report.options import SECONDARY_MARK, TOTAL

Cell = tuple[Hashable, Hashable]
Value = int | float | str


@dataclass
class Grid:
    """A table's counts before display, with the sums a reader could use to undo suppression.

    lines: (members, total) pairs meaning sum(members) == total, both shown.
    keys: cells whose count also appears in other tables, under a shared key.
    render: draws the display table and caption from a View.
    """

    name: str
    counts: dict[Cell, int]
    lines: list[tuple[tuple[Cell, ...], Cell]] = field(default_factory=list)
    keys: dict[Cell, Hashable] = field(default_factory=dict)
    render: Callable[[View], tuple[pd.DataFrame, str]] | None = None


def crosstab(
    pairs: Iterable[tuple[Hashable, Hashable]],
    row_order: Sequence[Hashable],
    col_order: Sequence[Hashable],
    *,
    total_row: bool,
    total_col: bool,
) -> tuple[dict[Cell, int], list[tuple[tuple[Cell, ...], Cell]]]:
    """Counts of (row, col) pairs, every cell present (zeros too), with Total margins and lines."""
    tally = Counter(pairs)
    counts: dict[Cell, int] = {(r, c): tally.get((r, c), 0) for r in row_order for c in col_order}
    # Every record must land in a cell: exact counts are the point of the report.
    if sum(counts.values()) != sum(tally.values()):
        raise AssertionError("a value is missing from the row or column order")
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    if total_col:
        for r in row_order:
            counts[(r, TOTAL)] = sum(counts[(r, c)] for c in col_order)
            lines.append((tuple((r, c) for c in col_order), (r, TOTAL)))
    if total_row:
        cols_all = [*col_order, TOTAL] if total_col else list(col_order)
        for c in cols_all:
            counts[(TOTAL, c)] = sum(counts[(r, c)] for r in row_order)
            lines.append((tuple((r, c) for r in row_order), (TOTAL, c)))
    if total_row and total_col:
        lines.append((tuple((TOTAL, c) for c in col_order), (TOTAL, TOTAL)))
    return counts, lines


class View:
    """A grid's cells as they may be shown, after suppression."""

    def __init__(self, grid: Grid, below: int | None, status: dict[Cell, str]) -> None:
        self.grid = grid
        self.below = below
        self.hidden = {cell for cell, s in status.items() if s != "shown"}
        self.status = status

    def count(self, cell: Cell) -> Value:
        if cell not in self.hidden:
            return self.grid.counts[cell]
        return f"<{self.below}" if self.status[cell] == "primary" else SECONDARY_MARK

    def pct(self, part: Cell, whole: Cell) -> Value:
        if part in self.hidden or whole in self.hidden:
            return SECONDARY_MARK
        value = round_percent(self.grid.counts[part], self.grid.counts[whole])
        return "" if value is None else value

    def word(self, cell: Cell) -> str:
        return str(self.count(cell))


def frame(columns: Sequence[str], rows: Iterable[Sequence[Value]]) -> pd.DataFrame:
    """A display table: every cell kept as given (counts, "<5", "[c]", labels)."""
    return pd.DataFrame([list(r) for r in rows], columns=list(columns), dtype=object)
