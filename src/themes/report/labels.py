"""One spelling per value: outcomes, procedures, stages, Ombudsman decisions, free labels.

A cell that holds free text rather than a label (a sentence typed where an
outcome or a team belongs) becomes "Other": a table heading never shows it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from themes.io import cell_text
from themes.report.options import (
    CORPORATE,
    NOT_RECORDED,
    NOT_UPHELD,
    OTHER,
    PARTLY_UPHELD,
    PERCENT_DECIMALS,
    STATUTORY,
    UPHELD,
)

OUTCOME_ORDER = (
    UPHELD,
    NOT_UPHELD,
    PARTLY_UPHELD,
    "Withdrawn",
    "Inconclusive",
    "Legal proceedings pending",
    "Resolved",
)
"""Outcome columns in this order; the first three are always shown, others when present."""

DECISION_ORDER = (UPHELD, NOT_UPHELD, "Closed after initial enquiries", OTHER, "Awaiting decision")
"""Ombudsman decisions, in table order."""

_LABEL = re.compile(r"[=+@-]?[\w][\w &/'()+,.-]*", re.UNICODE)


def round_percent(part: int, whole: int) -> int | float | None:
    """``part`` as a percentage of ``whole``, rounded half up; None when ``whole`` is 0.

    The only rounding used in the report, so every table rounds alike.
    """
    if whole <= 0:
        return None
    step = Decimal(1).scaleb(-PERCENT_DECIMALS)
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(step, rounding=ROUND_HALF_UP)
    return int(value) if PERCENT_DECIMALS == 0 else float(value)


def words(value: Any) -> str:
    """Lower-case words only: "Partially-Upheld " -> "partially upheld"."""
    return re.sub(r"[\W_]+", " ", cell_text(value).casefold()).strip()


def squash(value: Any) -> str:
    """Whitespace collapsed: the text as written, tidied."""
    return " ".join(cell_text(value).split())


def key(value: Any) -> str:
    """Letters and digits only, lower case: how column names are compared."""
    return re.sub(r"[\W_]+", "", cell_text(value).casefold())


def looks_like_label(text: str) -> bool:
    """A short name (at most 40 characters and 6 words, no sentence), not free text."""
    text = squash(text)
    return (
        0 < len(text) <= 40
        and len(text.split()) <= 6
        and _LABEL.fullmatch(text) is not None
        and not re.search(r"[.,]\s", text)
    )


def _as_label(value: Any) -> str:
    text = squash(value)
    if not looks_like_label(text):
        return OTHER
    return text[:1].upper() + text[1:].lower()


def normalise_outcome(value: Any) -> str:
    """One spelling per outcome, e.g. "Partially upheld" and "partly upheld" -> "Partly upheld".

    Blank is "Not recorded"; an unknown short outcome is kept in sentence case;
    free text is "Other".
    """
    said = words(value)
    if not said:
        return NOT_RECORDED
    if re.search(r"\b(partly|partially|partial|part)\b|\bupheld in part\b", said):
        return PARTLY_UPHELD
    if re.search(r"\bnot\b.*\bupheld\b|\bunupheld\b|^no fault", said):
        return NOT_UPHELD
    if said in {"upheld", "fully upheld", "upheld in full", "yes upheld", "fault found"}:
        return UPHELD
    if said.startswith("withdr"):
        return "Withdrawn"
    if said.startswith("inconclusive") or said in {"unable to determine", "no finding"}:
        return "Inconclusive"
    if said.startswith("legal"):
        return "Legal proceedings pending"
    if said.startswith("resolved") or said.startswith("local resolution"):
        return "Resolved"
    return _as_label(value)


def normalise_decision(value: Any) -> str:
    """An Ombudsman decision: upheld, not upheld, closed after initial enquiries, or Other."""
    said = words(value)
    if not said:
        return "Awaiting decision"
    if re.search(r"\bnot upheld\b|\bno fault\b|\bno maladministration\b", said):
        return NOT_UPHELD
    if re.search(r"\bupheld\b|\bfault\b|\bmaladministration\b|\binjustice\b", said):
        return UPHELD
    if re.search(
        r"initial enquir|premature|not investigat|referred back|out of jurisdiction|"
        r"closed after|outside jurisdiction|no further action",
        said,
    ):
        return "Closed after initial enquiries"
    if said in {"pending", "awaiting", "awaiting decision", "open", "ongoing", "in progress"}:
        return "Awaiting decision"
    return OTHER


def normalise_procedure(value: Any) -> str:
    """ "statutory ", "Stat", "Children Act" -> "Statutory"; "corp" -> "Corporate"."""
    said = words(value)
    if not said:
        return NOT_RECORDED
    if said.startswith("stat") or "children act" in said:
        return STATUTORY
    if said.startswith("corp"):
        return CORPORATE
    text = squash(value)
    return text[:1].upper() + text[1:] if looks_like_label(text) else OTHER


_STAGE_WORDS = {"1": 1, "one": 1, "2": 2, "two": 2, "3": 3, "three": 3}


def normalise_stage(value: Any) -> str:
    """ "1", 1.0, "stage one", "S1" -> "Stage 1"; "Ombudsman", "LGO" -> "LGSCO"; blank -> ""."""
    said = words(value)
    if not said:
        return ""
    if "ombudsman" in said or said.split()[0] in {"lgsco", "lgo"}:
        return "LGSCO"
    match = re.fullmatch(r"(?:stage|stg|s)?\s*(1|2|3|one|two|three)(?: 0+)?", said)
    if match:
        return f"Stage {_STAGE_WORDS[match.group(1)]}"
    return OTHER


def truthy(value: Any) -> bool:
    """Yes, y, true, 1 (any case)."""
    if isinstance(value, bool):
        return value
    return words(value) in {"true", "yes", "y", "1", "1 0", "x"}


def filled_in(value: Any) -> bool:
    """A yes/no cell that may name something instead of "yes" (an advocacy service, a
    remedy): true unless blank, no, none or n/a."""
    if isinstance(value, bool):
        return value
    said = words(value)
    return bool(said) and said not in {"no", "n", "false", "0", "0 0", "none", "n a", "na", "nil"}


class TaxonomyLabels:
    """Maps what officers write (an id or a display name, any case) to a taxonomy id."""

    def __init__(self, labels: Iterable[Any]) -> None:
        self.lookup: dict[str, str] = {}
        for label in labels:
            for text in (label.id, label.name):
                self.lookup.setdefault(words(text), label.id)

    def find(self, text: str) -> str:
        said = words(text)
        if said in self.lookup:
            return self.lookup[said]
        if said.endswith("s") and said[:-1] in self.lookup:  # "Complaints"
            return self.lookup[said[:-1]]
        squashed = squash(text)
        if not looks_like_label(squashed):
            return OTHER
        return squashed[:1].upper() + squashed[1:]


def tidy_labels(values: Sequence[Any]) -> list[str]:
    """Free-text labels (team, complainant, method) grouped ignoring case and spacing.

    Each group is shown with its most common spelling, so "Fostering" and
    "fostering " are one team. Blank is "Not recorded"; free text is "Other".
    """
    squashed = [squash(v) for v in values]
    squashed = [t if not t or looks_like_label(t) else OTHER for t in squashed]
    spellings: dict[str, Counter[str]] = {}
    for text in squashed:
        if text:
            spellings.setdefault(text.casefold(), Counter())[text] += 1
    display: dict[str, str] = {}
    for folded, counter in spellings.items():
        best = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        display[folded] = best[:1].upper() + best[1:] if best.islower() else best
    return [display[t.casefold()] if t else NOT_RECORDED for t in squashed]


def snake(name: str) -> str:
    """ "Partly upheld" -> "partly_upheld": a report.json key."""
    return re.sub(r"[\W_]+", "_", name.casefold()).strip("_")


def n_of(count: int, noun: str) -> str:
    """ "1 row", "3 rows"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def has(count: int) -> str:
    return "has" if count == 1 else "have"


def is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def was_were(count: int) -> str:
    return "was" if count == 1 else "were"


def row_list(rows: Sequence[int], refs: Sequence[str], limit: int = 10) -> str:
    """Which rows, by reference when the log has them, else by spreadsheet row number."""
    shown = [ref if ref else f"row {row}" for row, ref in zip(rows, refs, strict=True)][:limit]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(shown) + more
