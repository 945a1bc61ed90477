"""What the model takes and gives: labelled rows in, suggestions out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LabelledData:
    """Training rows: texts and whichever labels exist (None where a row lacks that label)."""

    texts: list[str]
    kinds: list[str | None] | None = None
    categories: list[str | None] | None = None
    themes: list[list[str] | None] | None = None
    weights: list[float] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: np.ndarray | list[int]) -> LabelledData:
        """The given rows, in that order (weights dropped)."""

        def pick(values: list | None) -> list | None:
            return None if values is None else [values[i] for i in rows]

        return LabelledData(
            texts=[self.texts[i] for i in rows],
            kinds=pick(self.kinds),
            categories=pick(self.categories),
            themes=pick(self.themes),
        )


@dataclass
class Prediction:
    """Suggestions for one text."""

    kind: str
    kind_probability: float | None
    category: str
    category_probability: float | None
    themes: list[str]
    theme_probabilities: dict[str, float]
    confidence: float
    needs_review: bool
    review_reasons: list[str]
    # The council's rules (themes.model.practice) that changed this suggestion, in short.
    practice: list[str] = field(default_factory=list)


@dataclass
class Suggestions:
    """Suggestions for a batch of texts, one list per field (item i is for text i)."""

    kinds: list[str]
    kind_probabilities: list[float | None]
    categories: list[str]
    category_probabilities: list[float | None]
    themes: list[list[str]]  # most probable first
    theme_probabilities: np.ndarray | None  # texts x themes, unrounded
    confidence: list[float]
    review_reasons: list[list[str]]  # empty: no review needed
    # The council's rules (themes.model.practice) that changed each suggestion, in short.
    practice: list[list[str]] = field(default_factory=list)
    # Column labels of theme_probabilities.
    theme_labels: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.kinds)

    def predictions(self) -> list[Prediction]:
        """One Prediction per text (theme probabilities rounded to 4 places, never across
        0.5: a theme below its threshold never shows 0.5, one at or above it never less)."""
        n = len(self)
        rounded = [[] for _ in range(n)]
        if self.theme_probabilities is not None:
            p = self.theme_probabilities
            r = np.round(p, 4)
            rounded = np.where(p < 0.5, np.minimum(r, 0.4999), np.maximum(r, 0.5)).tolist()
        return [
            Prediction(
                kind=self.kinds[i],
                kind_probability=self.kind_probabilities[i],
                category=self.categories[i],
                category_probability=self.category_probabilities[i],
                themes=self.themes[i],
                theme_probabilities=dict(zip(self.theme_labels, rounded[i], strict=True)),
                confidence=self.confidence[i],
                needs_review=bool(self.review_reasons[i]),
                review_reasons=self.review_reasons[i],
                practice=self.practice[i],
            )
            for i in range(n)
        ]
