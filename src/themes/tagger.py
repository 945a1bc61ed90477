"""Batch tagging of a whole log file, streamed in chunks so memory stays flat.

Every input row is written, in input order, with every input column unchanged,
followed by the suggestion columns. Re-tagging a tagged file replaces its
suggestion columns instead of adding a second set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from themes.dataset import Columns, require_column, resolve_id_column
from themes.io import ReadOptions, TableWriter, cell_text, check_output_path
from themes.model import ThemesModel

SUGGESTION_COLUMNS = (
    "suggested_kind",
    "suggested_themes",
    "suggested_category",
    "confidence",
    "needs_review",
    "review_reason",
)
if TYPE_CHECKING:
    from themes.redact import Redactor

DEFAULT_CHUNK_ROWS = 2000
REVIEWED_COLUMN = "reviewed"


@dataclass
class TagOptions(ReadOptions):
    """Options of a tagging run."""

    columns: Columns = field(default_factory=Columns)
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    safe_csv: bool = False
    # Copy suggestions into empty officer columns (kind, themes, category) and add a
    # "reviewed" column, so the output is a review file an officer edits in Excel.
    prefill: bool = True
    # Replace personal data in the written text column (suggestions use the original).
    redactor: Redactor | None = None


@dataclass
class TagSummary:
    """What a tagging run did (counts only: never any text)."""

    input: Path
    output: Path
    rows: int = 0
    needs_review: int = 0
    empty_text: int = 0
    prefilled: int = 0
    redacted: dict[str, int] = field(default_factory=dict)
    header_row: int | None = None
    blank_rows_dropped: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def officer_columns(columns: Columns) -> list[tuple[str, str]]:
    """(officer column, suggestion column) pairs that pre-filling copies between."""
    return [
        (columns.kind, "suggested_kind"),
        (columns.themes, "suggested_themes"),
        (columns.category, "suggested_category"),
    ]


def prefill_frame(frame: pd.DataFrame, columns: Columns) -> tuple[pd.DataFrame, int]:
    """Copy suggestions into empty officer cells; never overwrite what an officer entered.

    Returns the frame and how many cells were filled.
    """
    out = frame
    filled = 0
    for officer, suggested in officer_columns(columns):
        current = out[officer] if officer in out.columns else pd.Series("", index=out.index)
        empty = current.map(cell_text).str.strip() == ""
        out[officer] = current.where(~empty, out[suggested]).astype(object)
        filled += int((empty & (out[suggested].map(cell_text) != "")).sum())
    if REVIEWED_COLUMN not in out.columns:
        out[REVIEWED_COLUMN] = ""
    return out, filled


def tag_frame(model: ThemesModel, frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """The frame with suggestion columns set (existing ones replaced, new ones appended)."""
    texts = [cell_text(v) for v in frame[text_column].tolist()]
    s = model.suggest(texts)
    blank = [not text.strip() for text in texts]
    out = frame.copy()
    # Built column by column: the same values as a row-by-row frame, without the rows.
    columns: dict[str, list[object]] = {
        "suggested_kind": list(s.kinds),
        "suggested_themes": [";".join(themes) for themes in s.themes],
        "suggested_category": list(s.categories),
        "confidence": list(s.confidence),
        "needs_review": [bool(r) or b for r, b in zip(s.review_reasons, blank, strict=True)],
        "review_reason": [
            "no text" if b else "; ".join(r) for r, b in zip(s.review_reasons, blank, strict=True)
        ],
    }
    for column in SUGGESTION_COLUMNS:
        out[column] = pd.Series(columns[column], index=frame.index)
    return out


def tag_file(
    model: ThemesModel,
    input_path: str | Path,
    output_path: str | Path,
    options: TagOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> TagSummary:
    """Tag every row of ``input_path`` and write ``output_path`` (written atomically)."""
    options = options or TagOptions()
    table = options.open(input_path)
    out = check_output_path(output_path, input_path)
    require_column(table.columns, options.columns.text, "--text-column")
    resolve_id_column(table.columns, options.columns)
    # Output header: the input header exactly, then the officer columns and "reviewed"
    # when pre-filling and they are missing, then any suggestion column not already there.
    internal = list(table.columns)
    header = list(table.original_columns)
    added = []
    if options.prefill:
        added += [officer for officer, _ in officer_columns(options.columns)]
        added.append(REVIEWED_COLUMN)
    for column in [*added, *SUGGESTION_COLUMNS]:
        if column not in internal:
            internal.append(column)
            header.append(column)
    summary = TagSummary(input=Path(input_path), output=out)
    redacted: Counter[str] = Counter()
    with TableWriter(out, header, safe_csv=options.safe_csv) as writer:
        for chunk in table.chunks(options.chunk_rows):
            tagged = tag_frame(model, chunk, options.columns.text)
            if options.prefill:
                tagged, filled = prefill_frame(tagged, options.columns)
                summary.prefilled += filled
            if options.redactor is not None:
                tagged = options.redactor.redact_frame(
                    tagged, options.columns.text, counts=redacted
                )
            writer.write(tagged[internal])
            summary.rows += len(tagged)
            summary.needs_review += int(tagged["needs_review"].sum())
            summary.empty_text += int(
                (tagged[options.columns.text].map(cell_text).str.strip() == "").sum()
            )
            for kind, count in tagged["suggested_kind"].value_counts().items():
                summary.kinds[str(kind)] = summary.kinds.get(str(kind), 0) + int(count)
            if progress is not None:
                progress(len(tagged))
    summary.redacted = dict(redacted)
    summary.header_row = table.header_row
    summary.blank_rows_dropped = table.blank_rows_dropped
    table.close()
    return summary
