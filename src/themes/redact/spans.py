"""Types of personal data, spans of text holding them, and placeholders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from themes.errors import ThemesError

TYPES: tuple[str, ...] = (
    "NAME",
    "PHONE",
    "EMAIL",
    "ADDRESS",
    "POSTCODE",
    "DATE_OF_BIRTH",
    "NHS_NUMBER",
    "NI_NUMBER",
    "CASE_REF",
)
DEFAULT_CHUNK_ROWS = 2000


class RedactionError(ThemesError):
    """Redaction options are wrong (an unknown type of personal data, for example)."""


class SpacyModelError(RedactionError):
    """The spaCy model named for redaction is not installed or cannot find names."""


class Span(NamedTuple):
    """A piece of personal data: characters ``start:end`` of the text, and its type."""

    start: int
    end: int
    type: str


def placeholder(kind: str) -> str:
    """The text that replaces a span of this type, e.g. "[PHONE]"."""
    return f"[{kind}]"


# ---------------------------------------------------------------------------
# Vocabulary. Everything is lower case; looked up with token.lower_.
# ---------------------------------------------------------------------------


def apply_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by its placeholder; everything else kept as it was."""
    pieces: list[str] = []
    last = 0
    for span in sorted(spans):
        pieces.append(text[last : span.start])
        pieces.append(placeholder(span.type))
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)
