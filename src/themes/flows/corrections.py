"""Officers' corrections: reading review files, the fixed held-out slice, merging into the
data a model learnt from, and the starter test set a model folder carries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from themes.dataset import Columns, is_reviewed, prepare_labelled, require_column, resolve_id_column
from themes.errors import LabelError
from themes.flows.train import DATA_COLUMNS
from themes.io import ReadOptions, cell_text
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

    corrections: pd.DataFrame  # LABEL_COLUMNS + source, order, key; latest per record
    texts: list[str]  # every non-empty text, in file order


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].map(cell_text).str.strip()
    return pd.Series("", index=frame.index)


def read_reviews(
    paths: Sequence[str | Path],
    read: ReadOptions,
    columns: Columns,
    reviewed_column: str = "reviewed",
    all_labelled: bool = False,
) -> ReviewFiles:
    """Rows officers reviewed (or every labelled row with ``all_labelled``), in file order.

    Later files and later rows win over earlier ones for the same record.
    """
    frames = []
    texts: list[str] = []
    for order, path in enumerate(paths):
        frame = read.read(path)
        names = [str(c) for c in frame.columns]
        require_column(names, columns.text, "--text-column")
        id_column = resolve_id_column(names, columns)
        label_columns = [c for c in (columns.kind, columns.themes, columns.category) if c in names]
        if not label_columns:
            raise LabelError(
                f"'{Path(path).name}' has none of the label columns '{columns.kind}', "
                f"'{columns.themes}', '{columns.category}'; it is not a review file "
                "(tag a log with 'themes tag' to make one)"
            )
        all_texts = frame[columns.text].map(cell_text)
        texts += [t for t in all_texts if t.strip()]
        if all_labelled:
            keep = pd.Series(False, index=frame.index)
            for column in label_columns:
                keep |= frame[column].map(cell_text).str.strip() != ""
        else:
            if reviewed_column not in names:
                raise LabelError(
                    f"'{Path(path).name}' has no '{reviewed_column}' column; mark the rows "
                    "you checked with 'yes' in a 'reviewed' column, or pass --all-labelled to "
                    "learn from every labelled row"
                )
            keep = frame[reviewed_column].map(is_reviewed)
        picked = frame[keep]
        out = pd.DataFrame(
            {
                "reference": picked[id_column].map(cell_text)
                if id_column
                else pd.Series("", index=picked.index),
                "text": all_texts[keep],
                "kind": _column(picked, columns.kind).str.lower(),
                "themes": _column(picked, columns.themes),
                "category": _column(picked, columns.category),
            }
        )
        out["source"] = Path(path).name
        out["order"] = order
        frames.append(out[out["text"].str.strip() != ""])
    if not frames:
        return ReviewFiles(pd.DataFrame(columns=LABEL_COLUMNS), texts)
    corrections = pd.concat(frames, ignore_index=True)
    corrections["key"] = [
        record_key(r, t) for r, t in zip(corrections["reference"], corrections["text"], strict=True)
    ]
    # The latest correction of a record wins.
    latest = corrections.drop_duplicates("key", keep="last").reset_index(drop=True)
    return ReviewFiles(latest, texts)


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
    prepared = prepare_labelled(frame[LABEL_COLUMNS], Columns(), model.taxonomy)
    data = prepared.data
    if "weight" in frame.columns:
        data.weights = frame["weight"].astype(float).tolist()
    return data
