"""Saving and loading model folders, with a format version and a loader per format.

A model is a folder:

* ``model.json`` and ``arrays.npz`` - the fitted ThemesModel as data (themes.store.dataformat:
  a JSON tree of the model's parts and their settings, NumPy arrays for coefficients,
  weights and vocabularies; loading it runs no code from the file). Models of formats 1
  and 2 hold a pickle, ``pipeline.joblib``, which is still read, with an allow-list;
* ``meta.json`` - format version, library versions, taxonomy, thresholds, training
  data hash, metrics, created time and every file's sha256 (themes.store.meta);
* ``taxonomy.yaml`` - the label set, readable by people;
* ``README.md`` - a short model card;
* ``training_data.csv`` (what retraining merges corrections into) and, when the
  model was measured on a held-out file, ``starter_test.csv`` (what retrain's gate
  judges by).

Every model file's checksum is compared with meta.json before it is read: a swapped or
edited file is refused. Each format version has its own loader (``LOADERS``); an older
format is upgraded in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from themes.errors import ModelError, OutputError, show_value
from themes.io.atomic import atomic_folder
from themes.model import ThemesModel
from themes.store import dataformat, safe_pickle
from themes.store.card import model_card
from themes.store.format1 import upgrade as upgrade_format1
from themes.store.meta import MetaFieldError, ModelMeta, library_versions, now, sha256_file

if TYPE_CHECKING:
    import pandas as pd

FORMAT_VERSION = 3
PIPELINE_FILE = "pipeline.joblib"  # formats 1 and 2 (a pickle)
DATA_FILES = (dataformat.TREE_FILE, dataformat.ARRAYS_FILE)  # format 3
META_FILE = "meta.json"
CARD_FILE = "README.md"
TAXONOMY_FILE = "taxonomy.yaml"
TRAINING_DATA_FILE = "training_data.csv"
STARTER_TEST_FILE = "starter_test.csv"


def _themes_model(obj: Any) -> ThemesModel:
    if not isinstance(obj, ThemesModel):
        raise ModelError("the model file does not hold a themes model")
    return obj


def _checked(path: Path, meta: ModelMeta, name: str) -> Path:
    """A model file that exists and matches the checksum meta.json records for it."""
    file = path / name
    if not file.is_file():
        raise ModelError(f"model folder '{path}' has no {name}; retrain the model")
    expected = meta.files.get(name)
    if not expected:
        raise ModelError(
            f"{META_FILE} in '{path}' records no checksum for {name}; refusing to load it"
        )
    if sha256_file(file) != expected:
        raise ModelError(
            f"{name} in '{path}' does not match the checksum in {META_FILE}; the file was "
            "changed or swapped after training; refusing to load it (retrain, or restore the "
            "model from a trusted copy)"
        )
    return file


def _read_pickle(path: Path, meta: ModelMeta) -> Any:
    """Formats 1 and 2: pipeline.joblib, unpickled with an allow-list (safe_pickle)."""
    pipeline = _checked(path, meta, PIPELINE_FILE)
    try:
        return safe_pickle.load(pipeline)
    except safe_pickle.UntrustedPickleError as exc:
        raise ModelError(
            f"{PIPELINE_FILE} in '{path}' names {show_value(str(exc))}, which a themes model is "
            "not made of, so it may carry code; refusing to load it (retrain, or restore the "
            "model from a trusted copy)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad model
        raise ModelError(
            f"cannot load {PIPELINE_FILE} from '{path}' ({type(exc).__name__}); retrain the model"
        ) from None


def _read_data(path: Path, meta: ModelMeta) -> Any:
    """Format 3: model.json and arrays.npz (themes.store.dataformat), no code run."""
    for name in DATA_FILES:
        _checked(path, meta, name)
    try:
        return dataformat.load(path)
    except dataformat.DataFormatError as exc:
        raise ModelError(
            f"the model in '{path}' cannot be read: {exc}; refusing to load it (retrain, or "
            "restore the model from a trusted copy)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a part refusing its saved state means a bad model
        raise ModelError(
            f"cannot load the model in '{path}' ({type(exc).__name__}); retrain the model"
        ) from None


# A loader per format version: how its files are read, and how what they hold is
# upgraded to today's model.
LOADERS: dict[int, tuple[Callable[[Path, ModelMeta], Any], Callable[[Any], ThemesModel]]] = {
    1: (_read_pickle, upgrade_format1),
    2: (_read_pickle, _themes_model),
    3: (_read_data, _themes_model),
}


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
    target = check_output_folder(folder, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the folder '{target.parent}' ({exc.strerror}); choose another --out"
        ) from None
    # A staging folder beside the target, renamed into place; a killed run's staging
    # folder (.NAME.PID.XXXX.part) is removed by the next save to the same place, and
    # disk errors become one line (themes.io.atomic).
    with atomic_folder(target) as staging:
        try:
            written = dataformat.dump(model, staging)
        except dataformat.DataFormatError as exc:
            raise ModelError(f"cannot save the model: {exc}") from None
        checksums = {name: sha256_file(staging / name) for name in written}
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
    return target


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def check_output_folder(
    folder: str | Path, *, force: bool = False, inputs: Sequence[str | Path] = ()
) -> Path:
    """Refuse, before any work, to write a model over a non-empty folder without force,
    over a folder that is not a model folder, or over a folder holding one of the
    ``inputs`` (replacing it would delete the file being trained on)."""
    target = Path(folder)
    for given in inputs:
        if target.exists() and _inside(Path(given), target):
            raise OutputError(
                f"the input '{Path(given).name}' is inside the output folder '{target}', which "
                "writing the model would replace; move the input out of it or choose another --out"
            )
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
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelError(
            f"{META_FILE} in '{path}' has format_version {show_value(json.dumps(version))} "
            f"({type(version).__name__}), expected a whole number such as {FORMAT_VERSION}; "
            "the file was edited by hand or by another program: restore it or retrain the model"
        )
    if version not in LOADERS:
        readable = ", ".join(str(v) for v in sorted(LOADERS))
        if version > FORMAT_VERSION:
            raise ModelError(
                f"model '{path}' has format version {version}, saved by a newer themes; this "
                f"themes reads versions {readable}; upgrade themes to use it"
            )
        raise ModelError(
            f"model '{path}' has format version {version}, this themes reads versions "
            f"{readable}; retrain it with this version ('themes train')"
        )
    try:
        return ModelMeta.from_dict(raw)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise ModelError(
            f"{META_FILE} in '{path}' does not have the fields of format {version} "
            f"({_field_problem(exc)}); restore it or retrain the model"
        ) from None


def _field_problem(exc: Exception) -> str:
    """A field error of ModelMeta.from_dict for a message (its own text names the field)."""
    text = str(exc)
    return text if isinstance(exc, MetaFieldError) else type(exc).__name__


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
    """Load a model folder after checking its format, its files' checksums and library
    versions; format 3 is read as data, formats 1 and 2 unpickled with an allow-list."""
    path = Path(folder)
    meta = read_meta(path)
    warnings_found = _version_warnings(path, meta)
    read, upgrade = LOADERS[meta.format_version]
    saved = read(path, meta)
    try:
        model = upgrade(saved)
    except ModelError as exc:
        raise ModelError(f"the model in '{path}': {exc}") from None
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


def read_training_data(loaded: LoadedModel) -> pd.DataFrame:
    """The model folder's training_data.csv, verified against meta.json before use.

    A copy changed after training (relabelled, truncated) is refused, so retrain never
    learns from labels the model's history does not record; weights must be numbers.
    """
    import pandas as pd

    path = loaded.path / TRAINING_DATA_FILE
    name = loaded.path.name
    if not path.is_file():
        raise ModelError(
            f"model '{name}' has no {TRAINING_DATA_FILE}, so there is nothing to merge "
            "corrections into; retrain from a labelled file with 'themes train' instead"
        )
    expected = loaded.meta.files.get(TRAINING_DATA_FILE)
    if not expected or sha256_file(path) != expected:
        found = "records no checksum for it" if not expected else "has another checksum"
        raise ModelError(
            f"{TRAINING_DATA_FILE} of model '{name}' was changed after training ({META_FILE} "
            f"{found}); retrain refuses to learn from it; restore the folder from a copy, or "
            "train a new model from a labelled file with 'themes train'"
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        raise ModelError(
            f"{TRAINING_DATA_FILE} of model '{name}' cannot be read as CSV; restore the folder "
            "from a copy or retrain"
        ) from None
    missing = [c for c in ("text", "weight") if c not in frame.columns]
    if missing:
        raise ModelError(
            f"{TRAINING_DATA_FILE} of model '{name}' has no column {', '.join(missing)}; "
            "restore the folder from a copy or retrain"
        )
    weights = pd.to_numeric(frame["weight"], errors="coerce")
    bad = [int(i) + 2 for i in weights.index[weights.isna() | (weights <= 0)]]
    if bad:
        raise ModelError(
            f"{TRAINING_DATA_FILE} of model '{name}' has {len(bad)} weights that are not "
            f"positive numbers (first at line {bad[0]}); restore the folder from a copy or retrain"
        )
    frame["weight"] = weights.astype(float)
    return frame
