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
from themes.flows.evaluate import evaluate_model, oof_metrics
from themes.flows.metrics import summary
from themes.io import ReadOptions, cell_text
from themes.model import ModelConfig, ProgressCallback, ThemesModel
from themes.store import (
    STARTER_TEST_FILE,
    TRAINING_DATA_FILE,
    ModelMeta,
    TrainingInfo,
    save_model,
    sha256_file,
)
from themes.store.persist import check_output_folder
from themes.taxonomy import load_taxonomy

MIN_ROWS = 10
# Columns of training_data.csv in a model folder (what retrain merges corrections into).
DATA_COLUMNS = ["reference", "text", "kind", "themes", "category", "weight"]


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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV bytes, for files written into a model folder."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def labelled_frame(prepared: PreparedData, references: list[str]) -> pd.DataFrame:
    """Labelled rows in the model folder's own columns (weight 1 for every row)."""
    data = prepared.data
    n = len(data)
    return pd.DataFrame(
        {
            "reference": references,
            "text": data.texts,
            "kind": [k or "" for k in (data.kinds or [None] * n)],
            "themes": [";".join(t or []) for t in (data.themes or [None] * n)],
            "category": [c or "" for c in (data.categories or [None] * n)],
            "weight": 1.0,
        }
    )[DATA_COLUMNS]


def _references(frame: pd.DataFrame, columns: Columns) -> list[str]:
    id_column = resolve_id_column([str(c) for c in frame.columns], columns)
    return [cell_text(v) for v in frame[id_column]] if id_column else [""] * len(frame)


def train_from_file(
    data_path: str | Path,
    out: str | Path,
    *,
    columns: Columns | None = None,
    read: ReadOptions | None = None,
    taxonomy_path: str | Path | None = None,
    eval_path: str | Path | None = None,
    config: ModelConfig | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Train on a labelled file and save a model folder.

    Both files are read with ``read``. Metrics recorded: cross-validated (out-of-fold)
    on the training data, and, when ``eval_path`` is given, on that held-out file,
    whose rows are kept in the folder as the starter test set of retrain's gate.
    """
    columns = columns or Columns()
    read = read or ReadOptions()
    data_path = Path(data_path)
    inputs = [p for p in (data_path, eval_path, taxonomy_path) if p is not None]
    check_output_folder(out, force=force, inputs=inputs)
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else None
    frame = read.read(data_path)
    prepared = prepare_labelled(frame, columns, taxonomy)
    if len(prepared.data) < MIN_ROWS:
        raise TrainingError(
            f"'{data_path.name}' has {len(prepared.data)} rows; at least {MIN_ROWS} labelled "
            "rows are needed to train (a few hundred to be useful)"
        )
    held = None
    if eval_path is not None:
        eval_path = Path(eval_path)
        eval_frame = read.read(eval_path)
        held = prepare_labelled(eval_frame, columns, prepared.taxonomy)
        check_taxonomy_matches(prepared.taxonomy, held.taxonomy)
    started = time.perf_counter()
    model = ThemesModel(prepared.taxonomy, config).fit(prepared.data, progress=progress)
    seconds = time.perf_counter() - started
    report = model.training_report_
    cv = oof_metrics(model, report.oof)
    metrics: dict[str, Any] = {
        "cross_validated": {**cv, "rows": report.rows, "summary": summary(cv)},
    }
    extra_files = {
        TRAINING_DATA_FILE: csv_bytes(labelled_frame(prepared, _references(frame, columns)))
    }
    if held is not None and eval_path is not None:
        held_metrics = evaluate_model(model, held.data)
        starter = csv_bytes(labelled_frame(held, _references(eval_frame, columns)))
        extra_files[STARTER_TEST_FILE] = starter
        metrics["held_out"] = {
            **held_metrics,
            "source": eval_path.name,
            "sha256": sha256_file(eval_path),
            "summary": summary(held_metrics),
        }
    meta = ModelMeta(
        taxonomy={},
        heads=[],
        thresholds={},
        config={},
        training=TrainingInfo(
            source=data_path.name,
            sha256=sha256_file(data_path),
            rows=report.rows,
            rows_per_head=report.rows_per_head,
            seconds=round(seconds, 2),
            taxonomy_source=prepared.taxonomy_source,
            columns=columns.to_dict(),
        ),
        metrics=metrics,
    )
    folder = save_model(model, out, meta, force=force, extra_files=extra_files)
    return TrainResult(
        model=model,
        folder=folder,
        rows=report.rows,
        rows_per_head=report.rows_per_head,
        seconds=seconds,
        metrics=metrics,
        taxonomy_source=prepared.taxonomy_source,
    )
