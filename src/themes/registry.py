"""Old import path of model folders and versions, kept for code written against it.
New code imports ``themes.store``."""

from themes.store import *  # noqa: F403
from themes.store import __all__  # noqa: F401
