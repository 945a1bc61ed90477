"""Which column holds the complaint text, and which the reference, when not named.

``choose_columns`` looks at the first rows of a table:

* text: the column given (``--text-column``), else a column named ``text``, else
  the column whose cells are the longest free text (several words, letters, not
  dates or numbers), with usual names (Summary, Details, Description, Complaint,
  Comments...) preferred. When two columns are close it refuses and lists them.
* id: the column given (``--id-column``), else a column named like a reference
  (reference, ref, case ref, complaint number...) whose cells are short and
  unique; two such columns with equally good names are refused, listed.

The choice comes back as a ``ColumnChoice`` with the reason, for the CLI to print on
stderr; messages quote a column name only when ``may_show`` allows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from themes.errors import ColumnError
from themes.io.cells import cell_text
from themes.io.messages import looks_like_data, may_show, show_columns, show_name

SAMPLE_ROWS = 500
# Free-text columns whose score is within this factor of the best are "close".
CLOSE = 0.8
# A name that says "free text" multiplies a column's score by this.
NAME_BONUS = 1.5
MIN_MEAN_CHARS = 15
MIN_FREE_SHARE = 0.3
TEXT_NAME_WORDS = (
    "summary",
    "details",
    "detail",
    "description",
    "complaint",
    "comments",
    "comment",
    "narrative",
    "text",
    "issue",
    "concern",
    "nature",
)
# Reference names, best first (compared without case, spaces or punctuation).
ID_NAMES = (
    ("reference", "ref", "complaintref", "complaintreference", "caseref", "casereference"),
    ("refno", "referenceno", "referencenumber", "complaintno", "complaintnumber", "caseno"),
    ("casenumber", "caseid", "complaintid", "id", "crn", "recordid"),
)
_WORDS = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class ColumnChoice:
    """The text and id columns to use, and why (for a line on stderr)."""

    text: str
    id: str | None
    text_reason: str
    id_reason: str
    detected: bool = False

    def message(self) -> str:
        """One line saying which columns are used; names shown only when label-like."""
        line = f"text column: {show_name(self.text)} ({self.text_reason})"
        if self.id is not None:
            line += f"; reference column: {show_name(self.id)} ({self.id_reason})"
        return line


def _plain(name: object) -> str:
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def _name_rank(name: str) -> int | None:
    plain = _plain(name)
    for rank, names in enumerate(ID_NAMES):
        if plain in names:
            return rank
    return None


def reference_position(names: Sequence[object]) -> int | None:
    """Position of the first column named like a reference (for naming rows in messages)."""
    ranked = [(rank, i) for i, n in enumerate(names) if (rank := _name_rank(str(n))) is not None]
    return min(ranked)[1] if ranked else None


def reference_of(values: Sequence[Any], position: int | None) -> str:
    """ " (reference X)" for a message when the row has a label-like reference, else ""."""
    if position is None or position >= len(values):
        return ""
    reference = cell_text(values[position]).strip()
    return f" (reference {reference})" if reference and may_show(reference) else ""


def _free_text_score(values: Sequence[Any], name: str) -> tuple[float, float, float]:
    """(score, mean characters, share of free-text cells) of a column's sample."""
    texts = [cell_text(v).strip() for v in values]
    filled = [t for t in texts if t]
    if not filled:
        return 0.0, 0.0, 0.0
    free = [t for t in filled if len(_WORDS.findall(t)) >= 4 and not looks_like_data(t)]
    share = len(free) / len(filled)
    mean = sum(len(t) for t in free) / len(free) if free else 0.0
    score = mean * share * (len(filled) / max(len(values), 1))
    if any(word in _WORDS.findall(name.casefold()) for word in TEXT_NAME_WORDS):
        score *= NAME_BONUS
    return score, mean, share


def _missing(name: str, columns: Sequence[str], option: str) -> ColumnError:
    return ColumnError(
        f"column {show_name(name)} not found; columns are: {show_columns(list(columns))}; "
        f"pass {option} with one of them"
    )


def choose_text_column(
    frame: pd.DataFrame, given: str | None = None, original: Sequence[str] | None = None
) -> tuple[str, str, bool]:
    """(column, reason, detected) for the complaint text; ColumnError when unclear."""
    columns = [str(c) for c in frame.columns]
    shown = list(original) if original is not None else columns
    if given is not None:
        if given in columns:
            return given, "given with --text-column", False
        raise _missing(given, shown, "--text-column")
    named = [c for c in columns if _plain(c) == "text"]
    if len(named) == 1:
        return named[0], "named text", False
    scored = []
    for column in columns:
        score, mean, share = _free_text_score(frame[column].tolist()[:SAMPLE_ROWS], column)
        if mean >= MIN_MEAN_CHARS and share >= MIN_FREE_SHARE:
            scored.append((score, column, mean))
    scored.sort(key=lambda item: -item[0])
    if not scored:
        raise ColumnError(
            f"no column holds free text (sentences of several words) in the first "
            f"{min(len(frame), SAMPLE_ROWS)} rows; columns are: {show_columns(shown)}; "
            "pass --text-column with the column holding the complaint text"
        )
    best, column, mean = scored[0]
    close = [c for s, c, _ in scored[1:] if s >= CLOSE * best]
    if close:
        names = ", ".join(show_name(c, columns.index(c) + 1) for c in [column, *close])
        raise ColumnError(
            f"cannot tell which column holds the complaint text: {names} all hold long "
            "free text; pass --text-column with one of them"
        )
    return column, f"chosen as the longest free text, {mean:.0f} characters on average", True


def choose_id_column(
    frame: pd.DataFrame, given: str | None = None, original: Sequence[str] | None = None
) -> tuple[str | None, str]:
    """(column or None, reason) for the reference column; ColumnError when unclear."""
    columns = [str(c) for c in frame.columns]
    shown = list(original) if original is not None else columns
    if given is not None:
        if given in columns:
            return given, "given with --id-column"
        raise _missing(given, shown, "--id-column")
    ranked: list[tuple[int, str]] = []
    for column in columns:
        rank = _name_rank(column)
        if rank is None:
            continue
        values = [cell_text(v).strip() for v in frame[column].tolist()[:SAMPLE_ROWS]]
        filled = [v for v in values if v]
        if filled and len(set(filled)) == len(filled) and max(map(len, filled)) <= 40:
            ranked.append((rank, column))
    if not ranked:
        return None, "no reference column: rows are named by their row number"
    ranked.sort()
    best = [c for r, c in ranked if r == ranked[0][0]]
    if len(best) > 1:
        names = ", ".join(show_name(c, columns.index(c) + 1) for c in best)
        raise ColumnError(
            f"cannot tell which column holds the reference: {names} both look like one; "
            "pass --id-column with one of them"
        )
    return best[0], "named like a reference, with a different value in every row"


def choose_columns(
    frame: pd.DataFrame,
    text_column: str | None = None,
    id_column: str | None = None,
    original: Sequence[str] | None = None,
) -> ColumnChoice:
    """The text and id columns of ``frame`` (a sample of the table's first rows)."""
    text, text_reason, detected = choose_text_column(frame, text_column, original)
    rest = frame.drop(columns=[text])
    ident, id_reason = choose_id_column(rest if id_column is None else frame, id_column, original)
    return ColumnChoice(text, ident, text_reason, id_reason, detected)
