"""Atomic writes: a temporary file (or folder) beside the output, flushed and renamed into place.

Every writer of the project goes through ``AtomicFile`` (one file) or ``atomic_folder``
(a folder of files, such as a report), so an interrupted run never leaves a
half-written output, and a new output is readable by its owner only (it holds
complaint text). The temporary name carries the writer's process id
(``.NAME.PID.XXXX.part``), so the next run on the same output path removes what a
killed run left behind, and never touches the file of a run still going.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from themes.errors import OutputError

PART_SUFFIX = ".part"


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); not possible (or needed) on Windows."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: assume it is alive
    return True


def _part_owner(name: str, target: str) -> int | None:
    """The process id in a temporary name ``.TARGET.PID.XXXX.part`` (None: not ours)."""
    prefix = f".{target}."
    if not (name.startswith(prefix) and name.endswith(PART_SUFFIX)):
        return None
    middle = name[len(prefix) : -len(PART_SUFFIX)]
    pid, _, _rest = middle.partition(".")
    return int(pid) if pid.isdigit() else 0  # an older name without a pid: a leftover


def remove_leftovers(path: str | Path) -> list[Path]:
    """Remove temporary files and folders that killed runs left for the output ``path``.

    Only names of the form ``.NAME.PID.XXXX.part`` (or the older ``.NAME.XXXX.part``)
    whose process is no longer running are removed. Returns what was removed.
    """
    target = Path(path)
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        pid = _part_owner(entry.name, target.name)
        if pid is None or _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _write_error(path: Path, exc: OSError, what: str = "the output") -> OutputError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, PermissionError) or exc.errno in (13, 30):  # EACCES, EROFS
        fix = "choose a folder you can write to with --out"
    else:
        fix = "free some space or choose another --out"
    return OutputError(f"cannot write '{path.name}' ({reason}); {what} was not replaced; {fix}")


def _temp_in(folder: Path, target: str, *, directory: bool) -> Path:
    prefix = f".{target}.{os.getpid()}."
    try:
        if directory:
            return Path(tempfile.mkdtemp(prefix=prefix, suffix=PART_SUFFIX, dir=folder))
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=PART_SUFFIX, dir=folder)
    except FileNotFoundError:
        raise OutputError(
            f"folder '{folder}' for the output does not exist; create it or choose another --out"
        ) from None
    except OSError as exc:
        raise OutputError(
            f"cannot write in folder '{folder}' ({exc.strerror}); choose another --out"
        ) from None
    os.close(fd)
    return Path(name)


class AtomicFile:
    """A file written to ``.NAME.PID.XXXX.part`` beside ``path`` and renamed over it on commit.

    Open with ``mode`` "wb" or "w" (with ``encoding``, ``errors``, ``newline`` for
    text). ``commit()`` flushes, fsyncs and renames; ``abort()`` (or leaving a ``with``
    block by an exception) removes the temporary file and leaves ``path`` as it was.
    A new file is private to its owner (mode 0600, as mkstemp makes it); a replaced
    one keeps the permissions of the file it replaces. Leftovers of killed runs for
    the same path are removed first. OS errors become one-line ``OutputError``s.
    """

    def __init__(
        self,
        path: str | Path,
        mode: str = "wb",
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> None:
        if mode not in ("w", "wb"):
            raise ValueError("mode must be 'w' or 'wb'")
        self.path = Path(path)
        self.leftovers_removed = remove_leftovers(self.path)
        self.tmp = _temp_in(self.path.parent, self.path.name, directory=False)
        self._done = False
        with contextlib.suppress(OSError):
            if self.path.exists():
                os.chmod(self.tmp, stat.S_IMODE(self.path.stat().st_mode))
        try:
            if mode == "wb":
                self.handle: IO[Any] = self.tmp.open("wb")
            else:
                self.handle = self.tmp.open("w", encoding=encoding, errors=errors, newline=newline)
        except OSError as exc:
            self.abort()
            raise _write_error(self.path, exc) from None

    def write(self, data: Any) -> int:
        """Write to the temporary file (an OSError becomes an OutputError)."""
        try:
            return self.handle.write(data)
        except OSError as exc:
            raise _write_error(self.path, exc) from None

    def error(self, exc: OSError) -> OutputError:
        """The one-line error for an OSError met while writing this file."""
        return _write_error(self.path, exc)

    def commit(self) -> Path:
        """Flush to disk and rename over ``path``; on failure ``path`` is untouched."""
        if self._done:
            return self.path
        try:
            try:
                self.handle.flush()
                os.fsync(self.handle.fileno())
                self.handle.close()
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            try:
                os.replace(self.tmp, self.path)
            except OSError as exc:
                raise OutputError(
                    f"cannot replace '{self.path.name}' ({exc.strerror}); if it is open in "
                    "Excel or another program, close it and run again, or choose another --out"
                ) from None
        except BaseException:
            self.abort()
            raise
        self._done = True
        fsync_folder(self.path.parent)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; an existing file at ``path`` is left as it was."""
        self._done = True
        with contextlib.suppress(Exception):
            self.handle.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with AtomicFile(path, "wb") as out:
        out.write(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with AtomicFile(path, "w", encoding=encoding, newline="") as out:
        out.write(text)
    return Path(path)


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Build a folder in ``.NAME.PID.XXXX.part`` beside ``path``, then swap it into place.

    Yields the temporary folder (private to its owner) to write into. When the block
    ends normally an existing folder at ``path`` is moved aside, the new one renamed
    into place and the old one removed, so a reader sees the old folder or the new one,
    never a half-written one; on an exception the temporary folder is removed and
    ``path`` is left as it was. Leftovers of killed runs for ``path`` are removed first.
    """
    target = Path(path)
    remove_leftovers(target)
    staging = _temp_in(target.parent, target.name, directory=True)
    try:
        yield staging
        old: Path | None = None
        if target.exists():
            old = _temp_in(target.parent, target.name, directory=True)
            old.rmdir()
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except OSError:
            if old is not None:
                os.replace(old, target)  # put the previous folder back
            raise
        fsync_folder(target.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _write_error(target, exc, "the folder") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
