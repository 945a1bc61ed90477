"""The model as a scikit-learn-style estimator: validated config, swappable feature steps,
heads with sklearn conventions, one decision policy, and model files of every format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone

from conftest import FAST, FIXTURES, STARTER
from themes.errors import ConfigError
from themes.flows.tag import TagOptions, tag_file
from themes.flows.train import train_from_file
from themes.model import (
    ModelConfig,
    SingleLabelHead,
    TextConfig,
    ThemeHead,
    ThemesModel,
    feature_step_names,
    register_feature_step,
)
from themes.store import load_model, read_meta, save_model


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_df": 0}, "ModelConfig.min_df is 0; expected a whole number of at least 1"),
        ({"word_ngrams": (2, 1)}, "ModelConfig.word_ngrams is (2, 1); expected a pair"),
        ({"theme_threshold_own": 1.5}, "ModelConfig.theme_threshold_own is 1.5; expected a num"),
        ({"kind_c": 0}, "ModelConfig.kind_c is 0; expected a number more than 0"),
        ({"cv_folds": 1}, "ModelConfig.cv_folds is 1; expected a whole number of at least 2"),
        ({"feature_steps": ()}, "ModelConfig.feature_steps is (); expected a non-empty tuple"),
        ({"engine": "turbo"}, "ModelConfig.engine is 'turbo'; expected one of encoder, fast"),
        ({"encoder": "bert"}, "ModelConfig.encoder is 'bert'; expected one of minilm-int8"),
        ({"encoder_weight": 0}, "ModelConfig.encoder_weight is 0; expected a number more than 0"),
        ({"review_share": 2}, "ModelConfig.review_share is 2; expected a number at least 0"),
        (
            {"engine": "fast", "feature_steps": ("word_tfidf", "encoder")},
            "ModelConfig.feature_steps is ('word_tfidf', 'encoder'); expected the step 'encoder'",
        ),
        ({"head_features": {"colour": ("word_tfidf",)}}, "ModelConfig.head_features is 'colour'"),
        (
            {"head_features": {"kind": ("nope",)}},
            "ModelConfig.head_features['kind'] is ('nope',); expected a non-empty tuple of steps",
        ),
    ],
)
def test_config_errors_name_field_value_and_what_is_allowed(kwargs, message):
    with pytest.raises(ConfigError) as caught:
        ModelConfig(**kwargs)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_text_config_is_validated_and_configs_round_trip():
    with pytest.raises(ConfigError, match="TextConfig.max_chars is 0"):
        TextConfig(max_chars=0)
    config = ModelConfig(engine="fast", char_ngrams=None, head_features={"kind": ("word_tfidf",)})
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError, match="ModelConfig has no field"):
        ModelConfig.from_dict({"colour": "red"})


def test_unregistered_step_is_named_when_fitting():
    from themes.model import Featuriser

    featuriser = Featuriser(
        ModelConfig(engine="fast", feature_steps=("word_tfidf", "nope"), min_df=1)
    )
    with pytest.raises(ConfigError, match="'nope', which is not a registered feature step"):
        featuriser.fit(["a b c"])


def test_estimators_follow_scikit_learn_conventions():
    for estimator in (
        SingleLabelHead(["a", "b"], C=2.0),
        ThemeHead(["x"], C=0.5),
        ThemesModel(None, ModelConfig()),  # type: ignore[arg-type]
    ):
        copy = clone(estimator)
        assert copy.get_params() == estimator.get_params()
    X = sp.random(60, 20, density=0.3, format="csr", random_state=1)
    y = np.array(["a", "b", "c"] * 20)
    head = SingleLabelHead(["a", "b", "c", "never"], cv_folds=3)
    assert head.fit(X, y) is head
    proba = head.predict_proba(X)
    assert proba.shape == (60, 4) and np.allclose(proba.sum(axis=1), 1)
    assert (proba[:, 3] == 0).all()
    assert set(head.predict(X)) <= {"a", "b", "c"}


class TextLength(TransformerMixin, BaseEstimator):
    """A tiny extra feature step: the raw text's length in thousands of characters."""

    input_text = "raw"

    def fit(self, X, y=None):
        self.seen_ = len(X)
        return self

    def transform(self, X):
        return np.array([[len(t) / 1000.0] for t in X])


register_feature_step("text_length", lambda config: TextLength())


def test_extra_feature_step_by_configuration_trains_saves_loads_and_tags(
    tmp_path, small_labelled, log_with_blanks
):
    assert "text_length" in feature_step_names()
    config = ModelConfig(
        engine="fast",
        cv_folds=3,
        char_ngrams=(3, 4),
        feature_steps=("word_tfidf", "char_tfidf", "text_length"),
        head_features={"kind": ("word_tfidf", "text_length")},
    )
    trained = train_from_file(small_labelled, tmp_path / "m", config=config)
    assert read_meta(tmp_path / "m").config["feature_steps"] == list(config.feature_steps)
    loaded = load_model(tmp_path / "m").model
    featuriser = loaded.featuriser_
    assert featuriser.step_names == ["word_tfidf", "char_tfidf", "text_length"]
    assert featuriser.step("text_length").seen_ == 400
    words = len(featuriser.step("word_tfidf").vectorizer_.vocabulary_)
    chars = len(featuriser.step("char_tfidf").vectorizer_.vocabulary_)
    # The kind head reads only the words and the length; the others read every block.
    assert loaded.kind_head_.estimator_.coef_.shape[1] == words + 1
    assert loaded.category_head_.estimator_.coef_.shape[1] == words + chars + 1
    texts = ["The social worker never called me back about the CIN meeting", ""]
    assert loaded.suggest(texts).predictions() == trained.model.suggest(texts).predictions()
    summary = tag_file(loaded, log_with_blanks, tmp_path / "tagged.csv", TagOptions(jobs=1))
    assert summary.rows == 5
    tagged = pd.read_csv(tmp_path / "tagged.csv", dtype=str, keep_default_na=False)
    assert set(tagged["suggested_kind"]) <= {"complaint", "compliment", "comment"}


def test_empty_text_is_decided_in_one_place(small_model):
    model = load_model(small_model).model
    s = model.suggest(["", "   ", "The social worker never returns my calls about contact"])
    assert s.review_reasons[:2] == [["no text"], ["no text"]]
    assert "no text" not in s.review_reasons[2]
    assert [p.needs_review for p in s.predictions()][:2] == [True, True]


def test_format_1_model_is_upgraded_in_memory_and_saved_as_data(tmp_path):
    # A small model saved by themes 0.1 (format 1; 150 starter rows) before the refactor.
    old = load_model(FIXTURES / "format1_model")
    assert old.meta.format_version == 1
    texts = pd.read_csv(STARTER / "test.csv", dtype=str, keep_default_na=False)["text"][:200]
    before = old.model.suggest(list(texts))
    folder = save_model(old.model, tmp_path / "again", old.meta)
    again = load_model(folder)
    assert again.meta.format_version == 3 and not (folder / "pipeline.joblib").exists()
    after = again.model.suggest(list(texts))
    assert after.themes == before.themes and after.confidence == before.confidence
    assert after.review_reasons == before.review_reasons


def test_training_does_not_set_process_wide_warning_filters(tmp_path, corpus_train):
    import warnings

    path = tmp_path / "few.csv"
    corpus_train.head(60).to_csv(path, index=False)
    before = list(warnings.filters)
    train_from_file(path, tmp_path / "m", config=FAST)
    assert warnings.filters == before
