"""The featuriser: normalised text through a table of named feature steps, stacked side by side.

A feature step is a scikit-learn transformer made by a factory from the model's
config. The built-in steps are ``word_tfidf``, ``char_tfidf`` and ``encoder`` (a frozen
sentence encoder, themes.model.encoder_step); more are added with
``register_feature_step(name, factory)`` and chosen by ``ModelConfig.feature_steps``
(and per head by ``ModelConfig.head_features``). A step reads the normalised text,
or the raw text when its class sets ``input_text = "raw"`` (e.g. a sentence encoder).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from themes.errors import ConfigError
from themes.model.config import ModelConfig
from themes.model.encoder_step import encoder_step
from themes.model.normaliser import Normaliser
from themes.model.tfidf import CharTfidf, WordTfidf

# A factory returns the step's (unfitted) transformer, or None when the config turns
# the step off (char_tfidf with char_ngrams None).
StepFactory = Callable[[ModelConfig], Any]
_FACTORIES: dict[str, StepFactory] = {}


def register_feature_step(name: str, factory: StepFactory) -> None:
    """Make a feature step available to ``ModelConfig.feature_steps`` by ``name``.

    A model saved with such a step can only be loaded where the step's class can be
    imported again (as for any pickled transformer).
    """
    if not name or not isinstance(name, str):
        raise ConfigError(f"a feature step needs a non-empty name; got {name!r}")
    _FACTORIES[name] = factory


def feature_step_names() -> list[str]:
    """Names of the registered feature steps."""
    return list(_FACTORIES)


register_feature_step(
    "word_tfidf",
    lambda c: WordTfidf(c.word_ngrams, c.min_df, c.max_features_word),
)
register_feature_step("encoder", encoder_step)
register_feature_step(
    "char_tfidf",
    lambda c: (
        None if c.char_ngrams is None else CharTfidf(c.char_ngrams, c.min_df, c.max_features_char)
    ),
)


def _sparse(block: Any) -> sp.csr_matrix:
    return block if sp.issparse(block) else sp.csr_matrix(block)


def stack(blocks: Sequence[Any]) -> sp.csr_matrix:
    """Blocks of features side by side, as one CSR matrix."""
    return sp.hstack([_sparse(b) for b in blocks], format="csr")


class Featuriser(TransformerMixin, BaseEstimator):
    """Raw texts in; each feature step's block out (``transform_blocks``), or all stacked."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        self.config = config

    def _made_steps(self) -> list[tuple[str, Any]]:
        config = self.config or ModelConfig()
        steps = []
        for name in config.feature_steps:
            factory = _FACTORIES.get(name)
            if factory is None:
                raise ConfigError(
                    f"ModelConfig.feature_steps names '{name}', which is not a registered "
                    f"feature step; registered: {', '.join(_FACTORIES)} "
                    "(register it with themes.model.register_feature_step)"
                )
            step = factory(config)
            if step is not None:
                steps.append((name, step))
        return steps

    def _inputs(self, step: Any, raw: list[str], normalised: list[str]) -> list[str]:
        return raw if getattr(step, "input_text", "normalised") == "raw" else normalised

    def fit_blocks(self, texts: Sequence[str]) -> dict[str, Any]:
        """Fit every step; returns each step's features of ``texts``."""
        config = self.config or ModelConfig()
        raw = list(texts)
        self.normaliser_ = Normaliser(config.text)
        normalised = self.normaliser_.fit_transform(raw)
        self.steps_ = self._made_steps()
        return {
            name: step.fit_transform(self._inputs(step, raw, normalised))
            for name, step in self.steps_
        }

    def transform_blocks(self, texts: Sequence[str], skip: Sequence[str] = ()) -> dict[str, Any]:
        """Each step's features of ``texts``, by step name (steps in ``skip`` left out)."""
        raw = list(texts)
        normalised = self.normaliser_.transform(raw)
        return {
            name: step.transform(self._inputs(step, raw, normalised))
            for name, step in self.steps_
            if name not in skip
        }

    def fit(self, X: Sequence[str], y: Any = None) -> Featuriser:
        self.fit_blocks(X)
        return self

    def fit_transform(self, X: Sequence[str], y: Any = None, **fit_params: Any) -> sp.csr_matrix:
        return stack(list(self.fit_blocks(X).values()))

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        return stack(list(self.transform_blocks(X).values()))

    @property
    def step_names(self) -> list[str]:
        return [name for name, _ in self.steps_]

    def step(self, name: str) -> Any:
        """A fitted step by name."""
        return dict(self.steps_)[name]
