"""``themes train``: train a model on a labelled file."""

from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import column_options, detect_columns, read_options
from themes.cli.session import quiet_library_warnings, user_errors


@read_options
@column_options()
def train(
    data: Annotated[Path, typer.Argument(help="Labelled file (.csv, .xlsx, .jsonl).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the model to.")],
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="Taxonomy YAML (default: the shipped list, or the labels in the data).",
        ),
    ] = None,
    eval_data: Annotated[
        Path | None,
        typer.Option(
            "--eval",
            help="Held-out labelled file to measure the model on (read with the same options).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing model folder.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="encoder: TF-IDF beside a sentence encoder (the default; needs its ONNX "
            "file, see `make encoder`); fast: TF-IDF only, for millions of rows.",
        ),
    ] = "encoder",
    columns: Any = None,
    read: Any = None,
) -> None:
    """Train a model on labelled data; writes a model folder with meta.json and a model card."""
    from themes.flows.train import train_from_file
    from themes.model import ModelConfig

    quiet_library_warnings()
    with user_errors():
        columns = detect_columns(data, read, columns)
    with user_errors(), render.err_console.status("training...") as status:
        config = ModelConfig(engine=engine)
        result = train_from_file(
            data,
            out,
            columns=columns,
            taxonomy_path=taxonomy,
            eval_path=eval_data,
            read=read,
            force=force,
            config=config,
            progress=lambda message: status.update(f"training: {message}"),
        )
    render.trained(result)
