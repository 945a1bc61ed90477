"""Every review-policy decision in one place: probabilities in, suggestions and reasons out.

What is suggested (the most probable kind and category, each theme at or above its
threshold, compliments left without a category), how certain the whole suggestion
is, and when a person should look: no text, an uncertain kind or category, no theme
above its threshold, a theme near its threshold, a text too short to judge. The
council's rules (themes.model.practice) act on the text model's decisions here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from themes.model.config import ModelConfig
from themes.model.data import Suggestions
from themes.model.practice import PracticeRules

NO_TEXT = "no text"
_WORD_RE = re.compile(r"[A-Za-z0-9']+")


def word_count(text: str) -> int:
    """Number of word-like pieces in a text (cheap; used for the 'too short' check)."""
    return len(_WORD_RE.findall(text))


@dataclass
class Heads:
    """The label lists and theme thresholds decisions need (None: head not trained)."""

    kind_labels: list[str] | None
    category_labels: list[str] | None
    theme_labels: list[str] | None
    thresholds: np.ndarray | None
    categorised_kinds: Sequence[str]


def decide(
    texts: Sequence[str],
    probs: dict[str, np.ndarray],
    heads: Heads,
    config: ModelConfig,
    practice: PracticeRules | None = None,
    *,
    always_categorise: bool = False,
) -> Suggestions:
    """Turn each head's probabilities into suggestions, vectorised over the batch.

    ``always_categorise`` gives a category even to records predicted as compliments
    (used when scoring category accuracy).
    """
    n = len(texts)
    # Certainty of each decision: 1 at the extremes, 0.5 on the decision boundary.
    certainty = np.ones(n)
    kinds = [""] * n
    kind_probs: list[float | None] = [None] * n
    if heads.kind_labels is not None:
        k_idx = probs["kind"].argmax(axis=1)
        kind_p = probs["kind"][np.arange(n), k_idx]
        kinds = [heads.kind_labels[j] for j in k_idx]
        kind_probs = [round(x, 4) for x in kind_p.tolist()]
        certainty = np.minimum(certainty, kind_p)
    c_idx: np.ndarray | None = None
    if heads.category_labels is not None:
        c_idx = probs["category"].argmax(axis=1)
    theme_p: np.ndarray | None = None
    chosen: np.ndarray | None = None
    near: np.ndarray | None = None
    if heads.theme_labels is not None and heads.thresholds is not None:
        theme_p = probs["themes"]
        t = heads.thresholds[None, :]
        chosen = theme_p >= t
        above = 0.5 + 0.5 * (theme_p - t) / np.maximum(1e-9, 1 - t)
        below = 0.5 + 0.5 * (t - theme_p) / np.maximum(1e-9, t)
        certainty = np.minimum(certainty, np.where(chosen, above, below).min(axis=1))
        near = np.abs(theme_p - t) < config.review_margin

    # The council's rules act on the text model's decisions; certainty stays the text
    # model's, about its own decisions.
    applied: list[list[str]] = [[] for _ in range(n)]
    rule_set_category = np.zeros(n, dtype=bool)
    if practice and chosen is not None:
        before = c_idx
        chosen, c_idx, applied = practice.apply(chosen, c_idx)
        if before is not None and c_idx is not None:
            rule_set_category = c_idx != before

    categories = [""] * n
    category_probs: list[float | None] = [None] * n
    category_uncertain = [False] * n
    if heads.category_labels is not None and c_idx is not None:
        category_p = probs["category"][np.arange(n), c_idx]
        labels = heads.category_labels
        categorised = [
            always_categorise or heads.kind_labels is None or k in heads.categorised_kinds
            for k in kinds
        ]
        categories = [labels[j] if c else "" for j, c in zip(c_idx, categorised, strict=True)]
        mask = np.array(categorised, dtype=bool) & ~rule_set_category
        certainty = np.where(mask, np.minimum(certainty, category_p), certainty)
        low = ((category_p < config.category_review_below) & ~rule_set_category).tolist()
        for i, (category, p) in enumerate(zip(categories, category_p.tolist(), strict=True)):
            if category:
                category_probs[i] = round(p, 4)
                category_uncertain[i] = low[i]

    themes: list[list[str]] = [[] for _ in range(n)]
    no_theme = [False] * n
    near_names: list[str | None] = [None] * n
    if heads.theme_labels is not None and theme_p is not None and chosen is not None:
        assert near is not None
        theme_labels = heads.theme_labels
        # Rows are visited only where something was picked or is near a threshold.
        picks = chosen.sum(axis=1)
        no_theme = (picks == 0).tolist()
        _, cols = np.nonzero(chosen)
        starts = np.concatenate([[0], np.cumsum(picks)]).tolist()
        for i in np.flatnonzero(picks).tolist():
            picked = cols[starts[i] : starts[i + 1]]
            if len(picked) > 1:
                picked = picked[np.argsort(-theme_p[i, picked])]
            themes[i] = [theme_labels[j] for j in picked.tolist()]
        for i in np.flatnonzero(near.any(axis=1)).tolist():
            near_names[i] = ", ".join(theme_labels[j] for j in np.flatnonzero(near[i]))
    reasons: list[list[str]] = []
    for i in range(n):
        if not texts[i].strip():
            # Nothing to judge: the one reason that matters.
            reasons.append([NO_TEXT])
            continue
        row: list[str] = []
        if category_uncertain[i]:
            row.append("category uncertain")
        if no_theme[i]:
            row.append("no theme above its threshold")
        if near_names[i] is not None:
            row.append("near threshold: " + str(near_names[i]))
        k_prob = kind_probs[i]
        if k_prob is not None and k_prob < config.kind_review_below:
            row.append("kind uncertain")
        if word_count(texts[i]) < config.min_words:
            row.append("text too short to judge")
        reasons.append(row)
    return Suggestions(
        kinds=kinds,
        kind_probabilities=kind_probs,
        categories=categories,
        category_probabilities=category_probs,
        themes=themes,
        theme_probabilities=theme_p,
        confidence=[round(x, 4) for x in certainty.tolist()],
        review_reasons=reasons,
        practice=applied,
        theme_labels=list(heads.theme_labels or []),
    )
