"""What a report is asked for (columns, year, suppression) and what it holds once built."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from themes.errors import ThemesError
from themes.taxonomy import Taxonomy

PERCENT_DECIMALS = 0
"""Decimal places of every percentage in the report (0: whole numbers, as councils publish)."""

SECONDARY_MARK = "[c]"
"""Shown for a cell hidden so that a small number elsewhere cannot be worked out."""

TOTAL = "Total"
NOT_RECORDED = "Not recorded"
OTHER = "Other"
STATUTORY = "Statutory"
CORPORATE = "Corporate"
UPHELD = "Upheld"
NOT_UPHELD = "Not upheld"
PARTLY_UPHELD = "Partly upheld"
NO_CATEGORY = "Not categorised"
NO_THEME = "No theme recorded"
ALL_COMPLAINTS = "All complaints"
ALL_COMPLIMENTS = "All compliments"

STAGES = ("Stage 1", "Stage 2", "Stage 3", "LGSCO")
"""The stages a complaint can reach, in order; LGSCO is the Ombudsman."""

LOG_SHAPES = ("auto", "stage-per-row", "complaint-per-row")
"""How a log records stages: ``auto`` decides from repeated references."""

PROCEDURES = ("statutory", "corporate")

MIN_YEAR_DAYS = 28
"""The default report year is the latest whose dates received span at least this many days."""

EARLIEST_YEAR = 2000
"""Dates received before 1 January of this year are set aside as mistakes."""


@dataclass(frozen=True)
class ReportColumns:
    """Names of the log's columns. Set one to "" when the log has no such column.

    A name is matched exactly, then ignoring case, spaces and punctuation
    ("Date Received" finds ``date_received``); a default name that is absent is
    looked for under the names councils use ("Ref", "Type", "Service", "LGSCO
    decision"...). A default name that is absent only skips the tables that need
    it; a name you set that is absent is an error.
    """

    reference: str = "reference"
    date_received: str = "date_received"
    date_responded: str = "date_responded"
    kind: str = "kind"
    procedure: str = "procedure"
    stage: str = "stage"
    team: str = "team"
    complainant: str = "complainant"
    method: str = "method"
    themes: str = "themes"
    category: str = "category"
    outcome: str = "outcome"
    advocate: str = "advocate"
    ombudsman_decision: str = "ombudsman_decision"
    remedy: str = "remedy"
    text: str = "text"
    suggested_kind: str = "suggested_kind"
    suggested_themes: str = "suggested_themes"
    suggested_category: str = "suggested_category"
    needs_review: str = "needs_review"
    reviewed: str = "reviewed"

    @staticmethod
    def option_for(name: str) -> str:
        """The option that sets a column: ``date_received`` -> ``--date-received-column``."""
        return f"--{name.replace('_', '-')}-column"


@dataclass(frozen=True)
class ReportOptions:
    """Everything ``build_report`` needs besides the log.

    year: the report year ("2023/24" or "2023-24"); None for the latest year with
        at least ``MIN_YEAR_DAYS`` days of data.
    suppress_below: hide counts from 1 to N-1 (and what would reveal them); None for none.
    trend_years: how many years the trend tables cover, ending with the report year.
    top_themes: how many themes the top-themes chart shows.
    procedure: "statutory" or "corporate" for every complaint, overriding the log's
        procedure column; None to read the column (a log without one is all statutory).
    log_shape: "auto", "stage-per-row" or "complaint-per-row" (see ``themes.report.cases``).
    today: dates received after this day are set aside (None: the real today).
    taxonomy: display names and order of categories and themes (default taxonomy if None).
    """

    year: str | None = None
    suppress_below: int | None = None
    trend_years: int = 5
    top_themes: int = 10
    columns: ReportColumns = field(default_factory=ReportColumns)
    procedure: str | None = None
    log_shape: str = "auto"
    today: date | None = None
    taxonomy: Taxonomy | None = None

    def __post_init__(self) -> None:
        below = self.suppress_below
        if below is not None and (
            isinstance(below, bool) or not isinstance(below, int) or below < 2
        ):
            raise ThemesError(
                "--suppress-below must be a whole number of 2 or more (5 is usual), found "
                f"{below!r}; leave it out to publish every count"
            )
        if self.trend_years < 1:
            raise ThemesError(f"trend_years must be 1 or more, found {self.trend_years}")
        if self.procedure is not None and self.procedure.strip().lower() not in PROCEDURES:
            raise ThemesError(
                f"--procedure must be statutory or corporate, found {self.procedure!r}; "
                "leave it out to read the log's procedure column"
            )
        if self.log_shape not in LOG_SHAPES:
            raise ThemesError(
                f"--log-shape must be one of {', '.join(LOG_SHAPES)}, found {self.log_shape!r}"
            )


@dataclass(frozen=True)
class LabelSources:
    """How many records took a label from the officer, from the suggestion, or had none."""

    officer: int = 0
    suggested: int = 0
    missing: int = 0

    def __str__(self) -> str:
        return (
            f"{self.officer} from the officer's column, {self.suggested} suggested, "
            f"{self.missing} blank"
        )


@dataclass
class Report:
    """The report's tables (DataFrames, already suppressed) and what the reader must know.

    tables: name -> table; the first column is the row label.
    titles, captions: name -> title, and a one-line caption stating the base n.
    skipped: name -> why the table could not be produced.
    notes: sentences about what was counted and any data problems.
    label_sources: "kind", "category", "themes" -> where those labels came from.
    date_problems: what was wrong with dates -> number of rows.
    column_map: what each column of the log was read as (field -> column name).
    headline: the year's headline figures (report.json), before suppression.
    year_labels: year -> its label in tables and charts, for part years only.
    """

    year: str
    years: list[str]
    tables: dict[str, pd.DataFrame]
    titles: dict[str, str]
    captions: dict[str, str]
    skipped: dict[str, str]
    notes: list[str]
    label_sources: dict[str, LabelSources]
    date_problems: dict[str, int]
    suppress_below: int | None
    rows_read: int
    column_map: dict[str, str] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)
    year_labels: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> str:
        """The years covered, e.g. "2019/20 to 2023/24"."""
        return self.years[0] if len(self.years) == 1 else f"{self.years[0]} to {self.years[-1]}"

    def shown_year(self, label: str) -> str:
        """A year as tables show it: "2023/24 (Feb–Mar only)" for a part year."""
        return self.year_labels.get(label, label)
