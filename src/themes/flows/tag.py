"""Batch tagging of a whole log file, streamed in chunks so memory stays flat.

Every input row is written, in input order, with every input column unchanged,
followed by the suggestion columns. Re-tagging a tagged file replaces its
suggestion columns instead of adding a second set.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from themes.dataset import Columns, require_column, resolve_id_column
from themes.errors import ThemesError
from themes.io import ReadOptions, cell_text, check_output_path
from themes.io.stream import write_table
from themes.model import Suggestions, ThemesModel

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
    # Worker processes that score chunks (None: default_jobs(); 1: all in this process).
    # The output is the same whatever the number.
    jobs: int | None = None


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
    # How the input was read and the output written (header guessed, layout kept...).
    notes: list[str] = field(default_factory=list)


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
        # Plain lists: pandas' map and .str per column cost more than the copying itself.
        proposed = out[suggested].tolist()
        current = out[officer].tolist() if officer in out.columns else [""] * len(proposed)
        values: list[object] = []
        for value, new in zip(current, proposed, strict=True):
            if _text(value).strip():
                values.append(value)
            else:
                values.append(new)
                filled += _text(new) != ""
        out[officer] = pd.Series(values, index=out.index, dtype=object)
    if REVIEWED_COLUMN not in out.columns:
        out[REVIEWED_COLUMN] = ""
    return out, filled


def _text(value: object) -> str:
    return value if value.__class__ is str else cell_text(value)  # type: ignore[return-value]


def _texts(frame: pd.DataFrame, text_column: str) -> list[str]:
    return [_text(v) for v in frame[text_column].tolist()]


def _with_suggestions(frame: pd.DataFrame, s: Suggestions) -> pd.DataFrame:
    out = frame.copy()
    # Built column by column: the same values as a row-by-row frame, without the rows.
    columns: dict[str, list[object]] = {
        "suggested_kind": list(s.kinds),
        "suggested_themes": [";".join(themes) for themes in s.themes],
        "suggested_category": list(s.categories),
        "confidence": list(s.confidence),
        "needs_review": [bool(r) for r in s.review_reasons],
        "review_reason": ["; ".join(r) for r in s.review_reasons],
    }
    for column in SUGGESTION_COLUMNS:
        out[column] = pd.Series(columns[column], index=frame.index)
    return out


def tag_frame(model: ThemesModel, frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """The frame with suggestion columns set (existing ones replaced, new ones appended)."""
    texts = _texts(frame, text_column)
    return _with_suggestions(frame, model.suggest(texts))


def default_jobs() -> int:
    """Worker processes used when none are asked for: the idle cores, at most 2.

    Workers only pay where a core is free: on a 2-core machine already busy with other
    jobs (load average 4-5), two workers tagged slower than one process and used about
    15% more CPU per text (each worker warms its own caches); so the default follows
    the load average when tagging starts, and never goes beyond the 2 cores measured.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average on this platform
        busy = 0.0
    return max(1, min(2, round(cores - busy)))


# The model of a worker process, set once by its initializer.
_worker_model: ThemesModel | None = None


def _init_worker(model: ThemesModel) -> None:
    global _worker_model
    _worker_model = model
    # Ctrl-C is handled by the main process, which stops the pool in order; a worker
    # killed mid-chunk would only add a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker waits for work on a pipe it also holds open, so it would outlive a main
    # process that is killed (kill -9, out of memory): it leaves when orphaned instead.
    parent = os.getppid()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int, interval: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _suggest_in_worker(texts: list[str]) -> Suggestions:
    assert _worker_model is not None
    s = _worker_model.suggest(texts)
    s.theme_probabilities = None  # not written; no need to send it back
    return s


Scored = tuple[pd.DataFrame, list[str], Suggestions]


def _scored_chunks(
    model: ThemesModel, chunks: Iterator[pd.DataFrame], text_column: str, jobs: int
) -> Iterator[Scored]:
    """Each chunk with its texts and suggestions, strictly in input order.

    The first chunk is scored here; only when a second one follows (and ``jobs`` > 1)
    are worker processes started, so small files pay nothing for them, and forked
    workers start with the caches the first chunk warmed. At most ``jobs + 1`` chunks
    are in flight, so memory stays flat however long the file is.
    """
    first = next(chunks, None)
    if first is None:
        return
    texts = _texts(first, text_column)
    yield first, texts, model.suggest(texts)
    if jobs <= 1:
        for chunk in chunks:
            texts = _texts(chunk, text_column)
            yield chunk, texts, model.suggest(texts)
        return
    second = next(chunks, None)
    if second is None:
        return
    executor = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(model,))
    pending: deque[tuple[pd.DataFrame, list[str], Future[Suggestions]]] = deque()
    try:
        for chunk in itertools.chain([second], chunks):
            texts = _texts(chunk, text_column)
            pending.append((chunk, texts, executor.submit(_suggest_in_worker, texts)))
            if len(pending) > jobs:
                chunk, texts, future = pending.popleft()
                yield chunk, texts, future.result()
        while pending:
            chunk, texts, future = pending.popleft()
            yield chunk, texts, future.result()
    except BrokenProcessPool:
        raise ThemesError(
            "a tagging worker process stopped unexpectedly (out of memory?); the output "
            "was not written; run again with --jobs 1"
        ) from None
    finally:
        # On an error or Ctrl-C: drop queued chunks, let running ones finish, reap workers.
        executor.shutdown(wait=True, cancel_futures=True)


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
    jobs = options.jobs if options.jobs is not None else default_jobs()
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    text = options.columns.text
    scored = _scored_chunks(model, table.chunks(options.chunk_rows), text, jobs)

    def tagged_chunks() -> Iterator[pd.DataFrame]:
        for chunk, _, suggestions in scored:
            tagged = _with_suggestions(chunk, suggestions)
            if options.prefill:
                tagged, filled = prefill_frame(tagged, options.columns)
                summary.prefilled += filled
            if options.redactor is not None:
                tagged = options.redactor.redact_frame(
                    tagged, options.columns.text, counts=redacted
                )
            yield tagged[internal]
            summary.rows += len(tagged)
            summary.needs_review += int(tagged["needs_review"].sum())
            # Counted on the written text column (redaction never empties a text).
            summary.empty_text += sum(not _text(v).strip() for v in tagged[text].tolist())
            for kind, count in tagged["suggested_kind"].value_counts().items():
                summary.kinds[str(kind)] = summary.kinds.get(str(kind), 0) + int(count)
            if progress is not None:
                progress(len(tagged))

    with closing(scored):
        written = write_table(
            table,
            out,
            header,
            tagged_chunks(),
            safe_csv=options.safe_csv,
            id_column=resolve_id_column(table.columns, options.columns),
        )
    summary.notes = table.notes + written.notes
    summary.redacted = dict(redacted)
    summary.header_row = table.header_row
    summary.blank_rows_dropped = table.blank_rows_dropped
    table.close()
    return summary
