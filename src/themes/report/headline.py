"""The year's headline figures (report.json): for dashboards and the council's own returns.

Counts are integers; within-N counts are cumulative (within 20 includes within
10). ``previous_years`` holds the same keys for each earlier trend year.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from themes.report.context import Context
from themes.report.labels import snake
from themes.report.options import UPHELD
from themes.report.tables_stages import response_days, timed
from themes.workdays import financial_year_label

_STAGE_KEYS = {
    "Stage 1": "stage_1",
    "Stage 2": "stage_2",
    "Stage 3": "stage_3",
    "LGSCO": "ombudsman",
}


def year_figures(ctx: Context, year: int) -> dict[str, Any]:
    """The headline figures of one year, before any suppression."""
    cases = ctx.complaints(year=year)
    events = ctx.events(year=year)
    by_stage = {key: int((events["stage"] == stage).sum()) for stage, key in _STAGE_KEYS.items()}
    stage_1 = events[events["stage"] == "Stage 1"]
    days_1, open_1, unusable_1 = response_days(timed(stage_1))
    days_2, open_2, _ = response_days(timed(events[events["stage"] == "Stage 2"]))
    days_3, _, _ = response_days(timed(events[events["stage"] == "Stage 3"]))
    ombudsman = events[events["stage"] == "LGSCO"]
    decided = ombudsman[ombudsman["decision"] != "Awaiting decision"]
    escalated = set(ctx.cases.events.loc[ctx.cases.events["stage"] == "Stage 2", "case"])
    outcomes = Counter(snake(o) for o in stage_1["outcome"])
    complaints = {
        "received": len(cases),
        "by_stage": by_stage,
        "stage_1_answered": len(days_1),
        "stage_1_within_10_working_days": sum(d <= 10 for d in days_1),
        "stage_1_within_20_working_days": sum(d <= 20 for d in days_1),
        "stage_1_open": open_1,
        "stage_1_response_date_unusable": unusable_1,
        "stage_1_escalated_to_stage_2": int(stage_1["case"].isin(escalated).sum()),
        "stage_2_answered": len(days_2),
        "stage_2_within_25_working_days": sum(d <= 25 for d in days_2),
        "stage_2_within_65_working_days": sum(d <= 65 for d in days_2),
        "stage_2_open": open_2,
        "stage_3_panels_within_30_working_days": sum(d <= 30 for d in days_3),
        "stage_1_outcomes": dict(sorted(outcomes.items())),
        "ombudsman_decisions": len(decided),
        "ombudsman_upheld": int((ombudsman["decision"] == UPHELD).sum()),
        "ombudsman_remedies": int(ombudsman["remedy"].sum()),
        "with_advocate": int(cases["advocate"].sum()),
        "by_procedure": {snake(p): int(n) for p, n in Counter(cases["procedure"]).items()},
    }
    compliments = ctx.compliments(year=year) if ctx.log.has_kind else ctx.compliments().iloc[:0]
    return {
        "year": financial_year_label(year),
        "complaints": complaints,
        "compliments": {"received": len(compliments)},
    }


def headline(ctx: Context) -> dict[str, Any]:
    """The report year's figures, with ``previous_years`` (latest first) where data exists."""
    figures = year_figures(ctx, ctx.year)
    figures["previous_years"] = [year_figures(ctx, y) for y in reversed(ctx.years[:-1])]
    return figures


def suppress_headline(figures: dict[str, Any], below: int) -> dict[str, Any]:
    """Counts from 1 to below-1 become None, and so does the next smallest count of any
    group whose members add up to a total shown (stage 1 outcomes), so none can be
    worked out."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < below:
            return None
        return value

    def protect(block: dict[str, Any]) -> None:
        outcomes = block["complaints"]["stage_1_outcomes"]
        hidden = [k for k, v in outcomes.items() if v is None]
        shown = sorted((v, k) for k, v in outcomes.items() if v is not None)
        if len(hidden) == 1 and shown:
            outcomes[shown[0][1]] = None

    out = walk(figures)
    for block in [out, *out["previous_years"]]:
        protect(block)
    out["suppressed_below"] = below
    return out
