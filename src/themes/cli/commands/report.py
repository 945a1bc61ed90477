"""``themes report``: the annual report's tables and charts from a tagged log."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import read_options
from themes.cli.session import user_errors


def _column(name: str, what: str) -> Any:
    return typer.Option(f"--{name}-column", help=f"Column with {what}.")


@read_options
def report(
    log: Annotated[Path, typer.Argument(help="Tagged log: .csv, .xlsx or .jsonl.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for report.docx, report.xlsx, report.json, report.md, tables/, charts/.",
        ),
    ],
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            help="Report year, e.g. 2023/24 (default: the latest with at least 28 days of data).",
        ),
    ] = None,
    suppress_below: Annotated[
        int | None,
        typer.Option(
            "--suppress-below",
            min=2,
            help="Show counts from 1 to N-1 as <N, and hide what would reveal them (5 is usual).",
        ),
    ] = None,
    trend_years: Annotated[
        int, typer.Option("--trend-years", min=1, help="Years in the trend tables.")
    ] = 5,
    procedure: Annotated[
        str | None,
        typer.Option(
            "--procedure",
            help="statutory or corporate: the procedure of every complaint, whatever the log "
            "says (default: the procedure column; without one, statutory).",
        ),
    ] = None,
    log_shape: Annotated[
        str,
        typer.Option(
            "--log-shape",
            help="auto, stage-per-row or complaint-per-row: how a lone row at stage 2 or later "
            "is read (logged first there, or the highest stage reached).",
        ),
    ] = "auto",
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy", help="Taxonomy YAML for display names (default: the shipped one)."
        ),
    ] = None,
    reference_column: Annotated[str, _column("reference", "the reference")] = "reference",
    date_received_column: Annotated[
        str, _column("date-received", "the date received")
    ] = "date_received",
    date_responded_column: Annotated[
        str, _column("date-responded", "the date responded or closed")
    ] = "date_responded",
    kind_column: Annotated[str, _column("kind", "complaint/compliment")] = "kind",
    procedure_column: Annotated[str, _column("procedure", "statutory/corporate")] = "procedure",
    stage_column: Annotated[
        str, _column("stage", 'the stage; "" when the log has one row per complaint')
    ] = "stage",
    team_column: Annotated[str, _column("team", "the team or service")] = "team",
    complainant_column: Annotated[
        str, _column("complainant", "who complained or gave the compliment")
    ] = "complainant",
    method_column: Annotated[str, _column("method", "how it was received")] = "method",
    themes_column: Annotated[str, _column("themes", "theme ids separated by ';'")] = "themes",
    category_column: Annotated[str, _column("category", "the category id")] = "category",
    outcome_column: Annotated[str, _column("outcome", "the outcome")] = "outcome",
    advocate_column: Annotated[
        str, _column("advocate", "whether an advocate was involved")
    ] = "advocate",
    ombudsman_decision_column: Annotated[
        str, _column("ombudsman-decision", "the Ombudsman's (LGSCO) decision")
    ] = "ombudsman_decision",
    remedy_column: Annotated[
        str, _column("remedy", "the remedy the Ombudsman asked for")
    ] = "remedy",
    read: Any = None,
) -> None:
    """Build the annual report (tables, charts, Word, Excel, JSON) from a tagged log."""
    with user_errors():
        from themes.report import ReportColumns, ReportOptions, report_from_file
        from themes.taxonomy import load_taxonomy

        columns = ReportColumns(
            reference=reference_column,
            date_received=date_received_column,
            date_responded=date_responded_column,
            kind=kind_column,
            procedure=procedure_column,
            stage=stage_column,
            team=team_column,
            complainant=complainant_column,
            method=method_column,
            themes=themes_column,
            category=category_column,
            outcome=outcome_column,
            advocate=advocate_column,
            ombudsman_decision=ombudsman_decision_column,
            remedy=remedy_column,
        )
        options = ReportOptions(
            year=year,
            suppress_below=suppress_below,
            trend_years=trend_years,
            columns=columns,
            procedure=procedure,
            log_shape=log_shape,
            taxonomy=load_taxonomy(taxonomy) if taxonomy is not None else None,
        )
        result, written = report_from_file(
            log,
            out,
            options,
            encoding=read.encoding,
            sheet=read.sheet,
            header_row=read.header_row,
            delimiter=read.delimiter,
        )
    render.report(result, written, out)
