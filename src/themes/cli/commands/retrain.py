"""``themes retrain``: learn from officers' corrections, behind a quality gate."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import RegistryOption, ReviewedColumn, column_options, read_options
from themes.cli.session import quiet_library_warnings, user_errors, warn


@read_options
@column_options()
def retrain(
    files: Annotated[
        list[Path], typer.Argument(help="Review files: tagged logs with officers' corrections.")
    ],
    all_labelled: Annotated[
        bool,
        typer.Option(
            "--all-labelled", help="Learn from every labelled row, not only reviewed ones."
        ),
    ] = False,
    registry: RegistryOption = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Start from this model instead of the active one."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Make the new version active even if the gate refuses it."),
    ] = False,
    weight: Annotated[
        float,
        typer.Option(
            "--weight", help="How many starter rows one correction counts as (more than 1)."
        ),
    ] = 4.0,
    max_churn: Annotated[
        float,
        typer.Option(
            "--max-churn",
            min=0.0,
            max=1.0,
            help="Largest share of the review files' uncorrected rows whose suggestion may "
            "change before the gate refuses the new version.",
        ),
    ] = 0.30,
    strict_reviewed: Annotated[
        bool,
        typer.Option(
            "--strict-reviewed",
            help="Refuse a file with a mark in the reviewed column that is not an accepted one "
            "(default: report it and leave those rows out).",
        ),
    ] = False,
    reviewed_column: ReviewedColumn = "reviewed",
    columns: Any = None,
    read: Any = None,
) -> None:
    """Learn from officers' corrections; the new version is used only if it is not worse."""
    from themes.flows.retrain import RetrainOptions
    from themes.flows.retrain import retrain as run_retrain
    from themes.store import Registry

    quiet_library_warnings()
    with user_errors():
        options = RetrainOptions(
            columns=columns,
            reviewed_column=reviewed_column,
            all_labelled=all_labelled,
            correction_weight=weight,
            max_churn=max_churn,
            strict_reviewed=strict_reviewed,
            force=force,
            encoding=read.encoding,
            sheet=read.sheet,
            header_row=read.header_row,
            delimiter=read.delimiter,
        )
        reg = Registry(registry)
        if model is None:
            warn(reg.problems())
        with render.err_console.status("retraining...") as status:
            result = run_retrain(
                files,
                reg,
                options,
                base_model=model,
                progress=lambda message: status.update(f"retraining: {message}"),
            )
    if reg.removed_leftovers:
        warn([f"removed {len(reg.removed_leftovers)} leftover(s) of an earlier killed run"])
    render.retrained(result)
