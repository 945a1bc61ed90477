"""Old import path of training and evaluating from files, kept for code written against it.
New code imports ``themes.flows.train`` and ``themes.flows.evaluate``."""

from themes.flows.evaluate import evaluate_file  # noqa: F401
from themes.flows.train import TrainResult, train_from_file  # noqa: F401
