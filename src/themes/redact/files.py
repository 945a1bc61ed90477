"""Redacting whole files, and measuring how redaction changes suggestions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from themes.errors import missing_column
from themes.io import ReadOptions, Table, cell_text, check_output_path
from themes.io.stream import write_table
from themes.redact.redactor import Redactor
from themes.redact.spans import DEFAULT_CHUNK_ROWS, TYPES

if TYPE_CHECKING:
    from themes.dataset import Columns
    from themes.model import ThemesModel


@dataclass
class RedactSummary:
    """What a redaction run did: counts only, never any text."""

    input: Path
    output: Path
    rows: int = 0
    rows_changed: int = 0
    empty_text: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of personal details replaced."""
        return sum(self.counts.values())


def _text_column_name(columns: Columns | str | None) -> str:
    if columns is None:
        return "text"
    if isinstance(columns, str):
        return columns
    return columns.text


def redact_file(
    input_path: str | Path,
    output_path: str | Path,
    columns: Columns | str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    safe_csv: bool = False,
    progress: Callable[[int], None] | None = None,
    *,
    redactor: Redactor | None = None,
    extra_columns: Sequence[str] = (),
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    header_row: int | None = None,
    delimiter: str | None = None,
    options: ReadOptions | None = None,
) -> RedactSummary:
    """Write ``output_path``: ``input_path`` with personal data in the text column replaced.

    Same rows, same columns, same order, the header exactly as in the input; only
    the text column (and any ``extra_columns``, e.g. a free-text "learning" column)
    change. Written by io's streaming loop (``write_table``), like ``tag``: in chunks,
    atomically, and an .xlsx input keeps its layout in an .xlsx output.
    """
    redactor = redactor if redactor is not None else Redactor()
    if options is None:
        options = ReadOptions(
            encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
        )
    with Table(input_path, options) as table:
        out = check_output_path(output_path, input_path)
        text_column = _text_column_name(columns)
        if text_column not in table.columns:
            raise missing_column(text_column, table.columns, "--text-column")
        for extra in extra_columns:
            if extra not in table.columns:
                raise missing_column(extra, table.columns, "--also-column")
        targets = [text_column, *[c for c in extra_columns if c != text_column]]
        summary = RedactSummary(input=Path(input_path), output=out)
        counts: Counter[str] = Counter()

        def redacted_chunks() -> Iterator[pd.DataFrame]:
            for chunk in table.chunks(chunk_rows):
                redacted, chunk_counts, changed = redactor._redact_frame(chunk, targets)
                counts.update(chunk_counts)
                summary.rows += len(chunk)
                summary.rows_changed += changed
                summary.empty_text += sum(
                    1 for v in chunk[text_column].tolist() if not cell_text(v).strip()
                )
                yield redacted[table.columns]

        id_column = "reference" if "reference" in table.columns else None
        write_table(
            table,
            out,
            table.original_columns,
            redacted_chunks(),
            safe_csv=safe_csv,
            id_column=id_column,
            progress=progress,
        )
    summary.counts = {t: counts[t] for t in TYPES if counts[t]}
    return summary


def redaction_label_drift(
    model: ThemesModel, texts: Sequence[str], redactor: Redactor | None = None
) -> dict[str, Any]:
    """How many texts get different suggestions once redacted (counts only, no text).

    Returns rows, rows_redacted (texts that had something to redact), kind_changed,
    category_changed, themes_changed, any_changed, and per-theme counts of themes
    gained and lost through redaction.
    """
    redactor = redactor if redactor is not None else Redactor()
    raw = [t if isinstance(t, str) else cell_text(t) for t in texts]
    redacted = redactor.redact_many(raw)
    before = model.predict(raw)
    after = model.predict(redacted)
    result: dict[str, Any] = {
        "rows": len(raw),
        "rows_redacted": sum(a != b for a, b in zip(raw, redacted, strict=True)),
        "kind_changed": 0,
        "category_changed": 0,
        "themes_changed": 0,
        "any_changed": 0,
        "themes_gained": {},
        "themes_lost": {},
    }
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for b, a in zip(before, after, strict=True):
        kind = b.kind != a.kind
        category = b.category != a.category
        themes = set(b.themes) != set(a.themes)
        result["kind_changed"] += kind
        result["category_changed"] += category
        result["themes_changed"] += themes
        result["any_changed"] += kind or category or themes
        gained.update(set(a.themes) - set(b.themes))
        lost.update(set(b.themes) - set(a.themes))
    result["themes_gained"] = dict(gained)
    result["themes_lost"] = dict(lost)
    return result
