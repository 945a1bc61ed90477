"""Every error a user can cause, in one place.

The CLI turns a ``ThemesError`` into a one-line message and exit code 2; anything
else is a bug and keeps its traceback. Messages say what was expected, what was
found and how to fix it, and never quote complaint text.
"""

from __future__ import annotations

import difflib
import re
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


# The one policy for text taken from a file: a message may quote a string read from
# a file (a column or sheet name, a label typed in a cell) only when it looks like a
# label: short, one line, a few words, not a sentence. Anything else is described by
# its position and length, because a header read from the wrong row or a label cell
# an officer typed a note into holds complaint text. themes.io.messages builds on it.
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def may_show(text: object) -> bool:
    """True when ``text`` looks like a label that a message may quote.

    Short (at most 40 characters and 5 words), on one line, with no control
    characters, and not a sentence (no full stop, question or exclamation mark
    followed by more words).
    """
    if not isinstance(text, str):
        return False
    value = text.strip()
    if not value or len(value) > MAX_LABEL_CHARS or _CONTROL.search(value):
        return False
    if len(value.split()) > MAX_LABEL_WORDS:
        return False
    return not re.search(r"[.!?]\s+\S", value)


def _looks_like_text(name: str) -> bool:
    return bool(name.strip()) and not may_show(name)


def describe_name(name: object, position: int | None = None) -> str:
    """A column name fit for a message: quoted when short, described when it may be text."""
    text = str(name)
    if not _looks_like_text(text):
        return f"'{text}'"
    where = f"column {position}: " if position is not None else ""
    return f"<{where}{len(text)} characters that look like text, not shown>"


def show_value(value: object) -> str:
    """A value read from a cell (a label) for a message: quoted only when ``may_show``."""
    text = str(value)
    if may_show(text):
        return f"'{text.strip()}'"
    return f"<a value of {len(text)} characters, not shown>"


def label_hints(values: Iterable[str], valid: Iterable[str], limit: int = 10) -> str:
    """Unknown labels for a message, each with the nearest valid id; text is never quoted.

    Values that look like text rather than labels are counted, not shown.
    """
    options = list(valid)
    values = sorted(set(values))
    labels = [v for v in values if may_show(v)]
    hidden = len(values) - len(labels)
    hints = []
    for value in labels[:limit]:
        guess = nearest(value, options)
        hints.append(f"'{value}' (did you mean '{guess}'?)" if guess else f"'{value}'")
    if len(labels) > limit:
        hints.append(f"{len(labels) - limit} more")
    if hidden:
        hints.append(
            f"{hidden} value{'s' if hidden > 1 else ''} that look{'' if hidden > 1 else 's'} "
            "like text rather than a label (not shown)"
        )
    return ", ".join(hints)


def missing_column(name: str, available: Iterable[str], option: str) -> ColumnError:
    """A ColumnError naming the missing column, the columns there are and the fix.

    Names that look like text rather than column names are described, not quoted, so
    that a file read without its header row cannot put complaint text in the message.
    """
    columns = [str(c) for c in available]
    shown = [
        describe_name(c, i) if _looks_like_text(c) else c for i, c in enumerate(columns, start=1)
    ]
    listing = ", ".join(shown) if shown else "(none)"
    guess = nearest(name, [c for c in columns if not _looks_like_text(c)])
    if guess is None:
        # "Text" for "text", "Date received" for "date_received".
        wanted = _plain(name)
        matches = [c for c in columns if _plain(c) == wanted and not _looks_like_text(c)]
        guess = matches[0] if len(matches) == 1 else None
    fix = f"pass {option} {_option_value(guess)}" if guess else f"pass {option} with one of them"
    hint = ""
    if any(_looks_like_text(c) for c in columns):
        hint = "; a column name looks like text: is the header on another row? pass --header-row"
    return ColumnError(f"column '{name}' not found; columns are: {listing}; {fix}{hint}")


def _plain(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _option_value(value: str) -> str:
    """The value as it would be typed in a shell (quoted when it has spaces)."""
    return f'"{value}"' if any(ch.isspace() for ch in value) or not value else value


class ConfigError(ThemesError, ValueError):
    """A configuration value is out of range or of the wrong type."""
