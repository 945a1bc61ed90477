"""``themes review-queue``: the rows of a tagged log worth an officer's time first."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import ModelOption, ReviewedColumn, SafeCsv, column_options, read_options
from themes.cli.session import load, user_errors


@read_options
@column_options("text_column", "id_column", "themes_column", "category_column")
def review_queue(
    input: Annotated[Path, typer.Argument(help="Tagged log (review file).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Queue file; format from its extension.")
    ],
    model: ModelOption = None,
    reviewed_column: ReviewedColumn = "reviewed",
    safe_csv: SafeCsv = False,
    columns: Any = None,
    read: Any = None,
) -> None:
    """Rank the rows worth an officer's time: unsure ones first, then likely labelling mistakes."""
    from themes.flows.review import QueueOptions, queue_file

    with user_errors():
        loaded = load(model)
        options = QueueOptions(
            columns=columns,
            reviewed_column=reviewed_column,
            encoding=read.encoding,
            sheet=read.sheet,
            header_row=read.header_row,
            delimiter=read.delimiter,
            safe_csv=safe_csv,
        )
        summary = queue_file(loaded.model, input, out, options)
    render.queued(summary)
