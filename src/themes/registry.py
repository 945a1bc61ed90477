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
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from themes import __version__
from themes.errors import ModelError, OutputError
from themes.model import ModelConfig, ThemesModel

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
    model: ThemesModel, folder: str | Path, meta_extra: dict[str, Any], *, force: bool = False
) -> Path:
    """Write a model folder atomically (a temporary folder renamed into place)."""
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
            "files": {PIPELINE_FILE: sha256_file(staging / PIPELINE_FILE)},
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


def default_model_dir() -> Path:
    """The model used when --model is not given: $THEMES_MODEL, else models/default."""
    env = os.environ.get("THEMES_MODEL")
    if env:
        return Path(env)
    candidates = [Path.cwd() / "models" / "default", repository_root() / "models" / "default"]
    for candidate in candidates:
        if (candidate / META_FILE).exists():
            return candidate
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


def model_config_from_meta(meta: dict[str, Any]) -> ModelConfig:
    """The configuration a model was trained with."""
    return ModelConfig.from_dict(meta.get("config", {}))


def python_executable() -> str:
    """The interpreter running themes (for messages)."""
    return sys.executable
