"""The ``themes`` command line: app (the Typer app), options (shared option groups),
session (errors, model loading, process settings), render (printing), commands/ (one
module per command). Heavy libraries are imported inside the commands, so that
``themes --help`` answers at once."""

from themes.cli.app import app, main

__all__ = ["app", "main"]
