"""``build_report``: from a log to the report's tables, notes and headline figures."""

from __future__ import annotations

from datetime import date

import pandas as pd

from themes.errors import InputFileError, ThemesError
from themes.report.cases import build_cases
from themes.report.context import Context, Skip
from themes.report.grids import Grid, View
from themes.report.headline import headline
from themes.report.notes import date_notes, label_notes, method_notes, reconcile, year_choice_note
from themes.report.options import MIN_YEAR_DAYS, SECONDARY_MARK, Report, ReportOptions
from themes.report.prepare import prepare
from themes.report.suppression import suppress_all
from themes.report.tables_complaints import BUILDERS as COMPLAINT_TABLES
from themes.report.tables_compliments import BUILDERS as COMPLIMENT_TABLES
from themes.report.tables_stages import BUILDERS as STAGE_TABLES
from themes.taxonomy import default_taxonomy
from themes.workdays import financial_year_label, parse_financial_year

_MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")

BUILDERS = {
    "totals_by_year": COMPLAINT_TABLES["totals_by_year"],
    "stages": STAGE_TABLES["stages"],
    "team_procedure": COMPLAINT_TABLES["team_procedure"],
    "complainant": COMPLAINT_TABLES["complainant"],
    "method": COMPLAINT_TABLES["method"],
    "timeliness": STAGE_TABLES["timeliness"],
    "stage_timeliness": STAGE_TABLES["stage_timeliness"],
    "stage_outcomes": STAGE_TABLES["stage_outcomes"],
    "escalation_advocacy": STAGE_TABLES["escalation_advocacy"],
    "ombudsman": STAGE_TABLES["ombudsman"],
    "category_outcome": COMPLAINT_TABLES["category_outcome"],
    "category_outcome_by_year": COMPLAINT_TABLES["category_outcome_by_year"],
    "category_share": COMPLAINT_TABLES["category_share"],
    "theme_outcome": COMPLAINT_TABLES["theme_outcome"],
    **COMPLIMENT_TABLES,
}
"""Every table, in report order."""

TABLE_TITLES: dict[str, str] = {
    "totals_by_year": "Complaints received by year",
    "stages": "Complaints by stage",
    "team_procedure": "Complaints by team",
    "complainant": "Who complained",
    "method": "How complaints were made",
    "timeliness": "Timeliness of stage 1 responses",
    "stage_timeliness": "Time taken at each stage",
    "stage_outcomes": "Outcomes at each stage",
    "escalation_advocacy": "Escalation and advocacy",
    "ombudsman": "The Local Government and Social Care Ombudsman",
    "category_outcome": "Complaints by category and outcome",
    "category_outcome_by_year": "Outcomes by year",
    "category_share": "Categories as a share of complaints",
    "theme_outcome": "Themes of complaints and their outcomes",
    "compliments_by_year": "Compliments received by year",
    "compliments_by_team": "Compliments by team",
    "compliments_by_source": "Who gave compliments",
    "compliments_by_channel": "How compliments were received",
    "compliment_themes": "What people valued",
}
"""Every table the report can contain, in report order, with its title."""


def _spans(rows: pd.DataFrame) -> dict[int, tuple[date, date]]:
    """Year -> (first, last) date received of the records counted in it."""
    spans: dict[int, tuple[date, date]] = {}
    for year, day in zip(rows["year"], rows["received"], strict=True):
        first, last = spans.get(year, (day, day))
        spans[year] = (min(first, day), max(last, day))
    return spans


def _part_label(year: int, first: date, last: date) -> str | None:
    """ "2023/24 (Feb–Mar only)" when the data covers fewer than twelve months of the year."""
    start = (first.year - year) * 12 + first.month - 4
    end = (last.year - year) * 12 + last.month - 4
    if end - start + 1 >= 12:
        return None
    months = _MONTHS[start] if start == end else f"{_MONTHS[start]}–{_MONTHS[end]}"
    return f"{financial_year_label(year)} ({months} only)"


def _choose_year(
    options: ReportOptions, spans: dict[int, tuple[date, date]], rows: int
) -> tuple[int, dict[int, tuple[date, date]]]:
    if not spans:
        raise InputFileError(
            f"no row of the log has a usable date received (of {rows} rows); expected "
            "readable dates like 01/04/2023, 1 April 2023 or 2023-04-01, from 2000 to today; "
            "check --date-received-column"
        )
    dated = sorted(spans)
    if options.year is not None:
        try:
            year = parse_financial_year(options.year)
        except ValueError as exc:
            raise ThemesError(f"--year: {exc}") from None
        if year not in spans:
            raise InputFileError(
                f"no complaints or compliments were received in {financial_year_label(year)}; "
                f"the log covers {financial_year_label(dated[0])} to "
                f"{financial_year_label(dated[-1])}; pass --year with a year in that range"
            )
        return year, {}
    full = [y for y in dated if (spans[y][1] - spans[y][0]).days + 1 >= MIN_YEAR_DAYS]
    year = full[-1] if full else dated[-1]
    return year, {y: spans[y] for y in dated if y > year}


def build_report(frame: pd.DataFrame, options: ReportOptions | None = None) -> Report:
    """Build the annual report's tables from a complaints log.

    ``frame`` is the log as read by ``themes.io.read_table`` (CSV, Excel or JSON
    lines). Tables that need a column the log lacks are skipped and listed in
    ``Report.skipped``; the others are produced. Raises ColumnError when the date
    received column (or a column named in ``options``) is missing, InputFileError
    when no row has a usable date or the chosen year has no records, and
    ThemesError for invalid options.
    """
    options = options or ReportOptions()
    taxonomy = options.taxonomy or default_taxonomy()
    log = prepare(frame, options, taxonomy)
    cases = build_cases(log.rows, options.log_shape)
    rows = log.rows
    counted = cases.cases[cases.cases["counted"]]
    compliments = rows[rows["compliment"] & (rows["fate"] == "")]
    records = pd.concat(
        [counted[["year", "received"]], compliments[["year", "received"]]], ignore_index=True
    )
    spans = _spans(records)
    year, passed_over = _choose_year(options, spans, len(rows))
    first = max(min(spans), year - options.trend_years + 1)
    years = list(range(first, year + 1))
    shown = {}
    for y in years:
        if y in spans:
            label = _part_label(y, *spans[y])
            if label:
                shown[y] = label
    ctx = Context(log=log, cases=cases, taxonomy=taxonomy, year=year, years=years, shown=shown)

    grids: list[Grid] = []
    skipped: dict[str, str] = {}
    for name, builder in BUILDERS.items():
        try:
            grids.append(builder(ctx))
        except Skip as reason:
            skipped[name] = str(reason)
    hidden = suppress_all(grids, options.suppress_below)
    tables: dict[str, pd.DataFrame] = {}
    captions: dict[str, str] = {}
    for grid in grids:
        assert grid.render is not None
        table, caption = grid.render(View(grid, options.suppress_below, hidden[grid.name]))
        tables[grid.name] = table
        captions[grid.name] = caption

    notes = list(log.notes)
    reconciled, problems = reconcile(ctx, len(frame))
    notes += reconciled
    notes += year_choice_note(passed_over, ctx.label)
    notes += method_notes(ctx)
    dates, date_problems = date_notes(ctx)
    notes += dates
    problems.update(date_problems)
    labelled, sources = label_notes(ctx)
    notes += labelled
    if options.suppress_below:
        n = options.suppress_below
        notes.append(
            f"Counts from 1 to {n - 1} are shown as <{n}; {SECONDARY_MARK} marks a count hidden "
            f"so that a count below {n} cannot be worked out from the totals; percentages and "
            "averages of hidden counts are hidden too."
        )
    return Report(
        year=ctx.label,
        years=ctx.labels(),
        tables=tables,
        titles={name: TABLE_TITLES[name] for name in tables},
        captions=captions,
        skipped=skipped,
        notes=notes,
        label_sources=sources,
        date_problems=problems,
        suppress_below=options.suppress_below,
        rows_read=len(frame),
        column_map=log.columns.used(),
        headline=headline(ctx),
        year_labels={financial_year_label(y): label for y, label in shown.items()},
    )
