"""What every table builder reads: the tidy log, its complaints, the years, the orderings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from themes.report.cases import Cases
from themes.report.labels import OUTCOME_ORDER
from themes.report.options import (
    CORPORATE,
    NO_CATEGORY,
    NO_THEME,
    NOT_RECORDED,
    OTHER,
    STATUTORY,
    ReportColumns,
)
from themes.report.prepare import Log
from themes.taxonomy import Taxonomy
from themes.workdays import financial_year_label

ROUNDING = "% may not sum to 100 due to rounding"
_FIXED_ROWS = frozenset({NOT_RECORDED, NO_THEME, NO_CATEGORY, OTHER})


class Skip(Exception):
    """A table cannot be produced; the message says why in one line."""


@dataclass
class Context:
    """The report year, its trend years, and the records in them.

    shown: year start -> the label tables show ("2023/24 (Feb–Mar only)" for a part year).
    """

    log: Log
    cases: Cases
    taxonomy: Taxonomy
    year: int
    years: list[int]
    shown: dict[int, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return financial_year_label(self.year)

    def labels(self) -> list[str]:
        return [financial_year_label(y) for y in self.years]

    def show(self, year: int) -> str:
        return self.shown.get(year, financial_year_label(year))

    def complaints(self, *, year: int | None = None) -> pd.DataFrame:
        """Complaints received (one per reference) in the trend years, or in one year."""
        cases = self.cases.cases
        chosen = cases[cases["counted"] & cases["year"].isin(self.years)]
        return chosen[chosen["year"] == year] if year is not None else chosen

    def events(self, stage: str | None = None, *, year: int | None = None) -> pd.DataFrame:
        """Stage records received in the trend years (or one year), at one stage or all."""
        events = self.cases.events
        chosen = events[events["year"].isin(self.years)]
        if stage is not None:
            chosen = chosen[chosen["stage"] == stage]
        return chosen[chosen["year"] == year] if year is not None else chosen

    def compliments(self, *, year: int | None = None) -> pd.DataFrame:
        rows = self.log.rows
        chosen = rows[rows["compliment"] & (rows["fate"] == "") & rows["year"].isin(self.years)]
        return chosen[chosen["year"] == year] if year is not None else chosen

    def need(self, *names: str) -> None:
        for name in names:
            if self.log.columns.get(name) is None:
                raise Skip(f"the log has no {name} column (set {ReportColumns.option_for(name)})")

    def need_category(self) -> None:
        if not self.log.has_category:
            raise Skip("the log has no category or suggested_category column")

    def need_themes(self) -> None:
        if not self.log.has_themes:
            raise Skip("the log has no themes or suggested_themes column")

    def need_compliments(self, year_only: bool = False) -> pd.DataFrame:
        if not self.log.has_kind:
            raise Skip("the log has no kind column to tell compliments from complaints")
        rows = self.compliments(year=self.year if year_only else None)
        if rows.empty:
            where = f"in {self.label}" if year_only else f"from {self.labels()[0]} to {self.label}"
            raise Skip(f"no compliments received {where}")
        return rows

    def category_order(self, present: Iterable[str]) -> list[str]:
        present = set(present)
        known = self.taxonomy.category_ids
        extra = sorted(present - set(known) - {NO_CATEGORY, OTHER})
        tail = [x for x in (OTHER, NO_CATEGORY) if x in present]
        return [*known, *extra, *tail]

    def name(self, label: str) -> str:
        return self.taxonomy.name_of(label)


def outcome_order(present: Iterable[str]) -> list[str]:
    """The three main outcomes always, then others present, then Other and Not recorded."""
    present = set(present)
    known = [o for o in OUTCOME_ORDER if o in present or o in OUTCOME_ORDER[:3]]
    extra = sorted(present - set(OUTCOME_ORDER) - {NOT_RECORDED, OTHER})
    tail = [x for x in (OTHER, NOT_RECORDED) if x in present]
    return [*known, *extra, *tail]


def procedure_order(present: Iterable[str]) -> list[str]:
    present = set(present)
    extra = sorted(present - {STATUTORY, CORPORATE, NOT_RECORDED, OTHER})
    tail = [x for x in (OTHER, NOT_RECORDED) if x in present]
    return [STATUTORY, CORPORATE, *extra, *tail]


def by_count(values: Iterable[str], weights: Iterable[str] = ()) -> list[str]:
    """Labels by how often they occur (most first), ties by name; Other, Not recorded last."""
    counts = Counter(values)
    later = Counter(weights)
    labels = set(counts) | set(later)
    ordered = sorted(labels - {NOT_RECORDED, OTHER}, key=lambda v: (-counts[v], -later[v], str(v)))
    return [*ordered, *(x for x in (OTHER, NOT_RECORDED) if x in labels)]


def shown_order(
    rows: Sequence[Hashable], hidden: Callable[[Hashable], bool], name: Callable[[Hashable], str]
) -> list[Hashable]:
    """Rows already sorted by count, with those whose count is hidden moved after the
    others in alphabetical order: their order must not hint at their size.
    "Other", "Not recorded" and "No theme recorded" stay last."""
    shown = [r for r in rows if r not in _FIXED_ROWS and not hidden(r)]
    secret = sorted((r for r in rows if r not in _FIXED_ROWS and hidden(r)), key=name)
    return [*shown, *secret, *(r for r in rows if r in _FIXED_ROWS)]
