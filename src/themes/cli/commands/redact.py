"""``themes redact``: replace personal data in a log's text column."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import (
    OutFile,
    SafeCsv,
    SpacyModel,
    column_options,
    detect_columns,
    read_options,
)
from themes.cli.session import user_errors


@read_options
@column_options("text_column")
def redact(
    input: Annotated[Path, typer.Argument(help="Log to redact (.csv, .xlsx, .jsonl).")],
    out: OutFile,
    safe_csv: SafeCsv = False,
    also_column: Annotated[
        list[str] | None,
        typer.Option(
            "--also-column",
            help="Another free-text column to redact, e.g. learning or actions (repeatable).",
        ),
    ] = None,
    spacy_model: SpacyModel = None,
    columns: Any = None,
    read: Any = None,
) -> None:
    """Replace personal data in the text column with [NAME], [PHONE], [ADDRESS]... placeholders.

    Same rows, same columns, same order; every other cell is written unchanged.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from themes.redact import Redactor, redact_file

    with user_errors():
        columns = detect_columns(input, read, columns)
        redactor = Redactor(spacy_model=spacy_model)
        with Progress(
            TextColumn("redacting"),
            BarColumn(),
            MofNCompleteColumn(),
            console=render.err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("redact", total=None)
            summary = redact_file(
                input,
                out,
                columns.text,
                encoding=read.encoding,
                sheet=read.sheet,
                header_row=read.header_row,
                delimiter=read.delimiter,
                safe_csv=safe_csv,
                progress=lambda n: progress.advance(task, n),
                redactor=redactor,
                extra_columns=also_column or (),
            )
    render.redacted(summary)
