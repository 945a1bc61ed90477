"""The annual complaints report's tables, charts and documents, from a tagged log.

``build_report(frame, options)`` turns a complaints log into the tables of a
council's statutory annual report (pandas DataFrames ready to publish), its
notes and its headline figures; ``write_report(report, out_dir)`` writes them
as CSV files, report.xlsx, report.docx, report.json, report.md and PNG charts;
``report_from_file`` does both from a file, as ``themes report`` does.

Modules, in the order the work flows:

- ``options``: what is asked (columns, year, suppression) and the Report it gives.
- ``labels``: one spelling per outcome, procedure, stage, decision; free text is "Other".
- ``columns``: finding the log's columns under the names councils use.
- ``prepare``: the log as tidy rows; rows with unusable dates set aside.
- ``cases``: complaints as cases (one per reference), stages as their events.
- ``grids``, ``suppression``: counts before display, and small-number suppression.
- ``context``: what every table builder reads.
- ``tables_complaints``, ``tables_stages``, ``tables_compliments``: the tables.
- ``notes``, ``headline``: the notes on method, and report.json's figures.
- ``build``: ``build_report``.
- ``charts``, ``writers``, ``word``: PNG charts; CSV, JSON, Markdown, Excel; Word.
- ``output``: writing a report folder whole or not at all; ``report_from_file``.

Nothing here reads the free-text column: no complaint text reaches a table,
a note or an error message.
"""

from themes.report.build import BUILDERS, TABLE_TITLES, build_report
from themes.report.charts import CHARTS, PALETTE
from themes.report.columns import ALIASES
from themes.report.labels import (
    normalise_decision,
    normalise_outcome,
    normalise_procedure,
    normalise_stage,
    round_percent,
)
from themes.report.options import (
    ALL_COMPLAINTS,
    ALL_COMPLIMENTS,
    CORPORATE,
    NO_CATEGORY,
    NO_THEME,
    NOT_RECORDED,
    NOT_UPHELD,
    OTHER,
    PARTLY_UPHELD,
    PERCENT_DECIMALS,
    SECONDARY_MARK,
    STATUTORY,
    TOTAL,
    UPHELD,
    LabelSources,
    Report,
    ReportColumns,
    ReportOptions,
)
from themes.report.output import report_from_file, write_report

__all__ = [
    "ALIASES",
    "ALL_COMPLAINTS",
    "ALL_COMPLIMENTS",
    "BUILDERS",
    "CHARTS",
    "CORPORATE",
    "NOT_RECORDED",
    "NOT_UPHELD",
    "NO_CATEGORY",
    "NO_THEME",
    "OTHER",
    "PALETTE",
    "PARTLY_UPHELD",
    "PERCENT_DECIMALS",
    "SECONDARY_MARK",
    "STATUTORY",
    "TABLE_TITLES",
    "TOTAL",
    "UPHELD",
    "LabelSources",
    "Report",
    "ReportColumns",
    "ReportOptions",
    "build_report",
    "normalise_decision",
    "normalise_outcome",
    "normalise_procedure",
    "normalise_stage",
    "report_from_file",
    "round_percent",
    "write_report",
]
