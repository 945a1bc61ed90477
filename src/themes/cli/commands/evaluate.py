"""``themes evaluate``: measure a model on a labelled file."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from themes.cli import render
from themes.cli.options import AsJson, ModelOption, column_options, detect_columns, read_options
from themes.cli.session import load, user_errors


@read_options
@column_options()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled file to measure the model on.")],
    model: ModelOption = None,
    as_json: AsJson = False,
    columns: Any = None,
    read: Any = None,
) -> None:
    """Per-label precision, recall and F1, micro and macro F1, category accuracy and confusion."""
    from themes.flows.evaluate import evaluate_file

    with user_errors():
        loaded = load(model)
        metrics = evaluate_file(
            loaded.model,
            data,
            columns=detect_columns(data, read, columns),
            read=read,
        )
    if as_json:
        render.console.print_json(json.dumps(metrics))
        return
    render.metrics(metrics, loaded.model.taxonomy)
