"""Old import path of evaluation, kept for code written against it.
New code imports ``themes.flows.evaluate`` and ``themes.flows.metrics``."""

from themes.flows.evaluate import evaluate_model, evaluate_predictions, oof_metrics  # noqa: F401
from themes.flows.metrics import single_label_scores, summary, theme_scores  # noqa: F401
