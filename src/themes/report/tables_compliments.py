"""Tables about compliments: by year, team, source, channel, and what people valued."""

from __future__ import annotations

import pandas as pd

from themes.report.context import ROUNDING, Context, by_count, shown_order
from themes.report.grids import Grid, View, crosstab, frame
from themes.report.options import ALL_COMPLIMENTS, TOTAL
from themes.report.tables_complaints import themes_table


def _compliment_themes(ctx: Context) -> Grid:
    ctx.need_themes()
    data = ctx.need_compliments(year_only=True)
    return themes_table(
        ctx,
        "compliment_themes",
        data,
        False,
        "compliments",
        ALL_COMPLIMENTS,
        ("compliments", ctx.year),
    )


def _compliments_by_year(ctx: Context) -> Grid:
    data = ctx.need_compliments()
    counts, lines = crosstab(
        ((y, "n") for y in data["year"]), ctx.years, ["n"], total_row=False, total_col=False
    )
    keys = {(y, "n"): ("compliments", y) for y in ctx.years}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            ["Year", "Compliments"],
            ([ctx.show(y), view.count((y, "n"))] for y in ctx.years),
        )
        caption = (
            f"Compliments received each year, {ctx.labels()[0]} to {ctx.label}; "
            f"base: {ctx.label} n={view.word((ctx.year, 'n'))} compliments."
        )
        return table, caption

    return Grid("compliments_by_year", counts, lines, keys, render)


def _compliments_share(ctx: Context, name: str, column: str, label: str, what: str) -> Grid:
    ctx.need(column)
    data = ctx.need_compliments(year_only=True)
    order = by_count(data[column])
    counts, lines = crosstab(
        ((v, "n") for v in data[column]), order, ["n"], total_row=True, total_col=False
    )
    keys = {(TOTAL, "n"): ("compliments", ctx.year)}

    def render(view: View) -> tuple[pd.DataFrame, str]:
        table = frame(
            [label, "Compliments", "% of compliments"],
            (
                [r, view.count((r, "n")), view.pct((r, "n"), (TOTAL, "n"))]
                for r in [*shown_order(order, lambda r: (r, "n") in view.hidden, str), TOTAL]
            ),
        )
        caption = (
            f"{what} in {ctx.label}: number and % of the year's compliments; "
            f"base: n={view.word((TOTAL, 'n'))} compliments; {ROUNDING}."
        )
        return table, caption

    return Grid(name, counts, lines, keys, render)


BUILDERS = {
    "compliments_by_year": _compliments_by_year,
    "compliments_by_team": lambda ctx: _compliments_share(
        ctx, "compliments_by_team", "team", "Team", "Compliments by team"
    ),
    "compliments_by_source": lambda ctx: _compliments_share(
        ctx, "compliments_by_source", "complainant", "Source", "Who gave compliments"
    ),
    "compliments_by_channel": lambda ctx: _compliments_share(
        ctx, "compliments_by_channel", "method", "Channel", "How compliments were received"
    ),
    "compliment_themes": _compliment_themes,
}
"""Table name -> builder, in report order."""
