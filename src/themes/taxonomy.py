"""The label set: kinds, categories and themes, loaded from YAML and validated.

The taxonomy is data, not code: councils rename, split and merge themes, so the
default list lives in ``data/taxonomy.yaml`` and any other file can replace it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from themes.errors import LabelError, TaxonomyError, label_hints

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/&' ]*$")
# Characters that would break the ";"-joined themes cell.
_FORBIDDEN_IN_ID = (";",)


@dataclass(frozen=True)
class Label:
    """One label: a stable id, a display name and what it covers."""

    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Taxonomy:
    """The labels a model predicts. Any of the three lists may be empty."""

    name: str
    kinds: tuple[Label, ...] = ()
    categories: tuple[Label, ...] = ()
    themes: tuple[Label, ...] = ()
    # Kinds that carry a category (compliments do not).
    categorised_kinds: tuple[str, ...] = ("complaint",)
    source: str = field(default="", compare=False)

    @property
    def kind_ids(self) -> list[str]:
        return [label.id for label in self.kinds]

    @property
    def category_ids(self) -> list[str]:
        return [label.id for label in self.categories]

    @property
    def theme_ids(self) -> list[str]:
        return [label.id for label in self.themes]

    def name_of(self, label_id: str) -> str:
        """Display name for an id of any field (the id itself when unknown)."""
        for label in (*self.kinds, *self.categories, *self.themes):
            if label.id == label_id:
                return label.name
        return label_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kinds": [asdict(x) for x in self.kinds],
            "categories": [asdict(x) for x in self.categories],
            "themes": [asdict(x) for x in self.themes],
            "categorised_kinds": list(self.categorised_kinds),
        }

    def check(self, field_name: str, values: Iterable[str]) -> None:
        """Raise LabelError if any value is not an id of ``field_name``."""
        valid = {
            "kind": self.kind_ids,
            "category": self.category_ids,
            "themes": self.theme_ids,
        }[field_name]
        unknown = sorted({v for v in values if v not in valid})
        if not unknown:
            return
        raise LabelError(
            f"unknown {field_name} label(s) for taxonomy '{self.name}': "
            f"{label_hints(unknown, valid)}; valid ids are: {', '.join(valid)}; "
            "fix the labels, or pass --taxonomy with a file that lists them"
        )


def _labels(raw: Any, key: str, source: str) -> tuple[Label, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TaxonomyError(
            f"{source}: '{key}' must be a list of labels, found {type(raw).__name__}"
        )
    labels: list[Label] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or "id" not in item:
            raise TaxonomyError(f"{source}: {key} entry {index} needs an 'id' field")
        label_id = str(item["id"]).strip()
        if (
            not label_id
            or not _ID_PATTERN.match(label_id)
            or any(c in label_id for c in _FORBIDDEN_IN_ID)
        ):
            raise TaxonomyError(
                f"{source}: {key} entry {index} has id '{label_id}'; ids must be non-empty "
                "and must not contain ';'"
            )
        if label_id in seen:
            raise TaxonomyError(
                f"{source}: duplicate {key} id '{label_id}'; each id must appear once"
            )
        seen.add(label_id)
        labels.append(
            Label(
                id=label_id,
                name=str(item.get("name") or label_id),
                description=str(item.get("description") or "").strip(),
            )
        )
    return tuple(labels)


def taxonomy_from_dict(raw: Any, source: str = "taxonomy") -> Taxonomy:
    """Build and validate a Taxonomy from parsed YAML or meta.json content."""
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{source}: expected a mapping with kinds, categories and themes")
    unknown_keys = set(raw) - {"name", "kinds", "categories", "themes", "categorised_kinds"}
    if unknown_keys:
        raise TaxonomyError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown_keys))}; "
            "expected name, kinds, categories, themes, categorised_kinds"
        )
    taxonomy = Taxonomy(
        name=str(raw.get("name") or Path(source).stem),
        kinds=_labels(raw.get("kinds"), "kinds", source),
        categories=_labels(raw.get("categories"), "categories", source),
        themes=_labels(raw.get("themes"), "themes", source),
        categorised_kinds=tuple(raw.get("categorised_kinds") or ("complaint",)),
        source=source,
    )
    if not (taxonomy.kinds or taxonomy.categories or taxonomy.themes):
        raise TaxonomyError(f"{source}: no labels found; list at least one theme or category")
    for kind in taxonomy.categorised_kinds:
        if taxonomy.kinds and kind not in taxonomy.kind_ids:
            raise TaxonomyError(
                f"{source}: categorised_kinds names '{kind}', which is not one of the kinds "
                f"({', '.join(taxonomy.kind_ids)})"
            )
    return taxonomy


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Load and validate a taxonomy YAML file."""
    path = Path(path)
    if not path.exists():
        raise TaxonomyError(f"taxonomy file '{path}' not found; pass --taxonomy with a YAML file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise TaxonomyError(f"taxonomy file '{path}' is not valid YAML{where}") from None
    return taxonomy_from_dict(raw, source=str(path))


def default_taxonomy() -> Taxonomy:
    """The default children's social care taxonomy shipped with the package."""
    text = resources.files("themes").joinpath("default_taxonomy.yaml").read_text("utf-8")
    return taxonomy_from_dict(yaml.safe_load(text), source="default taxonomy")


def taxonomy_from_labels(
    kinds: Iterable[str], categories: Iterable[str], themes: Iterable[str], name: str = "from data"
) -> Taxonomy:
    """A taxonomy whose ids are simply the labels found in training data."""
    return Taxonomy(
        name=name,
        kinds=tuple(Label(k, k) for k in sorted(set(kinds))),
        categories=tuple(Label(c, c) for c in sorted(set(categories))),
        themes=tuple(Label(t, t) for t in sorted(set(themes))),
        categorised_kinds=("complaint",),
        source="data",
    )
