"""``themes suggest``: suggestions for one text, with the words behind them."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from themes.cli import render
from themes.cli.options import AsJson, ModelOption
from themes.cli.session import load, user_errors


def suggest(
    text: Annotated[str | None, typer.Argument(help="The complaint or compliment text.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="Read the text from a .txt file, a Word letter (.docx) or an e-mail (.eml: "
            "subject and body); '-' for stdin.",
        ),
    ] = None,
    model: ModelOption = None,
    as_json: AsJson = False,
    top: Annotated[int, typer.Option("--top", help="Words shown per suggestion.")] = 5,
) -> None:
    """Suggest kind, category and themes for one text, with the words that drove each."""
    from themes.errors import InputFileError
    from themes.flows.explain import explain

    with user_errors():
        if file is not None:
            if str(file) == "-":
                text = sys.stdin.read()
            else:
                from themes.flows.letter import read_letter

                text = read_letter(file)
        if text is None or not text.strip():
            raise InputFileError("no text given; pass the text in quotes or use --file FILE")
        loaded = load(model)
        explained = explain(loaded.model, text, top=top)
    if as_json:
        render.console.print_json(json.dumps(explained.to_dict()))
        return
    render.explained(explained, loaded.model.taxonomy)
