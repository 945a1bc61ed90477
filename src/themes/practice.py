"""Old import path of the council's rules, kept for code written against it and for model
files of format 1. New code imports ``themes.model.practice``."""

from themes.model.practice import MIN_DEPARTURE, PracticeRules, Rule, learn_rules, wilson_lower

__all__ = ["MIN_DEPARTURE", "PracticeRules", "Rule", "learn_rules", "wilson_lower"]
