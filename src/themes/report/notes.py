"""The notes on method: what was counted, where labels came from, and every row set aside.

The notes reconcile the rows read with what the tables count: complaint rows
(complaints and their later stages), compliments, other records, and rows set
aside with their reasons; none is lost or counted twice without a word.
They name rows by reference (or spreadsheet row) and columns, never cell text.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd

from themes.report.context import ROUNDING, Context
from themes.report.labels import has, is_are, n_of, row_list, was_were
from themes.report.options import (
    MIN_YEAR_DAYS,
    NO_CATEGORY,
    OTHER,
    PERCENT_DECIMALS,
    LabelSources,
)
from themes.report.prepare import SET_ASIDE
from themes.report.tables_stages import response_days, timed
from themes.workdays import financial_year_label


def _where(rows: pd.DataFrame) -> str:
    return row_list(list(rows["row"]), list(rows["ref"]))


def _listing(counter: Counter[str]) -> str:
    return ", ".join(f"{k} ({n})" for k, n in sorted(counter.items()))


def reconcile(ctx: Context, rows_read: int) -> tuple[list[str], dict[str, int]]:
    """Rows read = complaint rows + compliments + other records + rows set aside."""
    rows, cases, facts = ctx.log.rows, ctx.cases.cases, ctx.cases.facts
    notes: list[str] = []
    problems: dict[str, int] = {}
    aside = rows[rows["fate"] != ""]
    dated = rows[rows["fate"] == ""]
    complaint_rows = facts["complaint rows"]
    compliments = dated[dated["compliment"]]
    other = dated[~dated["compliment"] & ~dated["complaint"]]
    other_count = len(other) - facts["blank kind joined"]
    kinds = Counter(k if k else "blank" for k in other["kind"])
    if facts["blank kind joined"]:
        kinds["blank"] -= facts["blank kind joined"]
        kinds = Counter({k: n for k, n in kinds.items() if n > 0})
    enquiries = int((~cases["counted"]).sum())
    received = len(cases) - enquiries
    if complaint_rows + len(compliments) + other_count + len(aside) != rows_read:
        raise AssertionError("a row of the log is neither counted nor set aside")
    further = complaint_rows - len(cases)
    parts = [
        f"{n_of(complaint_rows, 'complaint row')} ({n_of(received, 'complaint')}"
        + (
            f" and {enquiries} Ombudsman {'enquiry' if enquiries == 1 else 'enquiries'}"
            if enquiries
            else ""
        )
        + f"; {further} further {'row is' if further == 1 else 'rows are'} later stages or "
        "repeats of a complaint)",
        n_of(len(compliments), "compliment"),
    ]
    if other_count:
        parts.append(
            f"{other_count} neither complaints nor compliments, not counted ({_listing(kinds)})"
        )
    parts.append(f"{len(aside)} set aside")
    notes.append(f"Read {n_of(rows_read, 'row')}: " + "; ".join(parts) + ".")
    for fate, what in SET_ASIDE.items():
        bad = aside[aside["fate"] == fate]
        if not len(bad):
            continue
        problems[f"date_received {fate}"] = len(bad)
        why = {
            "future": "dates after today are mistakes",
            "too_early": "dates before 2000 are mistakes",
        }.get(fate, "")
        notes.append(
            f"{n_of(len(bad), 'row')} {has(len(bad))} {what} ({_where(bad)}), so "
            f"{'it is' if len(bad) == 1 else 'they are'} in no table"
            + (f" ({why}, never used to choose the year)" if why else "")
            + "; correct the dates (e.g. 01/04/2023) and run again."
        )
    in_years = cases[cases["counted"] & cases["year"].isin(ctx.years)]
    period_compliments = compliments[compliments["year"].isin(ctx.years)]
    notes.append(
        f"Of these, {n_of(len(in_years), 'complaint')} and "
        f"{n_of(len(period_compliments), 'compliment')} {was_were(len(in_years))} received from "
        f"{ctx.labels()[0]} to {ctx.label} (financial years, 1 April to 31 March, of the "
        "date a complaint's first row was received)."
    )
    later = dated[dated["year"] > ctx.year]
    if len(later):
        notes.append(
            f"{n_of(len(later), 'row')} received after {ctx.label} {is_are(len(later))} "
            "not in this report."
        )
    return notes, problems


def method_notes(ctx: Context) -> list[str]:
    """How complaints and stages were counted in this log."""
    cases, facts = ctx.cases.cases, ctx.cases.facts
    notes: list[str] = []
    if not ctx.log.uses_stage:
        notes.append("The log has no stage: each complaint row is one complaint at stage 1.")
    elif ctx.cases.shape == "stage-per-row":
        notes.append(
            "The log has one row per stage (rows at several stages under one reference): each "
            "reference is one complaint, counted once in the year its first row was received, "
            "at the highest stage it reached; each stage row gives that stage's dates and "
            "outcome."
        )
    else:
        notes.append(
            "The log has one row per complaint: its stage column is read as the highest stage "
            "reached, and its dates and outcome as the stage 1 response; later stages are "
            "counted, without dates of their own."
        )
    later_start = cases[cases["counted"] & cases["first_stage"].isin(["Stage 2", "Stage 3"])]
    if len(later_start):
        notes.append(
            f"{n_of(len(later_start), 'complaint')} {has(len(later_start))} no stage 1 row "
            f"({_where(later_start)}): logged first at stage 2 or 3, "
            f"{'it is' if len(later_start) == 1 else 'they are'} counted as complaints received."
        )
    enquiries = cases[~cases["counted"]]
    if len(enquiries):
        notes.append(
            f"{n_of(len(enquiries), 'Ombudsman record')} {has(len(enquiries))} no council stage "
            f"under {'its' if len(enquiries) == 1 else 'their'} reference ({_where(enquiries)}): "
            f"counted as {'an Ombudsman enquiry' if len(enquiries) == 1 else 'Ombudsman enquiries'}"
            ", not as complaints received."
        )
    if facts["duplicate stage rows"]:
        n = facts["duplicate stage rows"]
        notes.append(
            f"{n_of(n, 'row')} repeat{'s' if n == 1 else ''} a stage already recorded under the "
            "same reference: counted once, the earliest kept."
        )
    if facts["blank kind joined"]:
        n = facts["blank kind joined"]
        notes.append(
            f"{n_of(n, 'row')} with a blank kind under a complaint's reference "
            f"{is_are(n)} read as {'a stage' if n == 1 else 'stages'} of that complaint."
        )
    if facts["unknown stage"]:
        n = facts["unknown stage"]
        notes.append(f"{n_of(n, 'row')} with a stage other than 1, 2, 3 or LGSCO: read as stage 1.")
    return notes


def date_notes(ctx: Context) -> tuple[list[str], dict[str, int]]:
    """Response dates that cannot be used, open complaints, part years."""
    notes: list[str] = []
    problems: dict[str, int] = {}
    if ctx.log.columns["date_responded"] is not None:
        events = timed(ctx.events())
        unreadable = events[events["responded_problem"] == "unreadable"]
        early = events[
            pd.Series(
                [
                    sent is not None and sent < got
                    for got, sent in zip(events["received"], events["responded"], strict=True)
                ],
                index=events.index,
                dtype=bool,
            )
        ]
        for bad, key, what in (
            (unreadable, "date_responded unreadable", "a response date that could not be read"),
            (
                early,
                "date_responded before date_received",
                "a response date before the date received",
            ),
        ):
            if len(bad):
                problems[key] = len(bad)
                notes.append(
                    f"{n_of(len(bad), 'stage record')} {has(len(bad))} {what} ({_where(bad)}); "
                    "timeliness counts them apart, outside its base."
                )
        stage_1 = timed(ctx.events("Stage 1", year=ctx.year))
        _, open_, _ = response_days(stage_1)
        if open_:
            notes.append(
                f"{n_of(open_, 'stage 1 complaint')} received in {ctx.label} "
                f"{is_are(open_)} still open (no response date or outcome): shown as open, "
                "not as late, and left out of the timeliness base."
            )
    for year in ctx.years:
        if year in ctx.shown:
            notes.append(
                f"{ctx.shown[year]}: the log holds data for part of this year only, so its "
                "figures are not comparable with a full year's."
            )
    return notes, problems


def label_notes(ctx: Context) -> tuple[list[str], dict[str, LabelSources]]:
    """Where kind, category and themes came from, and labels outside the taxonomy."""
    rows = ctx.log.rows
    dated = rows[(rows["fate"] == "") & rows["year"].isin(ctx.years)]
    counted = ctx.complaints()
    tagged = pd.concat([counted, ctx.compliments()])
    sources: dict[str, LabelSources] = {}
    present = {
        "kind": ctx.log.has_kind,
        "category": ctx.log.has_category,
        "themes": ctx.log.has_themes,
    }
    for name, subset in (("kind", dated), ("category", counted), ("themes", tagged)):
        if not present[name]:
            continue
        source = Counter(subset[f"{name}_source"])
        sources[name] = LabelSources(source["officer"], source["suggested"], source[""])
    notes = (
        []
        if not sources
        else [
            "Labels used: "
            + "; ".join(f"{name}: {s}" for name, s in sources.items())
            + ". Suggested: from `themes tag`, where an officer left the column blank or tag "
            "pre-filled it and no officer has marked the row reviewed."
        ]
    )
    suggested_any = dated[
        (dated["kind_source"] == "suggested")
        | (dated["category_source"] == "suggested")
        | (dated["themes_source"] == "suggested")
    ]
    flagged = int(suggested_any["needs_review"].sum())
    if flagged:
        notes.append(
            f"{n_of(flagged, 'row')} {'uses' if flagged == 1 else 'use'} suggested labels that "
            "`themes tag` flagged for review and no officer has checked; check them before "
            "publishing."
        )
    known = {*ctx.taxonomy.category_ids, NO_CATEGORY, OTHER}
    unknown_cats = sorted({c for c in counted["category"] if c not in known})
    if unknown_cats:
        notes.append(
            "Categories not in the taxonomy, shown as written: "
            + ", ".join(unknown_cats[:10])
            + "."
        )
    unknown_themes = sorted(
        {t for ts in tagged["themes"] for t in ts} - {*ctx.taxonomy.theme_ids, OTHER}
    )
    if unknown_themes:
        notes.append(
            "Themes not in the taxonomy, shown as written: " + ", ".join(unknown_themes[:10]) + "."
        )
    free = {
        column: int((dated[column] == OTHER).sum())
        for column in ("outcome", "team", "complainant", "method", "category", "procedure")
    }
    free["themes"] = sum(OTHER in ts for ts in dated["themes"])
    free = {k: n for k, n in free.items() if n}
    if free:
        notes.append(
            "Cells holding text that is not a label, shown as Other: "
            + ", ".join(f"{k} ({n})" for k, n in free.items())
            + "."
        )
    places = "whole numbers" if PERCENT_DECIMALS == 0 else f"{PERCENT_DECIMALS} decimal places"
    notes.append(f"Percentages are rounded half up to {places}; {ROUNDING}.")
    return notes, sources


def year_choice_note(skipped: dict[int, tuple[date, date]], label: str) -> list[str]:
    """Why a later year with little data was not chosen as the report year."""
    return [
        f"{financial_year_label(y)} holds dates from {a:%d %B %Y} to {b:%d %B %Y} only "
        f"(under {MIN_YEAR_DAYS} days), so the report year is {label}; pass --year "
        f"{financial_year_label(y)} to report it."
        for y, (a, b) in sorted(skipped.items())
    ]
