"""The shipped default model: its labels are the taxonomy's and its recorded metrics reproduce."""

from pathlib import Path

import pytest

from themes.registry import default_model_dir, load_model
from themes.taxonomy import load_taxonomy
from themes.training import evaluate_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def default():
    return load_model(ROOT / "models" / "default")


def test_default_model_is_found_without_options():
    assert default_model_dir().resolve() == (ROOT / "models" / "default").resolve()


def test_labels_match_the_taxonomy(default):
    taxonomy = load_taxonomy(ROOT / "data" / "taxonomy.yaml")
    assert default.model.taxonomy.theme_ids == taxonomy.theme_ids
    assert default.model.taxonomy.category_ids == taxonomy.category_ids
    assert default.model.taxonomy.kind_ids == taxonomy.kind_ids
    assert set(default.meta["thresholds"]) == set(taxonomy.theme_ids)
    assert default.meta["heads"] == ["kind", "category", "themes"]


def test_trained_on_the_shipped_training_split(default):
    from themes.registry import sha256_file

    training = default.meta["training"]
    assert training["source"] == "train.csv"
    assert training["sha256"] == sha256_file(ROOT / "data" / "train.csv"), (
        "data/train.csv changed since models/default was trained: run `make model`"
    )


def test_fresh_evaluation_reproduces_recorded_metrics(default):
    recorded = default.meta["metrics"]["held_out"]
    from themes.registry import sha256_file

    assert recorded["sha256"] == sha256_file(ROOT / "data" / "test.csv")
    fresh = evaluate_file(default.model, ROOT / "data" / "test.csv")
    for key, value in recorded["summary"].items():
        assert fresh["summary"][key] == pytest.approx(value, abs=1e-4), key
    for theme, scores in recorded["themes"]["per_label"].items():
        assert fresh["themes"]["per_label"][theme] == scores
