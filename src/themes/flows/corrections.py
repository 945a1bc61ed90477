"""Officers' corrections: reading review files, the fixed held-out slice, merging into the
data a model learnt from, and the starter test set a model folder carries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themes.dataset import (
    Columns,
    UnknownMarks,
    column_note,
    is_reviewed,
    is_unknown_mark,
    prepare_labelled,
    resolve_columns,
    resolve_id_column,
)
from themes.errors import LabelError
from themes.flows.train import DATA_COLUMNS
from themes.io import ReadOptions, cell_text, may_show
from themes.model import LabelledData, ThemesModel
from themes.store import STARTER_TEST_FILE, LoadedModel
from themes.store.persist import read_training_data, verified_file

LABEL_COLUMNS = ["reference", "text", "kind", "themes", "category"]


def record_key(reference: str, text: str) -> str:
    """Identity of a record: its reference when it has one, else its normalised text."""
    reference = reference.strip()
    if reference:
        return "ref:" + reference
    return "text:" + text_key(text)


def text_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def is_held_out(reference: str, text: str, percent: int) -> bool:
    """Whether a correction belongs to the fixed held-out slice (stable across runs)."""
    digest = hashlib.sha256(record_key(reference, text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


@dataclass
class ReviewFiles:
    """Review files read once: the corrections in them and every text they hold."""

    corrections: pd.DataFrame  # LABEL_COLUMNS + source, order, row, key; latest per record
    texts: list[str]  # every non-empty text, in file order
    # Parallel to ``texts``: (file name, spreadsheet row, reference, is a correction).
    places: list[tuple[str, int, str, bool]] = field(default_factory=list)
    # Which text and reference columns were used in each file, and why (for stderr).
    column_notes: list[str] = field(default_factory=list)
    # Marks in the reviewed column that are not accepted ones, per file.
    unknown_marks: list[UnknownMarks] = field(default_factory=list)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].map(cell_text).str.strip()
    return pd.Series("", index=frame.index)


def _unknown_marks(
    name: str, column: str, marks: pd.Series, rows: list[int], refs: list[str]
) -> UnknownMarks | None:
    unknown = [i for i, value in enumerate(marks) if is_unknown_mark(value)]
    if not unknown:
        return None
    first = unknown[0]
    ref = refs[first] if may_show(refs[first]) else ""
    return UnknownMarks(name, column, len(unknown), rows[first], ref)


def read_reviews(
    paths: Sequence[str | Path],
    read: ReadOptions,
    columns: Columns,
    reviewed_column: str = "reviewed",
    all_labelled: bool = False,
) -> ReviewFiles:
    """Rows officers reviewed (or every labelled row with ``all_labelled``), in file order.

    The text and reference columns are detected in each file when ``columns`` leaves
    them out. Later files and later rows win over earlier ones for the same record.
    """
    frames = []
    result = ReviewFiles(pd.DataFrame(columns=LABEL_COLUMNS), [])
    for order, path in enumerate(paths):
        name = Path(path).name
        with read.open(path) as table:
            frame = table.read()
            names = [str(c) for c in frame.columns]
            used, choice = resolve_columns(frame.head(500), columns, table.original_columns)
            rows = [table.row_number(i) for i in range(len(frame))]
        note = column_note(choice, columns)
        if note:
            result.column_notes.append(f"{name}: {note}")
        id_column = resolve_id_column(names, used)
        label_columns = [c for c in (used.kind, used.themes, used.category) if c in names]
        if not label_columns:
            raise LabelError(
                f"'{name}' has none of the label columns '{used.kind}', "
                f"'{used.themes}', '{used.category}'; it is not a review file "
                "(tag a log with 'themes tag' to make one)"
            )
        all_texts = frame[used.text].map(cell_text)
        refs = (
            frame[id_column].map(cell_text).str.strip().tolist() if id_column else [""] * len(frame)
        )
        if all_labelled:
            keep = pd.Series(False, index=frame.index)
            for column in label_columns:
                keep |= frame[column].map(cell_text).str.strip() != ""
        else:
            if reviewed_column not in names:
                raise LabelError(
                    f"'{name}' has no '{reviewed_column}' column; mark the rows "
                    "you checked with 'yes' in a 'reviewed' column, or pass --all-labelled to "
                    "learn from every labelled row"
                )
            keep = frame[reviewed_column].map(is_reviewed)
            marks = _unknown_marks(name, reviewed_column, frame[reviewed_column], rows, refs)
            if marks is not None:
                result.unknown_marks.append(marks)
        for i, (text, corrected) in enumerate(zip(all_texts, keep, strict=True)):
            if text.strip():
                result.texts.append(text)
                result.places.append((name, rows[i], refs[i], bool(corrected)))
        picked = frame[keep]
        out = pd.DataFrame(
            {
                "reference": pd.Series(refs, index=frame.index)[keep],
                "text": all_texts[keep],
                "kind": _column(picked, used.kind).str.lower(),
                "themes": _column(picked, used.themes),
                "category": _column(picked, used.category),
            }
        )
        out["source"] = name
        out["order"] = order
        out["row"] = pd.Series(rows, index=frame.index)[keep]
        frames.append(out[out["text"].str.strip() != ""])
    if not frames:
        return result
    corrections = pd.concat(frames, ignore_index=True)
    corrections["key"] = [
        record_key(r, t) for r, t in zip(corrections["reference"], corrections["text"], strict=True)
    ]
    # The latest correction of a record wins.
    result.corrections = corrections.drop_duplicates("key", keep="last").reset_index(drop=True)
    return result


def row_names(corrections: pd.DataFrame) -> list[str]:
    """How messages name each correction: file, spreadsheet row and reference."""
    names = []
    for source, row, ref in zip(
        corrections["source"], corrections["row"], corrections["reference"], strict=True
    ):
        name = f"{source} row {row}"
        if ref and may_show(ref):
            name += f", reference {ref}"
        names.append(name)
    return names


def base_training_data(loaded: LoadedModel) -> pd.DataFrame:
    """The data the active model learnt from: the copy saved in its folder, verified
    against its checksum in meta.json (themes.store.persist.read_training_data)."""
    return read_training_data(loaded)


def starter_test_file(loaded: LoadedModel) -> Path | None:
    """The starter test set carried in the model folder, when its checksum is the one
    recorded for this model's lineage (in meta.json's files, its retrain record, or the
    held-out metrics of the model it was first measured with)."""
    meta = loaded.meta
    lineage = (meta.retrain.starter_test_sha256 if meta.retrain else None) or (
        meta.metrics.get("held_out") or {}
    ).get("sha256")
    return verified_file(loaded, STARTER_TEST_FILE, lineage)


def starter_test_data(loaded: LoadedModel) -> pd.DataFrame | None:
    path = starter_test_file(loaded)
    if path is None:
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def merge(base: pd.DataFrame, corrections: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Base data with corrected records replaced (matched by reference or text) and added."""
    refs = {r for r in corrections["reference"] if r.strip()}
    texts = {text_key(t) for t in corrections["text"]}
    replaced = base["reference"].isin(refs) & (base["reference"].str.strip() != "")
    replaced |= base["text"].map(text_key).isin(texts)
    added = corrections[LABEL_COLUMNS].copy()
    added["weight"] = weight
    return pd.concat([base.loc[~replaced, DATA_COLUMNS], added], ignore_index=True)


def labelled_data(frame: pd.DataFrame, model: ThemesModel) -> LabelledData:
    """LabelledData from our data columns, checked against the model's taxonomy."""
    labels = frame[LABEL_COLUMNS].copy()
    if "row" in frame.columns and "source" in frame.columns:
        labels.attrs["row_names"] = row_names(frame)
    prepared = prepare_labelled(labels, Columns(), model.taxonomy)
    data = prepared.data
    if "weight" in frame.columns:
        data.weights = frame["weight"].astype(float).tolist()
    return data
