"""The shipped default model: package data, found without options; its labels are the
taxonomy's and its recorded metrics reproduce."""

import pandas as pd
import pytest

from conftest import STARTER
from themes.flows.corrections import starter_test_file
from themes.flows.evaluate import evaluate_file
from themes.store import default_model_dir, load_model, sha256_file, shipped_model_dir
from themes.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def default():
    return load_model(shipped_model_dir())


def test_default_model_is_found_without_options():
    assert default_model_dir().resolve() == shipped_model_dir().resolve()
    assert shipped_model_dir().parent.name == "themes"  # inside the package, not the checkout


def test_labels_match_the_taxonomy(default):
    taxonomy = load_taxonomy(STARTER / "taxonomy.yaml")
    assert default.model.taxonomy.theme_ids == taxonomy.theme_ids
    assert default.model.taxonomy.category_ids == taxonomy.category_ids
    assert default.model.taxonomy.kind_ids == taxonomy.kind_ids
    assert set(default.meta.thresholds) == set(taxonomy.theme_ids)
    assert default.meta.heads == ["kind", "category", "themes"]


def test_trained_on_the_shipped_training_split(default):
    training = default.meta.training
    assert training.source == "train.csv"
    assert training.sha256 == sha256_file(STARTER / "train.csv"), (
        "data/train.csv changed since the default model was trained: run `make model`"
    )


def test_starter_test_set_travels_with_the_model(default):
    found = starter_test_file(default)
    assert found is not None and found.parent == default.path
    # The model folder keeps the labelled columns of data/test.csv (not its other ones).
    kept = pd.read_csv(found, dtype=str, keep_default_na=False)
    source = pd.read_csv(STARTER / "test.csv", dtype=str, keep_default_na=False)
    for column in ("reference", "text", "kind", "themes", "category"):
        assert kept[column].tolist() == source[column].tolist(), column


def test_fresh_evaluation_reproduces_recorded_metrics(default):
    recorded = default.meta.metrics["held_out"]
    assert recorded["sha256"] == sha256_file(STARTER / "test.csv")
    fresh = evaluate_file(default.model, STARTER / "test.csv")
    for key, value in recorded["summary"].items():
        assert fresh["summary"][key] == pytest.approx(value, abs=1e-4), key
    for theme, scores in recorded["themes"]["per_label"].items():
        assert fresh["themes"]["per_label"][theme] == scores
