"""Scores of suggestions against labels: per-label and overall, for themes and single labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def theme_scores(Y_true: np.ndarray, Y_pred: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Per-theme precision/recall/F1/support and micro, macro and samples F1."""
    per_label: dict[str, dict[str, float]] = {}
    f1s = []
    for j, label in enumerate(labels):
        t, p = Y_true[:, j].astype(bool), Y_pred[:, j].astype(bool)
        tp = int((t & p).sum())
        precision = tp / p.sum() if p.sum() else 0.0
        recall = tp / t.sum() if t.sum() else 0.0
        f1 = _f1(precision, recall)
        per_label[label] = {
            "precision": round(float(precision), 4),
            "recall": round(float(recall), 4),
            "f1": round(float(f1), 4),
            "support": int(t.sum()),
        }
        if t.sum():
            f1s.append(f1)
    tp = int((Y_true.astype(bool) & Y_pred.astype(bool)).sum())
    precision = tp / Y_pred.sum() if Y_pred.sum() else 0.0
    recall = tp / Y_true.sum() if Y_true.sum() else 0.0
    samples = []
    for t, p in zip(Y_true.astype(bool), Y_pred.astype(bool), strict=True):
        inter = (t & p).sum()
        denom = t.sum() + p.sum()
        samples.append(1.0 if denom == 0 else 2 * inter / denom)
    return {
        "rows": int(Y_true.shape[0]),
        "micro_f1": round(float(_f1(precision, recall)), 4),
        "micro_precision": round(float(precision), 4),
        "micro_recall": round(float(recall), 4),
        # Macro over labels that occur in the data: an absent label has no F1 to average.
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "samples_f1": round(float(np.mean(samples)) if samples else 0.0, 4),
        "per_label": per_label,
    }


def single_label_scores(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, balanced accuracy, per-label scores and a confusion matrix."""
    y_true = list(y_true)
    y_pred = list(y_pred)
    n = len(y_true)
    correct = sum(a == b for a, b in zip(y_true, y_pred, strict=True))
    matrix = {a: {b: 0 for b in labels} for a in labels}
    for a, b in zip(y_true, y_pred, strict=True):
        if a in matrix and b in matrix[a]:
            matrix[a][b] += 1
    per_label: dict[str, dict[str, float]] = {}
    f1s, recalls = [], []
    for label in labels:
        tp = matrix[label][label]
        predicted = sum(matrix[a][label] for a in labels)
        actual = sum(matrix[label].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(_f1(precision, recall), 4),
            "support": actual,
        }
        if actual:
            f1s.append(_f1(precision, recall))
            recalls.append(recall)
    return {
        "rows": n,
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
        "balanced_accuracy": round(float(np.mean(recalls)), 4) if recalls else 0.0,
        "per_label": per_label,
        "confusion": matrix,
    }


def summary(metrics: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of a metrics dict (for tables and the model card)."""
    out: dict[str, float] = {}
    if "kind" in metrics:
        out["kind_accuracy"] = metrics["kind"]["accuracy"]
    if "category" in metrics:
        out["category_accuracy"] = metrics["category"]["accuracy"]
        out["category_macro_f1"] = metrics["category"]["macro_f1"]
    if "themes" in metrics:
        out["themes_micro_f1"] = metrics["themes"]["micro_f1"]
        out["themes_macro_f1"] = metrics["themes"]["macro_f1"]
        out["themes_samples_f1"] = metrics["themes"]["samples_f1"]
    return out


def metric_text(value: float | None) -> str:
    """How a metric is shown everywhere (tables, notes, messages): three decimals, "-" if none.

    Metrics are stored rounded to four decimals; every display rounds that one stored
    value here, so the same metric shows the same number in every command.
    """
    return "-" if value is None else f"{float(value):.3f}"
