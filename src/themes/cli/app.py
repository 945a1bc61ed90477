"""The ``themes`` application: its commands, in the order ``themes --help`` lists them."""

from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperOption

from themes.cli.commands.evaluate import evaluate
from themes.cli.commands.models import models_app
from themes.cli.commands.redact import redact
from themes.cli.commands.report import report
from themes.cli.commands.retrain import retrain
from themes.cli.commands.review_queue import review_queue
from themes.cli.commands.serve import serve
from themes.cli.commands.suggest import suggest
from themes.cli.commands.tag import tag
from themes.cli.commands.train import train
from themes.cli.render import err_console
from themes.cli.session import os_error_line, print_version, unwind_on_sigterm

_type_shown = TyperOption.display_type_rich


def _no_flag_type(self: TyperOption, ctx: object) -> str | None:
    """Help shows no "<bool>" beside an on/off flag: it takes no value."""
    return None if self.is_flag else _type_shown(self, ctx)  # type: ignore[arg-type]


TyperOption.display_type_rich = _no_flag_type  # type: ignore[method-assign]

app = typer.Typer(
    name="themes",
    help=(
        "Tag children's social care complaints and compliments with themes and a category, "
        "and build the annual report's tables."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", callback=print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Tag complaints and compliments; build annual report tables."""


app.command()(train)
app.command()(tag)
app.command()(redact)
app.command()(suggest)
app.command()(evaluate)
app.command()(report)
app.command()(retrain)
app.command("review-queue")(review_queue)
app.add_typer(models_app, name="models")
app.command()(serve)


def main() -> None:
    """Entry point of the ``themes`` script."""
    unwind_on_sigterm()
    try:
        app()
    except OSError as exc:
        # Last resort: a disk or permission error outside any command's own handling is
        # still one line, never a traceback that could quote a file's contents.
        err_console.print(f"error: {escape(os_error_line(exc))}", highlight=False)
        raise SystemExit(2) from None
