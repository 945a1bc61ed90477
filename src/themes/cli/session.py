"""What every command does around its work: one-line errors, loading a model, process settings.

The library never sets process-wide state; the command line does, here.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from themes.cli.render import console, err_console
from themes.errors import ThemesError

if TYPE_CHECKING:
    from themes.store import LoadedModel


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a ThemesError into one line on stderr and exit code 2 (no traceback)."""
    try:
        yield
    except ThemesError as exc:
        err_console.print(
            f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=exc.exit_code) from None
    except OSError as exc:
        # A disk or permission problem the library did not foresee: still one line, naming
        # the file (never its contents), not a traceback.
        err_console.print(
            f"[bold red]error:[/bold red] {escape(os_error_line(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=2) from None


def os_error_line(exc: OSError) -> str:
    """One line for an OSError: what failed, on which file, and what to do."""
    reason = exc.strerror or type(exc).__name__
    where = f" on '{Path(str(exc.filename)).name}'" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        fix = "free some space and run again"
    elif isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        fix = "choose a folder you can write to"
    else:
        fix = "check the path and run again"
    return f"{reason}{where}; nothing was replaced; {fix}"


def warn(messages: list[str]) -> None:
    """Print warnings (one line each) on stderr."""
    for message in messages:
        err_console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)


def quiet_library_warnings() -> None:
    """Silence scikit-learn's convergence chatter, which means nothing to an officer."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def load(model: Path | None) -> LoadedModel:
    """The model of ``--model``, else the default one, printing its version warnings."""
    from themes.store import load_model
    from themes.store.registry import default_model

    quiet_library_warnings()
    if model is None:
        model, problems = default_model()
        warn(problems)
    loaded = load_model(model)
    warn(loaded.warnings)
    return loaded


def print_version(value: bool) -> None:
    if value:
        from themes import __version__

        console.print(f"themes {__version__}")
        raise typer.Exit()


def unwind_on_sigterm() -> None:
    """A killed run (SIGTERM) unwinds like Ctrl+C, so temporary output files are removed."""
    with contextlib.suppress(ValueError, AttributeError):  # not the main thread / Windows
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
