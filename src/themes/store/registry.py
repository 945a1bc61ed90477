"""Model versions: a registry folder of retrained versions with an "active" pointer,
and the default model shipped inside the package.

The registry folder is ``--registry``, else ``$THEMES_HOME/models``, else a per-user
data folder (platformdirs); never inside the installed package and never the current
folder unless asked. The shipped default model (package data ``themes/default_model``)
is the version named "default" of every registry that has no "default" of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from themes.errors import ModelError, show_value
from themes.io.atomic import PART_SUFFIX, remove_leftovers, write_text
from themes.store.lock import LOCK_FILE, registry_lock
from themes.store.meta import ModelMeta
from themes.store.persist import META_FILE, read_meta

ACTIVE_FILE = "ACTIVE"
DEFAULT_VERSION = "default"
# A version is a folder directly inside the registry: a plain name, never a path.
_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_NUMBERED = re.compile(r"v(\d+)")


# Staging folders of earlier themes: ".v002.x8d9q1ab" (mkdtemp) and ".v002.old" (a backup).
_OLD_STAGING = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:[a-z0-9_]{6,8}|old)")
_MODEL_FILES = ("meta.json", "model.json", "pipeline.joblib", "training_data.csv")


def _old_staging(entry: Path) -> bool:
    """A hidden folder left by an older themes' killed save: its name has the staging form
    and it holds model files (so a user's own hidden folder, such as .git, is never one)."""
    return (
        bool(_OLD_STAGING.fullmatch(entry.name))
        and entry.is_dir()
        and not entry.is_symlink()
        and any((entry / name).exists() for name in _MODEL_FILES)
    )


def valid_version_name(name: str) -> bool:
    """True for a plain version name (v002, default, my-council), never ``..`` or a path."""
    return bool(_VERSION_NAME.fullmatch(name))


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
    meta: ModelMeta | None
    active: bool
    shipped: bool = False
    # Why this themes cannot read the version (a newer format, a corrupt meta.json).
    problem: str | None = None

    def summary(self) -> dict[str, Any]:
        """The facts `themes models list --json` gives for a version."""
        meta = self.meta
        if meta is None:
            return {
                "version": self.name,
                "created": None,
                "active": self.active,
                "readable": False,
                "problem": self.problem,
                "parent": None,
                "training_rows": None,
                "corrections": None,
                "held_out_rows": None,
                "metrics": {},
                "metrics_kind": None,
                "gate": None,
                "rules": [],
            }
        metrics = meta.metrics
        held = meta.held_out_summary
        retrain = meta.retrain
        return {
            "version": self.name,
            "created": meta.created or None,
            "active": self.active,
            "readable": True,
            "problem": None,
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
        # What the last lock() removed (leftovers of killed runs), for the command to say.
        self.removed_leftovers: list[Path] = []

    def _shipped(self) -> Version | None:
        if (self.root / DEFAULT_VERSION / META_FILE).exists():
            return None
        path = shipped_model_dir()
        if not (path / META_FILE).exists():
            return None
        return Version(DEFAULT_VERSION, path, read_meta(path), False, shipped=True)

    def _folders(self) -> list[Path]:
        """Version folders: every plain-named folder of the registry with a meta.json."""
        if not self.root.is_dir():
            return []
        return [
            path
            for path in sorted(self.root.iterdir())
            if valid_version_name(path.name) and path.is_dir() and (path / META_FILE).exists()
        ]

    def versions(self) -> list[Version]:
        """All versions, the default first, then oldest first. A version this themes cannot
        read (a newer format, a damaged meta.json) is listed with its problem, last."""
        active = self.active_name()
        found = []
        shipped = self._shipped()
        if shipped is not None:
            shipped.active = active == DEFAULT_VERSION
            found.append(shipped)
        for path in self._folders():
            try:
                meta: ModelMeta | None = read_meta(path)
                problem = None
            except ModelError as exc:
                meta, problem = None, str(exc)
            found.append(Version(path.name, path, meta, path.name == active, problem=problem))
        found.sort(
            key=lambda v: (
                v.name != DEFAULT_VERSION,
                v.meta is None,
                v.meta.created if v.meta else "",
                v.name,
            )
        )
        return found

    def _path(self, name: str) -> Path | None:
        if not valid_version_name(name):
            return None
        own = self.root / name
        if (own / META_FILE).exists():
            return own
        if name == DEFAULT_VERSION and (shipped_model_dir() / META_FILE).exists():
            return shipped_model_dir()
        return None

    def _pointer(self) -> str | None:
        """What ACTIVE says, or None when there is no ACTIVE file."""
        try:
            return (self.root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return ""

    def problems(self) -> list[str]:
        """What is wrong with the active pointer, as warnings for the user."""
        name = self._pointer()
        if not name:
            return []
        fix = "run 'themes models use VERSION' to choose one ('themes models list' lists them)"
        if not valid_version_name(name):
            return [
                f"{ACTIVE_FILE} in '{self.root}' names {show_value(name)}, which is not a "
                f"version of this registry (a plain folder name such as v002); it is ignored; "
                + fix
            ]
        if self._path(name) is None:
            fallback = self.active_name()
            using = f"using '{fallback}' instead" if fallback else "no model is left"
            return [
                f"the active version '{name}' named in {ACTIVE_FILE} is missing from "
                f"'{self.root}' (deleted by hand?); {using}; {fix}"
            ]
        return []

    def active_name(self) -> str | None:
        """The active version's name, or None when there is no model at all.

        ACTIVE is followed only when it names a version folder inside the registry;
        otherwise the default is active and ``problems()`` says why.
        """
        name = self._pointer()
        if name and self._path(name) is not None:
            return name
        return DEFAULT_VERSION if self._path(DEFAULT_VERSION) is not None else None

    def active_path(self) -> Path:
        """Folder of the active version. An ACTIVE naming something outside the registry is
        refused (a ModelError), never followed."""
        pointer = self._pointer()
        if pointer and not valid_version_name(pointer):
            raise ModelError(self.problems()[0])
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
        """Make a version active (under the registry lock, written atomically)."""
        with self.lock():
            version = self.get(name)
            if version.meta is None:
                raise ModelError(f"version '{name}' cannot be used: {version.problem}")
            write_text(self.root / ACTIVE_FILE, name + "\n")
        version.active = True
        return version

    def next_name(self) -> str:
        """The next free version name: v001, v002, ... Every folder counts, including
        versions this themes cannot read and hidden leftovers, so no name is reused."""
        numbers = [0]
        if self.root.is_dir():
            for path in self.root.iterdir():
                match = _NUMBERED.fullmatch(path.name.lstrip(".").split(".")[0])
                if match:
                    numbers.append(int(match.group(1)))
        return f"v{max(numbers) + 1:03d}"

    @contextlib.contextmanager
    def lock(self) -> Iterator[Registry]:
        """Hold the registry lock (themes.store.lock) for the block; leftovers of killed
        runs (hidden staging folders and temporary files) are removed first."""
        with registry_lock(self.root):
            self.removed_leftovers = self.remove_leftovers()
            yield self

    def remove_leftovers(self) -> list[Path]:
        """Remove what killed runs left in the registry: hidden staging folders of versions
        (``.v002.PID.XXXX.part``, older ``.v002.XXXX``, ``.v002.old``) and temporary files.
        A staging folder of a process still running is left alone."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        for entry in list(self.root.iterdir()):
            if entry.name == LOCK_FILE or not entry.name.startswith("."):
                continue
            target = entry.name[1:].split(".")[0]
            if not valid_version_name(target) and target != ACTIVE_FILE:
                continue
            if entry.name.endswith(PART_SUFFIX):
                removed += remove_leftovers(self.root / target)
            elif _old_staging(entry):
                # Staging folders of themes before the .part names: no process id to check,
                # and the registry lock is held, so no run of ours is writing them.
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            elif entry.name == f".{ACTIVE_FILE}.tmp":
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
        return removed

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a version folder; refuses without force, the active one and the shipped one."""
        version = self.get(name)
        if version.active:
            raise ModelError(f"'{name}' is the active version; make another active first")
        if version.shipped:
            raise ModelError(f"'{name}' is the model shipped with themes; it cannot be deleted")
        if not force:
            raise ModelError(f"deleting '{name}' needs --force; nothing was deleted")
        with self.lock():
            shutil.rmtree(version.path)


def default_model(registry: str | Path | None = None) -> tuple[Path, list[str]]:
    """The model used when --model is not given, with warnings about the registry.

    Only three places are trusted: $THEMES_MODEL (a path the user named), the active
    version of the user's registry, and the default model shipped inside the package.
    Never a folder found in the current directory.
    """
    env = os.environ.get("THEMES_MODEL")
    if env:
        return Path(env), []
    reg = Registry(registry)
    return reg.active_path(), reg.problems()


def default_model_dir(registry: str | Path | None = None) -> Path:
    """The folder of ``default_model``."""
    return default_model(registry)[0]
