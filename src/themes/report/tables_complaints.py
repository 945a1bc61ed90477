"""Tables about the complaints received: totals, teams, who and how, categories, outcomes, themes.

Each complaint is counted once (see ``themes.report.cases``); its category,
themes, team and outcome are those of its first stage record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

import pandas as pd

from themes.report.context import (
    ROUNDING,
    Context,
    by_count,
    outcome_order,
    procedure_order,
    shown_order,
)
from themes.report.grids import Cell, Grid, Value, View, crosstab, frame
from themes.report.labels import OUTCOME_ORDER
from themes.report.options import ALL_COMPLAINTS, NO_THEME, TOTAL


def _totals_by_year(ctx: Context) -> Grid:
    data = ctx.complaints()
    procs = procedure_order(data["procedure"])
    counts, lines = crosstab(
        zip(data["year"], data["procedure"], strict=True),
        ctx.years,
        procs,
        total_row=False,
        total_col=True,
    )
    keys = {(y, p): ("complaints", y, p) for y in ctx.years for p in [*procs, TOTAL]}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Year", *procs, TOTAL],
            ([ctx.show(y), *(view.count((y, p)) for p in [*procs, TOTAL])] for y in ctx.years),
        )
        caption = (
            f"Complaints received each year, {ctx.labels()[0]} to {ctx.label}, by procedure; "
            f"base: each year's complaints (Total column; "
            f"{ctx.label} n={view.word((ctx.year, TOTAL))})."
        )
        return table, caption

    return Grid("totals_by_year", counts, lines, keys, render)


def _team_procedure(ctx: Context) -> Grid:
    ctx.need("team")
    data = ctx.complaints(year=ctx.year)
    procs = procedure_order(data["procedure"])
    teams = by_count(data["team"])
    counts, lines = crosstab(
        zip(data["team"], data["procedure"], strict=True),
        teams,
        procs,
        total_row=True,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(TOTAL, p): ("complaints", ctx.year, p) for p in procs}
    keys[(TOTAL, TOTAL)] = ("complaints", ctx.year, TOTAL)

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Team", *procs, TOTAL],
            (
                [t, *(view.count((t, p)) for p in [*procs, TOTAL])]
                for t in [*shown_order(teams, lambda t: (t, TOTAL) in view.hidden, str), TOTAL]
            ),
        )
        caption = (
            f"Complaints received in {ctx.label} by team and procedure; "
            f"base: n={view.word((TOTAL, TOTAL))} complaints."
        )
        return table, caption

    return Grid("team_procedure", counts, lines, keys, render)


def _share_by_year(ctx: Context, name: str, column: str, label: str, what: str) -> Grid:
    """Rows of a label (complainant, method, category) by year: counts and % of the year."""
    data = ctx.complaints()
    if column == "category":
        order = ctx.category_order(data["category"])
        show = ctx.name
    else:
        this_year = data[data["year"] == ctx.year]
        order = by_count(this_year[column], data[column])
        show = str
    counts, lines = crosstab(
        zip(data[column], data["year"], strict=True),
        order,
        ctx.years,
        total_row=True,
        total_col=False,
    )
    keys: dict[Cell, Hashable] = {(TOTAL, y): ("complaints", y, TOTAL) for y in ctx.years}
    if column == "category":
        keys.update({(c, y): ("category", y, c) for c in order for y in ctx.years})

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = [label]
        for y in ctx.years:
            header += [f"{ctx.show(y)} n", f"{ctx.show(y)} %"]
        body = []
        shown = order
        if column != "category":
            shown = shown_order(order, lambda r: (r, ctx.year) in view.hidden, str)
        for r in [*shown, TOTAL]:
            line: list[Value] = [show(r) if r != TOTAL else TOTAL]
            for y in ctx.years:
                line += [view.count((r, y)), view.pct((r, y), (TOTAL, y))]
            body.append(line)
        caption = (
            f"{what}, {ctx.labels()[0]} to {ctx.label}: number and % of each year's complaints; "
            f"base: each year's complaints (Total row; "
            f"{ctx.label} n={view.word((TOTAL, ctx.year))}); "
            f"{ROUNDING}."
        )
        return frame(header, body), caption

    return Grid(name, counts, lines, keys, render)


def _complainant(ctx: Context) -> Grid:
    ctx.need("complainant")
    return _share_by_year(ctx, "complainant", "complainant", "Complainant", "Who complained")


def _method(ctx: Context) -> Grid:
    ctx.need("method")
    return _share_by_year(ctx, "method", "method", "Method", "How complaints were made")


def _category_share(ctx: Context) -> Grid:
    ctx.need_category()
    return _share_by_year(ctx, "category_share", "category", "Category", "Complaints by category")


def _category_outcome(ctx: Context) -> Grid:
    ctx.need_category()
    ctx.need("outcome")
    data = ctx.complaints(year=ctx.year)
    cats = ctx.category_order(data["category"])
    outcomes = outcome_order(ctx.complaints()["outcome"])
    outcomes = [o for o in outcomes if o in OUTCOME_ORDER[:3] or o in set(data["outcome"])]
    counts, lines = crosstab(
        zip(data["category"], data["outcome"], strict=True),
        cats,
        outcomes,
        total_row=True,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(c, TOTAL): ("category", ctx.year, c) for c in cats}
    keys.update({(TOTAL, o): ("outcome", ctx.year, o) for o in outcomes})
    keys[(TOTAL, TOTAL)] = ("complaints", ctx.year, TOTAL)

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Category", *outcomes, TOTAL],
            (
                [
                    ctx.name(c) if c != TOTAL else TOTAL,
                    *(view.count((c, o)) for o in [*outcomes, TOTAL]),
                ]
                for c in [*cats, TOTAL]
            ),
        )
        caption = (
            f"Complaints received in {ctx.label} by category and outcome (the outcome of "
            "the first stage recorded); "
            f"base: n={view.word((TOTAL, TOTAL))} complaints."
        )
        return table, caption

    return Grid("category_outcome", counts, lines, keys, render)


def _category_outcome_by_year(ctx: Context) -> Grid:
    ctx.need("outcome")
    data = ctx.complaints()
    outcomes = outcome_order(data["outcome"])
    counts, lines = crosstab(
        zip(data["year"], data["outcome"], strict=True),
        ctx.years,
        outcomes,
        total_row=False,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(y, o): ("outcome", y, o) for y in ctx.years for o in outcomes}
    keys.update({(y, TOTAL): ("complaints", y, TOTAL) for y in ctx.years})

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Year", *outcomes, TOTAL],
            ([ctx.show(y), *(view.count((y, o)) for o in [*outcomes, TOTAL])] for y in ctx.years),
        )
        caption = (
            f"Outcomes of complaints by year received, {ctx.labels()[0]} to {ctx.label}; "
            f"base: each year's complaints (Total column; {ctx.label} "
            f"n={view.word((ctx.year, TOTAL))})."
        )
        return table, caption

    return Grid("category_outcome_by_year", counts, lines, keys, render)


def themes_table(
    ctx: Context,
    name: str,
    data: pd.DataFrame,
    with_outcomes: bool,
    noun: str,
    all_label: str,
    all_key: Hashable,
) -> Grid:
    """Themes (several per record) by count, most first, with an "all records" base row."""
    order_known = ctx.taxonomy.theme_ids
    tally = Counter(t for themes in data["themes"] for t in themes)
    themes = sorted(
        tally, key=lambda t: (-tally[t], order_known.index(t) if t in order_known else 999, t)
    )
    none = sum(1 for themes in data["themes"] if not themes)
    rows = [*themes, *([NO_THEME] if none else []), all_label]
    themes_of = [ts if ts else (NO_THEME,) for ts in data["themes"]]
    counts: dict[Cell, int] = {}
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    keys: dict[Cell, Hashable] = {(all_label, "n"): all_key}
    outcomes: list[str] = []
    if with_outcomes:
        outcomes = outcome_order(data["outcome"])
        pairs = Counter(
            (t, o) for ts, o in zip(themes_of, data["outcome"], strict=True) for t in ts
        )
        pairs.update((all_label, o) for o in data["outcome"])
        for r in rows:
            for o in outcomes:
                counts[(r, o)] = pairs.get((r, o), 0)
            lines.append((tuple((r, o) for o in outcomes), (r, "n")))
        keys.update({(all_label, o): ("outcome", ctx.year, o) for o in outcomes})
    per_row = Counter(t for ts in themes_of for t in ts)
    for r in rows:
        counts[(r, "n")] = per_row.get(r, 0) if r != all_label else len(data)

    def render(view: View) -> tuple[pd.DataFrame, str]:
        header = ["Theme", noun.capitalize(), f"% of {noun}"]
        if with_outcomes:
            header.append("Outcomes")
        body = []
        themes_shown = shown_order(rows[:-1], lambda r: (r, "n") in view.hidden, ctx.name)
        for r in [*themes_shown, all_label]:
            line: list[Value] = [
                ctx.name(r),
                view.count((r, "n")),
                view.pct((r, "n"), (all_label, "n")),
            ]
            if with_outcomes:
                parts = [
                    f"{view.count((r, o))} {o.lower()}"
                    for o in outcomes
                    if counts[(r, o)] > 0 or (r, o) in view.hidden
                ]
                line.append(", ".join(parts))
            body.append(line)
        caption = (
            f"Themes of {noun} received in {ctx.label}, most common first; a record can have "
            f"several themes, so the rows add up to more than the base; "
            f"base: n={view.word((all_label, 'n'))} {noun}; {ROUNDING}."
        )
        return frame(header, body), caption

    return Grid(name, counts, lines, keys, render)


def _theme_outcome(ctx: Context) -> Grid:
    ctx.need_themes()
    ctx.need("outcome")
    data = ctx.complaints(year=ctx.year)
    return themes_table(
        ctx,
        "theme_outcome",
        data,
        True,
        "complaints",
        ALL_COMPLAINTS,
        ("complaints", ctx.year, TOTAL),
    )


BUILDERS = {
    "totals_by_year": _totals_by_year,
    "team_procedure": _team_procedure,
    "complainant": _complainant,
    "method": _method,
    "category_outcome": _category_outcome,
    "category_outcome_by_year": _category_outcome_by_year,
    "category_share": _category_share,
    "theme_outcome": _theme_outcome,
}
"""Table name -> builder, in report order."""
