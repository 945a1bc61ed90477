"""Learning from officers' corrections, safely: merge, retrain, gate, version.

The review file is a tagged log an officer has edited: the officer columns
(kind, themes, category) hold their labels and "reviewed" marks the rows they
checked. Retraining merges those corrections into the active model's own
training data (the starter corpus, then any earlier corrections), weighting them
so that a few hundred move the model toward the council's practice. A fixed
fifth of the corrections (chosen by a hash of the record, so it never changes)
is kept out of training; the new and the active model are compared on it plus
the starter test set, and the new version becomes active only if it is not
worse (the gate). Habits that are rules over labels ("bias complaints go under
staff") are learnt as explicit rules on top of the text model (themes.model.practice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from themes.dataset import Columns
from themes.errors import TrainingError
from themes.flows.corrections import (
    LABEL_COLUMNS,
    base_training_data,
    is_held_out,
    labelled_data,
    merge,
    read_reviews,
    record_key,
    starter_test_data,
    starter_test_file,
    text_key,
)
from themes.flows.evaluate import oof_metrics
from themes.flows.gate import GateLimits, GateResult, gate, nothing_to_judge
from themes.flows.metrics import summary
from themes.flows.train import DATA_COLUMNS, csv_bytes
from themes.io import ReadOptions
from themes.model import Prediction, ThemesModel
from themes.store import (
    STARTER_TEST_FILE,
    TRAINING_DATA_FILE,
    ModelMeta,
    Registry,
    TrainingInfo,
    Version,
    load_model,
    save_model,
)
from themes.store.meta import GateInfo, RetrainInfo, sha256_bytes

HELD_OUT_FILE = "held_out_corrections.csv"

__all__ = ["RetrainOptions", "RetrainResult", "is_held_out", "retrain"]


@dataclass
class RetrainOptions(ReadOptions):
    """How corrections are read, weighted and judged."""

    columns: Columns = field(default_factory=Columns)
    reviewed_column: str = "reviewed"
    all_labelled: bool = False
    # Each correction counts as this many starter rows in the text model. Rows weighing
    # more than one are how a model folder's training data marks corrections.
    correction_weight: float = 4.0
    # Learn the council's habits as explicit rules (themes.model.practice).
    learn_practice: bool = True
    # Share of corrections kept out of training for the gate (fixed by record hash).
    held_out_percent: int = 20
    max_macro_f1_drop: float = 0.01
    max_recall_drop: float = 0.10
    force: bool = False


@dataclass
class RetrainResult:
    """What a retrain did."""

    version: Version
    parent: str
    activated: bool
    gate: GateResult
    corrections: int
    corrections_held_out: int
    training_rows: int
    review_rows: int
    changed_rows: int
    # The council's habits the new version learnt (themes.model.practice), in words.
    rules: list[str] = field(default_factory=list)


def _held_out(
    corrections: pd.DataFrame, parent: Path, percent: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrections to learn from, and every held-out correction of the lineage so far."""
    mask = np.array(
        [
            is_held_out(r, t, percent)
            for r, t in zip(corrections["reference"], corrections["text"], strict=True)
        ],
        dtype=bool,
    )
    earlier = (
        pd.read_csv(parent / HELD_OUT_FILE, dtype=str, keep_default_na=False)
        if (parent / HELD_OUT_FILE).exists()
        else pd.DataFrame(columns=LABEL_COLUMNS)
    )
    held = pd.concat([earlier[LABEL_COLUMNS], corrections[mask][LABEL_COLUMNS]], ignore_index=True)
    held["key"] = [record_key(r, t) for r, t in zip(held["reference"], held["text"], strict=True)]
    held = held.drop_duplicates("key", keep="last").drop(columns="key")
    return corrections[~mask], held


def _judging_rows(
    held: pd.DataFrame, starter: pd.DataFrame | None, learnt: pd.DataFrame
) -> pd.DataFrame:
    """Held-out corrections (council=True) and the starter test set, minus learnt texts."""
    frames = [held.assign(weight=1.0, council=True)]
    if starter is not None:
        frames.append(
            pd.DataFrame(
                {
                    "reference": starter["reference"],
                    "text": starter["text"],
                    "kind": starter["kind"].str.lower(),
                    "themes": starter["themes"],
                    "category": starter["category"],
                    "weight": 1.0,
                    "council": False,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    # A record the new model learnt from cannot judge it (a council may correct texts
    # that are also in the starter test set).
    seen = set(learnt["text"].map(text_key))
    return rows[~rows["text"].map(text_key).isin(seen)]


def _changed(old: list[Prediction], new: list[Prediction]) -> int:
    # Themes are listed most likely first; a new order alone is not a different suggestion.
    return sum(
        (a.kind, a.category, set(a.themes)) != (b.kind, b.category, set(b.themes))
        for a, b in zip(old, new, strict=True)
    )


def _compare(
    active: ThemesModel,
    new: ThemesModel,
    judging: pd.DataFrame,
    review_texts: list[str],
    options: RetrainOptions,
) -> tuple[GateResult, int]:
    """The gate's verdict on the judging rows, and how many review rows change suggestion.

    Each model predicts each row once; the gate's view (every row categorised) and the
    officer's view of the review rows are both decided from those probabilities.
    """
    texts = [*judging["text"], *review_texts]
    n = len(judging)
    old_probs = active.predict_proba(texts)
    new_probs = new.predict_proba(texts)

    def part(probs: dict[str, np.ndarray], rows: slice) -> dict[str, np.ndarray]:
        return {head: p[rows] for head, p in probs.items()}

    if judging.empty:
        result = nothing_to_judge()
    else:
        data = labelled_data(judging, active)
        rows = slice(0, n)
        result = gate(
            active,
            new,
            data,
            GateLimits(options.max_macro_f1_drop, options.max_recall_drop),
            np.flatnonzero(judging["council"].to_numpy(dtype=bool)),
            old_predictions=active.suggest(
                data.texts, part(old_probs, rows), always_categorise=True
            ).predictions(),
            new_predictions=new.suggest(
                data.texts, part(new_probs, rows), always_categorise=True
            ).predictions(),
        )
    review = slice(n, len(texts))
    changed = _changed(
        active.suggest(review_texts, part(old_probs, review)).predictions(),
        new.suggest(review_texts, part(new_probs, review)).predictions(),
    )
    return result, changed


def _meta(
    paths: Sequence[str | Path],
    parent: str,
    model: ThemesModel,
    merged: pd.DataFrame,
    training_bytes: bytes,
    counts: tuple[int, int, int],
    result: GateResult,
    starter_sha: str | None,
    options: RetrainOptions,
) -> ModelMeta:
    read, used, held = counts
    report = model.training_report_
    cv = oof_metrics(model, report.oof)
    return ModelMeta(
        taxonomy={},
        heads=[],
        thresholds={},
        config={},
        training=TrainingInfo(
            source=TRAINING_DATA_FILE,
            sha256=sha256_bytes(training_bytes),
            rows=len(merged),
            rows_per_head=report.rows_per_head,
            taxonomy_source="parent",
            columns=Columns().to_dict(),
        ),
        metrics={
            "cross_validated": {**cv, "rows": report.rows, "summary": summary(cv)},
            "held_out": {
                **result.new_metrics,
                "source": "held-out corrections + starter test set",
                "summary": summary(result.new_metrics),
            },
        },
        retrain=RetrainInfo(
            parent=parent,
            files=[Path(p).name for p in paths],
            corrections_read=read,
            corrections_used=used,
            corrections_held_out=held,
            correction_weight=options.correction_weight,
            practice=None if model.practice_ is None else model.practice_.to_meta(),
            starter_test_sha256=starter_sha,
            gate=GateInfo(
                passed=result.passed,
                reasons=result.reasons,
                practice_notes=result.practice_notes,
                rows=result.rows,
                active=result.old,
                new=result.new,
                forced=options.force and not result.passed,
            ),
        ),
    )


def retrain(
    paths: Sequence[str | Path],
    registry: Registry,
    options: RetrainOptions | None = None,
    *,
    base_model: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> RetrainResult:
    """Learn from corrections in ``paths`` and save a new version in ``registry``.

    The new version becomes active only if it passes the gate (or ``options.force``).
    Review files are read once; each model predicts each row once. The whole run holds
    the registry lock (themes.store.lock), so two retrains never share a version name.
    """
    with registry.lock():
        return _retrain(paths, registry, options, base_model=base_model, progress=progress)


def _retrain(
    paths: Sequence[str | Path],
    registry: Registry,
    options: RetrainOptions | None = None,
    *,
    base_model: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> RetrainResult:
    options = options or RetrainOptions()
    if options.correction_weight <= 1.0:
        raise TrainingError(
            "a correction must weigh more than one starter row (weight "
            f"{options.correction_weight:g} given); pass --weight 2 or more (the default is 4)"
        )
    say = progress or (lambda _m: None)
    if base_model is not None:
        active, parent = load_model(base_model), Path(base_model).name
    else:
        active, parent = load_model(registry.active_path()), str(registry.active_name())
    say("reading corrections")
    reviews = read_reviews(
        paths, options, options.columns, options.reviewed_column, options.all_labelled
    )
    corrections = reviews.corrections
    if corrections.empty:
        how = "labelled" if options.all_labelled else "marked reviewed"
        raise TrainingError(
            f"no rows {how} with text in {', '.join(Path(p).name for p in paths)}; mark the rows "
            f"you checked with 'yes' in the '{options.reviewed_column}' column"
        )
    # Check labels against the model's taxonomy before any work (nearest id on error).
    labelled_data(corrections.assign(weight=1.0), active.model)
    learn, held = _held_out(corrections, active.path, options.held_out_percent)

    say("merging with the active model's training data")
    merged = merge(base_training_data(active), learn, options.correction_weight)
    # Held-out records must not be learnt from, even through the base data.
    held_keys = {text_key(t) for t in held["text"]}
    merged = merged[~merged["text"].map(text_key).isin(held_keys)].reset_index(drop=True)

    say(f"training on {len(merged)} rows ({len(learn)} corrections)")
    is_correction = merged["weight"].to_numpy(dtype=float) > 1.0
    new_model = ThemesModel(active.model.taxonomy, active.model.config).fit(
        labelled_data(merged, active.model),
        progress=say,
        corrections=is_correction if options.learn_practice else None,
    )

    say("comparing with the active model")
    starter = starter_test_data(active)
    judging = _judging_rows(held, starter, merged)
    result, changed = _compare(active.model, new_model, judging, reviews.texts, options)

    name = registry.next_name()
    training_bytes = csv_bytes(merged[DATA_COLUMNS])
    extra = {TRAINING_DATA_FILE: training_bytes, HELD_OUT_FILE: csv_bytes(held)}
    starter_path = starter_test_file(active) if starter is not None else None
    if starter_path is not None:
        extra[STARTER_TEST_FILE] = starter_path.read_bytes()
    meta = _meta(
        paths,
        parent,
        new_model,
        merged,
        training_bytes,
        (len(corrections), len(learn), len(held)),
        result,
        sha256_bytes(extra[STARTER_TEST_FILE]) if STARTER_TEST_FILE in extra else None,
        options,
    )
    save_model(new_model, registry.root / name, meta, extra_files=extra)
    activated = result.passed or options.force
    version = registry.use(name) if activated else registry.get(name)
    return RetrainResult(
        version=version,
        parent=parent,
        activated=activated,
        gate=result,
        corrections=len(learn),
        corrections_held_out=len(held),
        training_rows=len(merged),
        review_rows=len(reviews.texts),
        changed_rows=changed,
        rules=new_model.practice_.describe() if new_model.practice_ else [],
    )
