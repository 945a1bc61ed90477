"""Finding the log's columns under the names councils give them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from themes.errors import missing_column
from themes.report.labels import key
from themes.report.options import ReportColumns

ALIASES: dict[str, tuple[str, ...]] = {
    "reference": (
        "ref",
        "reference",
        "case ref",
        "case reference",
        "reference number",
        "ref no",
        "complaint reference",
        "complaint ref",
        "case number",
        "case id",
        "id",
    ),
    "date_received": (
        "date received",
        "received",
        "received date",
        "date logged",
        "date of receipt",
    ),
    "date_responded": (
        "date responded",
        "responded",
        "response date",
        "date of response",
        "date response sent",
        "closed",
        "date closed",
        "closed date",
        "date completed",
    ),
    "kind": ("type", "record type", "kind", "representation type", "type of record"),
    "procedure": ("procedure", "complaint procedure", "procedure type"),
    "stage": ("stage", "complaint stage", "stage reached"),
    "team": ("team", "service", "team or service", "team/service", "service area"),
    "complainant": ("complainant", "complainant type", "who complained"),
    "method": ("method", "method of contact", "contact method", "channel", "how received"),
    "themes": ("themes", "theme"),
    "category": ("category",),
    "outcome": ("outcome", "result", "outcome of complaint", "finding"),
    "advocate": (
        "advocate",
        "advocacy",
        "advocate involved",
        "advocate used",
        "advocacy involved",
    ),
    "ombudsman_decision": (
        "lgsco decision",
        "ombudsman outcome",
        "ombudsman decision",
        "lgsco outcome",
        "lgo decision",
        "lgo outcome",
    ),
    "remedy": ("remedy", "lgsco remedy", "ombudsman remedy", "remedies"),
    "text": ("text", "summary", "details", "description", "complaint details"),
}
"""Field -> the names councils use for it, compared ignoring case, spaces and punctuation."""

_PREFIX = {"text": ("summary", "details", "description")}
"""Fields also found by the start of a name ("Summary of Complaint")."""


@dataclass(frozen=True)
class ColumnMap:
    """Field -> the log's column (None: absent), and the log's own kind column, if separate.

    own_kind: a council column such as "Type" beside the ``kind`` column that
        ``themes tag`` adds; the officer's value there comes first.
    """

    columns: dict[str, str | None]
    own_kind: str | None = None

    def __getitem__(self, name: str) -> str | None:
        return self.columns[name]

    def get(self, name: str) -> str | None:
        return self.columns.get(name)

    def used(self) -> dict[str, str]:
        """Field -> column, for the fields found: the mapping a report prints."""
        found = {name: column for name, column in self.columns.items() if column is not None}
        if self.own_kind is not None:
            found["kind"] = self.own_kind
            if self.columns["kind"] is not None:
                found["kind (pre-filled by tag)"] = self.columns["kind"]
        return found


def resolve_columns(available: Sequence[str], chosen: ReportColumns) -> ColumnMap:
    """Find each field's column; raise ColumnError for a column set by hand that is absent."""
    defaults = ReportColumns()
    by_key: dict[str, str] = {}
    for column in available:
        by_key.setdefault(key(column), column)
    resolved: dict[str, str | None] = {}
    used: set[str] = set()
    # Names set by hand and exact default names first, so an alias never takes them.
    for spec in fields(ReportColumns):
        wanted = getattr(chosen, spec.name)
        if not wanted:
            resolved[spec.name] = None
            continue
        found = wanted if wanted in available else by_key.get(key(wanted))
        if found is None and wanted != getattr(defaults, spec.name):
            raise missing_column(wanted, available, ReportColumns.option_for(spec.name))
        resolved[spec.name] = found
        if found is not None:
            used.add(found)
    for spec in fields(ReportColumns):
        if resolved[spec.name] is not None or not getattr(chosen, spec.name):
            continue
        for alias in ALIASES.get(spec.name, ()):
            candidate = by_key.get(key(alias))
            if candidate is not None and candidate not in used:
                resolved[spec.name] = candidate
                used.add(candidate)
                break
        else:
            for prefix in _PREFIX.get(spec.name, ()):
                candidate = next(
                    (c for c in available if key(c).startswith(prefix) and c not in used), None
                )
                if candidate is not None:
                    resolved[spec.name] = candidate
                    used.add(candidate)
                    break
    if resolved["date_received"] is None:
        raise missing_column(
            chosen.date_received, available, ReportColumns.option_for("date_received")
        )
    own_kind = None
    if resolved["kind"] is not None and chosen.kind == defaults.kind:
        for alias in ALIASES["kind"]:
            candidate = by_key.get(key(alias))
            if candidate is not None and candidate not in used:
                own_kind = candidate
                break
    return ColumnMap(resolved, own_kind)
