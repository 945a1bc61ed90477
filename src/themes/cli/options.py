"""Option groups shared by commands, each declared once.

A group is a decorator: it adds its options to a command's signature and hands the
command one object built from them. ``read_options`` is the group of every command
that reads a log (tag, train and its --eval file, evaluate, retrain, review-queue,
redact, report): how to open the file. ``column_options`` names the columns read.
Nothing heavy is imported here, so that ``themes --help`` stays fast.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

Builder = Callable[..., Any]


def option_group(target: str, options: dict[str, tuple[Any, Any]], build: Builder) -> Callable:
    """A decorator adding ``options`` (name: (annotation, default)) to a command.

    The command receives ``build(**values)`` as its parameter ``target`` instead of
    the separate values.
    """

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func, eval_str=True)
        kept = [p for p in signature.parameters.values() if p.name != target]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
            for name, (ann, default) in options.items()
        ]
        positional = [p for p in kept if p.kind != inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in kept if p.kind == inspect.Parameter.KEYWORD_ONLY]

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in options if name in kwargs}
            return func(*args, **{target: build(**values)}, **kwargs)

        params = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional + keyword
        ] + added
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        del command.__wrapped__  # typer must see the new signature, not the original
        return command

    return decorate


# ------------------------------------------------------------------- reading a log
def _read(**values: Any) -> Any:
    from themes.cli.session import user_errors
    from themes.io import ReadOptions

    # Options are checked as they are made (an unknown encoding...): one line, exit 2.
    with user_errors():
        return ReadOptions(**values)


READ_OPTIONS: dict[str, tuple[Any, Any]] = {
    "encoding": (
        Annotated[
            str | None,
            typer.Option(
                "--encoding", help="CSV encoding (default: detect UTF-8, Windows-1252, Latin-1)."
            ),
        ],
        None,
    ),
    "sheet": (
        Annotated[str | None, typer.Option("--sheet", help="Excel sheet (default: the first).")],
        None,
    ),
    "header_row": (
        Annotated[
            int | None,
            typer.Option(
                "--header-row",
                min=1,
                help="Row with the column names, counted from 1 as Excel does "
                "(default: found by itself; title rows above it are skipped).",
            ),
        ],
        None,
    ),
    "delimiter": (
        Annotated[
            str | None,
            typer.Option(
                "--delimiter", help="CSV delimiter: ',', ';', '|' or tab (default: detected)."
            ),
        ],
        None,
    ),
}

read_options = option_group("read", READ_OPTIONS, _read)
"""Adds --encoding, --sheet, --header-row, --delimiter; passes ``read`` (a ReadOptions)."""


# ---------------------------------------------------------------- naming columns
COLUMN_OPTIONS: dict[str, tuple[Any, Any]] = {
    "text_column": (
        Annotated[str, typer.Option("--text-column", help="Column holding the free text.")],
        "text",
    ),
    "id_column": (
        Annotated[
            str | None,
            typer.Option(
                "--id-column",
                help="Column identifying each row (default: 'reference' if present).",
            ),
        ],
        None,
    ),
    "kind_column": (
        Annotated[str, typer.Option("--kind-column", help="Column with complaint/compliment.")],
        "kind",
    ),
    "themes_column": (
        Annotated[
            str, typer.Option("--themes-column", help="Column with theme ids separated by ';'.")
        ],
        "themes",
    ),
    "category_column": (
        Annotated[str, typer.Option("--category-column", help="Column with the category id.")],
        "category",
    ),
}


def column_options(*names: str) -> Callable:
    """Adds the named column options (default: all); passes ``columns`` (a Columns)."""
    chosen = {k: v for k, v in COLUMN_OPTIONS.items() if not names or k in names}

    def build(**values: Any) -> Any:
        from themes.dataset import Columns

        fields = {"text_column": "text", "id_column": "id", "kind_column": "kind"}
        fields |= {"themes_column": "themes", "category_column": "category"}
        return Columns(**{fields[name]: value for name, value in values.items()})

    return option_group("columns", chosen, build)


# ------------------------------------------------------------ single options reused
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model folder (default: the shipped default model)."),
]
RegistryOption = Annotated[
    Path | None,
    typer.Option(
        "--registry",
        help="Folder of model versions (default: $THEMES_HOME, else a per-user data folder).",
    ),
]
OutFile = Annotated[
    Path, typer.Option("--out", "-o", help="Output file; format from its extension.")
]
SafeCsv = Annotated[
    bool,
    typer.Option("--safe-csv", help="Prefix cells starting with = + - @ with ' in CSV output."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for other programs.")]
ReviewedColumn = Annotated[
    str,
    typer.Option("--reviewed-column", help="Column marking checked rows (yes, y, x, true, 1)."),
]
SpacyModel = Annotated[
    str | None,
    typer.Option(
        "--spacy-model",
        help="Installed spaCy pipeline (e.g. en_core_web_sm) whose PERSON entities are "
        "redacted too (default: built-in rules only).",
    ),
]
