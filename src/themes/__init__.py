"""themes: tag children's social care complaints and compliments with themes and a category."""

__version__ = "0.1.0"
