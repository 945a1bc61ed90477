"""Atomic writes: a temporary file beside the output, flushed and renamed into place."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; not possible (or needed) on Windows.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
