"""Every review-policy decision in one place: probabilities in, suggestions and reasons out.

What is suggested (the most probable kind and category, each theme at or above its
threshold, compliments left without a category), what probability is shown for each
theme, how certain the whole suggestion is, and when a person should look.

* Shown theme probabilities: each theme's threshold is mapped to 0.5 (piecewise
  linear, ``shown_probability``), so a theme is suggested exactly when its shown
  probability is at least 0.5, in every place a probability is shown.
* Confidence of a row: the weakest of its decisions - the kind's and the category's
  calibrated probability, and for each theme how far its shown probability is from
  0.5 (0.5 + |shown - 0.5|); a row with no theme takes its best theme's shown value.
* needs_review: the row's confidence is below a cut learnt on out-of-fold predictions
  of the training rows (``review_cut``, flagging ``ModelConfig.review_share`` of them),
  or it has no text, or it is too short to judge. The reasons name the weak decisions.

The council's rules (themes.model.practice) act on the text model's decisions here too.
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
# Used by models saved before the cut was learnt.
FALLBACK_CUT = 0.6


def word_count(text: str) -> int:
    """Number of word-like pieces in a text (cheap; used for the 'too short' check)."""
    return len(_WORD_RE.findall(text))


def shown_probability(p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Theme probabilities with each theme's threshold mapped to 0.5 (piecewise linear)."""
    t = np.clip(np.asarray(thresholds, dtype=float), 1e-6, 1 - 1e-6)
    return np.where(p < t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1 - t))


@dataclass
class Heads:
    """The label lists and theme thresholds decisions need (None: head not trained)."""

    kind_labels: list[str] | None
    category_labels: list[str] | None
    theme_labels: list[str] | None
    thresholds: np.ndarray | None
    categorised_kinds: Sequence[str]
    review_cut: float = FALLBACK_CUT


@dataclass
class Certainty:
    """How sure each decision of each row is (None: head not trained)."""

    kind: np.ndarray | None  # rows
    category: np.ndarray | None  # rows; 1 where no category is given
    themes: np.ndarray | None  # rows x themes
    no_theme: np.ndarray | None  # rows; True where no theme was chosen
    row: np.ndarray  # rows: the weakest decision


def certainty_of(
    probs: dict[str, np.ndarray],
    heads: Heads,
    categorised: np.ndarray | None = None,
    category_idx: np.ndarray | None = None,
) -> Certainty:
    """Each decision's certainty from calibrated probabilities (see the module notes)."""
    first = next(iter(probs.values()))
    n = first.shape[0]
    row = np.ones(n)
    kind = category = themes = no_theme = None
    if heads.kind_labels is not None and "kind" in probs:
        kind = probs["kind"].max(axis=1)
        row = np.minimum(row, kind)
    if heads.category_labels is not None and "category" in probs:
        idx = probs["category"].argmax(axis=1) if category_idx is None else category_idx
        category = probs["category"][np.arange(n), idx]
        if categorised is not None:
            category = np.where(categorised, category, 1.0)
        row = np.minimum(row, category)
    if heads.theme_labels is not None and heads.thresholds is not None and "themes" in probs:
        shown = shown_probability(probs["themes"], heads.thresholds)
        themes = 0.5 + np.abs(shown - 0.5)
        no_theme = (shown < 0.5).all(axis=1)
        row = np.minimum(row, themes.min(axis=1))
        if shown.shape[1]:
            row = np.where(no_theme, np.minimum(row, shown.max(axis=1)), row)
    return Certainty(kind, category, themes, no_theme, row)


def review_cut(row_certainty: np.ndarray, share: float) -> float:
    """The certainty below which ``share`` of these rows fall."""
    if not len(row_certainty) or share <= 0:
        return 0.0
    return float(np.quantile(row_certainty, min(share, 1.0)))


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
    kinds = [""] * n
    kind_probs: list[float | None] = [None] * n
    if heads.kind_labels is not None:
        k_idx = probs["kind"].argmax(axis=1)
        kind_p = probs["kind"][np.arange(n), k_idx]
        kinds = [heads.kind_labels[j] for j in k_idx]
        kind_probs = [round(x, 4) for x in kind_p.tolist()]
    c_idx: np.ndarray | None = None
    if heads.category_labels is not None:
        c_idx = probs["category"].argmax(axis=1)
    theme_p: np.ndarray | None = None
    shown: np.ndarray | None = None
    chosen: np.ndarray | None = None
    if heads.theme_labels is not None and heads.thresholds is not None:
        theme_p = probs["themes"]
        shown = shown_probability(theme_p, heads.thresholds)
        chosen = shown >= 0.5

    # The council's rules act on the text model's decisions; certainty stays the text
    # model's, about its own decisions.
    applied: list[list[str]] = [[] for _ in range(n)]
    rule_set_category = np.zeros(n, dtype=bool)
    if practice and chosen is not None:
        before = c_idx
        chosen, c_idx, applied = practice.apply(chosen, c_idx)
        if before is not None and c_idx is not None:
            rule_set_category = c_idx != before

    categorised = np.array(
        [
            always_categorise or heads.kind_labels is None or k in heads.categorised_kinds
            for k in kinds
        ],
        dtype=bool,
    )
    sure = certainty_of(probs, heads, categorised & ~rule_set_category, c_idx)
    cut = heads.review_cut

    categories = [""] * n
    category_probs: list[float | None] = [None] * n
    if heads.category_labels is not None and c_idx is not None:
        category_p = probs["category"][np.arange(n), c_idx]
        labels = heads.category_labels
        categories = [labels[j] if c else "" for j, c in zip(c_idx, categorised, strict=True)]
        for i, (category, p) in enumerate(zip(categories, category_p.tolist(), strict=True)):
            if category:
                category_probs[i] = round(p, 4)

    themes: list[list[str]] = [[] for _ in range(n)]
    if heads.theme_labels is not None and shown is not None and chosen is not None:
        theme_labels = heads.theme_labels
        # Rows are visited only where something was picked.
        picks = chosen.sum(axis=1)
        _, cols = np.nonzero(chosen)
        starts = np.concatenate([[0], np.cumsum(picks)]).tolist()
        for i in np.flatnonzero(picks).tolist():
            picked = cols[starts[i] : starts[i + 1]]
            if len(picked) > 1:
                picked = picked[np.argsort(-shown[i, picked])]
            themes[i] = [theme_labels[j] for j in picked.tolist()]
    reasons: list[list[str]] = []
    weak = sure.row < cut
    for i in range(n):
        if not texts[i].strip():
            # Nothing to judge: the one reason that matters.
            reasons.append([NO_TEXT])
            continue
        row: list[str] = []
        if weak[i]:
            row.extend(_weak_decisions(i, sure, cut, heads.theme_labels or []))
        if word_count(texts[i]) < config.min_words:
            row.append("text too short to judge")
        reasons.append(row)
    return Suggestions(
        kinds=kinds,
        kind_probabilities=kind_probs,
        categories=categories,
        category_probabilities=category_probs,
        themes=themes,
        theme_probabilities=shown,
        confidence=[round(x, 4) for x in sure.row.tolist()],
        review_reasons=reasons,
        practice=applied,
        theme_labels=list(heads.theme_labels or []),
    )


def _weak_decisions(i: int, sure: Certainty, cut: float, theme_labels: list[str]) -> list[str]:
    """Which of row i's decisions are below the cut, in words."""
    out: list[str] = []
    if sure.kind is not None and sure.kind[i] < cut:
        out.append("kind uncertain")
    if sure.category is not None and sure.category[i] < cut:
        out.append("category uncertain")
    if sure.no_theme is not None and sure.no_theme[i]:
        out.append("no theme above its threshold")
    if sure.themes is not None:
        near = np.flatnonzero(sure.themes[i] < cut)
        if len(near):
            out.append("near threshold: " + ", ".join(theme_labels[j] for j in near))
    return out or ["low confidence"]
