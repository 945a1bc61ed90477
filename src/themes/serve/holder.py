"""The model a server answers with: loaded once, used under a lock, switched between versions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from themes.model import ThemesModel
from themes.store import LoadedModel, Registry, load_model

T = TypeVar("T")


class ModelHolder:
    """The served model and its name. Predictions run one at a time (the model's text
    caches are not shared safely between threads); a switch waits for them."""

    def __init__(self, registry: Registry, model: Path | None = None) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        if model is not None:
            self._loaded = load_model(model)
            self.name = f"{Path(model).name} (--model)"
            self.pinned = True
        else:
            self._loaded = load_model(registry.active_path())
            self.name = str(registry.active_name())
            self.pinned = False

    @property
    def loaded(self) -> LoadedModel:
        return self._loaded

    def run(self, work: Callable[[ThemesModel], T]) -> T:
        """Run ``work`` with the model, alone."""
        with self._lock:
            return work(self._loaded.model)

    def switch(self, version: str) -> str:
        """Make ``version`` active in the registry and serve it (a bad version is refused
        before anything changes)."""
        found = self.registry.get(version)
        loaded = load_model(found.path)
        self.registry.use(version)
        with self._lock:
            self._loaded = loaded
            self.name = version
            self.pinned = False
        return version
