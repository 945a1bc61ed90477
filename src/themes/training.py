"""Training a model from a labelled file and saving it as a model folder."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from themes.dataset import (
    Columns,
    PreparedData,
    check_taxonomy_matches,
    prepare_labelled,
    resolve_id_column,
)
from themes.errors import TrainingError
from themes.evaluate import evaluate_model, oof_metrics, summary
from themes.io import cell_text, read_table
from themes.model import ModelConfig, ProgressCallback, ThemesModel, suppress_sklearn_warnings
from themes.registry import TRAINING_DATA_FILE, save_model, sha256_file
from themes.taxonomy import Taxonomy, load_taxonomy

MIN_ROWS = 10


@dataclass
class TrainResult:
    """A trained model, where it was saved and what was measured."""

    model: ThemesModel
    folder: Path
    rows: int
    rows_per_head: dict[str, int]
    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)
    taxonomy_source: str = "default"


def _read_labelled(
    path: Path,
    columns: Columns,
    taxonomy: Taxonomy | None,
    encoding: str | None,
    sheet: str | None,
    header_row: int | None = None,
    delimiter: str | None = None,
) -> PreparedData:
    frame = read_table(
        path, encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
    )
    return prepare_labelled(frame, columns, taxonomy)


# Columns of training_data.csv in a model folder (what retrain merges corrections into).
DATA_COLUMNS = ["reference", "text", "kind", "themes", "category", "weight"]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV bytes, for files written into a model folder."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def training_data_csv(prepared: PreparedData, references: list[str]) -> bytes:
    """The labelled rows a model learnt from, kept in its folder so it can be retrained.

    Columns: reference, text, kind, themes, category, weight (1 for every row).
    """
    data = prepared.data
    n = len(data)
    frame = pd.DataFrame(
        {
            "reference": references,
            "text": data.texts,
            "kind": [k or "" for k in (data.kinds or [None] * n)],
            "themes": [";".join(t or []) for t in (data.themes or [None] * n)],
            "category": [c or "" for c in (data.categories or [None] * n)],
            "weight": 1.0,
        }
    )
    return csv_bytes(frame[DATA_COLUMNS])


def train_from_file(
    data_path: str | Path,
    out: str | Path,
    *,
    columns: Columns | None = None,
    taxonomy_path: str | Path | None = None,
    eval_path: str | Path | None = None,
    config: ModelConfig | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
    header_row: int | None = None,
    delimiter: str | None = None,
) -> TrainResult:
    """Train on a labelled file and save a model folder.

    Metrics recorded: cross-validated (out-of-fold) on the training data, and,
    when ``eval_path`` is given, on that held-out file.
    """
    suppress_sklearn_warnings()
    columns = columns or Columns()
    data_path = Path(data_path)
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else None
    frame = read_table(
        data_path, encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
    )
    prepared = prepare_labelled(frame, columns, taxonomy)
    id_column = resolve_id_column([str(c) for c in frame.columns], columns)
    frame_ids = [cell_text(v) for v in frame[id_column]] if id_column else [""] * len(frame)
    if len(prepared.data) < MIN_ROWS:
        raise TrainingError(
            f"'{data_path.name}' has {len(prepared.data)} rows; at least {MIN_ROWS} labelled "
            "rows are needed to train (a few hundred to be useful)"
        )
    started = time.perf_counter()
    model = ThemesModel(prepared.taxonomy, config)
    report = model.fit(prepared.data, progress=progress)
    seconds = time.perf_counter() - started
    cv = oof_metrics(model, report.oof)
    metrics: dict[str, Any] = {
        "cross_validated": {**cv, "rows": report.rows, "summary": summary(cv)},
    }
    if eval_path is not None:
        eval_path = Path(eval_path)
        held = _read_labelled(eval_path, columns, prepared.taxonomy, encoding, sheet)
        check_taxonomy_matches(model.taxonomy, held.taxonomy)
        held_metrics = evaluate_model(model, held.data)
        metrics["held_out"] = {
            **held_metrics,
            "source": eval_path.name,
            "sha256": sha256_file(eval_path),
            "summary": summary(held_metrics),
        }
    meta_extra = {
        "training": {
            "source": data_path.name,
            "sha256": sha256_file(data_path),
            "rows": report.rows,
            "rows_per_head": report.rows_per_head,
            "seconds": round(seconds, 2),
            "taxonomy_source": prepared.taxonomy_source,
            "columns": columns.to_dict(),
        },
        "metrics": metrics,
    }
    folder = save_model(
        model,
        out,
        meta_extra,
        force=force,
        extra_files={TRAINING_DATA_FILE: training_data_csv(prepared, frame_ids)},
    )
    return TrainResult(
        model=model,
        folder=folder,
        rows=report.rows,
        rows_per_head=report.rows_per_head,
        seconds=seconds,
        metrics=metrics,
        taxonomy_source=prepared.taxonomy_source,
    )


def evaluate_file(
    loaded_model: ThemesModel,
    data_path: str | Path,
    *,
    columns: Columns | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    delimiter: str | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a labelled file, checking its labels against the model's taxonomy."""
    columns = columns or Columns()
    prepared = _read_labelled(
        Path(data_path), columns, loaded_model.taxonomy, encoding, sheet, header_row, delimiter
    )
    metrics = evaluate_model(loaded_model, prepared.data)
    metrics["summary"] = summary(metrics)
    return metrics
