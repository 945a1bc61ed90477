"""The retrain gate: the new version is used only if it is not worse than the active one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from themes.errors import ConfigError
from themes.flows.evaluate import evaluate_predictions
from themes.flows.metrics import metric_text, summary
from themes.model import LabelledData, Prediction, ThemesModel

# Fewer held-out corrections than this cannot speak for the council's practice.
MIN_COUNCIL_ROWS = 20


@dataclass
class GateLimits:
    """How much a measure may fall before the gate refuses."""

    max_macro_f1_drop: float = 0.01
    max_recall_drop: float = 0.10
    # Share of the review files' uncorrected rows whose suggestion may change.
    max_churn: float = 0.30

    def __post_init__(self) -> None:
        for name in ("max_macro_f1_drop", "max_recall_drop", "max_churn"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ConfigError(f"{name} is {value!r}; expected a number from 0 to 1")


@dataclass
class GateResult:
    """The comparison of the new and the active model on the same held-out rows."""

    passed: bool
    reasons: list[str]
    rows: int
    old: dict[str, Any]
    new: dict[str, Any]
    table: list[dict[str, Any]]
    # The new version's full scores on the same rows (kept as its held-out metrics).
    new_metrics: dict[str, Any] = field(default_factory=dict)
    # For refused measures that improve on the council's own held-out corrections.
    practice_notes: list[str] = field(default_factory=list)
    # Every refused measure improves on the council's own rows: the fall is on starter
    # rows whose labels the council's practice contradicts.
    practice_differs: bool = False


def nothing_to_judge() -> GateResult:
    """No held-out rows: the version is saved, but only --force makes it active."""
    return GateResult(
        passed=False,
        reasons=["no held-out rows to judge the new version on; add more corrections"],
        rows=0,
        old={},
        new={},
        table=[],
    )


def _false_positives(predictions: list[Prediction], data: LabelledData, theme: str) -> int:
    truths = data.themes or [None] * len(data)
    return sum(
        theme in p.themes and truth is not None and theme not in truth
        for p, truth in zip(predictions, truths, strict=True)
    )


def gate(
    old: ThemesModel,
    new: ThemesModel,
    data: LabelledData,
    limits: GateLimits,
    council_rows: np.ndarray | None = None,
    *,
    old_predictions: list[Prediction] | None = None,
    new_predictions: list[Prediction] | None = None,
) -> GateResult:
    """Compare two models on the same rows; pass if the new one is not worse.

    ``council_rows`` (indices into ``data``) are the council's own held-out
    corrections. When a measure falls on all rows but rises on those, the fall
    comes from rows whose starter labels the council's practice contradicts; the
    gate still refuses (activating a different practice is the officer's call),
    and says so in ``practice_notes``. The predictions (every row categorised) are
    computed here unless given.
    """
    old_pred = old_predictions or old.predict(data.texts, always_categorise=True)
    new_pred = new_predictions or new.predict(data.texts, always_categorise=True)
    old_scores = evaluate_predictions(old, data, old_pred)
    new_scores = evaluate_predictions(new, data, new_pred)
    council = None
    council_old: dict[str, Any] = {}
    council_new: dict[str, Any] = {}
    council_old_pred: list[Prediction] = []
    council_new_pred: list[Prediction] = []
    if council_rows is not None and len(council_rows) >= MIN_COUNCIL_ROWS:
        council = data.subset(council_rows)
        council_old_pred = [old_pred[i] for i in council_rows]
        council_new_pred = [new_pred[i] for i in council_rows]
        council_old = evaluate_predictions(old, council, council_old_pred)
        council_new = evaluate_predictions(new, council, council_new_pred)
    reasons: list[str] = []
    notes: list[str] = []
    table: list[dict[str, Any]] = []

    def row(name: str, before: float | None, after: float | None, limit: float | None) -> bool:
        delta = None if before is None or after is None else round(after - before, 4)
        table.append({"measure": name, "active": before, "new": after, "change": delta})
        if limit is not None and delta is not None and delta < -limit:
            reasons.append(f"{name} falls by {metric_text(-delta)} (more than {limit:.2f})")
            return True
        return False

    def council_view(head: str, key: str, name: str) -> None:
        if council is None or head not in council_old or head not in council_new:
            return
        before, after = council_old[head][key], council_new[head][key]
        if after > before:
            notes.append(
                f"{name} rises from {metric_text(before)} to {metric_text(after)} on your "
                f"{len(council)} "
                "held-out corrections"
            )

    measures = [
        ("themes", "macro_f1", "themes macro-F1", limits.max_macro_f1_drop),
        ("category", "macro_f1", "category macro-F1", limits.max_macro_f1_drop),
        ("themes", "micro_f1", "themes micro-F1", None),
        ("category", "accuracy", "category accuracy", None),
        ("kind", "accuracy", "kind accuracy", None),
    ]
    for head, key, name, limit in measures:
        in_both = head in old_scores and head in new_scores
        if in_both and row(name, old_scores[head][key], new_scores[head][key], limit):
            council_view(head, key, name)
    if "themes" in old_scores and "themes" in new_scores:
        for theme, before in old_scores["themes"]["per_label"].items():
            if before["support"] == 0:
                continue
            after = new_scores["themes"]["per_label"][theme]
            name = f"recall {theme}"
            if not row(name, before["recall"], after["recall"], limits.max_recall_drop):
                continue
            if council is None:
                continue
            council_label = council_old.get("themes", {}).get("per_label", {}).get(theme, {})
            if council_label.get("support", 0):
                before_f1 = council_label["f1"]
                after_f1 = council_new["themes"]["per_label"][theme]["f1"]
                if after_f1 > before_f1:
                    notes.append(
                        f"F1 of {theme} rises from {metric_text(before_f1)} to "
                        f"{metric_text(after_f1)} on your "
                        f"{len(council)} held-out corrections"
                    )
            else:
                # The council never uses this theme in its held-out rows.
                wrong_before = _false_positives(council_old_pred, council, theme)
                wrong_after = _false_positives(council_new_pred, council, theme)
                if wrong_after < wrong_before:
                    notes.append(
                        f"your {len(council)} held-out corrections never use {theme}; the new "
                        f"version suggests it {wrong_before - wrong_after} fewer times there"
                    )
    return GateResult(
        passed=not reasons,
        reasons=reasons,
        rows=len(data),
        old=summary(old_scores),
        new=summary(new_scores),
        table=table,
        new_metrics=new_scores,
        practice_notes=notes,
        practice_differs=bool(reasons) and len(notes) == len(reasons),
    )


def count_churn(result: GateResult, changed: int, uncorrected: int, limit: float) -> None:
    """Add the churn (uncorrected review rows whose suggestion changes) to the verdict."""
    share = changed / uncorrected if uncorrected else 0.0
    result.table.append(
        {"measure": "uncorrected rows changed", "active": None, "new": share, "change": None}
    )
    if share > limit:
        result.reasons.append(
            f"{changed} of {uncorrected} uncorrected rows of the review files get a different "
            f"suggestion ({share:.0%}, more than {limit:.0%}); see changed_suggestions.csv, or "
            "pass --max-churn to allow more"
        )
        result.passed = False
        result.practice_differs = False
