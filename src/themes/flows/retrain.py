"""Learning from officers' corrections, safely: merge, retrain, gate, version.

The review file is a tagged log an officer has edited: the officer columns
(kind, themes, category) hold their labels and "reviewed" marks the rows they
checked. Retraining merges those corrections into the active model's own
training data (the starter corpus, then any earlier corrections), weighting them
so that a few hundred move the model toward the council's practice. A fixed
fifth of the corrections (chosen by a hash of the record, so it never changes)
is kept out of training; the new and the active model are compared on it plus
the starter test set, and the new version becomes active only if it is not
worse and changes few of the suggestions on rows nobody corrected (the gate).
The saved version is then refitted on every correction, so a corrected row
comes back as corrected once it is active. Habits that are rules over labels
("bias complaints go under staff") are learnt as explicit rules on top of the text
model (themes.model.practice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from themes.dataset import Columns, UnknownMarks
from themes.errors import LabelError, TrainingError
from themes.flows.corrections import (
    LABEL_COLUMNS,
    ReviewFiles,
    base_training_data,
    is_held_out,
    labelled_data,
    merge,
    read_reviews,
    starter_test_data,
    starter_test_file,
    text_key,
)
from themes.flows.evaluate import oof_metrics
from themes.flows.gate import GateLimits, GateResult, count_churn, gate, nothing_to_judge
from themes.flows.metrics import summary
from themes.flows.train import DATA_COLUMNS, csv_bytes
from themes.io import ReadOptions, may_show
from themes.model import ThemesModel
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
# Uncorrected review rows whose suggestion the new version changes (rows and references).
CHANGED_FILE = "changed_suggestions.csv"
CHANGED_COLUMNS = [
    "file",
    "row",
    "reference",
    "kind_before",
    "kind_now",
    "category_before",
    "category_now",
    "themes_before",
    "themes_now",
]

__all__ = ["RetrainOptions", "RetrainResult", "is_held_out", "retrain"]


@dataclass
class RetrainOptions(ReadOptions):
    """How corrections are read, weighted and judged."""

    # Text and reference columns: None means detect them in each file.
    columns: Columns = field(default_factory=lambda: Columns(text=None))
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
    # Share of the review files' uncorrected rows whose suggestion may change.
    max_churn: float = 0.30
    # An unknown mark in the reviewed column is an error instead of a note.
    strict_reviewed: bool = False
    force: bool = False


@dataclass
class RetrainResult:
    """What a retrain did."""

    version: Version
    parent: str
    activated: bool
    gate: GateResult
    corrections: int  # every correction read
    corrections_judged: int  # learnt by the version the gate judged
    corrections_held_out: int  # kept out of that version to judge it
    refitted: bool  # the saved version was refitted on every correction
    training_rows: int
    review_rows: int
    # Rows of the review files nobody corrected, and those whose suggestion changed.
    uncorrected_rows: int
    changed_rows: int
    changed_file: Path | None = None
    # The council's habits the new version learnt (themes.model.practice), in words.
    rules: list[str] = field(default_factory=list)
    # Which text and reference columns were read in each file (for stderr).
    column_notes: list[str] = field(default_factory=list)
    # Marks in the reviewed column that are not accepted ones (not learnt).
    unknown_marks: list[UnknownMarks] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """How many corrections were learnt and judged, in words."""
        return learning_summary(
            self.corrections, self.corrections_judged, self.corrections_held_out, self.refitted
        )


def learning_summary(read: int, judged: int, held: int, refitted: bool) -> str:
    """ "8 corrections: 7 learnt and judged on 1 kept out, then all 8 learnt"."""
    text = f"{read} corrections: {judged} learnt and judged on {held} kept out"
    if refitted:
        return text + f", then all {read} learnt"
    return text


def _held_out(corrections: pd.DataFrame, percent: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrections to learn from first, and the fixed slice kept out to judge by."""
    mask = np.array(
        [
            is_held_out(r, t, percent)
            for r, t in zip(corrections["reference"], corrections["text"], strict=True)
        ],
        dtype=bool,
    )
    return corrections[~mask], corrections[mask]


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


def _signature(p) -> tuple:
    # Themes are listed most likely first; a new order alone is not a different suggestion.
    return (p.kind, p.category, frozenset(p.themes))


def _churn(reviews: ReviewFiles, old: list, new: list) -> tuple[int, bytes]:
    """How many uncorrected review rows changed, and the CSV listing them (no text)."""
    changed = []
    for place, a, b in zip(reviews.places, old, new, strict=True):
        source, row, reference, corrected = place
        if corrected or _signature(a) == _signature(b):
            continue
        changed.append(
            {
                "file": source,
                "row": row,
                "reference": reference if may_show(reference) else "",
                "kind_before": a.kind or "",
                "kind_now": b.kind or "",
                "category_before": a.category or "",
                "category_now": b.category or "",
                "themes_before": ";".join(sorted(a.themes)),
                "themes_now": ";".join(sorted(b.themes)),
            }
        )
    frame = pd.DataFrame(changed, columns=CHANGED_COLUMNS)
    return len(changed), frame.to_csv(index=False).encode("utf-8")


def _fit(active, merged: pd.DataFrame, options: RetrainOptions, say) -> ThemesModel:
    is_correction = merged["weight"].to_numpy(dtype=float) > 1.0
    return ThemesModel(active.model.taxonomy, active.model.config).fit(
        labelled_data(merged, active.model),
        progress=say,
        corrections=is_correction if options.learn_practice else None,
    )


def _meta(
    paths: Sequence[str | Path],
    parent: str,
    model: ThemesModel,
    merged: pd.DataFrame,
    training_bytes: bytes,
    counts: tuple[int, int, int, bool],
    result: GateResult,
    starter_sha: str | None,
    options: RetrainOptions,
) -> ModelMeta:
    read, judged, held, refitted = counts
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
                "source": "held-out corrections + starter test set, measured on the version "
                "learnt without the held-out corrections",
                "summary": summary(result.new_metrics),
            },
        },
        retrain=RetrainInfo(
            parent=parent,
            files=[Path(p).name for p in paths],
            corrections_read=read,
            corrections_used=read if refitted else judged,
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
            summary=learning_summary(read, judged, held, refitted),
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
    limits = GateLimits(options.max_macro_f1_drop, options.max_recall_drop, options.max_churn)
    say = progress or (lambda _m: None)
    if base_model is not None:
        active, parent = load_model(base_model), Path(base_model).name
    else:
        active, parent = load_model(registry.active_path()), str(registry.active_name())
    say("reading corrections")
    reviews = read_reviews(
        paths, options, options.columns, options.reviewed_column, options.all_labelled
    )
    if options.strict_reviewed and reviews.unknown_marks:
        raise LabelError(reviews.unknown_marks[0].message() + "; refused (--strict-reviewed)")
    corrections = reviews.corrections
    if corrections.empty:
        how = "labelled" if options.all_labelled else "marked reviewed"
        raise TrainingError(
            f"no rows {how} with text in {', '.join(Path(p).name for p in paths)}; mark the rows "
            f"you checked with 'yes' in the '{options.reviewed_column}' column"
        )
    # Check labels against the model's taxonomy before any work (nearest id on error).
    labelled_data(corrections.assign(weight=1.0), active.model)
    learn, held = _held_out(corrections, options.held_out_percent)

    say("merging with the active model's training data")
    base = base_training_data(active)
    merged = merge(base, learn, options.correction_weight)
    # Held-out records must not be learnt from, even through the base data.
    held_keys = {text_key(t) for t in held["text"]}
    merged = merged[~merged["text"].map(text_key).isin(held_keys)].reset_index(drop=True)

    say(f"training on {len(merged)} rows ({len(learn)} corrections)")
    new_model = _fit(active, merged, options, say)

    say("comparing with the active model")
    starter = starter_test_data(active)
    judging = _judging_rows(held, starter, merged)
    # One prediction per model over the judging rows and the review files' texts.
    texts = [*judging["text"], *reviews.texts]
    n_judge = len(judging)
    old_probs = active.model.predict_proba(texts)
    new_probs = new_model.predict_proba(texts)

    def part(probs: dict, rows: slice) -> dict:
        return {head: p[rows] for head, p in probs.items()}

    if judging.empty:
        result = nothing_to_judge()
    else:
        data = labelled_data(judging, active.model)
        judge = slice(0, n_judge)
        result = gate(
            active.model,
            new_model,
            data,
            limits,
            np.flatnonzero(judging["council"].to_numpy(dtype=bool)),
            old_predictions=active.model.suggest(
                data.texts, part(old_probs, judge), always_categorise=True
            ).predictions(),
            new_predictions=new_model.suggest(
                data.texts, part(new_probs, judge), always_categorise=True
            ).predictions(),
        )
    review = slice(n_judge, len(texts))
    old_review = active.model.suggest(reviews.texts, part(old_probs, review)).predictions()

    # The saved version (active now, or later with 'models use') learns every correction,
    # held-out ones included; the gate judged the version learnt without them.
    refitted = not held.empty
    final_model, final_data = new_model, merged
    if refitted:
        say(f"refitting on all {len(corrections)} corrections")
        final_data = merge(base, corrections, options.correction_weight)
        final_model = _fit(active, final_data, options, say)
        new_review = final_model.suggest(reviews.texts).predictions()
    else:
        new_review = new_model.suggest(reviews.texts, part(new_probs, review)).predictions()
    uncorrected = sum(not place[3] for place in reviews.places)
    changed, changed_csv = _churn(reviews, old_review, new_review)
    count_churn(result, changed, uncorrected, options.max_churn)

    name = registry.next_name()
    training_bytes = csv_bytes(final_data[DATA_COLUMNS])
    extra = {
        TRAINING_DATA_FILE: training_bytes,
        HELD_OUT_FILE: csv_bytes(held[LABEL_COLUMNS]),
        CHANGED_FILE: changed_csv,
    }
    starter_path = starter_test_file(active) if starter is not None else None
    if starter_path is not None:
        extra[STARTER_TEST_FILE] = starter_path.read_bytes()
    meta = _meta(
        paths,
        parent,
        final_model,
        final_data,
        training_bytes,
        (len(corrections), len(learn), len(held), refitted),
        result,
        sha256_bytes(extra[STARTER_TEST_FILE]) if STARTER_TEST_FILE in extra else None,
        options,
    )
    save_model(final_model, registry.root / name, meta, extra_files=extra)
    activated = result.passed or options.force
    version = registry.use(name) if activated else registry.get(name)
    return RetrainResult(
        version=version,
        parent=parent,
        activated=activated,
        gate=result,
        corrections=len(corrections),
        corrections_judged=len(learn),
        corrections_held_out=len(held),
        refitted=refitted,
        training_rows=len(final_data),
        review_rows=len(reviews.texts),
        uncorrected_rows=uncorrected,
        changed_rows=changed,
        changed_file=registry.root / name / CHANGED_FILE,
        rules=final_model.practice_.describe() if final_model.practice_ else [],
        column_notes=reviews.column_notes,
        unknown_marks=reviews.unknown_marks,
    )
