"""A model folder's metadata (meta.json) as a typed object shared by train and retrain."""

from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from themes import __version__

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
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class MetaFieldError(ValueError):
    """A field of meta.json has the wrong type (its message names the field)."""


_TYPE_NAMES = {dict: "a mapping", list: "a list", int: "a whole number", str: "text"}


def _field(
    data: dict[str, Any], key: str, kind: type, *, required: bool = False, prefix: str = ""
) -> Any:
    """``data[key]`` checked to be of ``kind`` (missing or null: empty, unless required)."""
    value = data.get(key)
    if value is None:
        if required:
            raise MetaFieldError(f"'{prefix}{key}' is missing")
        return kind()
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MetaFieldError(
            f"'{prefix}{key}' should be {_TYPE_NAMES[kind]}, found {type(value).__name__}"
        )
    return value


def _known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that are fields of ``cls`` (older files may carry others)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}


@dataclass
class TrainingInfo:
    """What a model learnt from."""

    source: str
    sha256: str
    rows: int
    rows_per_head: dict[str, int]
    taxonomy_source: str
    columns: dict[str, Any]
    seconds: float | None = None


@dataclass
class GateInfo:
    """The retrain gate's verdict, as recorded."""

    passed: bool
    reasons: list[str]
    rows: int
    active: dict[str, float]
    new: dict[str, float]
    practice_notes: list[str] = field(default_factory=list)
    forced: bool = False


@dataclass
class RetrainInfo:
    """How a retrained version came about."""

    parent: str
    files: list[str]
    corrections_read: int
    corrections_used: int
    corrections_held_out: int
    correction_weight: float
    gate: GateInfo
    practice: dict[str, Any] | None = None
    starter_test_sha256: str | None = None
    # In words: how many corrections were learnt, judged on and kept out.
    summary: str = ""


@dataclass
class ModelMeta:
    """meta.json. ``files`` (name -> sha256), ``created`` and ``versions`` are filled in
    when the folder is saved; ``format_version`` is the format it was read from."""

    taxonomy: dict[str, Any]
    heads: list[str]
    thresholds: dict[str, float]
    config: dict[str, Any]
    training: TrainingInfo
    metrics: dict[str, Any] = field(default_factory=dict)
    retrain: RetrainInfo | None = None
    # The engine ("encoder" or "fast") and, for the encoder engine, the encoder's spec
    # (name, licence, source package and version, weight and ONNX sha256).
    engine: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    created: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    format_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        order = ["format_version", "created", "versions", "taxonomy", "heads", "thresholds"]
        order += ["engine", "config", "training", "metrics", "retrain", "files"]
        out = {key: data[key] for key in order}
        if out["retrain"] is None:
            del out["retrain"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        """A ModelMeta from meta.json; a field of the wrong type is a MetaFieldError
        naming it (never a crash later, when the field is used). Older files may carry
        fields this version does not know: they are dropped."""
        training = _known(TrainingInfo, _field(data, "training", dict, required=True))
        _field(training, "rows", int, prefix="training.")
        _field(training, "sha256", str, prefix="training.")
        retrain = _field(data, "retrain", dict)
        retrain_info = None
        if retrain:
            retrain = _known(RetrainInfo, retrain)
            gate = _field(retrain, "gate", dict, prefix="retrain.")
            retrain["gate"] = GateInfo(**_known(GateInfo, gate))
            retrain_info = RetrainInfo(**retrain)
        files = _field(data, "files", dict)
        for name, digest in files.items():
            if not isinstance(digest, str):
                raise MetaFieldError(f"files.{name} should be a text checksum")
        return cls(
            taxonomy=_field(data, "taxonomy", dict),
            heads=list(_field(data, "heads", list)),
            thresholds=dict(_field(data, "thresholds", dict)),
            config=dict(_field(data, "config", dict)),
            training=TrainingInfo(**training),
            metrics=dict(_field(data, "metrics", dict)),
            retrain=retrain_info,
            engine=dict(_field(data, "engine", dict) or {"engine": "fast"}),
            files=dict(files),
            created=str(data.get("created") or ""),
            versions=dict(_field(data, "versions", dict)),
            format_version=int(data.get("format_version") or 0),
        )

    @property
    def held_out_summary(self) -> dict[str, float]:
        return (self.metrics.get("held_out") or {}).get("summary", {})

    @property
    def cross_validated_summary(self) -> dict[str, float]:
        return (self.metrics.get("cross_validated") or {}).get("summary", {})
