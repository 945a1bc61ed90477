"""``themes tag``: tag every row of a log."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import (
    ModelOption,
    OutFile,
    SafeCsv,
    column_options,
    detect_columns,
    read_options,
)
from themes.cli.session import load, user_errors


@read_options
@column_options("text_column", "id_column")
def tag(
    input: Annotated[Path, typer.Argument(help="Log to tag (.csv, .xlsx, .jsonl).")],
    out: OutFile,
    model: ModelOption = None,
    safe_csv: SafeCsv = False,
    prefill: Annotated[
        bool,
        typer.Option(
            "--prefill/--no-prefill",
            help="Copy suggestions into empty kind/themes/category cells and add a 'reviewed' "
            "column, making a review file (default); --no-prefill leaves input columns as "
            "they are.",
        ),
    ] = True,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace personal data in the output's text column with [NAME], [PHONE]... "
            "placeholders (suggestions still come from the original text).",
        ),
    ] = False,
    spacy_model: Annotated[
        str | None,
        typer.Option(
            "--spacy-model",
            help="With --redact: spaCy pipeline whose PERSON entities are redacted too.",
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Worker processes scoring chunks of a large file (default: as many as "
            "there are idle cores, at most 2; 1: none). The output is the same either way.",
        ),
    ] = None,
    columns: Any = None,
    read: Any = None,
) -> None:
    """Tag every row of a log with suggested kind, themes, category and confidence."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from themes.flows.tag import TagOptions, tag_file

    with user_errors():
        from themes.redact import Redactor

        redactor = Redactor(spacy_model=spacy_model) if redact or spacy_model else None
        loaded = load(model)
        options = TagOptions(
            columns=detect_columns(input, read, columns),
            encoding=read.encoding,
            sheet=read.sheet,
            header_row=read.header_row,
            delimiter=read.delimiter,
            safe_csv=safe_csv,
            prefill=prefill,
            redactor=redactor,
            jobs=jobs,
        )
        with Progress(
            TextColumn("tagging"),
            BarColumn(),
            MofNCompleteColumn(),
            console=render.err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("tag", total=None)
            summary = tag_file(
                loaded.model, input, out, options, progress=lambda n: progress.advance(task, n)
            )
    render.tagged(summary, prefill)
