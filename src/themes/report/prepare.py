"""Reading a log into tidy rows: one entry per spreadsheet row, every field normalised.

Kind, category and themes come from the officer's columns where an officer
filled them, otherwise from the ``suggested_`` columns ``themes tag`` writes.
``themes tag`` also copies its suggestions into empty officer columns and adds
a ``reviewed`` column: on a row nobody has marked reviewed, a value equal to
the suggestion is counted as suggested, not as the officer's.

Rows whose date received is missing, unreadable, after today or before 2000
are set aside here (``fate``) and listed in the notes; they reach no table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from themes.dataset import is_reviewed
from themes.report.columns import ColumnMap, resolve_columns
from themes.report.labels import (
    TaxonomyLabels,
    filled_in,
    normalise_decision,
    normalise_outcome,
    normalise_procedure,
    normalise_stage,
    squash,
    tidy_labels,
    truthy,
)
from themes.report.options import EARLIEST_YEAR, NO_CATEGORY, STATUTORY, ReportOptions
from themes.taxonomy import Taxonomy
from themes.workdays import financial_year_start, parse_date

SET_ASIDE = {
    "missing": "no date received",
    "unreadable": "a date received that could not be read",
    "future": "a date received after today",
    "too_early": f"a date received before {EARLIEST_YEAR}",
}
"""Why a row is in no table -> how the notes say it."""


@dataclass
class Log:
    """The log, tidied.

    rows: one entry per row (see ``prepare``); ``fate`` is "" for a row that is
        counted somewhere, else a key of ``SET_ASIDE``.
    columns: what each field was read from.
    notes: what reading the log found (column names, procedure).
    """

    rows: pd.DataFrame
    columns: ColumnMap
    notes: list[str]
    has_kind: bool
    has_category: bool
    has_themes: bool
    has_procedure: bool
    uses_stage: bool
    today: date


def _pick(
    officer: list[Any], suggested: list[Any], unchecked: list[bool], own: list[Any] | None = None
) -> tuple[list[str], list[str]]:
    """Each row's label and where it came from: "officer", "suggested" or "" (blank)."""
    chosen, source = [], []
    own = own if own is not None else [None] * len(officer)
    for mine, theirs, open_row, log_value in zip(officer, suggested, unchecked, own, strict=True):
        if squash(log_value):
            chosen.append(squash(log_value))
            source.append("officer")
        elif squash(mine) and open_row and squash(mine) == squash(theirs):
            chosen.append(squash(mine))
            source.append("suggested")
        elif squash(mine):
            chosen.append(squash(mine))
            source.append("officer")
        elif squash(theirs):
            chosen.append(squash(theirs))
            source.append("suggested")
        else:
            chosen.append("")
            source.append("")
    return chosen, source


def _dates(values: list[Any]) -> tuple[list[date | None], list[str]]:
    days: list[date | None] = []
    problems: list[str] = []
    for value in values:
        try:
            day = parse_date(value)
        except ValueError:
            days.append(None)
            problems.append("unreadable")
            continue
        days.append(day)
        problems.append("" if day is not None else "missing")
    return days, problems


def prepare(frame: pd.DataFrame, options: ReportOptions, taxonomy: Taxonomy) -> Log:
    """Tidy every row of ``frame``; raises ColumnError for a missing column set by hand."""
    columns = resolve_columns([str(c) for c in frame.columns], options.columns)
    notes: list[str] = []
    renamed = [
        f"Column '{c}' was read as {f}."
        if f != "text"
        else f"Column '{c}' is the text: never read."
        for f, c in columns.used().items()
        if c != f
    ]
    if renamed:
        notes.append(" ".join(renamed))
    n = len(frame)
    today = options.today or date.today()

    def values(name: str) -> list[Any]:
        column = columns[name]
        return frame[column].tolist() if column is not None else [None] * n

    reviewed = columns["reviewed"]
    unchecked = (
        [not is_reviewed(v) for v in frame[reviewed]] if reviewed is not None else [False] * n
    )
    own_kind = frame[columns.own_kind].tolist() if columns.own_kind is not None else None
    kind_text, kind_source = _pick(values("kind"), values("suggested_kind"), unchecked, own_kind)
    has_kind = any(columns[c] is not None for c in ("kind", "suggested_kind"))
    kinds = TaxonomyLabels(taxonomy.kinds)
    if has_kind:
        kind = [kinds.find(k).casefold() if k else "" for k in kind_text]
    else:
        kind = ["complaint"] * n
        kind_source = ["officer"] * n
        notes.append(
            "The log has no kind column, so every row is counted as a complaint and "
            "the compliment tables are not produced."
        )
    category_text, category_source = _pick(
        values("category"), values("suggested_category"), unchecked
    )
    theme_text, theme_source = _pick(values("themes"), values("suggested_themes"), unchecked)
    categories = TaxonomyLabels(taxonomy.categories)
    themes = TaxonomyLabels(taxonomy.themes)

    def split_themes(text: str) -> tuple[str, ...]:
        found: list[str] = []
        for part in re.split(r"[;,|\n]+", text):
            if squash(part):
                label = themes.find(part)
                if label not in found:
                    found.append(label)
        return tuple(found)

    received, received_problem = _dates(values("date_received"))
    for i, day in enumerate(received):
        if day is not None and day > today:
            received_problem[i] = "future"
        elif day is not None and day.year < EARLIEST_YEAR:
            received_problem[i] = "too_early"
    responded, responded_problem = _dates(values("date_responded"))
    responded_problem = ["" if p == "missing" else p for p in responded_problem]

    has_procedure = columns["procedure"] is not None
    if options.procedure is not None:
        procedure = [options.procedure.strip().capitalize()] * n
        notes.append(f"Every complaint is counted as {procedure[0].lower()} (--procedure).")
    elif has_procedure:
        procedure = [normalise_procedure(v) for v in values("procedure")]
    else:
        procedure = [STATUTORY] * n
        notes.append(
            "The log has no procedure column, so every complaint is counted as statutory "
            "(Children Act 1989); pass --procedure corporate if they are corporate."
        )
    stage = [normalise_stage(v) for v in values("stage")]
    rows = pd.DataFrame(
        {
            # Spreadsheet row number: the header is row 1 (the index keeps a row's place
            # when blank rows were dropped before).
            "row": [int(i) + 2 for i in frame.index]
            if pd.api.types.is_integer_dtype(frame.index)
            else range(2, n + 2),
            "ref": [squash(v) for v in values("reference")],
            "received": [
                d if p == "" else None for d, p in zip(received, received_problem, strict=True)
            ],
            "fate": received_problem,
            "responded": responded,
            "responded_problem": responded_problem,
            "kind": kind,
            "kind_source": kind_source,
            "procedure": procedure,
            "stage": stage,
            "team": tidy_labels(values("team")),
            "complainant": tidy_labels(values("complainant")),
            "method": tidy_labels(values("method")),
            "category": [categories.find(c) if c else NO_CATEGORY for c in category_text],
            "category_source": category_source,
            "themes": [split_themes(t) for t in theme_text],
            "themes_source": theme_source,
            "outcome": [normalise_outcome(v) for v in values("outcome")],
            "outcome_text": [bool(squash(v)) for v in values("outcome")],
            "advocate": [filled_in(v) for v in values("advocate")],
            "decision": [
                normalise_decision(v) if squash(v) else "" for v in values("ombudsman_decision")
            ],
            "remedy": [bool(squash(v)) and filled_in(v) for v in values("remedy")],
            "needs_review": [truthy(v) for v in values("needs_review")],
        },
        dtype=object,
    )
    rows["received_day"] = received  # as written, for the notes on set-aside rows
    rows["year"] = [financial_year_start(d) if d is not None else None for d in rows["received"]]
    rows["complaint"] = rows["kind"] == "complaint"
    rows["compliment"] = rows["kind"] == "compliment"
    return Log(
        rows=rows,
        columns=columns,
        notes=notes,
        has_kind=has_kind,
        has_category=columns["category"] is not None or columns["suggested_category"] is not None,
        has_themes=columns["themes"] is not None or columns["suggested_themes"] is not None,
        has_procedure=has_procedure or options.procedure is not None,
        uses_stage=columns["stage"] is not None and any(stage),
        today=today,
    )
