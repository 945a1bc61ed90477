"""Library round trips: train, save, load, predict; heads trained from whichever labels exist."""

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import FAST
from themes.dataset import Columns, prepare_labelled
from themes.errors import LabelError, ModelError, OutputError
from themes.flows.tag import tag_file
from themes.flows.train import train_from_file
from themes.store import FORMAT_VERSION, load_model, read_meta


def test_saved_model_folder_has_meta_card_and_taxonomy(small_model):
    names = {p.name for p in small_model.iterdir()}
    assert {"model.json", "arrays.npz", "meta.json", "README.md", "taxonomy.yaml"} <= names
    assert "pipeline.joblib" not in names  # no pickle in a model saved today
    meta = read_meta(small_model)
    assert meta.format_version == FORMAT_VERSION == 3
    assert set(meta.heads) == {"kind", "category", "themes"}
    assert len(meta.training.sha256) == 64
    assert meta.training.rows == 400
    assert set(meta.thresholds) == set(meta.taxonomy["themes"][i]["id"] for i in range(15))
    for key in ("python", "scikit-learn", "spacy", "themes"):
        assert key in meta.versions
    summary = meta.metrics["cross_validated"]["summary"]
    assert 0 < summary["themes_micro_f1"] <= 1
    assert "Measured quality" in (small_model / "README.md").read_text()


def test_predictions_survive_save_and_load(small_model, small_labelled):
    loaded = load_model(small_model)
    texts = pd.read_csv(small_labelled, dtype=str, keep_default_na=False)["text"].head(30).tolist()
    first = loaded.model.predict(texts)
    again = load_model(small_model).model.predict(texts)
    assert [(p.kind, p.category, p.themes) for p in first] == [
        (p.kind, p.category, p.themes) for p in again
    ]
    # A model should mostly reproduce its own training labels on the texts it learnt from.
    truth = pd.read_csv(small_labelled, dtype=str, keep_default_na=False)["kind"].head(30)
    agree = sum(p.kind == k for p, k in zip(first, truth, strict=True))
    assert agree >= 25


def test_compliments_get_no_category(small_model):
    model = load_model(small_model).model
    preds = model.predict(
        [
            "Thank you so much to Leanne for all your kindness and support this year, we could "
            "not have managed without you. Best wishes from all of us",
        ]
    )
    assert preds[0].kind == "compliment"
    assert preds[0].category == ""


def test_themes_only_file_trains_only_theme_head(tmp_path, corpus_train):
    path = tmp_path / "themes_only.csv"
    corpus_train.head(300)[["reference", "text", "themes"]].to_csv(path, index=False)
    result = train_from_file(path, tmp_path / "m", config=FAST)
    assert list(result.rows_per_head) == ["themes"]
    assert result.model.kind_head_ is None and result.model.category_head_ is None
    pred = result.model.predict(["The social worker never returns my calls"])[0]
    assert pred.kind == "" and pred.category == ""


def test_category_only_model_categorises_every_row(tmp_path, corpus_train):
    complaints = corpus_train[corpus_train["kind"] == "complaint"].head(300)
    path = tmp_path / "category_only.csv"
    complaints[["text", "category"]].to_csv(path, index=False)
    result = train_from_file(path, tmp_path / "m", config=FAST)
    assert list(result.rows_per_head) == ["category"]
    preds = result.model.predict(["Thank you for everything", "The assessment is wrong"])
    assert all(p.category in {"service_provision", "assessment_review", "staff"} for p in preds)


def test_labels_taken_from_data_when_foreign(tmp_path):
    rows = []
    for i in range(30):
        rows.append({"text": f"the nurse was rude and unkind on visit {i}", "themes": "attitude"})
        rows.append({"text": f"parking was impossible near ward {i}", "themes": "parking;access"})
    path = tmp_path / "foreign.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    result = train_from_file(path, tmp_path / "m", config=FAST)
    assert result.taxonomy_source == "data"
    assert result.model.taxonomy.theme_ids == ["access", "attitude", "parking"]
    assert result.model.predict(["rude nurse"])[0].themes == ["attitude"]


def test_typo_in_default_labels_is_an_error():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "themes": ["delay", "comunication", "records"]})
    with pytest.raises(LabelError, match="did you mean 'communication'"):
        prepare_labelled(frame, Columns())


def test_given_taxonomy_reports_row_of_bad_label(tmp_path):
    from themes.taxonomy import default_taxonomy

    frame = pd.DataFrame(
        {"reference": ["R1", "R2"], "text": ["a", "b"], "category": ["staff", "stafff"]}
    )
    with pytest.raises(LabelError, match="first at row 3, reference R2"):
        prepare_labelled(frame, Columns(), default_taxonomy())


@pytest.mark.parametrize("name", ["model.json", "arrays.npz"])
def test_tampered_model_file_is_refused(tmp_path, small_model, name):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(small_model, copy)
    with (copy / name).open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match=f"{name} in .* does not match the checksum"):
        load_model(copy)


def test_other_format_version_is_refused(tmp_path, small_model):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(small_model, copy)
    meta = json.loads((copy / "meta.json").read_text())
    meta["format_version"] = 99
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="format version 99"):
        load_model(copy)


def test_other_sklearn_minor_version_warns(tmp_path, small_model):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(small_model, copy)
    meta = json.loads((copy / "meta.json").read_text())
    major = meta["versions"]["scikit-learn"].split(".")[0]
    meta["versions"]["scikit-learn"] = f"{major}.0.0"
    (copy / "meta.json").write_text(json.dumps(meta))
    loaded = load_model(copy)
    assert any("scikit-learn" in w for w in loaded.warnings)


def test_missing_or_non_model_folder(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nothing")
    with pytest.raises(ModelError, match="no meta.json"):
        load_model(tmp_path)


def test_existing_model_folder_needs_force(tmp_path, small_labelled):
    out = tmp_path / "m"
    train_from_file(small_labelled, out, config=FAST)
    with pytest.raises(OutputError, match="--force"):
        train_from_file(small_labelled, out, config=FAST)


def test_tag_file_keeps_rows_order_and_columns(small_model, log_with_blanks, tmp_path):
    model = load_model(small_model).model
    out = tmp_path / "tagged.csv"
    summary = tag_file(model, log_with_blanks, out)
    original = pd.read_csv(log_with_blanks, dtype=str, keep_default_na=False)
    tagged = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert summary.rows == len(original) == len(tagged)
    assert list(tagged.columns[: len(original.columns)]) == list(original.columns)
    pd.testing.assert_frame_equal(tagged[original.columns], original)
    blank = tagged[tagged["text"].str.strip() == ""]
    assert set(blank["needs_review"]) == {"True"}
    assert set(blank["review_reason"]) == {"no text"}
    assert all(0 <= float(c) <= 1 for c in tagged["confidence"])


def test_tag_streams_in_chunks(small_model, tmp_path, corpus_train):
    from themes.flows.tag import TagOptions

    model = load_model(small_model).model
    path = tmp_path / "many.csv"
    corpus_train.head(250)[["reference", "text"]].to_csv(path, index=False)
    chunks = []
    summary = tag_file(
        model, path, tmp_path / "out.jsonl", TagOptions(chunk_rows=60), progress=chunks.append
    )
    assert chunks == [60, 60, 60, 60, 10]
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert summary.rows == len(lines) == 250
    assert [json.loads(x)["reference"] for x in lines] == corpus_train.head(250)[
        "reference"
    ].tolist()


def test_retagging_replaces_suggestion_columns(small_model, log_with_blanks, tmp_path):
    model = load_model(small_model).model
    first = tmp_path / "first.csv"
    tag_file(model, log_with_blanks, first)
    second = tmp_path / "second.csv"
    tag_file(model, first, second)
    assert list(pd.read_csv(second).columns) == list(pd.read_csv(first).columns)


def test_explanations_point_at_words_in_the_text(small_model):
    from themes.flows.explain import explain

    model = load_model(small_model).model
    text = "The CIN meeting was cancelled again and nobody told us it had been moved."
    result = explain(model, text)
    words = {e.word for evidence in result.themes.values() for e in evidence}
    assert words and all(w in text.lower() for w in words)
    payload = result.to_dict()
    assert payload["themes"] == [
        {
            "label": t,
            "probability": payload["theme_probabilities"][t],
            "evidence": payload["themes"][i]["evidence"],
        }
        for i, t in enumerate(result.prediction.themes)
    ]


def test_evaluate_scores_are_consistent(small_model, corpus_train):
    from themes.dataset import prepare_labelled
    from themes.flows.evaluate import evaluate_model

    model = load_model(small_model).model
    prepared = prepare_labelled(corpus_train.iloc[400:600], Columns(), model.taxonomy)
    metrics = evaluate_model(model, prepared.data)
    themes = metrics["themes"]
    assert 0 < themes["macro_f1"] <= 1
    supports = sum(s["support"] for s in themes["per_label"].values())
    assert supports == sum(len(t or []) for t in prepared.data.themes)
    confusion = metrics["category"]["confusion"]
    assert sum(sum(r.values()) for r in confusion.values()) == metrics["category"]["rows"]


def test_unknown_encoding_message(tmp_path):
    from themes.errors import InputFileError
    from themes.io import read_table

    path = tmp_path / "a.csv"
    path.write_text("text\nx\n")
    with pytest.raises(InputFileError, match="unknown encoding"):
        read_table(path, encoding="klingon")


def test_paths_are_path_objects(small_model):
    assert isinstance(load_model(small_model).path, Path)


def test_theme_head_calibrates_and_blends_thresholds():
    import numpy as np
    import scipy.sparse as sp

    from themes.model import ThemeHead, best_shared_threshold

    rng = np.random.default_rng(0)
    X = sp.random(200, 50, density=0.1, format="csr", random_state=0)
    Y = (rng.random((200, 3)) < 0.3).astype(int)
    Y[:, 2] = 0  # a theme no training row has
    head = ThemeHead(["a", "b", "never"], cv_folds=3)
    assert head.fit(X, Y) is head
    oof = head.oof_proba_
    assert oof is not None and ((oof >= 0) & (oof <= 1)).all()
    proba = head.predict_proba(X)
    # The absent theme is never suggested, whatever the shared threshold.
    assert (proba[:, 2] < head.thresholds_[2]).all()
    assert ((head.thresholds_ > 0) & (head.thresholds_ < 1)).all()
    assert (head.predict(X) == (proba >= head.thresholds_).astype(int)).all()
    truth, scores = np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.2], [0.1, 0.8]])
    assert 0.2 < best_shared_threshold(truth, scores) <= 0.8
