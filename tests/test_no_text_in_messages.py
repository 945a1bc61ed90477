"""No complaint text in any message (issue 17, item 2).

A marker sentence is put where complaint text can reach an error path of every
command: a file without its header row, a label cell an officer typed a note into,
a text column passed as labels, the weight column of a model's training data, the
ACTIVE pointer of a registry. Each command must fail (or warn) without the marker in
stdout or stderr, and without writing it to any file other than the inputs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import RUNNER as runner
from themes.cli import app
from themes.errors import label_hints, may_show, missing_column
from themes.store import META_FILE, TRAINING_DATA_FILE
from themes.store.meta import sha256_file

MARKER = "ZQXJ-SECRET-MARKER"
SECRET = f"{MARKER} my son was left alone at the contact centre and nobody told me why"


def _labelled(corpus_train: pd.DataFrame, rows: int = 60) -> pd.DataFrame:
    return corpus_train.head(rows).reset_index(drop=True).copy()


@pytest.fixture()
def files(tmp_path, corpus_train) -> dict[str, Path]:
    """Input files, each carrying the marker where an error path may meet it."""
    made: dict[str, Path] = {}
    frame = _labelled(corpus_train)
    frame.loc[0, "text"] = SECRET

    # No header row: the first data row (with the marker) is read as the header.
    headerless = tmp_path / "headerless.csv"
    frame[["reference", "date_received", "text"]].to_csv(headerless, index=False, header=False)
    made["headerless"] = headerless

    for column in ("themes", "category", "kind"):
        bad = frame.copy()
        bad.loc[5, column] = SECRET
        path = tmp_path / f"label_{column}.csv"
        bad.to_csv(path, index=False)
        made[f"label_{column}"] = path

    review = frame.copy()
    review["reviewed"] = "yes"
    review.loc[7, "themes"] = f"communication;{SECRET}"
    made["review"] = tmp_path / "review.csv"
    review.to_csv(made["review"], index=False)

    letter = tmp_path / "letter.txt"
    letter.write_text(SECRET)
    made["letter"] = letter
    return made


def _inputs_and_outputs(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _assert_clean(result, root: Path, before: dict[Path, bytes]) -> None:
    assert MARKER not in result.output, result.output
    assert MARKER.lower() not in result.output.lower(), result.output
    assert "Traceback" not in result.output
    for path in root.rglob("*"):
        if path.is_file() and path not in before:
            assert MARKER.encode() not in path.read_bytes(), f"marker written to {path}"


def _commands(files: dict[str, Path], tmp: Path, model: Path, registry: Path) -> dict[str, list]:
    reg = ["--registry", str(registry)]
    return {
        # A named text column that the headerless file lacks (without one, tag finds the
        # free-text column by looking and tags the file: a success, not an error path).
        "tag headerless": [
            "tag",
            files["headerless"],
            "--out",
            tmp / "o.csv",
            "--model",
            model,
            "--text-column",
            "text",
        ],
        "tag headerless xlsx out": [
            "tag",
            files["headerless"],
            "--out",
            tmp / "o.xlsx",
            "--model",
            model,
            "--text-column",
            "text",
        ],
        "train themes column is text": [
            "train",
            files["label_themes"],
            "--out",
            tmp / "m1",
            "--themes-column",
            "text",
        ],
        "train themes cell": ["train", files["label_themes"], "--out", tmp / "m2"],
        "train category cell": ["train", files["label_category"], "--out", tmp / "m3"],
        "train kind cell": ["train", files["label_kind"], "--out", tmp / "m4"],
        "train headerless": ["train", files["headerless"], "--out", tmp / "m5"],
        "evaluate themes cell": ["evaluate", files["label_themes"], "--model", model],
        "evaluate category cell": ["evaluate", files["label_category"], "--model", model],
        "evaluate kind cell": ["evaluate", files["label_kind"], "--model", model],
        "evaluate headerless": ["evaluate", files["headerless"], "--model", model],
        "retrain label cell": ["retrain", files["review"], *reg],
        "retrain label cell forced": ["retrain", files["review"], "--force", *reg],
        "retrain headerless": ["retrain", files["headerless"], *reg],
        "review-queue headerless": [
            "review-queue",
            files["headerless"],
            "--out",
            tmp / "q.csv",
            "--model",
            model,
            "--text-column",
            "text",
        ],
        "redact headerless": [
            "redact",
            files["headerless"],
            "--out",
            tmp / "r.csv",
            "--text-column",
            "text",
        ],
        "report headerless": ["report", files["headerless"], "--out", tmp / "report"],
        "suggest --file, bad model": [
            "suggest",
            "--file",
            files["letter"],
            "--model",
            tmp / "no_model",
        ],
        "models list": ["models", "list", *reg],
        "models use": ["models", "use", "default", *reg],
    }


def test_no_command_prints_or_writes_the_marker(tmp_path, files, base_model, corpus_train):
    registry = tmp_path / "registry"
    shutil.copytree(base_model, registry / "default")
    # The registry's own files hold the marker too: a note typed into ACTIVE, and a
    # training_data.csv whose weight cell holds text (re-signed, so only the weight fails).
    (registry / "ACTIVE").write_text(SECRET + "\n")
    data = registry / "default" / TRAINING_DATA_FILE
    train_data = pd.read_csv(data, dtype=str, keep_default_na=False)
    train_data.loc[2, "weight"] = SECRET
    train_data.to_csv(data, index=False)
    meta = json.loads((registry / "default" / META_FILE).read_text())
    meta["files"][TRAINING_DATA_FILE] = sha256_file(data)
    (registry / "default" / META_FILE).write_text(json.dumps(meta))

    failed_as_expected = []
    for name, args in _commands(files, tmp_path, base_model, registry).items():
        before = _inputs_and_outputs(tmp_path)
        result = runner.invoke(app, [str(a) for a in args])
        _assert_clean(result, tmp_path, before)
        if name == "models list":
            assert "warning:" in result.output, (name, result.output)
        elif name == "models use":  # the repair: the pointer is rewritten
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 2, (name, result.output)
        failed_as_expected.append(name)
    assert len(failed_as_expected) == len(_commands(files, tmp_path, base_model, registry))


def test_the_retrain_weight_error_names_the_line(tmp_path, files, base_model):
    registry = tmp_path / "registry"
    shutil.copytree(base_model, registry / "default")
    data = registry / "default" / TRAINING_DATA_FILE
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    frame.loc[2, "weight"] = SECRET
    frame.to_csv(data, index=False)
    meta = json.loads((registry / "default" / META_FILE).read_text())
    meta["files"][TRAINING_DATA_FILE] = sha256_file(data)
    (registry / "default" / META_FILE).write_text(json.dumps(meta))
    review = pd.read_csv(files["review"], dtype=str, keep_default_na=False)
    review.loc[7, "themes"] = "communication"
    review.to_csv(tmp_path / "clean_review.csv", index=False)
    result = runner.invoke(
        app, ["retrain", str(tmp_path / "clean_review.csv"), "--registry", str(registry)]
    )
    assert result.exit_code == 2 and "line 4" in result.output
    assert MARKER not in result.output


def test_the_one_policy():
    """may_show is the single rule; helpers built on it never quote text."""
    assert may_show("communication") and may_show("Date received")
    assert not may_show(SECRET) and not may_show("It was late. Nobody came")
    hints = label_hints([SECRET, "comunication"], ["communication", "delay"])
    assert MARKER not in hints and "did you mean 'communication'" in hints
    error = str(missing_column("text", ["R1", SECRET], "--text-column"))
    assert MARKER not in error and "--header-row" in error
    from themes.io.messages import may_show as io_may_show

    assert io_may_show is may_show
