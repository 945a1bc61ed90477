"""Old import path of retraining, kept for code written against it.
New code imports ``themes.flows.retrain``."""

from themes.flows.corrections import is_held_out  # noqa: F401
from themes.flows.retrain import RetrainOptions, RetrainResult, retrain  # noqa: F401
