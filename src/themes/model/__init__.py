"""The classifier as a scikit-learn-style estimator.

config (settings, validated), data (rows in, suggestions out), normaliser (spaCy text
step), tfidf (word and character TF-IDF steps), features (the featuriser and its
table of named steps), thresholds, heads (kind, category, themes), practice (a
council's habits as rules), decide (every review-policy decision), classifier
(ThemesModel).

Names are imported from their modules on first use, so that ``themes.model.data``
(what the data readers need) does not pull in scikit-learn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "ProgressCallback": "classifier",
    "ThemesModel": "classifier",
    "TrainingReport": "classifier",
    "ModelConfig": "config",
    "TextConfig": "config",
    "LabelledData": "data",
    "Prediction": "data",
    "Suggestions": "data",
    "Featuriser": "features",
    "feature_step_names": "features",
    "register_feature_step": "features",
    "SingleLabelHead": "heads",
    "ThemeHead": "heads",
    "Normaliser": "normaliser",
    "PracticeRules": "practice",
    "Rule": "practice",
    "CharNgrams": "tfidf",
    "CharTfidf": "tfidf",
    "WordTfidf": "tfidf",
    "best_shared_threshold": "thresholds",
    "best_threshold": "thresholds",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'themes.model' has no attribute '{name}'")
    value = getattr(import_module(f"themes.model.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
