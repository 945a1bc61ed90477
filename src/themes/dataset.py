"""Labelled data: which columns hold the text and labels, and turning rows into training data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from themes.errors import (
    LabelError,
    TaxonomyError,
    describe_name,
    label_hints,
    may_show,
    missing_column,
)
from themes.io import ColumnChoice, cell_text, choose_columns
from themes.io.messages import show_columns
from themes.model import LabelledData
from themes.taxonomy import Taxonomy, default_taxonomy, taxonomy_from_labels

THEME_SEPARATOR = ";"
# What officers type in the "reviewed" column to mark a row as checked (any case,
# surrounding spaces ignored). Any other non-empty mark is reported, never learnt.
REVIEWED_VALUES = (
    "yes",
    "y",
    "x",
    "\u2713",
    "\u2714",
    "true",
    "1",
    "done",
    "checked",
    "reviewed",
    "ok",
)
_REVIEWED = frozenset(REVIEWED_VALUES)


@dataclass(frozen=True)
class Columns:
    """Names of the columns the engine reads. Every one can be overridden on the command line.

    ``text`` None means detect it (``resolve_columns``); ``id`` None means detect a
    reference column when there is one.
    """

    text: str | None = "text"
    id: str | None = None
    kind: str = "kind"
    themes: str = "themes"
    category: str = "category"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_columns(
    frame: pd.DataFrame, columns: Columns, original: Sequence[str] | None = None
) -> tuple[Columns, ColumnChoice]:
    """``columns`` with the text and id columns filled in: given, else detected from the
    first rows of ``frame`` (themes.io.columns); the choice says which and why."""
    choice = choose_columns(frame, columns.text, columns.id, original)
    return replace(columns, text=choice.text, id=choice.id), choice


def column_note(choice: ColumnChoice, given: Columns) -> str | None:
    """The line to tell the user which columns were used, when they were found by looking
    (not given, and not simply named 'text' and 'reference'); None otherwise."""
    id_found = given.id is None and choice.id is not None and choice.id != "reference"
    return choice.message() if choice.detected or id_found else None


def require_column(frame_columns: Sequence[str], name: str, option: str) -> None:
    """Raise a ColumnError naming ``name`` and listing the columns there are."""
    if name not in frame_columns:
        raise missing_column(name, frame_columns, option)


def resolve_id_column(frame_columns: Sequence[str], columns: Columns) -> str | None:
    """The id column: the one given, else 'reference' when present, else none."""
    if columns.id:
        require_column(frame_columns, columns.id, "--id-column")
        return columns.id
    return "reference" if "reference" in frame_columns else None


def _mark(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, float) and value == 1.0:
        return "1"
    return cell_text(value).strip().casefold()


def is_reviewed(value: Any) -> bool:
    """True for an accepted mark (REVIEWED_VALUES, any case, spaces around ignored)."""
    return _mark(value) in _REVIEWED


def is_unknown_mark(value: Any) -> bool:
    """True for a non-empty mark that is not an accepted one ("maybe later", "no"...)."""
    mark = _mark(value)
    return bool(mark) and mark not in _REVIEWED


@dataclass
class UnknownMarks:
    """Marks in a reviewed column that are not accepted ones: how many, and where first."""

    file: str
    column: str
    count: int
    first_row: int
    first_reference: str = ""

    def message(self) -> str:
        where = f"row {self.first_row}"
        if self.first_reference:
            where += f", reference {self.first_reference}"
        return (
            f"{self.file}: {self.count} row(s) with a mark in '{self.column}' that is not one "
            f"of {', '.join(REVIEWED_VALUES)} (first at {where}); not learnt - write one of "
            "those marks to learn them"
        )


def split_themes(cell: Any) -> list[str]:
    """Theme ids from a ';'-separated cell (blank pieces ignored)."""
    text = cell_text(cell)
    return [part.strip() for part in text.split(THEME_SEPARATOR) if part.strip()]


def _normal_label(value: Any) -> str:
    return cell_text(value).strip()


def _row_name(frame: pd.DataFrame, position: int, id_column: str | None) -> str:
    """The row as a spreadsheet numbers it (title and header rows counted), with its reference.

    A frame gathered from several files carries its rows' names in ``attrs["row_names"]``.
    """
    names = frame.attrs.get("row_names")
    if names is not None:
        return str(names[position])
    name = f"row {frame.attrs.get('first_row', 2) + position}"
    if id_column is not None:
        ref = cell_text(frame[id_column].iloc[position]).strip()
        if ref and may_show(ref):
            name += f", reference {ref}"
    return name


def _refuse_text_labels(
    frame: pd.DataFrame,
    columns: Columns,
    kinds: list[str | None] | None,
    categories: list[str | None] | None,
    themes: list[list[str] | None] | None,
    id_column: str | None,
) -> None:
    """Labels taken from the data must look like labels: a column of free text (a wrong
    --themes-column) would make complaint texts the model's label names."""
    for option, name, values in (
        ("--kind-column", columns.kind, kinds),
        ("--category-column", columns.category, categories),
        ("--themes-column", columns.themes, [t for ts in themes or [] if ts for t in ts]),
    ):
        if values is None:
            continue
        bad = [v for v in values if v and not may_show(v)]
        if bad:
            rows = [i for i, v in enumerate(_flat_cells(frame, name)) if v and not may_show(v)]
            where = f" (first at {_row_name(frame, rows[0], id_column)})" if rows else ""
            raise LabelError(
                f"column {describe_name(name)} holds {len(bad)} values that look like text "
                f"rather than labels{where}; labels are short ids such as 'communication'; "
                f"check {option}, or shorten those cells"
            )


def _flat_cells(frame: pd.DataFrame, name: str) -> list[str]:
    """Each row's label cell, a themes cell reduced to its longest part."""
    cells = []
    for value in frame[name]:
        parts = split_themes(value) or [""]
        cells.append(max(parts, key=len))
    return cells


@dataclass
class PreparedData:
    """Training data extracted from a table, with the taxonomy that fits it."""

    data: LabelledData
    taxonomy: Taxonomy
    heads: list[str]
    taxonomy_source: str


def prepare_labelled(
    frame: pd.DataFrame,
    columns: Columns,
    taxonomy: Taxonomy | None = None,
    *,
    require_labels: bool = True,
) -> PreparedData:
    """Extract texts and labels from a table, checking labels against the taxonomy.

    With no taxonomy given, the default one is used when the data's labels fit it;
    when most labels are foreign (a council's own list, a benchmark) the label set
    is taken from the data; when most fit but a few do not, that is probably a typo
    and a LabelError names them with the nearest valid id.
    """
    names = [str(c) for c in frame.columns]
    if columns.text is None:
        columns, _ = resolve_columns(frame, columns)
    require_column(names, columns.text, "--text-column")
    id_column = resolve_id_column(names, columns)
    have = {
        "kind": columns.kind in names,
        "themes": columns.themes in names,
        "category": columns.category in names,
    }
    if require_labels and not any(have.values()):
        raise LabelError(
            f"no label columns found; expected at least one of '{columns.kind}', "
            f"'{columns.themes}', '{columns.category}'; columns are: {show_columns(names)}; "
            "pass --themes-column / --category-column / --kind-column to name yours"
        )
    texts = [cell_text(v) for v in frame[columns.text].tolist()]
    kinds = (
        [(_normal_label(v).lower() or None) for v in frame[columns.kind]] if have["kind"] else None
    )
    categories = (
        [(_normal_label(v) or None) for v in frame[columns.category]] if have["category"] else None
    )
    themes: list[list[str] | None] | None = None
    if have["themes"]:
        themes = []
        for v in frame[columns.themes]:
            parts = split_themes(v)
            themes.append(parts or None)

    found_kinds = {k for k in kinds or [] if k}
    found_categories = {c for c in categories or [] if c}
    found_themes = {t for ts in themes or [] if ts for t in ts}

    source = "given"
    if taxonomy is None:
        base = default_taxonomy()
        unknown = (
            (found_kinds - set(base.kind_ids))
            | (found_categories - set(base.category_ids))
            | (found_themes - set(base.theme_ids))
        )
        all_found = found_kinds | found_categories | found_themes
        if not unknown:
            taxonomy, source = base, "default"
        elif all_found and len(unknown) / len(all_found) < 0.5:
            hints = label_hints(unknown, [*base.kind_ids, *base.category_ids, *base.theme_ids], 8)
            raise LabelError(
                f"labels not in the default taxonomy: {hints}; correct them, "
                "or pass --taxonomy FILE listing your own labels"
            )
        else:
            _refuse_text_labels(frame, columns, kinds, categories, themes, id_column)
            taxonomy = taxonomy_from_labels(found_kinds, found_categories, found_themes)
            if found_kinds:
                categorised = sorted(
                    {k for k, c in zip(kinds or [], categories or [], strict=False) if k and c}
                ) or sorted(found_kinds)
                taxonomy = replace(taxonomy, categorised_kinds=tuple(categorised))
            source = "data"
    else:
        _check_against(taxonomy, kinds, categories, themes, frame, id_column)

    heads = [
        head
        for head, values in (
            ("kind", found_kinds),
            ("category", found_categories),
            ("themes", found_themes),
        )
        if values
    ]
    if require_labels and not heads:
        raise LabelError(
            "the label columns are present but empty; fill in kind, themes or category "
            "for at least some rows"
        )
    if kinds is not None and not taxonomy.kind_ids:
        kinds = None
    return PreparedData(
        data=LabelledData(texts=texts, kinds=kinds, categories=categories, themes=themes),
        taxonomy=taxonomy,
        heads=heads,
        taxonomy_source=source,
    )


def _check_against(
    taxonomy: Taxonomy,
    kinds: list[str | None] | None,
    categories: list[str | None] | None,
    themes: list[list[str] | None] | None,
    frame: pd.DataFrame,
    id_column: str | None,
) -> None:
    for field_name, values in (
        ("kind", [k for k in kinds or [] if k]),
        ("category", [c for c in categories or [] if c]),
        ("themes", [t for ts in themes or [] if ts for t in ts]),
    ):
        if not values:
            continue
        if field_name == "kind" and not taxonomy.kind_ids:
            continue
        try:
            taxonomy.check(field_name, values)
        except LabelError as exc:
            # Say where the first bad label is, by reference or row number, never by text.
            valid = set(
                {
                    "kind": taxonomy.kind_ids,
                    "category": taxonomy.category_ids,
                    "themes": taxonomy.theme_ids,
                }[field_name]
            )
            where = ""
            series = {"kind": kinds, "category": categories, "themes": themes}[field_name] or []
            for position, value in enumerate(series):
                items = value if isinstance(value, list) else [value] if value else []
                if any(item not in valid for item in items):
                    where = f" (first at {_row_name(frame, position, id_column)})"
                    break
            raise LabelError(f"{exc}{where}") from None


def check_taxonomy_matches(model_taxonomy: Taxonomy, given: Taxonomy) -> None:
    """Raise if a given taxonomy disagrees with the model's (evaluating with the wrong list)."""
    if (model_taxonomy.theme_ids, model_taxonomy.category_ids) != (
        given.theme_ids,
        given.category_ids,
    ):
        raise TaxonomyError(
            f"the model was trained with taxonomy '{model_taxonomy.name}', which differs from "
            f"'{given.name}'; leave out --taxonomy to use the model's own"
        )
