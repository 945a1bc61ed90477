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
staff") are learnt as explicit rules on top of the text model (themes.practice).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from themes.dataset import (
    Columns,
    is_reviewed,
    prepare_labelled,
    require_column,
    resolve_id_column,
)
from themes.errors import LabelError, ModelError, TrainingError
from themes.evaluate import evaluate_predictions, oof_metrics, summary
from themes.io import ReadOptions, cell_text
from themes.model import LabelledData, Prediction, ThemesModel, suppress_sklearn_warnings
from themes.practice import learn_rules
from themes.registry import (
    TRAINING_DATA_FILE,
    LoadedModel,
    Registry,
    Version,
    load_model,
    repository_root,
    save_model,
    sha256_file,
)
from themes.training import DATA_COLUMNS, csv_bytes

HELD_OUT_FILE = "held_out_corrections.csv"


@dataclass
class RetrainOptions(ReadOptions):
    """How corrections are read, weighted and judged."""

    columns: Columns = field(default_factory=Columns)
    reviewed_column: str = "reviewed"
    all_labelled: bool = False
    # Each correction counts as this many starter rows in the text model. Rows weighing
    # more than one are how a model folder's training data marks corrections.
    correction_weight: float = 4.0
    # Learn the council's habits as explicit rules (themes.practice).
    learn_practice: bool = True
    # Share of corrections kept out of training for the gate (fixed by record hash).
    held_out_percent: int = 20
    max_macro_f1_drop: float = 0.01
    max_recall_drop: float = 0.10
    force: bool = False


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
    # The council's habits the new version learnt (themes.practice), in words.
    rules: list[str] = field(default_factory=list)


def record_key(reference: str, text: str) -> str:
    """Identity of a record: its reference when it has one, else its normalised text."""
    reference = reference.strip()
    if reference:
        return "ref:" + reference
    return "text:" + re.sub(r"\s+", " ", text.strip().lower())


def _text_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def is_held_out(reference: str, text: str, percent: int) -> bool:
    """Whether a correction belongs to the fixed held-out slice (stable across runs)."""
    digest = hashlib.sha256(record_key(reference, text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def read_corrections(paths: Sequence[str | Path], options: RetrainOptions) -> pd.DataFrame:
    """Rows officers reviewed (or every labelled row with all_labelled), in file order.

    Later files and later rows win over earlier ones for the same record.
    """
    columns = options.columns
    frames = []
    for order, path in enumerate(paths):
        frame = options.read(path)
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
        if options.all_labelled:
            keep = pd.Series(False, index=frame.index)
            for column in label_columns:
                keep |= frame[column].map(cell_text).str.strip() != ""
        else:
            if options.reviewed_column not in names:
                raise LabelError(
                    f"'{Path(path).name}' has no '{options.reviewed_column}' column; mark the rows "
                    "you checked with 'yes' in a 'reviewed' column, or pass --all-labelled to "
                    "learn from every labelled row"
                )
            keep = frame[options.reviewed_column].map(is_reviewed)
        picked = frame[keep]
        out = pd.DataFrame(
            {
                "reference": picked[id_column].map(cell_text)
                if id_column
                else pd.Series("", index=picked.index),
                "text": picked[columns.text].map(cell_text),
                "kind": _column(picked, columns.kind).str.lower(),
                "themes": _column(picked, columns.themes),
                "category": _column(picked, columns.category),
            }
        )
        out["source"] = Path(path).name
        out["order"] = order
        frames.append(out[out["text"].str.strip() != ""])
    if not frames:
        return pd.DataFrame(columns=["reference", "text", "kind", "themes", "category"])
    corrections = pd.concat(frames, ignore_index=True)
    corrections["key"] = [
        record_key(r, t) for r, t in zip(corrections["reference"], corrections["text"], strict=True)
    ]
    # The latest correction of a record wins.
    return corrections.drop_duplicates("key", keep="last").reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].map(cell_text).str.strip()
    return pd.Series("", index=frame.index)


def base_training_data(loaded: LoadedModel) -> pd.DataFrame:
    """The data the active model learnt from: the copy saved in its folder."""
    path = loaded.path / TRAINING_DATA_FILE
    if not path.exists():
        raise ModelError(
            f"model '{loaded.path.name}' has no {TRAINING_DATA_FILE}, so there is nothing to "
            "merge corrections into; retrain from a labelled file with 'themes train' instead"
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["weight"] = frame["weight"].astype(float)
    return frame


def starter_test_data(loaded: LoadedModel) -> pd.DataFrame | None:
    """The starter corpus's test split, when it is the one recorded for this model's lineage."""
    held = loaded.meta.get("metrics", {}).get("held_out", {})
    lineage = loaded.meta.get("retrain", {}).get("starter_test_sha256") or held.get("sha256")
    candidate = repository_root() / "data" / "test.csv"
    if candidate.is_file() and lineage and sha256_file(candidate) == lineage:
        return pd.read_csv(candidate, dtype=str, keep_default_na=False)
    return None


def merge(base: pd.DataFrame, corrections: pd.DataFrame, weight: float) -> pd.DataFrame:
    """Base data with corrected records replaced (matched by reference or text) and added."""
    refs = {r for r in corrections["reference"] if r.strip()}
    texts = {_text_key(t) for t in corrections["text"]}
    replaced = base["reference"].isin(refs) & (base["reference"].str.strip() != "")
    replaced |= base["text"].map(_text_key).isin(texts)
    added = corrections[["reference", "text", "kind", "themes", "category"]].copy()
    added["weight"] = weight
    return pd.concat([base.loc[~replaced, DATA_COLUMNS], added], ignore_index=True)


def labelled_data(frame: pd.DataFrame, model: ThemesModel) -> LabelledData:
    """LabelledData from our data columns, checked against the model's taxonomy."""
    prepared = prepare_labelled(
        frame[["reference", "text", "kind", "themes", "category"]], Columns(), model.taxonomy
    )
    data = prepared.data
    if "weight" in frame.columns:
        data.weights = frame["weight"].astype(float).tolist()
    return data


def _subset(data: LabelledData, rows: np.ndarray) -> LabelledData:
    def pick(values: list[Any] | None) -> list[Any] | None:
        return None if values is None else [values[i] for i in rows]

    return LabelledData(
        texts=[data.texts[i] for i in rows],
        kinds=pick(data.kinds),
        categories=pick(data.categories),
        themes=pick(data.themes),
    )


def _false_positives(predictions: list[Prediction], data: LabelledData, theme: str) -> int:
    truths = data.themes or [None] * len(data)
    return sum(
        theme in p.themes and truth is not None and theme not in truth
        for p, truth in zip(predictions, truths, strict=True)
    )


# Fewer held-out corrections than this cannot speak for the council's practice.
MIN_COUNCIL_ROWS = 20


def gate(
    old: ThemesModel,
    new: ThemesModel,
    data: LabelledData,
    options: RetrainOptions,
    council_rows: np.ndarray | None = None,
) -> GateResult:
    """Compare two models on the same rows; pass if the new one is not worse.

    ``council_rows`` (indices into ``data``) are the council's own held-out
    corrections. When a measure falls on all rows but rises on those, the fall
    comes from rows whose starter labels the council's practice contradicts; the
    gate still refuses (activating a different practice is the officer's call),
    and says so in ``practice_notes``.
    """
    # Each model predicts every row once; the council's rows are judged on a subset.
    old_pred = old.predict(data.texts, always_categorise=True)
    new_pred = new.predict(data.texts, always_categorise=True)
    old_scores = evaluate_predictions(old, data, old_pred)
    new_scores = evaluate_predictions(new, data, new_pred)
    council = None
    council_old: dict[str, Any] = {}
    council_new: dict[str, Any] = {}
    council_old_pred: list[Prediction] = []
    council_new_pred: list[Prediction] = []
    if council_rows is not None and len(council_rows) >= MIN_COUNCIL_ROWS:
        council = _subset(data, council_rows)
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
            reasons.append(f"{name} falls by {-delta:.3f} (more than {limit:.2f})")
            return True
        return False

    def council_view(head: str, key: str, name: str) -> None:
        if council is None or head not in council_old or head not in council_new:
            return
        before, after = council_old[head][key], council_new[head][key]
        if after > before:
            notes.append(
                f"{name} rises from {before:.3f} to {after:.3f} on your {len(council)} "
                "held-out corrections"
            )

    measures = [
        ("themes", "macro_f1", "themes macro-F1", options.max_macro_f1_drop),
        ("category", "macro_f1", "category macro-F1", options.max_macro_f1_drop),
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
            if not row(name, before["recall"], after["recall"], options.max_recall_drop):
                continue
            if council is None:
                continue
            council_label = council_old.get("themes", {}).get("per_label", {}).get(theme, {})
            if council_label.get("support", 0):
                before_f1 = council_label["f1"]
                after_f1 = council_new["themes"]["per_label"][theme]["f1"]
                if after_f1 > before_f1:
                    notes.append(
                        f"F1 of {theme} rises from {before_f1:.3f} to {after_f1:.3f} on your "
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


def _changed(old: ThemesModel, new: ThemesModel, texts: list[str]) -> int:
    before = old.predict(texts)
    after = new.predict(texts)
    # Themes are listed most likely first; a new order alone is not a different suggestion.
    return sum(
        (a.kind, a.category, set(a.themes)) != (b.kind, b.category, set(b.themes))
        for a, b in zip(before, after, strict=True)
    )


def _review_texts(paths: Sequence[str | Path], options: RetrainOptions) -> list[str]:
    texts: list[str] = []
    for path in paths:
        frame = options.read(path)
        texts += [t for t in frame[options.columns.text].map(cell_text) if t.strip()]
    return texts


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
    """
    suppress_sklearn_warnings()
    options = options or RetrainOptions()
    if options.correction_weight <= 1.0:
        raise TrainingError(
            "a correction must weigh more than one starter row (weight "
            f"{options.correction_weight:g} given); pass --weight 2 or more (the default is 4)"
        )
    say = progress or (lambda _m: None)
    parent_path = Path(base_model) if base_model is not None else registry.active_path()
    active = load_model(parent_path)
    say("reading corrections")
    corrections = read_corrections(paths, options)
    if corrections.empty:
        how = "labelled" if options.all_labelled else "marked reviewed"
        raise TrainingError(
            f"no rows {how} with text in {', '.join(Path(p).name for p in paths)}; mark the rows "
            f"you checked with 'yes' in the '{options.reviewed_column}' column"
        )
    # Check labels against the model's taxonomy before any work (nearest id on error).
    labelled_data(corrections.assign(weight=1.0), active.model)
    held_mask = np.array(
        [
            is_held_out(r, t, options.held_out_percent)
            for r, t in zip(corrections["reference"], corrections["text"], strict=True)
        ],
        dtype=bool,
    )
    held = corrections[held_mask]
    train_corrections = corrections[~held_mask]
    earlier_held = (
        pd.read_csv(parent_path / HELD_OUT_FILE, dtype=str, keep_default_na=False)
        if (parent_path / HELD_OUT_FILE).exists()
        else pd.DataFrame(columns=["reference", "text", "kind", "themes", "category"])
    )
    label_columns = ["reference", "text", "kind", "themes", "category"]
    all_held = pd.concat([earlier_held[label_columns], held[label_columns]], ignore_index=True)
    all_held["key"] = [
        record_key(r, t) for r, t in zip(all_held["reference"], all_held["text"], strict=True)
    ]
    all_held = all_held.drop_duplicates("key", keep="last").drop(columns="key")

    say("merging with the active model's training data")
    base = base_training_data(active)
    # Held-out records must not be learnt from, even through the base data.
    merged = merge(base, train_corrections, options.correction_weight)
    held_keys = {_text_key(t) for t in all_held["text"]}
    merged = merged[~merged["text"].map(_text_key).isin(held_keys)].reset_index(drop=True)
    data = labelled_data(merged, active.model)

    say(f"training on {len(merged)} rows ({len(train_corrections)} corrections)")
    new_model = ThemesModel(active.model.taxonomy, active.model.config)
    report = new_model.fit(data)
    if options.learn_practice and new_model.theme_head is not None:
        say("looking for the council's habits in the corrections")
        new_model.practice = learn_rules(
            report.oof,
            merged["weight"].to_numpy(dtype=float) > 1.0,
            new_model.theme_head.thresholds,
            new_model.theme_head.labels,
            new_model.category_head.labels if new_model.category_head is not None else [],
        )

    say("comparing with the active model")
    starter = starter_test_data(active)
    eval_frames = [all_held.assign(weight=1.0, council=True)]
    if starter is not None:
        eval_frames.append(
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
    eval_frame = pd.concat(eval_frames, ignore_index=True)
    # A record the new model learnt from cannot judge it (a council may correct texts
    # that are also in the starter test set).
    learnt = set(merged["text"].map(_text_key))
    eval_frame = eval_frame[~eval_frame["text"].map(_text_key).isin(learnt)]
    if eval_frame.empty:
        # Nothing to judge by: save the version, but only --force makes it active.
        result_gate = GateResult(
            passed=False,
            reasons=["no held-out rows to judge the new version on; add more corrections"],
            rows=0,
            old={},
            new={},
            table=[],
        )
        eval_data = None
    else:
        eval_data = labelled_data(eval_frame, active.model)
        council_rows = np.flatnonzero(eval_frame["council"].to_numpy(dtype=bool))
        result_gate = gate(active.model, new_model, eval_data, options, council_rows)

    name = registry.next_name()
    cv = oof_metrics(new_model, report.oof)
    held_metrics = result_gate.new_metrics
    training_bytes = csv_bytes(merged[DATA_COLUMNS])
    meta_extra = {
        "training": {
            "source": TRAINING_DATA_FILE,
            "sha256": hashlib.sha256(training_bytes).hexdigest(),
            "rows": len(merged),
            "rows_per_head": report.rows_per_head,
            "taxonomy_source": "parent",
            "columns": Columns().to_dict(),
        },
        "metrics": {
            "cross_validated": {**cv, "rows": report.rows, "summary": summary(cv)},
            "held_out": {
                **held_metrics,
                "source": "held-out corrections + starter test set",
                "summary": summary(held_metrics),
            },
        },
        "retrain": {
            "parent": parent_path.name,
            "files": [Path(p).name for p in paths],
            "corrections_read": len(corrections),
            "corrections_used": len(train_corrections),
            "corrections_held_out": len(all_held),
            "correction_weight": options.correction_weight,
            "practice": None if new_model.practice is None else new_model.practice.to_meta(),
            "starter_test_sha256": None
            if starter is None
            else sha256_file(repository_root() / "data" / "test.csv"),
            "gate": {
                "passed": result_gate.passed,
                "reasons": result_gate.reasons,
                "practice_notes": result_gate.practice_notes,
                "rows": result_gate.rows,
                "active": result_gate.old,
                "new": result_gate.new,
                "forced": options.force and not result_gate.passed,
            },
        },
    }
    save_model(
        new_model,
        registry.root / name,
        meta_extra,
        extra_files={
            TRAINING_DATA_FILE: training_bytes,
            HELD_OUT_FILE: csv_bytes(all_held),
        },
    )
    activated = result_gate.passed or options.force
    version = registry.use(name) if activated else registry.get(name)
    say("counting changed suggestions")
    texts = _review_texts(paths, options)
    changed = _changed(active.model, new_model, texts)
    return RetrainResult(
        version=version,
        parent=parent_path.name,
        activated=activated,
        gate=result_gate,
        corrections=len(train_corrections),
        corrections_held_out=len(all_held),
        training_rows=len(merged),
        review_rows=len(texts),
        changed_rows=changed,
        rules=new_model.practice.describe() if new_model.practice else [],
    )
