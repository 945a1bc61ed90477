"""Batch tagging of a whole log file, streamed in chunks so memory stays flat.

Every input row is written, in input order, with every input column unchanged,
followed by the suggestion columns. Re-tagging a tagged file replaces its
suggestion columns instead of adding a second set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themes.dataset import Columns, require_column, resolve_id_column
from themes.io import Table, TableWriter, cell_text, check_output_path
from themes.model import ThemesModel

SUGGESTION_COLUMNS = (
    "suggested_kind",
    "suggested_themes",
    "suggested_category",
    "confidence",
    "needs_review",
    "review_reason",
)
DEFAULT_CHUNK_ROWS = 2000


@dataclass
class TagOptions:
    """Options of a tagging run."""

    columns: Columns = field(default_factory=Columns)
    encoding: str | None = None
    sheet: str | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    safe_csv: bool = False


@dataclass
class TagSummary:
    """What a tagging run did (counts only: never any text)."""

    input: Path
    output: Path
    rows: int = 0
    needs_review: int = 0
    empty_text: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def tag_frame(model: ThemesModel, frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """The frame with suggestion columns set (existing ones replaced, new ones appended)."""
    texts = [cell_text(v) for v in frame[text_column].tolist()]
    predictions = model.predict(texts)
    out = frame.copy()
    rows = []
    for text, p in zip(texts, predictions, strict=True):
        reasons = list(p.review_reasons)
        if not text.strip():
            reasons = ["no text"]
        rows.append(
            [
                p.kind,
                ";".join(p.themes),
                p.category,
                p.confidence,
                p.needs_review or not text.strip(),
                "; ".join(reasons),
            ]
        )
    suggestions = pd.DataFrame(rows, columns=list(SUGGESTION_COLUMNS), index=frame.index)
    for column in SUGGESTION_COLUMNS:
        out[column] = suggestions[column]
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
    table = Table(input_path, encoding=options.encoding, sheet=options.sheet)
    out = check_output_path(output_path, input_path)
    require_column(table.columns, options.columns.text, "--text-column")
    resolve_id_column(table.columns, options.columns)
    # Output header: the input header exactly, then any suggestion column not already there.
    internal = list(table.columns)
    header = list(table.original_columns)
    for column in SUGGESTION_COLUMNS:
        if column not in internal:
            internal.append(column)
            header.append(column)
    summary = TagSummary(input=Path(input_path), output=out)
    with TableWriter(out, header, safe_csv=options.safe_csv) as writer:
        for chunk in table.chunks(options.chunk_rows):
            tagged = tag_frame(model, chunk, options.columns.text)
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
    return summary
