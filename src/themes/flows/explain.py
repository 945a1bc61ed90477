"""Why the model suggested what it did: the words in this text that drove each suggestion.

The explanation is measured, not guessed: each distinct word of the text is
removed in turn (every occurrence), the text is scored again, and a word's
weight for a suggestion is how much the probability of that suggestion drops
without it. This works for any model and reads directly as "without these
words, the model would be less sure".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from themes.model import Prediction, ThemesModel

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'/&-]*|\d+")
# Letters and long texts have hundreds of distinct words; scoring the most
# frequent content words is enough to find the drivers and keeps this quick.
_MAX_WORDS = 400


@dataclass
class Evidence:
    """A word that drove a suggestion, and by how much (probability points)."""

    word: str
    weight: float


@dataclass
class Explained:
    """A prediction with the words behind each suggested label."""

    prediction: Prediction
    kind: list[Evidence] = field(default_factory=list)
    category: list[Evidence] = field(default_factory=list)
    themes: dict[str, list[Evidence]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        p = self.prediction
        return {
            "kind": {
                "label": p.kind,
                "probability": p.kind_probability,
                "evidence": [e.__dict__ for e in self.kind],
            },
            "category": {
                "label": p.category,
                "probability": p.category_probability,
                "evidence": [e.__dict__ for e in self.category],
            },
            "themes": [
                {
                    "label": label,
                    "probability": p.theme_probabilities.get(label),
                    "evidence": [e.__dict__ for e in self.themes.get(label, [])],
                }
                for label in p.themes
            ],
            "theme_probabilities": p.theme_probabilities,
            "confidence": p.confidence,
            "needs_review": p.needs_review,
            "review_reasons": p.review_reasons,
            "practice": p.practice,
        }


def _remove_word(text: str, word: str) -> str:
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.IGNORECASE)
    return pattern.sub(" ", text)


def explain(model: ThemesModel, text: str, top: int = 5) -> Explained:
    """Predict one text and find, for each suggestion, the words that drove it."""
    words: dict[str, int] = {}
    for match in _WORD_RE.finditer(text):
        key = match.group(0).lower()
        words[key] = words.get(key, 0) + 1
    candidates = sorted(words, key=lambda w: (-words[w], w))[:_MAX_WORDS]
    # One batch: the text itself (row 0), then the text without each candidate word.
    scored = model.predict_proba([text, *(_remove_word(text, w) for w in candidates)])
    base = {head: p[:1] for head, p in scored.items()}
    probs = {head: p[1:] for head, p in scored.items()}
    prediction = model.suggest([text], base).predictions()[0]
    result = Explained(prediction=prediction)
    if not candidates:
        return result

    def ranked(drops: np.ndarray) -> list[Evidence]:
        order = np.argsort(-drops)
        out = []
        for idx in order[:top]:
            if drops[idx] <= 0.005:
                break
            out.append(Evidence(word=candidates[idx], weight=round(float(drops[idx]), 3)))
        return out

    if model.kind_head_ is not None and prediction.kind:
        j = model.kind_head_.classes_.index(prediction.kind)
        result.kind = ranked(base["kind"][0, j] - probs["kind"][:, j])
    if model.category_head_ is not None and prediction.category:
        j = model.category_head_.classes_.index(prediction.category)
        result.category = ranked(base["category"][0, j] - probs["category"][:, j])
    if model.theme_head_ is not None:
        for label in prediction.themes:
            j = model.theme_head_.classes_.index(label)
            result.themes[label] = ranked(base["themes"][0, j] - probs["themes"][:, j])
    return result
