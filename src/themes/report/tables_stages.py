"""Tables about stages: records by stage, time taken, outcomes, the Ombudsman, escalation, advocacy.

Time limits (statutory procedure, in working days; weekends and bank holidays in
England excluded): stage 1 within 10, up to 20 if complex; stage 2 within 25,
up to 65; stage 3 panel held within 30 working days of the request. A stage
record with no response date and no outcome is open: it is not late, and it is
left out of the base of the time percentages (the tables count it apart).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import pandas as pd

from themes.report.context import Context, Skip, outcome_order, procedure_order
from themes.report.grids import Cell, Grid, Value, View, crosstab, frame
from themes.report.labels import DECISION_ORDER
from themes.report.options import NOT_RECORDED, STAGES, TOTAL
from themes.workdays import working_days_between


@dataclass(frozen=True)
class Limit:
    """A stage's time limit and its extended limit, in working days (None: no extension)."""

    days: int
    extended: int | None


LIMITS = {"Stage 1": Limit(10, 20), "Stage 2": Limit(25, 65), "Stage 3": Limit(30, None)}


def response_days(events: pd.DataFrame) -> tuple[list[int], int, int]:
    """Working days taken by answered records, and how many are open or have unusable dates."""
    days: list[int] = []
    open_, unusable = 0, 0
    for got, sent, problem, given in zip(
        events["received"],
        events["responded"],
        events["responded_problem"],
        events["outcome_given"],
        strict=True,
    ):
        if got is None:
            continue  # implied stage, no dates of its own: neither open nor timed
        if sent is not None and sent >= got:
            days.append(working_days_between(got, sent))
        elif sent is None and problem == "" and not given:
            open_ += 1
        else:
            unusable += 1
    return days, open_, unusable


def timed(events: pd.DataFrame) -> pd.DataFrame:
    """Records with dates of their own (not only implied by a later stage)."""
    return events[events["received"].map(lambda got: got is not None).astype(bool)]


def average(days: list[int]) -> float | str:
    return round(sum(days) / len(days), 1) if days else ""


def _stages(ctx: Context) -> Grid:
    if not ctx.log.uses_stage and ctx.log.columns["ombudsman_decision"] is None:
        raise Skip("the log has no stage column, or it is blank, so every complaint is at stage 1")
    data = ctx.events()
    counts, lines = crosstab(
        zip(data["stage"], data["year"], strict=True),
        list(STAGES),
        ctx.years,
        total_row=False,
        total_col=False,
    )
    keys: dict[Cell, Hashable] = {(s, y): ("stage", y, s) for s in STAGES for y in ctx.years}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Stage", *(ctx.show(y) for y in ctx.years)],
            ([s, *(view.count((s, y)) for y in ctx.years)] for s in STAGES),
        )
        caption = (
            "Complaints with a record at each stage, by the year that stage was received "
            "(a complaint that went to stage 2 is counted at stage 1 and at stage 2); "
            f"base: {ctx.label} stage 1 n={view.word(('Stage 1', ctx.year))}."
        )
        return table, caption

    return Grid("stages", counts, lines, keys, render)


_TIME_COLUMNS = ("complaints", "open", "unusable", "answered", "within_10", "within_20", "over_20")


def _timeliness(ctx: Context) -> Grid:
    ctx.need("date_responded")
    data = timed(ctx.events("Stage 1"))
    procs = procedure_order(data["procedure"]) if ctx.log.has_procedure else []
    counts: dict[Cell, int] = {}
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    keys: dict[Cell, Hashable] = {}
    averages: dict[tuple[int, str], float | str] = {}
    row_order: list[tuple[int, str]] = []
    for year in ctx.years:
        in_year = data[data["year"] == year]
        groups = [(p, in_year[in_year["procedure"] == p]) for p in procs] + [("All", in_year)]
        for proc, group in groups:
            row = (year, proc)
            row_order.append(row)
            days, open_, unusable = response_days(group)
            tally = {
                "complaints": len(group),
                "open": open_,
                "unusable": unusable,
                "answered": len(days),
                "within_10": sum(d <= 10 for d in days),
                "within_20": sum(d <= 20 for d in days),
                "over_20": sum(d > 20 for d in days),
            }
            averages[row] = average(days)
            for column, value in tally.items():
                counts[(row, column)] = value
            # Within 10 is part of within 20, so these are the sums a reader can use.
            lines.append((((row, "within_20"), (row, "over_20")), (row, "answered")))
            parts = ((row, "open"), (row, "unusable"), (row, "answered"))
            lines.append((parts, (row, "complaints")))
            if proc == "All":
                keys[(row, "complaints")] = ("stage", year, "Stage 1")
        if procs:
            for column in _TIME_COLUMNS:
                lines.append((tuple(((year, p), column) for p in procs), ((year, "All"), column)))

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = [
            "Year",
            "Procedure",
            "Complaints",
            "Open n",
            "Response date unusable n",
            "Answered n",
            "Within 10 days n",
            "Within 10 days %",
            "Within 20 days n",
            "Within 20 days %",
            "Over 20 days n",
            "Over 20 days %",
            "Average working days",
        ]
        body = []
        for row in row_order:
            base = (row, "answered")
            line: list[Value] = [ctx.show(row[0]), row[1], view.count((row, "complaints"))]
            line += [view.count((row, c)) for c in ("open", "unusable", "answered")]
            for column in ("within_10", "within_20", "over_20"):
                line += [view.count((row, column)), view.pct((row, column), base)]
            line.append(averages[row] if base not in view.hidden else view.count(base))
            body.append(line)
        caption = (
            "Stage 1 complaints answered within 10 and within 20 working days of receipt "
            "(cumulative: within 20 includes within 10; weekends and bank holidays in England "
            "excluded) and after more than 20, as % of those answered; base: the Answered "
            f"column ({ctx.label} n={view.word(((ctx.year, 'All'), 'answered'))}); open "
            "complaints (no response date or outcome yet) and response dates that cannot be "
            "used are counted apart and left out of the base."
        )
        return frame(header, body), caption

    return Grid("timeliness", counts, lines, keys, render)


def _stage_timeliness(ctx: Context) -> Grid:
    ctx.need("date_responded")
    if not ctx.log.uses_stage:
        raise Skip("the log has no stage column, so only stage 1 timeliness is shown")
    counts: dict[Cell, int] = {}
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    averages: dict[str, float | str] = {}
    stages = list(LIMITS)
    for stage in stages:
        limit = LIMITS[stage]
        events = ctx.events(stage, year=ctx.year)
        days, open_, unusable = response_days(timed(events))
        counts[(stage, "received")] = len(events)
        counts[(stage, "undated")] = len(events) - len(timed(events))
        counts[(stage, "open")] = open_
        counts[(stage, "unusable")] = unusable
        counts[(stage, "answered")] = len(days)
        counts[(stage, "within")] = sum(d <= limit.days for d in days)
        counts[(stage, "extended")] = (
            sum(d <= limit.extended for d in days) if limit.extended else 0
        )
        averages[stage] = average(days)
        parts = ((stage, "undated"), (stage, "open"), (stage, "unusable"), (stage, "answered"))
        lines.append((parts, (stage, "received")))
    keys: dict[Cell, Hashable] = {(s, "received"): ("stage", ctx.year, s) for s in stages}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = [
            "Stage",
            "Received",
            "No dates of its own n",
            "Open n",
            "Response date unusable n",
            "Answered n",
            "Time limit (working days)",
            "Within limit n",
            "Within limit %",
            "Extended limit (working days)",
            "Within extended limit n",
            "Within extended limit %",
            "Average working days",
        ]
        body = []
        for stage in stages:
            limit = LIMITS[stage]
            base = (stage, "answered")
            line: list[Value] = [stage, view.count((stage, "received"))]
            line += [view.count((stage, c)) for c in ("undated", "open", "unusable", "answered")]
            line += [limit.days, view.count((stage, "within")), view.pct((stage, "within"), base)]
            if limit.extended:
                line += [
                    limit.extended,
                    view.count((stage, "extended")),
                    view.pct((stage, "extended"), base),
                ]
            else:
                line += ["", "", ""]
            line.append(averages[stage] if base not in view.hidden else view.count(base))
            body.append(line)
        caption = (
            f"Time taken at each stage for records received in {ctx.label}, in working days "
            "from the date received (for stage 3, the request) to the response (for stage 3, "
            "the panel); within the extended limit includes within the limit; % of those "
            f"answered; base: the Answered column (stage 1 n={view.word(('Stage 1', 'answered'))})"
            "; records only implied by a later stage have no dates of their own."
        )
        return frame(header, body), caption

    return Grid("stage_timeliness", counts, lines, keys, render)


def _stage_outcomes(ctx: Context) -> Grid:
    ctx.need("outcome")
    if not ctx.log.uses_stage:
        raise Skip("the log has no stage column; outcomes are in the category tables")
    events = ctx.events(year=ctx.year)
    events = events[events["stage"] != "LGSCO"]
    stages = [s for s in STAGES if s != "LGSCO"]
    outcomes = outcome_order(events["outcome"])
    counts, lines = crosstab(
        zip(events["stage"], events["outcome"], strict=True),
        stages,
        outcomes,
        total_row=False,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(s, TOTAL): ("stage", ctx.year, s) for s in stages}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Stage", *outcomes, TOTAL],
            ([s, *(view.count((s, o)) for o in [*outcomes, TOTAL])] for s in stages),
        )
        caption = (
            f"Outcomes at each stage of the records received in {ctx.label}; "
            f"{NOT_RECORDED.lower()}: no outcome yet, or a stage known only from the "
            f"complaint's highest stage; base: each stage's records (Total column; stage 1 "
            f"n={view.word(('Stage 1', TOTAL))})."
        )
        return table, caption

    return Grid("stage_outcomes", counts, lines, keys, render)


def _ombudsman(ctx: Context) -> Grid:
    events = ctx.events("LGSCO", year=ctx.year)
    if not ctx.log.uses_stage and ctx.log.columns["ombudsman_decision"] is None:
        raise Skip("the log has no stage or LGSCO decision column")
    present = set(events["decision"])
    order = [d for d in DECISION_ORDER if d in present or d in DECISION_ORDER[:2]]
    counts, lines = crosstab(
        ((d, c) for d, r in zip(events["decision"], events["remedy"], strict=True)
         for c in (["n", "remedy"] if r else ["n"])),
        order,
        ["n", "remedy"],
        total_row=True,
        total_col=False,
    )  # fmt: skip
    keys: dict[Cell, Hashable] = {(TOTAL, "n"): ("stage", ctx.year, "LGSCO")}
    has_remedy = ctx.log.columns["remedy"] is not None

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = ["Decision", "Complaints"] + (["With a remedy"] if has_remedy else [])
        body = []
        for d in [*order, TOTAL]:
            line: list[Value] = [d, view.count((d, "n"))]
            if has_remedy:
                line.append(view.count((d, "remedy")))
            body.append(line)
        caption = (
            f"Complaints the Local Government and Social Care Ombudsman (LGSCO) received in "
            f"{ctx.label}, by decision; upheld: fault found; awaiting decision: no decision "
            f"recorded yet; base: n={view.word((TOTAL, 'n'))} Ombudsman enquiries."
        )
        return frame(header, body), caption

    return Grid("ombudsman", counts, lines, keys, render)


def _escalation_advocacy(ctx: Context) -> Grid:
    has_advocate = ctx.log.columns["advocate"] is not None
    has_stage = ctx.log.uses_stage
    if not has_advocate and not has_stage:
        raise Skip("the log has no advocate column and no stage column")
    cases = ctx.complaints()
    firsts = ctx.events("Stage 1")
    escalated_cases = set(ctx.cases.events.loc[ctx.cases.events["stage"] == "Stage 2", "case"])
    counts: dict[Cell, int] = {}
    for year in ctx.years:
        in_year = cases[cases["year"] == year]
        stage_1 = firsts[firsts["year"] == year]
        counts[(year, "received")] = len(in_year)
        counts[(year, "advocate")] = int(in_year["advocate"].sum())
        counts[(year, "stage_1")] = len(stage_1)
        counts[(year, "escalated")] = int(stage_1["case"].isin(escalated_cases).sum())
    keys: dict[Cell, Hashable] = {(y, "received"): ("complaints", y, TOTAL) for y in ctx.years}
    keys.update({(y, "stage_1"): ("stage", y, "Stage 1") for y in ctx.years})

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = ["Year", "Complaints received"]
        if has_advocate:
            header += ["With an advocate n", "With an advocate %"]
        if has_stage:
            header += ["Stage 1 complaints", "Escalated to stage 2 n", "Escalated to stage 2 %"]
        body = []
        for y in ctx.years:
            line: list[Value] = [ctx.show(y), view.count((y, "received"))]
            if has_advocate:
                line += [view.count((y, "advocate")), view.pct((y, "advocate"), (y, "received"))]
            if has_stage:
                line += [
                    view.count((y, "stage_1")),
                    view.count((y, "escalated")),
                    view.pct((y, "escalated"), (y, "stage_1")),
                ]
            body.append(line)
        caption = (
            "Complaints with an advocate (% of complaints received) and stage 1 complaints "
            "that went on to stage 2 (% of the year's stage 1 complaints), by year received; "
            f"base: {ctx.label} n={view.word((ctx.year, 'received'))} complaints, "
            f"n={view.word((ctx.year, 'stage_1'))} at stage 1."
        )
        return frame(header, body), caption

    return Grid("escalation_advocacy", counts, [], keys, render)


BUILDERS = {
    "stages": _stages,
    "timeliness": _timeliness,
    "stage_timeliness": _stage_timeliness,
    "stage_outcomes": _stage_outcomes,
    "ombudsman": _ombudsman,
    "escalation_advocacy": _escalation_advocacy,
}
"""Table name -> builder, in report order."""
