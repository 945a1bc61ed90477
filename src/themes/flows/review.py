"""The review queue: which rows of a tagged log deserve an officer's time first.

Two kinds of row come first, each with its reason:

1. rows the model is unsure about (lowest confidence first), unless an officer
   has already marked them reviewed;
2. rows whose given labels the model confidently contradicts: likely labelling
   mistakes, in the spirit of confident learning. A label is contradicted when the
   model gives another label a probability at least as high as it typically gives
   rows that truly carry that other label (a per-label threshold learnt from the
   file itself), and the given label a low one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themes.dataset import (
    Columns,
    column_note,
    is_reviewed,
    require_column,
    resolve_columns,
    split_themes,
)
from themes.io import ReadOptions, TableWriter, cell_text, check_output_path
from themes.model import ThemesModel

SAMPLE_ROWS = 500

# source_row: the row's number in the reviewed file as a spreadsheet shows it (title and
# header rows counted), so an officer finds it there.
QUEUE_COLUMNS = ("queue_rank", "queue_reason", "queue_score", "source_row")


@dataclass
class QueueOptions(ReadOptions):
    """Options for building a review queue."""

    # Text column: None means detect it (themes.io.columns).
    columns: Columns = field(default_factory=lambda: Columns(text=None))
    reviewed_column: str = "reviewed"
    # A given label is "low" for the model below this probability.
    contradiction_below: float = 0.2
    safe_csv: bool = False


@dataclass
class QueueSummary:
    """Counts only: never any text."""

    rows: int
    unsure: int
    contradicted: int
    output: Path
    # Which text and reference columns were read, and why (for stderr).
    column_notes: list[str] = field(default_factory=list)


def _category_contradictions(
    model: ThemesModel, given: list[str], proba: np.ndarray, options: QueueOptions
) -> dict[int, tuple[float, str]]:
    head = model.category_head_
    if head is None:
        return {}
    labels = head.classes_
    # Per-label confidence thresholds: the mean probability the model gives each
    # label on rows labelled with it (confident learning's class thresholds).
    thresholds = np.full(len(labels), 0.5)
    for j, label in enumerate(labels):
        rows = [i for i, g in enumerate(given) if g == label]
        if rows:
            thresholds[j] = float(proba[rows, j].mean())
    found: dict[int, tuple[float, str]] = {}
    for i, label in enumerate(given):
        if label not in labels:
            continue
        mine = proba[i, labels.index(label)]
        best = int(np.argmax(proba[i]))
        if (
            labels[best] != label
            and proba[i, best] >= thresholds[best]
            and mine < options.contradiction_below
        ):
            found[i] = (
                float(proba[i, best] - mine),
                f"filed as {label}, but the model is {proba[i, best]:.0%} sure it is "
                f"{labels[best]} ({mine:.0%} for {label})",
            )
    return found


def _theme_contradictions(
    model: ThemesModel,
    given: list[list[str] | None],
    proba: np.ndarray,
    options: QueueOptions,
    suggested: list[list[str]],
) -> dict[int, tuple[float, str]]:
    head = model.theme_head_
    if head is None:
        return {}
    labels = head.classes_
    found: dict[int, tuple[float, str]] = {}
    for i, themes in enumerate(given):
        if themes is None:
            continue
        notes, score = [], 0.0
        for j, label in enumerate(labels):
            p, t = proba[i, j], head.thresholds_[j]
            if (label in themes) == (label in suggested[i]):
                continue  # the final suggestion agrees (a council rule may have set it)
            if label in themes and p < options.contradiction_below * t:
                notes.append(f"has {label} but the model gives it {p:.0%}")
                score += t - p
            elif label not in themes and p >= max(0.9, t + (1 - t) * 0.8):
                notes.append(f"lacks {label} though the model gives it {p:.0%}")
                score += p - t
        if notes:
            found[i] = (score, "; ".join(notes))
    return found


def build_queue(model: ThemesModel, frame: pd.DataFrame, options: QueueOptions) -> pd.DataFrame:
    """The rows worth reviewing, ranked, with queue_rank, queue_reason, queue_score and
    source_row (``frame.attrs["first_row"]``: the spreadsheet row of the first data row)."""
    columns = options.columns
    if columns.text is None:
        columns, _ = resolve_columns(frame.head(SAMPLE_ROWS), columns)
    require_column([str(c) for c in frame.columns], columns.text, "--text-column")
    texts = [cell_text(v) for v in frame[columns.text]]
    probs = model.predict_proba(texts)
    predictions = model.suggest(texts, probs).predictions()
    # What the model finally suggests, the council's rules included (themes.model.practice): a
    # label those rules explain is the council's practice, not a labelling mistake.
    final = model.suggest(texts, probs, always_categorise=True)
    reviewed = (
        frame[options.reviewed_column].map(is_reviewed).tolist()
        if options.reviewed_column in frame.columns
        else [False] * len(frame)
    )
    contradictions: dict[int, tuple[float, list[str]]] = {}
    if columns.category in frame.columns and "category" in probs:
        given = [cell_text(v).strip() for v in frame[columns.category]]
        for i, (score, reason) in _category_contradictions(
            model, given, probs["category"], options
        ).items():
            if final.categories[i] == given[i]:
                continue
            contradictions.setdefault(i, (0.0, []))
            contradictions[i] = (contradictions[i][0] + score, [*contradictions[i][1], reason])
    if columns.themes in frame.columns and "themes" in probs:
        given_themes = [split_themes(v) or None for v in frame[columns.themes]]
        for i, (score, reason) in _theme_contradictions(
            model, given_themes, probs["themes"], options, final.themes
        ).items():
            contradictions.setdefault(i, (0.0, []))
            contradictions[i] = (contradictions[i][0] + score, [*contradictions[i][1], reason])
    entries: list[tuple[int, float, int, str]] = []  # (group, sort key, row, reason)
    for i, prediction in enumerate(predictions):
        # Unsure rows an officer has already checked need no second look.
        if prediction.needs_review and not reviewed[i]:
            why = "unsure (" + "; ".join(prediction.review_reasons) + ")"
            if i in contradictions:
                why += "; labels contradicted: " + "; ".join(contradictions[i][1])
            entries.append((0, prediction.confidence, i, why))
        elif i in contradictions:
            score, reasons = contradictions[i]
            entries.append((1, -score, i, "labels contradicted: " + "; ".join(reasons)))
    entries.sort()
    rows = [e[2] for e in entries]
    queue = frame.iloc[rows].copy()
    first_row = frame.attrs.get("first_row", 2)
    queue.insert(0, "source_row", [first_row + i for i in rows])
    queue.insert(0, "queue_score", [round(abs(e[1]), 4) for e in entries])
    queue.insert(0, "queue_reason", [e[3] for e in entries])
    queue.insert(0, "queue_rank", list(range(1, len(entries) + 1)))
    return queue


def queue_file(
    model: ThemesModel, input_path: str | Path, output_path: str | Path, options: QueueOptions
) -> QueueSummary:
    """Build the review queue of a tagged file and write it (atomically)."""
    with options.open(input_path) as table:
        out = check_output_path(output_path, input_path)
        frame = table.read()
        columns, choice = resolve_columns(
            frame.head(SAMPLE_ROWS), options.columns, table.original_columns
        )
    note = column_note(choice, options.columns)
    notes = [f"{Path(input_path).name}: {note}"] if note else []
    queue = build_queue(model, frame, replace(options, columns=columns))
    header = [*QUEUE_COLUMNS, *table.original_columns]
    with TableWriter(out, header, safe_csv=options.safe_csv) as writer:
        writer.write(queue[[*QUEUE_COLUMNS, *table.columns]])
    reasons: Any = queue["queue_reason"] if len(queue) else pd.Series([], dtype=str)
    return QueueSummary(
        rows=len(frame),
        unsure=int(reasons.str.startswith("unsure").sum()),
        contradicted=int(reasons.str.startswith("labels contradicted").sum()),
        output=out,
        column_notes=notes,
    )
