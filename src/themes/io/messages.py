"""What an io message may show, built on the one policy for text taken from a file
(``themes.errors.may_show``).

Messages name files, rows and columns; a string read from a file (a column name, a
sheet name) is shown only when ``may_show`` says it looks like a label: short, one
line, a few words, not a date or a number and not a sentence. Anything else is
described by its position and length, never quoted, because a header read from
the wrong row holds complaint text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from themes.errors import MAX_LABEL_CHARS, MAX_LABEL_WORDS, may_show

__all__ = [
    "MAX_LABEL_CHARS",
    "MAX_LABEL_WORDS",
    "is_label",
    "looks_like_data",
    "may_show",
    "show_columns",
    "show_name",
]

# Dates, times, periods and numbers: cell contents, not names.
_DATA_LIKE = re.compile(
    r"[+-]?[£$€]?\d[\d,. ]*%?"
    r"|\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{1,4})?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{2,4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
)


def looks_like_data(text: object) -> bool:
    """True for a cell that holds a value rather than a name: a date, time or number."""
    if not isinstance(text, str):
        return text is not None
    return bool(_DATA_LIKE.fullmatch(text.strip()))


def is_label(text: object) -> bool:
    """A plausible column name: a label (``may_show``) that is not a date or a number."""
    return may_show(text) and not looks_like_data(text)


def show_name(name: object, position: int | None = None, kind: str = "column") -> str:
    """A name for a message: quoted when it may be shown, otherwise described."""
    if may_show(name):
        return f"'{str(name).strip()}'"
    where = f"{kind} {position}" if position is not None else f"a {kind} name"
    length = len(str(name)) if name is not None else 0
    return f"<{where}: {length} characters, not shown>"


def show_columns(names: Sequence[object], limit: int = 12) -> str:
    """A list of column names for a message; names that are not labels are described.

    When any name looks like a cell's contents (a date, a number, a sentence), the
    header is probably a row of data: no name is quoted then, only positions.
    """
    if not names:
        return "(none)"
    filled = [str(n).strip().casefold() for n in names if n not in (None, "")]
    repeated = len(set(filled)) < len(filled)
    if repeated or not all(is_label(n) or n in (None, "") for n in names):
        # Repeated names or values (dates, numbers, sentences): a row of data.
        return f"{len(names)} columns whose names look like cell contents (not shown)"
    shown = [show_name(n, i) for i, n in enumerate(names, start=1)]
    more = len(shown) - limit
    listing = ", ".join(shown[:limit])
    return listing + (f" and {more} more" if more > 0 else "")
