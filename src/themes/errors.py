"""Every error a user can cause, in one place.

The CLI turns a ``ThemesError`` into a one-line message and exit code 2; anything
else is a bug and keeps its traceback. Messages say what was expected, what was
found and how to fix it, and never quote complaint text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ThemesError(Exception):
    """Base class: a problem with the user's input, files or options."""

    exit_code = 2


class InputFileError(ThemesError):
    """An input file is missing, empty, unreadable or malformed."""


class ColumnError(ThemesError):
    """A named column is not in the input."""


class TaxonomyError(ThemesError):
    """A taxonomy file is malformed (duplicate ids, missing fields...)."""


class LabelError(ThemesError):
    """Training or evaluation data uses labels that the taxonomy does not know."""


class ModelError(ThemesError):
    """A model folder is missing, corrupt, tampered with or of another format."""


class OutputError(ThemesError):
    """The output path is unsafe or unwritable (e.g. it is the input file)."""


class TrainingError(ThemesError):
    """The data cannot train a model (too few rows or labels)."""


def nearest(value: str, choices: Iterable[str]) -> str | None:
    """The closest choice to ``value`` by spelling, or None when nothing is close."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    match = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def missing_column(name: str, available: Iterable[str], option: str) -> ColumnError:
    """A ColumnError naming the missing column, the columns there are and the fix."""
    columns = [str(c) for c in available]
    listing = ", ".join(columns) if columns else "(none)"
    guess = nearest(name, columns)
    fix = f"pass {option} {guess}" if guess else f"pass {option} with one of them"
    return ColumnError(f"column '{name}' not found; columns are: {listing}; {fix}")
