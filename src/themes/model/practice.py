"""A council's own labelling practice, learnt from its corrections as explicit rules.

The text model learns which words go with which label. A council's habits are
often rules over labels instead: "we file every bias complaint under staff", "we
record visits as meetings". Retraining the text model with the corrections
weighted up memorises the corrected texts but hardly carries such a rule to new
records, because the starter rows that say the opposite in the same words still
outnumber them (benchmarks/retrain_curve.md).

So retraining also compares, theme by theme, what the officers did with the text
model's suggestions against what the starter labels do in the same situation,
using out-of-fold suggestions for both (the text model's cross-validation, so
that neither side is judged on texts it has memorised). Where the council
departs from the starter labels clearly and consistently, that becomes a rule:

* drop a theme ("the council does not use 'visits'");
* add a theme where another is suggested ("where 'visits' is suggested, the
  council records 'meetings'");
* set the category where a theme is suggested ("complaints about 'bias' are
  filed under 'staff'").

A rule needs evidence: its rate among the council's corrections, at the lower
end of a 95% one-sided confidence interval, must be more likely than not and at
least ``MIN_DEPARTURE`` above the starter labels' rate. A handful of
corrections makes no rule; a few dozen consistent ones do. Every rule is shown
to the officer in words, with its counts (``themes retrain``, ``models show``,
the model card), and applied after the text model's decisions, so the
probabilities shown by ``suggest`` stay the text model's own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# How far above the starter labels' rate the council's (lower-bound) rate must be.
MIN_DEPARTURE = 0.3
# Fewer corrections than this in a situation cannot make a rule about it.
MIN_SEEN = 5
# One-sided 95% normal quantile for the Wilson lower bound.
_Z = 1.645


def wilson_lower(successes: int, trials: int, z: float = _Z) -> float:
    """Lower end of the Wilson score interval for a proportion (0 when there are no trials)."""
    if trials == 0:
        return 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - margin) / denominator


@dataclass(frozen=True)
class Rule:
    """One learnt habit: when the text model suggests ``when_theme``, do ``action`` to ``target``.

    ``action`` is "drop_theme", "add_theme" or "set_category". ``followed`` of the
    ``seen`` corrections where it could apply did it; ``starter_rate`` is how often
    the starter labels do the same in that situation.
    """

    action: str
    when_theme: str
    target: str
    followed: int
    seen: int
    starter_rate: float

    @property
    def strength(self) -> float:
        return wilson_lower(self.followed, self.seen)

    def describe(self) -> str:
        counts = (
            f"{self.followed} of {self.seen} corrections; starter labels {self.starter_rate:.0%}"
        )
        if self.action == "drop_theme":
            return f"theme '{self.target}' is not used where it would be suggested ({counts})"
        if self.action == "add_theme":
            return (
                f"where '{self.when_theme}' is suggested, theme '{self.target}' is added ({counts})"
            )
        return (
            f"complaints about '{self.when_theme}' are filed under category '{self.target}' "
            f"({counts})"
        )


@dataclass
class PracticeRules:
    """The rules learnt from a council's corrections, applied to the text model's decisions."""

    theme_labels: list[str]
    category_labels: list[str]
    rules: list[Rule] = field(default_factory=list)
    corrections: int = 0

    def __bool__(self) -> bool:
        return bool(self.rules)

    def apply(
        self, chosen: np.ndarray, category_index: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None, list[list[str]]]:
        """Apply the rules to a batch of decisions.

        ``chosen`` is the (texts x themes) boolean matrix of suggested themes,
        ``category_index`` each text's suggested category (index into
        ``category_labels``). Returns the new ones and, per text, the rules applied
        (in words, short).
        """
        n = chosen.shape[0]
        applied: list[list[str]] = [[] for _ in range(n)]
        out = chosen.copy()
        theme_at = {label: j for j, label in enumerate(self.theme_labels)}
        # Rules look at the text model's own suggestions, so their order does not matter.
        for rule in self.rules:
            if rule.action == "add_theme":
                rows = np.flatnonzero(chosen[:, theme_at[rule.when_theme]])
                for i in rows:
                    if not out[i, theme_at[rule.target]]:
                        out[i, theme_at[rule.target]] = True
                        applied[i].append(f"{rule.when_theme} -> +{rule.target}")
        for rule in self.rules:
            if rule.action == "drop_theme":
                j = theme_at[rule.target]
                for i in np.flatnonzero(chosen[:, j]):
                    out[i, j] = False
                    applied[i].append(f"-{rule.target}")
        new_category = None if category_index is None else category_index.copy()
        if new_category is not None:
            category_rules = sorted(
                (r for r in self.rules if r.action == "set_category"), key=lambda r: r.strength
            )
            # The strongest applicable rule is applied last, so it wins.
            for rule in category_rules:
                target = self.category_labels.index(rule.target)
                for i in np.flatnonzero(chosen[:, theme_at[rule.when_theme]]):
                    if new_category[i] != target:
                        new_category[i] = target
                        applied[i].append(f"{rule.when_theme} -> {rule.target}")
        return out, new_category, applied

    def describe(self) -> list[str]:
        """Every rule in words, strongest first."""
        return [r.describe() for r in sorted(self.rules, key=lambda r: -r.strength)]

    def to_meta(self) -> dict[str, Any]:
        """For meta.json: the rules with their counts."""
        return {
            "corrections": self.corrections,
            "rules": [{**asdict(r), "description": r.describe()} for r in self.rules],
        }


def _consider(
    rules: list[Rule],
    action: str,
    when_theme: str,
    target: str,
    council_hits: np.ndarray,
    starter_hits: np.ndarray,
) -> None:
    """Add a rule if the council's corrections clearly depart from the starter labels."""
    seen = len(council_hits)
    if seen < MIN_SEEN:
        return
    followed = int(council_hits.sum())
    starter_rate = float(starter_hits.mean()) if len(starter_hits) else 0.0
    lower = wilson_lower(followed, seen)
    if lower > 0.5 and lower >= starter_rate + MIN_DEPARTURE:
        rules.append(Rule(action, when_theme, target, followed, seen, round(starter_rate, 3)))


def learn_rules(
    oof: dict[str, Any],
    is_correction: np.ndarray,
    thresholds: np.ndarray,
    theme_labels: list[str],
    category_labels: list[str],
) -> PracticeRules:
    """Rules where the council's corrections depart from the starter labels.

    ``oof`` is the text model's training report (head -> row indices, labels,
    out-of-fold probabilities); ``is_correction`` marks the training rows that
    are the council's corrections; the other rows are the starter labels.
    """
    result = PracticeRules(list(theme_labels), list(category_labels))
    result.corrections = int(is_correction.sum())
    if "themes" not in oof or oof["themes"][2] is None or not is_correction.any():
        return result
    theme_idx, truth, proba = oof["themes"]
    suggested = proba >= np.asarray(thresholds)[None, :]
    council = is_correction[theme_idx]
    starter = ~council
    rules: list[Rule] = []
    for t, theme in enumerate(theme_labels):
        where = suggested[:, t]
        # Officers remove the theme wherever it is suggested.
        _consider(
            rules,
            "drop_theme",
            theme,
            theme,
            truth[where & council, t] == 0,
            truth[where & starter, t] == 0,
        )
        for s, other in enumerate(theme_labels):
            if s == t:
                continue
            # Officers add ``other`` where ``theme`` is suggested and ``other`` is not.
            missing = where & ~suggested[:, s]
            _consider(
                rules,
                "add_theme",
                theme,
                other,
                truth[missing & council, s] == 1,
                truth[missing & starter, s] == 1,
            )
    if "category" in oof and oof["category"][2] is not None and category_labels:
        cat_idx, cat_truth, _ = oof["category"]
        position = {int(r): i for i, r in enumerate(theme_idx)}
        both = [(i, position[int(r)]) for i, r in enumerate(cat_idx) if int(r) in position]
        if both:
            cat_rows = np.array([a for a, _ in both])
            theme_rows = np.array([b for _, b in both])
            labels = np.asarray(cat_truth)[cat_rows]
            from_council = is_correction[np.asarray(cat_idx)[cat_rows]]
            for t, theme in enumerate(theme_labels):
                where = suggested[theme_rows, t]
                for category in category_labels:
                    _consider(
                        rules,
                        "set_category",
                        theme,
                        category,
                        labels[where & from_council] == category,
                        labels[where & ~from_council] == category,
                    )
    result.rules = rules
    return result
