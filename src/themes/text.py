"""Old import path of the text normaliser, kept for code written against it and for model
files of format 1 (which name ``themes.text.TextProcessor``). New code imports
``themes.model.normaliser``."""

from themes.model.config import TextConfig
from themes.model.normaliser import ABBREVIATIONS, Normaliser
from themes.model.normaliser import Normaliser as TextProcessor

__all__ = ["ABBREVIATIONS", "Normaliser", "TextConfig", "TextProcessor"]
