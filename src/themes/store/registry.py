"""Model versions: a registry folder of retrained versions with an "active" pointer,
and the default model shipped inside the package.

The registry folder is ``--registry``, else ``$THEMES_HOME/models``, else a per-user
data folder (platformdirs); never inside the installed package and never the current
folder unless asked. The shipped default model (package data ``themes/default_model``)
is the version named "default" of every registry that has no "default" of its own.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from themes.errors import ModelError
from themes.store.meta import ModelMeta
from themes.store.persist import META_FILE, read_meta

ACTIVE_FILE = "ACTIVE"
DEFAULT_VERSION = "default"


def shipped_model_dir() -> Path:
    """The default model installed with the package."""
    return Path(str(resources.files("themes").joinpath("default_model")))


def registry_root() -> Path:
    """The folder of retrained versions: $THEMES_HOME/models, else a per-user data folder."""
    home = os.environ.get("THEMES_HOME")
    if home:
        return Path(home) / "models"
    import platformdirs

    return platformdirs.user_data_path("themes", appauthor=False) / "models"


@dataclass
class Version:
    """One model version."""

    name: str
    path: Path
    meta: ModelMeta
    active: bool
    shipped: bool = False

    def summary(self) -> dict[str, Any]:
        """The facts `themes models list --json` gives for a version."""
        meta = self.meta
        metrics = meta.metrics
        held = meta.held_out_summary
        retrain = meta.retrain
        return {
            "version": self.name,
            "created": meta.created or None,
            "active": self.active,
            "parent": retrain.parent if retrain else None,
            "training_rows": meta.training.rows,
            "corrections": retrain.corrections_used if retrain else 0,
            "held_out_rows": (metrics.get("held_out") or {}).get("rows"),
            "metrics": held or meta.cross_validated_summary,
            "metrics_kind": "held_out" if held else "cross_validated",
            "gate": retrain.gate.passed if retrain else None,
            "rules": [
                rule["description"]
                for rule in ((retrain.practice if retrain else None) or {}).get("rules", [])
            ],
        }


class Registry:
    """A folder of model versions with an "active" pointer (the file ACTIVE).

    With no pointer the version named "default" is active (the registry's own, else
    the shipped one). Nothing is deleted unless asked with force.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else registry_root()

    def _shipped(self) -> Version | None:
        if (self.root / DEFAULT_VERSION / META_FILE).exists():
            return None
        path = shipped_model_dir()
        if not (path / META_FILE).exists():
            return None
        return Version(DEFAULT_VERSION, path, read_meta(path), False, shipped=True)

    def versions(self) -> list[Version]:
        """All versions, the default first, then oldest first."""
        active = self.active_name()
        found = []
        shipped = self._shipped()
        if shipped is not None:
            shipped.active = active == DEFAULT_VERSION
            found.append(shipped)
        if self.root.is_dir():
            for path in sorted(self.root.iterdir()):
                if path.is_dir() and not path.name.startswith(".") and (path / META_FILE).exists():
                    try:
                        meta = read_meta(path)
                    except ModelError:
                        continue
                    found.append(Version(path.name, path, meta, path.name == active))
        found.sort(key=lambda v: (v.name != DEFAULT_VERSION, v.meta.created, v.name))
        return found

    def _path(self, name: str) -> Path | None:
        own = self.root / name
        if (own / META_FILE).exists():
            return own
        if name == DEFAULT_VERSION and (shipped_model_dir() / META_FILE).exists():
            return shipped_model_dir()
        return None

    def active_name(self) -> str | None:
        """The active version's name, or None when there is no model at all."""
        pointer = self.root / ACTIVE_FILE
        if pointer.exists():
            name = pointer.read_text(encoding="utf-8").strip()
            if name and self._path(name) is not None:
                return name
        return DEFAULT_VERSION if self._path(DEFAULT_VERSION) is not None else None

    def active_path(self) -> Path:
        """Folder of the active version."""
        name = self.active_name()
        path = self._path(name) if name is not None else None
        if path is None:
            raise ModelError(
                f"no model in '{self.root}' and no shipped default model; pass --model FOLDER"
            )
        return path

    def get(self, name: str) -> Version:
        """A version by name, with a clear error listing the versions there are."""
        versions = self.versions()
        for version in versions:
            if version.name == name:
                return version
        names = ", ".join(v.name for v in versions) or "(none)"
        raise ModelError(f"no version '{name}' in '{self.root}'; versions are: {names}")

    def use(self, name: str) -> Version:
        """Make a version active (written atomically)."""
        version = self.get(name)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{ACTIVE_FILE}.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, self.root / ACTIVE_FILE)
        version.active = True
        return version

    def next_name(self) -> str:
        """The next free version name: v001, v002, ..."""
        numbers = [
            int(v.name[1:]) for v in self.versions() if v.name[:1] == "v" and v.name[1:].isdigit()
        ]
        return f"v{(max(numbers) if numbers else 0) + 1:03d}"

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a version folder; refuses without force, the active one and the shipped one."""
        version = self.get(name)
        if version.active:
            raise ModelError(f"'{name}' is the active version; make another active first")
        if version.shipped:
            raise ModelError(f"'{name}' is the model shipped with themes; it cannot be deleted")
        if not force:
            raise ModelError(f"deleting '{name}' needs --force; nothing was deleted")
        shutil.rmtree(version.path)


def default_model_dir(registry: str | Path | None = None) -> Path:
    """The model used when --model is not given: $THEMES_MODEL, else the registry's active
    version (the shipped default model when nothing else was made active)."""
    env = os.environ.get("THEMES_MODEL")
    if env:
        return Path(env)
    return Registry(registry).active_path()
