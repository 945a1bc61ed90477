"""Measuring a model: on a labelled file, on labelled rows, or from training's out-of-fold
predictions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from themes.dataset import Columns, prepare_labelled
from themes.flows.metrics import single_label_scores, summary, theme_scores
from themes.io import ReadOptions
from themes.model import LabelledData, Prediction, Suggestions, ThemesModel


def oof_metrics(model: ThemesModel, oof: dict[str, Any]) -> dict[str, Any]:
    """Cross-validated metrics from the out-of-fold probabilities of training.

    Theme thresholds were tuned on these same out-of-fold predictions, so the
    theme scores are slightly optimistic; held-out evaluation is the honest figure.
    """
    metrics: dict[str, Any] = {}
    for name, head in (("kind", model.kind_head_), ("category", model.category_head_)):
        if name in oof and oof[name][2] is not None and head is not None:
            _, y, proba = oof[name]
            pred = [head.classes_[j] for j in proba.argmax(axis=1)]
            metrics[name] = single_label_scores(y, pred, head.classes_)
    head = model.theme_head_
    if "themes" in oof and oof["themes"][2] is not None and head is not None:
        _, Y, proba = oof["themes"]
        Y_pred = (proba >= head.thresholds_).astype(int)
        metrics["themes"] = theme_scores(Y, Y_pred, head.classes_)
    return metrics


def _columns_of(predictions: Sequence[Prediction] | Suggestions):
    if isinstance(predictions, Suggestions):
        return predictions.kinds, predictions.categories, predictions.themes
    return (
        [p.kind for p in predictions],
        [p.category for p in predictions],
        [p.themes for p in predictions],
    )


def evaluate_predictions(
    model: ThemesModel, data: LabelledData, predictions: Sequence[Prediction] | Suggestions
) -> dict[str, Any]:
    """Scores of suggestions against the labels in ``data`` (rows lacking a label are skipped)."""
    kinds, categories, themes = _columns_of(predictions)
    result: dict[str, Any] = {"rows": len(data)}
    if data.kinds is not None and model.kind_head_ is not None:
        pairs = [(k, p) for k, p in zip(data.kinds, kinds, strict=True) if k]
        if pairs:
            t, p = zip(*pairs, strict=True)
            result["kind"] = single_label_scores(t, p, model.kind_head_.classes_)
    if data.categories is not None and model.category_head_ is not None:
        # Category is judged where the truth has one (see evaluate_model).
        pairs = [(c, p) for c, p in zip(data.categories, categories, strict=True) if c]
        if pairs:
            t, p = zip(*pairs, strict=True)
            result["category"] = single_label_scores(t, p, model.category_head_.classes_)
    if data.themes is not None and model.theme_head_ is not None:
        labels = model.theme_head_.classes_
        rows = [(ts, p) for ts, p in zip(data.themes, themes, strict=True) if ts is not None]
        if rows:
            Y = np.zeros((len(rows), len(labels)), dtype=int)
            P = np.zeros_like(Y)
            for r, (ts, picked) in enumerate(rows):
                for theme in ts or []:
                    if theme in labels:
                        Y[r, labels.index(theme)] = 1
                for theme in picked:
                    P[r, labels.index(theme)] = 1
            result["themes"] = theme_scores(Y, P, labels)
    return result


def evaluate_model(model: ThemesModel, data: LabelledData) -> dict[str, Any]:
    """Suggest for every row of ``data`` and score the suggestions."""
    # Every row gets a category, even those predicted as compliments, so that category
    # accuracy is judged on every row whose truth has one.
    return evaluate_predictions(model, data, model.suggest(data.texts, always_categorise=True))


def evaluate_file(
    model: ThemesModel,
    data_path: str | Path,
    *,
    columns: Columns | None = None,
    read: ReadOptions | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a labelled file, checking its labels against the model's taxonomy."""
    read = read or ReadOptions()
    prepared = prepare_labelled(read.read(data_path), columns or Columns(), model.taxonomy)
    metrics = evaluate_model(model, prepared.data)
    metrics["summary"] = summary(metrics)
    return metrics
