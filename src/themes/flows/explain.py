"""Why the model suggested what it did: the words in this text that drove each suggestion.

The explanation is measured, not guessed: each candidate word of the text is
removed in turn (every occurrence), the text is scored again through the whole
model (TF-IDF and sentence encoder alike), and a word's weight for a suggestion is
how much the probability of that suggestion drops without it. This works for any
model and reads directly as "without these words, the model would be less sure".

Candidates are the text's content words (not function words such as "the", "for",
"and"), the most frequent first, at most ``_MAX_WORDS``: with the encoder engine
every candidate costs one more embedding, and a typical complaint then scores in
one batch well under a quarter of a second.
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
_MAX_WORDS = 48
# Function words: never evidence on their own (negations are kept: "not" matters).
_FUNCTION_TEXT = """
    a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i i'm i've
    if in into is it it's its itself just me more most my myself of off on once only or
    other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves also us 's
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def candidate_words(text: str, limit: int = _MAX_WORDS) -> list[str]:
    """The text's distinct content words, lower-cased, the most frequent first."""
    words: dict[str, int] = {}
    for match in _WORD_RE.finditer(text):
        key = match.group(0).lower()
        if key not in _FUNCTION_WORDS:
            words[key] = words.get(key, 0) + 1
    return sorted(words, key=lambda w: (-words[w], w))[:limit]


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
    candidates = candidate_words(text)
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
