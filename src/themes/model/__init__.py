"""The classifier as a scikit-learn-style estimator.

config (settings, validated), data (rows in, suggestions out), normaliser (spaCy text
step), tfidf (word and character TF-IDF steps), features (the featuriser and its
table of named steps), thresholds, heads (kind, category, themes), practice (a
council's habits as rules), decide (every review-policy decision), classifier
(ThemesModel).
"""

from themes.model.classifier import ProgressCallback, ThemesModel, TrainingReport
from themes.model.config import ModelConfig, TextConfig
from themes.model.data import LabelledData, Prediction, Suggestions
from themes.model.features import Featuriser, feature_step_names, register_feature_step
from themes.model.heads import SingleLabelHead, ThemeHead
from themes.model.normaliser import Normaliser
from themes.model.practice import PracticeRules, Rule
from themes.model.tfidf import CharNgrams, CharTfidf, WordTfidf
from themes.model.thresholds import best_shared_threshold, best_threshold

__all__ = [
    "CharNgrams",
    "CharTfidf",
    "Featuriser",
    "LabelledData",
    "ModelConfig",
    "Normaliser",
    "PracticeRules",
    "Prediction",
    "ProgressCallback",
    "Rule",
    "SingleLabelHead",
    "Suggestions",
    "TextConfig",
    "ThemeHead",
    "ThemesModel",
    "TrainingReport",
    "WordTfidf",
    "best_shared_threshold",
    "best_threshold",
    "feature_step_names",
    "register_feature_step",
]
