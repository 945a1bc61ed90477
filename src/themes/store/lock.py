"""The registry lock: one process at a time changes a registry (retrain, use, delete).

The lock is a file ``.lock`` in the registry folder, created exclusively, holding the
holder's process id, host and start time. A lock whose holder is a process of this
host that is no longer running (a killed retrain) is stale and taken over; a lock
held by a running process, or by another host, makes the second run fail at once
with a message saying who holds it and how to clear it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from themes.errors import OutputError, ThemesError

LOCK_FILE = ".lock"


class RegistryBusyError(ThemesError):
    """Another themes run holds the registry lock."""


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: it exists
    return True


def read_holder(path: Path) -> dict[str, Any] | None:
    """The holder recorded in a lock file (None when it cannot be read)."""
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _same_host(holder: dict[str, Any]) -> bool:
    return holder.get("host") == socket.gethostname()


def _is_stale(holder: dict[str, Any] | None) -> bool:
    if holder is None:
        return True  # written by a run killed while creating it
    pid = holder.get("pid")
    if not _same_host(holder) or not isinstance(pid, int):
        return False  # another machine's process cannot be checked from here
    return not _alive(pid)


def _take(path: Path) -> bool:
    """Create the lock file exclusively; False when it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise OutputError(
            f"cannot write in the model registry '{path.parent}' ({exc.strerror}); choose a "
            "registry folder you can write to with --registry or $THEMES_HOME"
        ) from None
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(holder, handle)
    return True


@contextlib.contextmanager
def registry_lock(root: str | Path) -> Iterator[Path]:
    """Hold the lock of the registry ``root`` for the block (the folder is created)."""
    folder = Path(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the model registry '{folder}' ({exc.strerror}); choose a folder "
            "you can write to with --registry or $THEMES_HOME"
        ) from None
    path = folder / LOCK_FILE
    holder = read_holder(path)
    if holder is not None and holder.get("pid") == os.getpid() and _same_host(holder):
        yield path  # this process holds it already (retrain making its version active)
        return
    for _attempt in range(3):
        if _take(path):
            break
        holder = read_holder(path)
        if not _is_stale(holder):
            assert holder is not None
            raise RegistryBusyError(
                f"the model registry '{folder}' is in use by another themes run (process "
                f"{holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}); "
                f"wait for it to finish, or, if that process is not running, delete '{path}'"
            )
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a dead holder's lock: taken over
    else:
        raise RegistryBusyError(
            f"could not take the lock of the model registry '{folder}'; run again"
        )
    try:
        yield path
    finally:
        holder = read_holder(path)
        if holder is not None and holder.get("pid") == os.getpid():
            with contextlib.suppress(OSError):
                path.unlink()
