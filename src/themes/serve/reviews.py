"""Review files in the page: opened from the server's folder or uploaded, listed in
review-queue order, corrected row by row and saved atomically in the same format.

Saving rewrites only the officer columns (kind, themes, category, reviewed) of the
rows corrected, and only where the correction differs from the cell; every other
column and row is written back as read (the header exactly as in the file), through
the same atomic writer as ``themes tag``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from themes.dataset import THEME_SEPARATOR, Columns, is_reviewed, require_column, split_themes
from themes.errors import InputFileError, OutputError, ThemesError
from themes.flows.review import QueueOptions, build_queue
from themes.flows.tag import REVIEWED_COLUMN, SUGGESTION_COLUMNS
from themes.io import ReadOptions, TableWriter, cell_text
from themes.model import ThemesModel
from themes.taxonomy import Taxonomy

REVIEW_FORMATS = (".csv", ".xlsx", ".jsonl")
REVIEWED_MARK = "yes"


class ReviewConflict(ThemesError):
    """The file changed on disk since the page opened it."""


@dataclass
class Edit:
    """An officer's correction of one data row (0-based position in the file)."""

    row: int
    kind: str = ""
    category: str = ""
    themes: list[str] = field(default_factory=list)
    reviewed: bool = False


@dataclass
class ReviewFile:
    """A review file the page has open."""

    id: str
    path: Path
    name: str
    uploaded: bool
    stamp: tuple[int, int] = (0, 0)

    def touch(self) -> None:
        self.stamp = _stamp(self.path)


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def _file_name(name: str) -> str:
    """A bare file name with a review-file extension (no folders, nothing hidden)."""
    bare = Path(str(name).replace("\\", "/")).name
    if not bare or bare != str(name) or bare.startswith("."):
        raise InputFileError(
            "a review file is named by its file name alone (no folder, not hidden); "
            "choose one of the files listed"
        )
    if Path(bare).suffix.lower() not in REVIEW_FORMATS:
        raise InputFileError(
            f"'{bare}' is not a review file; expected {', '.join(REVIEW_FORMATS)} "
            "(the output of 'themes tag')"
        )
    return bare


class ReviewFiles:
    """Review files open in this server: files of ``folder`` and private copies of uploads."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self._open: dict[str, ReviewFile] = {}
        self._uploads: Path | None = None

    def listing(self) -> list[str]:
        """Review files in the folder, by name."""
        if self.folder is None:
            return []
        return sorted(
            p.name
            for p in self.folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in REVIEW_FORMATS
        )

    def _add(self, path: Path, name: str, uploaded: bool) -> ReviewFile:
        review = ReviewFile(secrets.token_urlsafe(12), path, name, uploaded)
        review.touch()
        self._open[review.id] = review
        return review

    def open_in_folder(self, name: str) -> ReviewFile:
        if self.folder is None:
            raise InputFileError(
                "the server was started without --folder; upload the file, or restart with "
                "--folder FOLDER"
            )
        bare = _file_name(name)
        if bare not in self.listing():
            raise InputFileError(f"no review file '{bare}' in the server's folder")
        return self._add(self.folder / bare, bare, uploaded=False)

    def upload(self, name: str, data: bytes) -> ReviewFile:
        """Keep an uploaded file in a private folder (owner-only) for as long as the server runs."""
        bare = _file_name(name)
        if self._uploads is None:
            self._uploads = Path(tempfile.mkdtemp(prefix="themes-serve-"))
        folder = self._uploads / secrets.token_hex(8)
        folder.mkdir(mode=0o700)
        path = folder / bare
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return self._add(path, bare, uploaded=True)

    def get(self, review_id: str) -> ReviewFile | None:
        return self._open.get(review_id)

    def close(self) -> None:
        """Remove the uploaded copies (at shutdown)."""
        if self._uploads is not None:
            shutil.rmtree(self._uploads, ignore_errors=True)


def _labels(taxonomy: Taxonomy) -> dict[str, Any]:
    def block(labels: Any) -> list[dict[str, str]]:
        return [{"id": x.id, "name": x.name, "description": x.description} for x in labels]

    return {
        "kinds": block(taxonomy.kinds),
        "categories": block(taxonomy.categories),
        "themes": block(taxonomy.themes),
        "categorised_kinds": list(taxonomy.categorised_kinds),
    }


def taxonomy_json(taxonomy: Taxonomy) -> dict[str, Any]:
    """The taxonomy's ids and names, for the page's choices."""
    return _labels(taxonomy)


def review_rows(model: ThemesModel, review: ReviewFile, columns: Columns | None = None) -> dict:
    """Every row of a review file, the review queue's rows first in its order, then the
    others in file order; with the officer's labels and the model's suggestions."""
    columns = columns or Columns()
    with ReadOptions().open(review.path) as table:
        frame = table.read()
        first = table.row_number(0)
    require_column([str(c) for c in frame.columns], columns.text, "text column")
    queue = build_queue(model, frame, QueueOptions(columns=columns))
    ranks = {
        int(i): (int(rank), reason)
        for i, rank, reason in zip(
            queue.index, queue["queue_rank"], queue["queue_reason"], strict=True
        )
    }
    order = [int(i) for i in queue.index] + [i for i in range(len(frame)) if i not in ranks]
    has = set(frame.columns)
    id_column = columns.id or ("reference" if "reference" in has else None)

    def get(i: int, name: str | None) -> str:
        return cell_text(frame.at[i, name]).strip() if name and name in has else ""

    def cell(i: int, name: str) -> object:
        return frame.at[i, name] if name in has else ""

    rows = []
    for i in order:
        suggested = None
        if "suggested_kind" in has:
            suggested = {c: cell_text(frame.at[i, c]) for c in SUGGESTION_COLUMNS if c in has}
        rank = ranks.get(i)
        rows.append(
            {
                "row": i,
                "line": first + i,
                "reference": get(i, id_column),
                "text": cell_text(frame.at[i, columns.text]),
                "kind": get(i, columns.kind).lower(),
                "category": get(i, columns.category),
                "themes": split_themes(cell(i, columns.themes)),
                "reviewed": is_reviewed(cell(i, REVIEWED_COLUMN)),
                "suggested": suggested,
                "queue_rank": rank[0] if rank else None,
                "queue_reason": rank[1] if rank else None,
            }
        )
    return {
        "id": review.id,
        "name": review.name,
        "uploaded": review.uploaded,
        "rows": rows,
        "queued": len(ranks),
    }


def _check(edit: Edit, line: int, taxonomy: Taxonomy) -> None:
    where = f"row {line}"
    if edit.kind and taxonomy.kinds and edit.kind not in taxonomy.kind_ids:
        raise InputFileError(
            f"{where}: the kind is not one of the taxonomy's ({', '.join(taxonomy.kind_ids)})"
        )
    if edit.category and taxonomy.categories and edit.category not in taxonomy.category_ids:
        raise InputFileError(
            f"{where}: the category is not one of the taxonomy's "
            f"({', '.join(taxonomy.category_ids)})"
        )
    unknown = [t for t in edit.themes if t not in taxonomy.theme_ids]
    if unknown and taxonomy.themes:
        raise InputFileError(
            f"{where}: {len(unknown)} theme(s) are not in the taxonomy; choose from its themes"
        )


@dataclass
class Saved:
    """What a save wrote."""

    name: str
    rows: int
    cells_changed: int


def save_review(
    review: ReviewFile,
    edits: list[Edit],
    taxonomy: Taxonomy,
    save_as: str | None = None,
    columns: Columns | None = None,
) -> Saved:
    """Write the corrections into the file (or a new file beside it), atomically."""
    columns = columns or Columns()
    if _stamp(review.path) != review.stamp:
        raise ReviewConflict(
            f"'{review.name}' changed on disk since the page opened it; open it again and "
            "redo the corrections (nothing was saved)"
        )
    with ReadOptions().open(review.path) as table:
        frame = table.read()
        header = list(table.original_columns)
        internal = list(table.columns)
        first = table.row_number(0)
    wanted = [columns.kind, columns.themes, columns.category, REVIEWED_COLUMN]
    for column in wanted:
        if column not in internal:
            internal.append(column)
            header.append(column)
            frame[column] = ""
    for column in wanted:
        frame[column] = frame[column].astype(object)
    changed = 0
    for edit in edits:
        if not 0 <= edit.row < len(frame):
            raise InputFileError(
                f"no data row {edit.row} in '{review.name}' (it has {len(frame)}); open it again"
            )
        _check(edit, first + edit.row, taxonomy)
        i = edit.row
        cells = frame.loc[i]
        updates: dict[str, Any] = {}
        if cell_text(cells[columns.kind]).strip().lower() != edit.kind:
            updates[columns.kind] = edit.kind
        if cell_text(cells[columns.category]).strip() != edit.category:
            updates[columns.category] = edit.category
        if set(split_themes(cells[columns.themes])) != set(edit.themes):
            updates[columns.themes] = THEME_SEPARATOR.join(edit.themes)
        if is_reviewed(cells[REVIEWED_COLUMN]) != edit.reviewed:
            updates[REVIEWED_COLUMN] = REVIEWED_MARK if edit.reviewed else ""
        for column, value in updates.items():
            frame.at[i, column] = value
        changed += len(updates)
    target = review.path if save_as is None else review.path.parent / _file_name(save_as)
    if target.suffix.lower() != review.path.suffix.lower():
        raise OutputError(
            f"save as a {review.path.suffix} file like the one opened (found '{target.name}')"
        )
    if save_as is not None and target.exists() and target != review.path:
        raise OutputError(f"'{target.name}' already exists; choose another name")
    with TableWriter(target, header) as writer:
        writer.write(frame[internal] if len(frame) else pd.DataFrame(columns=internal))
    # Later saves (and a retrain) use the file last written.
    review.path, review.name = target, target.name
    review.touch()
    return Saved(name=target.name, rows=len(edits), cells_changed=changed)
