"""Reading model files of format 1 (themes 0.1 before the estimator layout), upgraded in memory.

A format-1 ``pipeline.joblib`` holds a ThemesModel whose parts are named
``themes.model.X``, ``themes.text.X`` and ``themes.practice.X``; those paths still
import, so unpickling gives objects that carry the old state. This module reads that
state as format 1 laid it out and builds the current estimator from the same fitted
parts, so suggestions are unchanged. Two kinds of format-1 file exist: theme heads
saved before calibration (probability = logistic of the SVM score, constant themes
fixed at 0 or 1) and after; models saved before the council's rules have none.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from themes.errors import ModelError
from themes.model import ModelConfig, TextConfig, ThemesModel
from themes.model.features import Featuriser
from themes.model.heads import SingleLabelHead, ThemeHead
from themes.model.normaliser import Normaliser
from themes.model.tfidf import CharTfidf, WordTfidf, fitted_step


def _config(old: Any) -> ModelConfig:
    state = dict(vars(old))
    text = state.pop("text", None)
    known = {f.name for f in fields(ModelConfig)}
    # Format-1 keys no longer used (the logistic-regression theme_c) are dropped.
    kept = {k: v for k, v in state.items() if k in known}
    text_config = TextConfig(**dict(vars(text))) if text is not None else TextConfig()
    return ModelConfig.from_dict({**kept, "text": text_config.to_dict()})


def _single(old: Any, config: ModelConfig) -> SingleLabelHead | None:
    if old is None:
        return None
    state = vars(old)
    head = SingleLabelHead(
        list(state["labels"]), C=state["c"], cv_folds=config.cv_folds, seed=config.seed
    )
    head.classes_ = list(state["labels"])
    head.estimator_ = state["estimator"]
    head.constant_ = state["constant"]
    return head


def _themes(old: Any, config: ModelConfig) -> ThemeHead | None:
    if old is None:
        return None
    state = vars(old)
    labels = list(state["labels"])
    head = ThemeHead.from_config(labels, config)
    head.classes_ = labels
    head.estimators_ = list(state["estimators"])
    head.constant_ = list(state["constant"])
    head.thresholds_ = np.asarray(state["thresholds"])
    calibration = state.get("calibration")
    if calibration is None:
        # Saved before calibration: the probability is the logistic of the score, and
        # a constant theme is fixed at its constant.
        calibration = np.tile([1.0, 0.0], (len(labels), 1))
        for j, const in enumerate(head.constant_):
            if const is not None:
                calibration[j] = (0.0, 30.0 if const else -30.0)
    head.calibration_ = np.asarray(calibration)
    return head


def upgrade(old: Any) -> ThemesModel:
    """The current ThemesModel made from a format-1 model's fitted parts."""
    try:
        state = vars(old)
        config = _config(state["config"])
        featuriser_state = vars(state["featuriser"])
        featuriser = Featuriser(config)
        featuriser.normaliser_ = Normaliser(config.text)
        steps = [("word_tfidf", fitted_step(WordTfidf, featuriser_state["word"]))]
        if featuriser_state.get("char") is not None:
            steps.append(("char_tfidf", fitted_step(CharTfidf, featuriser_state["char"])))
        featuriser.steps_ = steps
        model = ThemesModel(state["taxonomy"], config)
        model.featuriser_ = featuriser
        model.kind_head_ = _single(state.get("kind_head"), config)
        model.category_head_ = _single(state.get("category_head"), config)
        model.theme_head_ = _themes(state.get("theme_head"), config)
        model.practice_ = state.get("practice")
    except (KeyError, TypeError, AttributeError) as exc:
        raise ModelError(
            f"the model file does not have the layout of format 1 ({type(exc).__name__}: "
            f"{exc}); retrain the model with 'themes train'"
        ) from None
    return model
