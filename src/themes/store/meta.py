"""A model folder's metadata (meta.json) as a typed object shared by train and retrain."""

from __future__ import annotations

import hashlib
import platform
from dataclasses import asdict, dataclass, field
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
    practice_notes: list[str]
    rows: int
    active: dict[str, float]
    new: dict[str, float]
    forced: bool


@dataclass
class RetrainInfo:
    """How a retrained version came about."""

    parent: str
    files: list[str]
    corrections_read: int
    corrections_used: int
    corrections_held_out: int
    correction_weight: float
    practice: dict[str, Any] | None
    starter_test_sha256: str | None
    gate: GateInfo


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
        training = dict(data.get("training") or {})
        retrain = data.get("retrain")
        retrain_info = None
        if retrain:
            retrain = dict(retrain)
            retrain["gate"] = GateInfo(**retrain["gate"])
            retrain_info = RetrainInfo(**retrain)
        return cls(
            taxonomy=data.get("taxonomy") or {},
            heads=list(data.get("heads") or []),
            thresholds=dict(data.get("thresholds") or {}),
            config=dict(data.get("config") or {}),
            training=TrainingInfo(**training),
            metrics=dict(data.get("metrics") or {}),
            retrain=retrain_info,
            engine=dict(data.get("engine") or {"engine": "fast"}),
            files=dict(data.get("files") or {}),
            created=str(data.get("created") or ""),
            versions=dict(data.get("versions") or {}),
            format_version=int(data.get("format_version") or 0),
        )

    @property
    def held_out_summary(self) -> dict[str, float]:
        return (self.metrics.get("held_out") or {}).get("summary", {})

    @property
    def cross_validated_summary(self) -> dict[str, float]:
        return (self.metrics.get("cross_validated") or {}).get("summary", {})
