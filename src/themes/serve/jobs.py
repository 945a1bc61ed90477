"""Retraining from the page: one run at a time, in a background thread, with its status."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from themes.errors import ThemesError
from themes.flows.retrain import RetrainOptions, RetrainResult, retrain
from themes.serve.holder import ModelHolder


def describe(result: RetrainResult) -> dict[str, Any]:
    """A retrain's result for the page: the gate's comparison and what became active."""
    gate = result.gate
    return {
        "version": result.version.name,
        "parent": result.parent,
        "activated": result.activated,
        "passed": gate.passed,
        "reasons": gate.reasons,
        "practice_notes": gate.practice_notes,
        "judged_rows": gate.rows,
        "table": gate.table,
        "corrections": result.corrections,
        "corrections_held_out": result.corrections_held_out,
        "summary": result.summary,
        "training_rows": result.training_rows,
        "changed_rows": result.changed_rows,
        "rules": result.rules,
    }


class RetrainJob:
    """The latest retrain: idle, running (with its step), done (with the result) or failed."""

    def __init__(self, holder: ModelHolder) -> None:
        self.holder = holder
        self._lock = threading.Lock()
        self._status: dict[str, Any] = {"state": "idle"}
        self._thread: threading.Thread | None = None

    def status(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._status)

    def _set(self, **status: Any) -> None:
        with self._lock:
            self._status = status

    def start(self, paths: list[Path], options: RetrainOptions | None = None) -> bool:
        """Start a retrain; False when one is already running."""
        with self._lock:
            if self._status.get("state") == "running":
                return False
            self._status = {"state": "running", "step": "starting"}
        self._thread = threading.Thread(
            target=self._run, args=(paths, options or RetrainOptions()), daemon=True
        )
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the running retrain (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, paths: list[Path], options: RetrainOptions) -> None:
        base = self.holder.loaded.path if self.holder.pinned else None

        def step(message: str) -> None:
            # Steps are the library's progress words and counts, never text.
            self._set(state="running", step=message)

        try:
            result = retrain(paths, self.holder.registry, options, base_model=base, progress=step)
            if result.activated:
                self.holder.switch(result.version.name)
            self._set(state="done", result=describe(result), serving=self.holder.name)
        except ThemesError as exc:
            self._set(state="failed", error=str(exc))
        except Exception as exc:  # a bug: its type only, its message may hold a text
            self._set(state="failed", error=f"internal error ({type(exc).__name__})")
