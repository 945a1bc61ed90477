"""Old import path of batch tagging, kept for code written against it.
New code imports ``themes.flows.tag``."""

from themes.flows.tag import (  # noqa: F401
    SUGGESTION_COLUMNS,
    TagOptions,
    TagSummary,
    default_jobs,
    tag_file,
    tag_frame,
)
