"""Model folders: saving, verifying and loading them, and finding the default model.

A model is a folder:

* ``pipeline.joblib`` - the fitted ThemesModel;
* ``meta.json`` - format version, library versions, taxonomy, thresholds,
  training-data hash, metrics, created time and the pipeline's sha256;
* ``taxonomy.yaml`` - the label set, readable by people;
* ``README.md`` - a short model card.

A joblib file can run code when loaded, so the pipeline's checksum is compared
with meta.json before it is unpickled: a swapped or edited file is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from themes import __version__
from themes.errors import ModelError, OutputError
from themes.model import ThemesModel

FORMAT_VERSION = 1
PIPELINE_FILE = "pipeline.joblib"
META_FILE = "meta.json"
CARD_FILE = "README.md"
TAXONOMY_FILE = "taxonomy.yaml"
_TRACKED_LIBRARIES = ("scikit-learn", "numpy", "scipy", "spacy", "joblib", "pandas")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a saved pipeline depends on."""
    versions = {"python": platform.python_version(), "themes": __version__}
    for name in _TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            versions[name] = "missing"
    return versions


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class LoadedModel:
    """A model with its folder, meta.json content and any version warnings."""

    model: ThemesModel
    path: Path
    meta: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def save_model(
    model: ThemesModel,
    folder: str | Path,
    meta_extra: dict[str, Any],
    *,
    force: bool = False,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a model folder atomically (a temporary folder renamed into place).

    ``extra_files`` (e.g. the training data a retrained version learnt from) are
    written beside the pipeline and their checksums recorded in meta.json.
    """
    import joblib

    target = Path(folder)
    if target.exists() and any(target.iterdir()):
        if not force:
            raise OutputError(
                f"model folder '{target}' already exists and is not empty; choose another --out "
                "or pass --force to replace it"
            )
        if not (target / META_FILE).exists():
            raise OutputError(
                f"'{target}' is not a model folder (no {META_FILE}); refusing to replace it"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        joblib.dump(model, staging / PIPELINE_FILE, compress=3)
        checksums = {PIPELINE_FILE: sha256_file(staging / PIPELINE_FILE)}
        for name, content in (extra_files or {}).items():
            (staging / name).write_bytes(content)
            checksums[name] = sha256_file(staging / name)
        meta: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "versions": library_versions(),
            "taxonomy": model.taxonomy.to_dict(),
            "heads": [
                name
                for name, head in (
                    ("kind", model.kind_head),
                    ("category", model.category_head),
                    ("themes", model.theme_head),
                )
                if head is not None
            ],
            "thresholds": model.thresholds,
            "config": model.config.to_dict(),
            **meta_extra,
            "files": checksums,
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (staging / TAXONOMY_FILE).write_text(
            yaml.safe_dump(model.taxonomy.to_dict(), sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        (staging / CARD_FILE).write_text(model_card(meta), encoding="utf-8")
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            os.replace(target, backup)
            os.replace(staging, target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read_meta(folder: str | Path) -> dict[str, Any]:
    """meta.json of a model folder, checked for presence and format."""
    path = Path(folder)
    if not path.exists():
        raise ModelError(
            f"model folder '{path}' not found; pass --model with a trained model folder"
        )
    if not path.is_dir():
        raise ModelError(
            f"'{path}' is a file; --model expects a model folder made by 'themes train'"
        )
    meta_path = path / META_FILE
    if not meta_path.exists():
        raise ModelError(
            f"'{path}' has no {META_FILE}, so it is not a themes model folder; "
            "train one with 'themes train DATA --out FOLDER'"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(
            f"{META_FILE} in '{path}' is corrupt (not valid JSON); retrain the model"
        ) from None
    if not isinstance(meta, dict) or "format_version" not in meta:
        raise ModelError(f"{META_FILE} in '{path}' has no format_version; retrain the model")
    if meta["format_version"] != FORMAT_VERSION:
        raise ModelError(
            f"model '{path}' has format version {meta['format_version']}, this themes reads "
            f"version {FORMAT_VERSION}; retrain it with this version ('themes train')"
        )
    return meta


def load_model(folder: str | Path) -> LoadedModel:
    """Load a model folder after checking its format, checksum and library versions."""
    import joblib

    path = Path(folder)
    meta = read_meta(path)
    pipeline = path / PIPELINE_FILE
    if not pipeline.exists():
        raise ModelError(f"model folder '{path}' has no {PIPELINE_FILE}; retrain the model")
    expected = meta.get("files", {}).get(PIPELINE_FILE)
    if not expected:
        raise ModelError(
            f"{META_FILE} in '{path}' records no checksum for {PIPELINE_FILE}; refusing to load it"
        )
    if sha256_file(pipeline) != expected:
        raise ModelError(
            f"{PIPELINE_FILE} in '{path}' does not match the checksum in {META_FILE}; the file "
            "was changed or swapped after training; refusing to load it (retrain, or restore "
            "the model from a trusted copy)"
        )
    warnings_found: list[str] = []
    saved = meta.get("versions", {})
    current = library_versions()
    for name in ("scikit-learn", "numpy", "scipy"):
        was, now = saved.get(name), current.get(name)
        if was and now and was != now:
            if was.split(".")[0] != now.split(".")[0]:
                raise ModelError(
                    f"model '{path}' was saved with {name} {was}, this machine has {now}; "
                    "a different major version cannot load it safely; retrain the model here"
                )
            warnings_found.append(
                f"model saved with {name} {was}, running {now}: check results or retrain"
            )
    try:
        model = joblib.load(pipeline)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad model
        raise ModelError(
            f"cannot load {PIPELINE_FILE} from '{path}' ({type(exc).__name__}); retrain the model"
        ) from None
    if not isinstance(model, ThemesModel):
        raise ModelError(f"{PIPELINE_FILE} in '{path}' does not hold a themes model")
    return LoadedModel(model=model, path=path, meta=meta, warnings=warnings_found)


def repository_root() -> Path:
    """The checkout this package runs from (src/themes -> repo)."""
    return Path(__file__).resolve().parents[2]


ACTIVE_FILE = "ACTIVE"
DEFAULT_VERSION = "default"
TRAINING_DATA_FILE = "training_data.csv"


def registry_root() -> Path:
    """The folder of model versions: $THEMES_REGISTRY, else ./models, else the checkout's."""
    env = os.environ.get("THEMES_REGISTRY")
    if env:
        return Path(env)
    local = Path.cwd() / "models"
    if local.is_dir() and any((p / META_FILE).exists() for p in local.iterdir() if p.is_dir()):
        return local
    return repository_root() / "models"


@dataclass
class Version:
    """One model version in a registry folder."""

    name: str
    path: Path
    meta: dict[str, Any]
    active: bool

    def summary(self) -> dict[str, Any]:
        """The facts `themes models list --json` gives for a version."""
        training = self.meta.get("training", {})
        metrics = self.meta.get("metrics", {})
        held = metrics.get("held_out", {}).get("summary", {})
        cv = metrics.get("cross_validated", {}).get("summary", {})
        return {
            "version": self.name,
            "created": self.meta.get("created"),
            "active": self.active,
            "parent": self.meta.get("retrain", {}).get("parent"),
            "training_rows": training.get("rows"),
            "corrections": self.meta.get("retrain", {}).get("corrections_used", 0),
            "held_out_rows": metrics.get("held_out", {}).get("rows"),
            "metrics": held or cv,
            "metrics_kind": "held_out" if held else "cross_validated",
            "gate": self.meta.get("retrain", {}).get("gate", {}).get("passed"),
            "rules": [
                rule["description"]
                for rule in (self.meta.get("retrain", {}).get("practice") or {}).get("rules", [])
            ],
        }


class Registry:
    """A folder of model versions with an "active" pointer (the file ACTIVE).

    With no pointer the version named "default" is active. Nothing is deleted
    unless asked with force.
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else registry_root()

    def versions(self) -> list[Version]:
        """All versions, oldest first."""
        if not self.root.is_dir():
            return []
        active = self.active_name()
        found = []
        for path in sorted(self.root.iterdir()):
            if path.is_dir() and not path.name.startswith(".") and (path / META_FILE).exists():
                try:
                    meta = read_meta(path)
                except ModelError:
                    continue
                found.append(Version(path.name, path, meta, path.name == active))
        found.sort(key=lambda v: (v.name != DEFAULT_VERSION, v.meta.get("created") or "", v.name))
        return found

    def active_name(self) -> str | None:
        """The active version's name, or None when the registry has no model."""
        pointer = self.root / ACTIVE_FILE
        if pointer.exists():
            name = pointer.read_text(encoding="utf-8").strip()
            if name and (self.root / name / META_FILE).exists():
                return name
        if (self.root / DEFAULT_VERSION / META_FILE).exists():
            return DEFAULT_VERSION
        return None

    def active_path(self) -> Path:
        """Folder of the active version."""
        name = self.active_name()
        if name is None:
            raise ModelError(
                f"no model in '{self.root}'; pass --model FOLDER, or build the default with "
                "'make model'"
            )
        return self.root / name

    def get(self, name: str) -> Version:
        """A version by name, with a clear error listing the versions there are."""
        for version in self.versions():
            if version.name == name:
                return version
        names = ", ".join(v.name for v in self.versions()) or "(none)"
        raise ModelError(f"no version '{name}' in '{self.root}'; versions are: {names}")

    def use(self, name: str) -> Version:
        """Make a version active (written atomically)."""
        version = self.get(name)
        tmp = self.root / f".{ACTIVE_FILE}.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, self.root / ACTIVE_FILE)
        return Version(version.name, version.path, version.meta, True)

    def next_name(self) -> str:
        """The next free version name: v001, v002, ..."""
        numbers = [
            int(v.name[1:]) for v in self.versions() if v.name[:1] == "v" and v.name[1:].isdigit()
        ]
        return f"v{(max(numbers) if numbers else 0) + 1:03d}"

    def delete(self, name: str, *, force: bool = False) -> None:
        """Delete a version folder; refuses without force, and refuses the active one."""
        version = self.get(name)
        if version.active:
            raise ModelError(f"'{name}' is the active version; make another active first")
        if not force:
            raise ModelError(f"deleting '{name}' needs --force; nothing was deleted")
        shutil.rmtree(version.path)


def default_model_dir() -> Path:
    """The model used when --model is not given: $THEMES_MODEL, else the registry's active one."""
    env = os.environ.get("THEMES_MODEL")
    if env:
        return Path(env)
    for root in (registry_root(), repository_root() / "models"):
        registry = Registry(root)
        if registry.active_name() is not None:
            return registry.active_path()
    raise ModelError(
        "no default model found (looked for models/default); pass --model FOLDER, set "
        "THEMES_MODEL, or build it with 'make model'"
    )


def model_card(meta: dict[str, Any]) -> str:
    """A short README for a model folder."""
    training = meta.get("training", {})
    metrics = meta.get("metrics", {})
    lines = [
        f"# themes model ({meta.get('taxonomy', {}).get('name', 'unnamed taxonomy')})",
        "",
        f"Created {meta.get('created')} with themes {meta.get('versions', {}).get('themes')}, "
        f"scikit-learn {meta.get('versions', {}).get('scikit-learn')}, "
        f"Python {meta.get('versions', {}).get('python')}.",
        "",
        "## What it predicts",
        f"Heads: {', '.join(meta.get('heads', []))}.",
    ]
    taxonomy = meta.get("taxonomy", {})
    for key in ("kinds", "categories", "themes"):
        ids = [label["id"] for label in taxonomy.get(key, [])]
        if ids:
            lines.append(f"- {key}: {', '.join(ids)}")
    lines += [
        "",
        "## Training data",
        f"{training.get('rows', '?')} rows from `{training.get('source', '?')}` "
        f"(sha256 {str(training.get('sha256', '?'))[:16]}...).",
        "",
        "## Measured quality",
    ]
    for name, block in metrics.items():
        headline = block.get("summary", {})
        if headline:
            parts = ", ".join(f"{k} {v:.3f}" for k, v in headline.items())
            lines.append(f"- {name} ({block.get('rows', '?')} rows): {parts}")
    rules = (meta.get("retrain", {}).get("practice") or {}).get("rules", [])
    if rules:
        lines += ["", "## The council's habits (learnt from its corrections)"]
        lines += [f"- {rule['description']}" for rule in rules]
    lines += [
        "",
        "## Use and limits",
        "Suggestions are for a complaints officer to accept or correct, not decisions.",
        "Rows marked needs_review deserve a person's reading first.",
        "This folder holds a pickled pipeline: load it only from a source you trust.",
        "It was trained on complaint text and may contain words from it: treat it as sensitive.",
        "",
    ]
    return "\n".join(lines)
