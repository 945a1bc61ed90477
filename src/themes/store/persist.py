"""Saving and loading model folders, with a format version and a loader per format.

A model is a folder:

* ``pipeline.joblib`` - the fitted ThemesModel;
* ``meta.json`` - format version, library versions, taxonomy, thresholds, training
  data hash, metrics, created time and every file's sha256 (themes.store.meta);
* ``taxonomy.yaml`` - the label set, readable by people;
* ``README.md`` - a short model card;
* ``training_data.csv`` (what retraining merges corrections into) and, when the
  model was measured on a held-out file, ``starter_test.csv`` (what retrain's gate
  judges by).

A joblib file can run code when loaded, so the pipeline's checksum is compared with
meta.json before it is unpickled: a swapped or edited file is refused. Each format
version has its own loader (``LOADERS``); an older format is upgraded in memory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from themes.errors import ModelError, OutputError
from themes.model import ThemesModel
from themes.store.card import model_card
from themes.store.format1 import upgrade as upgrade_format1
from themes.store.meta import ModelMeta, library_versions, now, sha256_file

FORMAT_VERSION = 2
PIPELINE_FILE = "pipeline.joblib"
META_FILE = "meta.json"
CARD_FILE = "README.md"
TAXONOMY_FILE = "taxonomy.yaml"
TRAINING_DATA_FILE = "training_data.csv"
STARTER_TEST_FILE = "starter_test.csv"


def _format2(obj: Any) -> ThemesModel:
    if not isinstance(obj, ThemesModel):
        raise ModelError("the model file does not hold a themes model")
    return obj


LOADERS: dict[int, Callable[[Any], ThemesModel]] = {1: upgrade_format1, 2: _format2}


@dataclass
class LoadedModel:
    """A model with its folder, metadata and any version warnings."""

    model: ThemesModel
    path: Path
    meta: ModelMeta
    warnings: list[str] = field(default_factory=list)


def save_model(
    model: ThemesModel,
    folder: str | Path,
    meta: ModelMeta,
    *,
    force: bool = False,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a model folder atomically (a temporary folder renamed into place).

    ``meta`` gets the format version, created time, library versions, heads,
    thresholds, config and every file's checksum filled in. ``extra_files`` (the
    training data, the starter test set...) are written beside the pipeline.
    """
    import joblib

    target = check_output_folder(folder, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        joblib.dump(model, staging / PIPELINE_FILE, compress=3)
        checksums = {PIPELINE_FILE: sha256_file(staging / PIPELINE_FILE)}
        for name, content in (extra_files or {}).items():
            (staging / name).write_bytes(content)
            checksums[name] = sha256_file(staging / name)
        meta.format_version = FORMAT_VERSION
        meta.created = now()
        meta.versions = library_versions()
        meta.taxonomy = model.taxonomy.to_dict()
        meta.heads = model.heads
        meta.thresholds = model.thresholds
        meta.config = model.config_.to_dict()
        meta.engine = model.engine_card()
        meta.files = checksums
        (staging / META_FILE).write_text(
            json.dumps(meta.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
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


def check_output_folder(folder: str | Path, *, force: bool = False) -> Path:
    """Refuse, before any work, to write a model over a non-empty folder without force,
    or over a folder that is not a model folder."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise OutputError(f"'{target}' is a file; --out expects a folder for the model")
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
    return target


def read_meta(folder: str | Path) -> ModelMeta:
    """meta.json of a model folder, checked for presence and a format this themes reads."""
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
        raw = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelError(
            f"{META_FILE} in '{path}' is corrupt (not valid JSON); retrain the model"
        ) from None
    if not isinstance(raw, dict) or "format_version" not in raw:
        raise ModelError(f"{META_FILE} in '{path}' has no format_version; retrain the model")
    version = raw["format_version"]
    if version not in LOADERS:
        readable = ", ".join(str(v) for v in sorted(LOADERS))
        raise ModelError(
            f"model '{path}' has format version {version}, this themes reads versions "
            f"{readable}; retrain it with this version ('themes train')"
        )
    try:
        return ModelMeta.from_dict(raw)
    except (TypeError, KeyError, ValueError) as exc:
        raise ModelError(
            f"{META_FILE} in '{path}' does not have the fields of format {version} "
            f"({type(exc).__name__}); retrain the model"
        ) from None


def _version_warnings(path: Path, meta: ModelMeta) -> list[str]:
    found: list[str] = []
    current = library_versions()
    for name in ("scikit-learn", "numpy", "scipy"):
        was, now_ = meta.versions.get(name), current.get(name)
        if was and now_ and was != now_:
            if was.split(".")[0] != now_.split(".")[0]:
                raise ModelError(
                    f"model '{path}' was saved with {name} {was}, this machine has {now_}; "
                    "a different major version cannot load it safely; retrain the model here"
                )
            found.append(f"model saved with {name} {was}, running {now_}: check results or retrain")
    return found


def load_model(folder: str | Path) -> LoadedModel:
    """Load a model folder after checking its format, checksum and library versions."""
    import joblib

    path = Path(folder)
    meta = read_meta(path)
    pipeline = path / PIPELINE_FILE
    if not pipeline.exists():
        raise ModelError(f"model folder '{path}' has no {PIPELINE_FILE}; retrain the model")
    expected = meta.files.get(PIPELINE_FILE)
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
    warnings_found = _version_warnings(path, meta)
    try:
        obj = joblib.load(pipeline)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad model
        raise ModelError(
            f"cannot load {PIPELINE_FILE} from '{path}' ({type(exc).__name__}); retrain the model"
        ) from None
    try:
        model = LOADERS[meta.format_version](obj)
    except ModelError as exc:
        raise ModelError(f"{PIPELINE_FILE} in '{path}': {exc}") from None
    # An encoder model whose ONNX file is missing or changed is refused here, with how
    # to get it, rather than failing (or falling back to another engine) later.
    model.check_engine_files()
    return LoadedModel(model=model, path=path, meta=meta, warnings=warnings_found)


def verified_file(loaded: LoadedModel, name: str, expected: str | None = None) -> Path | None:
    """A file of the model folder whose checksum matches meta.json (or ``expected``)."""
    path = loaded.path / name
    want = loaded.meta.files.get(name) or expected
    if path.is_file() and want and sha256_file(path) == want:
        return path
    return None
