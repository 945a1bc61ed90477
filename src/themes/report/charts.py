"""The report's charts, drawn from its (already suppressed) tables as PNG files.

A chart whose bars would all be hidden by suppression is left out, with the
reason, instead of being drawn as an empty axis of "<5" labels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from themes.report.options import (
    ALL_COMPLAINTS,
    NO_THEME,
    SECONDARY_MARK,
    TOTAL,
    Report,
)

CHARTS: dict[str, tuple[str, str]] = {
    "trend": ("totals_by_year", "Complaints received by year and procedure"),
    "categories_by_year": ("category_share", "Complaints by category and year"),
    "top_themes": ("theme_outcome", "Most common themes in complaints"),
    "compliments_by_team": ("compliments_by_team", "Compliments by team"),
}
"""Chart file stem -> (the table it is drawn from, what it shows)."""

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")

_YEAR_AXIS = "Financial year (1 April to 31 March)"


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bar_parts(values: Sequence[Any]) -> tuple[list[float], list[str]]:
    """Bar heights and labels: a hidden count draws no bar but keeps its "<5" label."""
    heights, labels = [], []
    for value in values:
        if _is_count(value):
            heights.append(float(value))
            labels.append(f"{value:g}")
        else:
            heights.append(0.0)
            labels.append(str(value))
    return heights, labels


def _figure(width: float = 7.0, height: float = 4.2) -> tuple[Any, Any]:
    # 7 inches wide is about the text width of an A4 Word page, so text keeps its size.
    # Figure + Agg canvas directly: no pyplot, so no global backend is switched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=200, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=10)
    return figure, axes


def _finish(figure: Any, report: Report, path: Path, title: str) -> None:
    figure.suptitle(title, fontsize=13, fontweight="bold")
    if report.suppress_below:
        # Keep a strip at the bottom free for the key, below the axis label.
        height = figure.get_figheight()
        figure.get_layout_engine().set(rect=(0, 0.3 / height, 1, 1 - 0.3 / height))
        figure.text(
            0.01,
            0.005,
            f"<{report.suppress_below}: fewer than {report.suppress_below}; "
            f"{SECONDARY_MARK}: hidden to protect small numbers",
            fontsize=8,
            color="#444444",
            ha="left",
            va="bottom",
        )
    figure.savefig(path, format="png")


def _grouped_bars(
    axes: Any, groups: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]]
) -> None:
    from matplotlib.ticker import MaxNLocator

    width = 0.8 / max(len(series), 1)
    top = 0.0
    for i, (name, values) in enumerate(series):
        heights, labels = _bar_parts(values)
        top = max([top, *heights])
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        # The Total series is grey so the parts keep the palette's first colours.
        colour = "#666666" if name == TOTAL else PALETTE[i % len(PALETTE)]
        bars = axes.bar(xs, heights, width * 0.95, label=name, color=colour)
        axes.bar_label(bars, labels=labels, padding=2, fontsize=9)
    axes.set_xticks(range(len(groups)), [textwrap.fill(g, 14) for g in groups])
    axes.set_ylim(0, top * 1.12 + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    # Above the plot, so it never hides a bar.
    axes.legend(
        frameon=False,
        fontsize=9,
        ncols=min(len(series), 4),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )


def _horizontal_bars(
    axes: Any, labels: Sequence[str], counts: Sequence[Any], pcts: Sequence[Any]
) -> None:
    from matplotlib.ticker import MaxNLocator

    heights, texts = _bar_parts(counts)
    texts = [f"{t} ({p}%)" if _is_count(p) else t for t, p in zip(texts, pcts, strict=True)]
    wrapped = [textwrap.fill(str(label), 28) for label in labels]
    bars = axes.barh(range(len(labels)), heights, color=PALETTE[0], height=0.7)
    axes.bar_label(bars, labels=texts, padding=3, fontsize=9)
    axes.set_yticks(range(len(labels)), wrapped)
    axes.invert_yaxis()
    axes.set_xlim(0, max([*heights, 1]) * 1.25)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)


def _trend(report: Report) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    """Each procedure with a complaint, and the total; the total alone when one procedure
    holds every complaint (a log without a procedure column is all statutory)."""
    table = report.tables["totals_by_year"]
    parts = [
        (str(c), list(table[c]))
        for c in table.columns[1:-1]
        if any(not _is_count(v) or v > 0 for v in table[c])
    ]
    total = (TOTAL, list(table[TOTAL]))
    return list(table["Year"]), [*parts, total] if len(parts) > 1 else [total]


def _categories(report: Report) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    table = report.tables["category_share"]
    body = table[table["Category"] != TOTAL]
    years = [report.shown_year(y) for y in report.years]
    series = [
        (str(category), [body.iloc[i][f"{y} n"] for y in years])
        for i, category in enumerate(body["Category"])
    ]
    return years, series


def _themes_body(report: Report, top: int) -> Any:
    table = report.tables["theme_outcome"]
    return table[~table["Theme"].isin([NO_THEME, ALL_COMPLAINTS])].head(top)


def _compliments_body(report: Report) -> Any:
    table = report.tables["compliments_by_team"]
    return table[table["Team"] != TOTAL]


def _draw_trend(report: Report, path: Path, top: int) -> None:
    groups, series = _trend(report)
    figure, axes = _figure()
    _grouped_bars(axes, groups, series)
    axes.set_xlabel(_YEAR_AXIS, fontsize=11)
    axes.set_ylabel("Complaints received (number)", fontsize=11)
    _finish(figure, report, path, f"Complaints received by year, {report.period}")


def _draw_categories(report: Report, path: Path, top: int) -> None:
    groups, series = _categories(report)
    figure, axes = _figure()
    _grouped_bars(axes, groups, series)
    axes.set_xlabel(_YEAR_AXIS, fontsize=11)
    axes.set_ylabel("Complaints received (number)", fontsize=11)
    _finish(figure, report, path, f"Complaints by category, {report.period}")


def _draw_themes(report: Report, path: Path, top: int) -> None:
    body = _themes_body(report, top)
    figure, axes = _figure(7.0, max(3.0, 0.42 * len(body) + 1.6))
    _horizontal_bars(
        axes, list(body["Theme"]), list(body["Complaints"]), list(body["% of complaints"])
    )
    axes.set_xlabel(
        "Complaints with this theme: number (% of the year's complaints)\n"
        "a complaint can have several themes",
        fontsize=10,
    )
    _finish(figure, report, path, f"Most common themes in complaints, {report.year}")


def _draw_compliments(report: Report, path: Path, top: int) -> None:
    body = _compliments_body(report)
    figure, axes = _figure(7.0, max(3.0, 0.42 * len(body) + 1.6))
    _horizontal_bars(
        axes, list(body["Team"]), list(body["Compliments"]), list(body["% of compliments"])
    )
    axes.set_xlabel("Compliments received: number (% of the year's compliments)", fontsize=10)
    _finish(figure, report, path, f"Compliments by team, {report.year}")


def _values(report: Report, stem: str, top: int) -> list[Any]:
    if stem == "trend":
        return [v for _, values in _trend(report)[1] for v in values]
    if stem == "categories_by_year":
        return [v for _, values in _categories(report)[1] for v in values]
    if stem == "top_themes":
        return list(_themes_body(report, top)["Complaints"])
    return list(_compliments_body(report)["Compliments"])


_DRAW: dict[str, Callable[[Report, Path, int], None]] = {
    "trend": _draw_trend,
    "categories_by_year": _draw_categories,
    "top_themes": _draw_themes,
    "compliments_by_team": _draw_compliments,
}


def chart_plan(report: Report, top: int = 10) -> dict[str, str | None]:
    """Chart stem -> None when it can be drawn, else why it is left out."""
    plan: dict[str, str | None] = {}
    for stem, (table, _) in CHARTS.items():
        if table not in report.tables:
            plan[stem] = f"the {table} table was not produced"
            continue
        values = _values(report, stem, top)
        if not any(_is_count(v) and v > 0 for v in values):
            hidden = any(not _is_count(v) for v in values)
            plan[stem] = (
                "every bar is hidden by small-number suppression"
                if hidden
                else "there is nothing to draw (every count is 0)"
            )
        else:
            plan[stem] = None
    return plan


def draw_charts(report: Report, folder: Path, top: int = 10) -> dict[str, Path]:
    """Draw every chart that can be drawn into ``folder``; stem -> PNG path."""
    drawn: dict[str, Path] = {}
    for stem, reason in chart_plan(report, top).items():
        if reason is None:
            path = folder / f"{stem}.png"
            _DRAW[stem](report, path, top)
            drawn[stem] = path
    return drawn
