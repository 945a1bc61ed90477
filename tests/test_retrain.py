"""Retraining on corrections, versions, the gate and the review queue (issue: retrain)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import RUNNER as runner
from themes.cli import app
from themes.dataset import is_reviewed, is_unknown_mark
from themes.flows.corrections import is_held_out
from themes.flows.retrain import RetrainOptions, retrain
from themes.flows.review import QueueOptions, build_queue
from themes.flows.tag import TagOptions, tag_file
from themes.store import load_model


@pytest.fixture()
def review_file(tmp_path, registry, corpus_train) -> Path:
    """A log the registry's model has tagged (rows the base model never saw)."""
    log = tmp_path / "log.csv"
    corpus_train.iloc[400:520][["reference", "date_received", "text"]].to_csv(log, index=False)
    out = tmp_path / "review.csv"
    tag_file(load_model(registry.active_path()).model, log, out, TagOptions())
    return out


def _suggestions(model_dir: Path, texts: list[str]) -> list[tuple]:
    model = load_model(model_dir).model
    return [(p.kind, p.category, tuple(p.themes)) for p in model.predict(texts)]


def test_reviewed_marks():
    accepted = ["yes", "Y", " x ", "TRUE", "1", "Yes ", "\u2713", "\u2714", "Done", "checked"]
    accepted += ["REVIEWED", " ok", True, 1, 1.0]
    assert all(is_reviewed(v) for v in accepted)
    assert not any(is_unknown_mark(v) for v in accepted)
    assert not any(is_reviewed(v) for v in ["", "no", "0", None, float("nan"), "maybe later"])
    assert [is_unknown_mark(v) for v in ["", None, "  ", "maybe later", "no", "?"]] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]


def test_held_out_slice_is_fixed_and_about_a_fifth():
    refs = [f"R{i}" for i in range(2000)]
    first = [is_held_out(r, "", 20) for r in refs]
    assert first == [is_held_out(r, "", 20) for r in refs]
    assert 0.17 < np.mean(first) < 0.23


def test_prefill_never_overwrites_an_officer_value(tmp_path, registry):
    log = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "reference": ["A", "B"],
            "text": ["The social worker never rings back", "Thank you for your kindness"],
            "category": ["staff", ""],
        }
    ).to_csv(log, index=False)
    out = tmp_path / "out.csv"
    tag_file(load_model(registry.active_path()).model, log, out, TagOptions())
    tagged = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert tagged.loc[0, "category"] == "staff"  # the officer's value stays
    assert tagged.loc[1, "themes"] == tagged.loc[1, "suggested_themes"]  # empty cell pre-filled
    assert tagged.loc[1, "kind"] == tagged.loc[1, "suggested_kind"]
    assert list(tagged["reviewed"]) == ["", ""]
    assert list(tagged.columns[:3]) == ["reference", "text", "category"]


def test_corrections_are_learnt_and_versions_roll_back(
    tmp_path, registry, review_file, corpus_train
):
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    truth = corpus_train.set_index("reference")
    # The officer corrects every row where the model got the category or themes wrong.
    changed = []
    for i, ref in enumerate(review["reference"]):
        row = truth.loc[ref]
        if (row["category"], row["themes"]) != (review.at[i, "category"], review.at[i, "themes"]):
            review.at[i, "kind"] = row["kind"]
            review.at[i, "category"] = row["category"]
            review.at[i, "themes"] = row["themes"]
            changed.append(i)
        review.at[i, "reviewed"] = "yes"
    assert len(changed) > 20
    edited = tmp_path / "review_edited.csv"
    review.to_csv(edited, index=False)
    before = _suggestions(registry.active_path(), review["text"].tolist())

    result = runner.invoke(
        app, ["retrain", str(edited), "--registry", str(registry.root), "--force"]
    )
    assert result.exit_code == 0, result.output
    pairs = zip(review["reference"], review["text"], strict=True)
    held = sum(is_held_out(r, t, 20) for r, t in pairs)
    assert "held-out rows" in result.output
    assert (
        f"{len(review)} corrections: {len(review) - held} learnt and judged on {held} kept out, "
        f"then all {len(review)} learnt"
    ) in result.output
    assert "uncorrected rows of the review file(s)" in result.output
    assert registry.active_name() == "v001"
    card = (registry.root / "v001" / "README.md").read_text()
    assert f"then all {len(review)} learnt" in card

    # Every corrected record, held-out ones included, is now suggested as the officer
    # corrected it: the active version was refitted on all of them.
    learnt = changed
    after = _suggestions(registry.active_path(), review.loc[learnt, "text"].tolist())
    agree = sum(
        cat == review.at[i, "category"]
        for i, (_, cat, _) in zip(learnt, after, strict=True)
        if review.at[i, "category"]
    )
    with_category = sum(1 for i in learnt if review.at[i, "category"])
    assert agree >= 0.9 * with_category
    theme_agree = np.mean(
        [
            set(themes) == set(review.at[i, "themes"].split(";"))
            for i, (_, _, themes) in zip(learnt, after, strict=True)
        ]
    )
    assert theme_agree >= 0.8

    listed = json.loads(
        runner.invoke(app, ["models", "list", "--registry", str(registry.root), "--json"]).output
    )
    assert [v["version"] for v in listed] == ["default", "v001"]
    assert listed[1]["active"] and not listed[0]["active"]
    for key in ("created", "training_rows", "corrections", "metrics"):
        assert key in listed[1]
    assert listed[1]["corrections"] == len(review)

    # Rolling back brings back the earlier version's exact suggestions.
    result = runner.invoke(app, ["models", "use", "default", "--registry", str(registry.root)])
    assert result.exit_code == 0, result.output
    assert _suggestions(registry.active_path(), review["text"].tolist()) == before

    # A second retrain builds on v001 (its corrections are in its training data).
    assert registry.next_name() == "v002"
    v001 = registry.get("v001")
    saved = pd.read_csv(v001.path / "training_data.csv", dtype=str, keep_default_na=False)
    assert (saved["weight"].astype(float) > 1).sum() == listed[1]["corrections"]


def test_gate_refuses_corrupted_labels(tmp_path, registry, corpus_train):
    rng = np.random.default_rng(0)
    rows = corpus_train.iloc[400:700].copy()
    rows["themes"] = rng.permutation(rows["themes"].to_numpy())
    complaint = rows["kind"] == "complaint"
    rows.loc[complaint, "category"] = rng.choice(
        ["service_provision", "assessment_review", "staff"], complaint.sum()
    )
    rows["kind"] = rng.permutation(rows["kind"].to_numpy())
    rows.loc[rows["kind"] != "complaint", "category"] = ""
    rows["reviewed"] = "yes"
    bad = tmp_path / "corrupted.csv"
    rows.to_csv(bad, index=False)
    result = retrain([bad], registry, RetrainOptions(correction_weight=4.0))
    assert not result.activated and not result.gate.passed
    assert result.gate.reasons
    assert registry.active_name() == "default"
    assert (registry.root / "v001").exists()  # saved, not activated


def test_retrain_errors_are_clear(tmp_path, registry, review_file):
    result = runner.invoke(app, ["retrain", str(review_file), "--registry", str(registry.root)])
    assert result.exit_code == 2 and "no rows marked reviewed" in result.output
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    review.loc[5:9, "reviewed"] = "yes"
    review.loc[7, "themes"] = "comunication"
    bad = tmp_path / "bad.csv"
    review.to_csv(bad, index=False)
    result = runner.invoke(app, ["retrain", str(bad), "--registry", str(registry.root)])
    assert result.exit_code == 2 and "did you mean 'communication'" in result.output
    # The row as a spreadsheet shows it (header on row 1), not its rank among reviewed rows.
    where = f"bad.csv row 9, reference {review.at[7, 'reference']}"
    assert where in " ".join(result.output.split())
    result = runner.invoke(app, ["models", "use", "v009", "--registry", str(registry.root)])
    assert result.exit_code == 2 and "versions are: default" in result.output
    result = runner.invoke(app, ["models", "delete", "default", "--registry", str(registry.root)])
    assert result.exit_code == 2 and "active version" in result.output
    assert (registry.root / "default").exists()


def test_review_queue_ranks_unsure_then_contradicted(registry, review_file):
    model = load_model(registry.active_path()).model
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    probs = model.predict_proba(review["text"].tolist())
    # Flip the category of the complaint the model is surest about.
    complaints = np.flatnonzero(review["suggested_category"].to_numpy() != "")
    sure = complaints[np.argmax(probs["category"][complaints].max(axis=1))]
    labels = model.category_head_.classes_
    least = labels[int(np.argmin(probs["category"][sure]))]
    review.loc[sure, "category"] = least
    review["reviewed"] = ""
    queue = build_queue(model, review, QueueOptions())
    assert list(queue["queue_rank"]) == list(range(1, len(queue) + 1))
    groups = [r.startswith("unsure") for r in queue["queue_reason"]]
    assert groups == sorted(groups, reverse=True)  # all unsure rows before contradictions
    flipped = queue[queue["reference"] == review.at[sure, "reference"]]
    assert len(flipped) == 1 and f"filed as {least}" in flipped["queue_reason"].iloc[0]
    assert len(queue) < len(review)  # a queue, not the whole file
    # Reviewed rows are not queued as unsure.
    review["reviewed"] = "yes"
    queue = build_queue(model, review, QueueOptions())
    assert not any(r.startswith("unsure") for r in queue["queue_reason"])


def test_review_queue_command(tmp_path, registry, review_file):
    out = tmp_path / "queue.xlsx"
    result = runner.invoke(
        app,
        [
            "review-queue",
            str(review_file),
            "--out",
            str(out),
            "--model",
            str(registry.active_path()),
        ],
    )
    assert result.exit_code == 0, result.output
    queue = pd.read_excel(out)
    assert list(queue.columns[:4]) == ["queue_rank", "queue_reason", "queue_score", "source_row"]
    # The review file is a CSV with its header on line 1: data row i is line i + 2.
    review = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    for row, ref in zip(queue["source_row"], queue["reference"], strict=True):
        assert review.at[row - 2, "reference"] == ref
