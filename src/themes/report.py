"""The annual complaints report's tables and charts, from a tagged log.

``build_report(frame, options)`` turns a complaints log (the columns of the
domain brief, as read by ``themes.io.read_table``) into the tables of a
council's statutory annual report, as pandas DataFrames ready to publish;
``write_report(report, out_dir)`` writes them as CSV files, one Excel workbook,
a Markdown report and PNG charts.

What is counted (kept simple, and said in the report's notes):

- The year of a row is the financial year (1 April to 31 March) of its date
  received. Trend tables cover up to ``trend_years`` years ending with the
  report year.
- Kind, category and themes come from the officer's columns where filled,
  otherwise from the ``suggested_`` columns written by ``themes tag``; the
  report counts how many of each it used.
- A complaint is a row whose kind is "complaint". When the log has a stage
  column, a complaint is counted once, by its stage 1 row (a blank stage counts
  as stage 1); rows at stage 2, stage 3 or LGSCO appear only in the ``stages``
  table. Without a stage column every complaint row is one complaint.
- Rows whose date received is missing or unreadable cannot be placed in a year:
  they are in no table, and the notes count them and say which rows they are.

Small-number suppression (``suppress_below=N``): counts from 1 to N-1 show as
"<N". Then, line by line (every row or column that adds up to a total shown),
if the hidden cells could be worked out from what is shown, the smallest other
cell of that line is hidden too and shown as "[c]"; this repeats until nothing
changes. A count shown in several tables (say the year's statutory complaints)
is hidden in all of them if it is hidden in one. Percentages of a hidden count,
or of a hidden base, are hidden as well.

Percentages are rounded by one function, ``round_percent`` (half up, to
``PERCENT_DECIMALS`` places), so they may not add up to exactly 100.

Nothing here reads the free-text column: no complaint text reaches a table,
a note or an error message.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from themes.dataset import is_reviewed
from themes.errors import InputFileError, OutputError, ThemesError, missing_column
from themes.io import TableWriter, cell_text, read_table
from themes.taxonomy import Taxonomy, default_taxonomy
from themes.workdays import (
    financial_year_label,
    financial_year_start,
    parse_date,
    parse_financial_year,
    working_days_between,
)

PERCENT_DECIMALS = 0
"""Decimal places of every percentage in the report (0: whole numbers, as councils publish)."""

SECONDARY_MARK = "[c]"
"""Shown for a cell hidden so that a small number elsewhere cannot be worked out."""

TOTAL = "Total"
NOT_RECORDED = "Not recorded"
STATUTORY = "Statutory"
CORPORATE = "Corporate"
UPHELD = "Upheld"
NOT_UPHELD = "Not upheld"
PARTLY_UPHELD = "Partly upheld"
# Outcome columns in this order; the first three are always shown, others when present.
_OUTCOME_ORDER = (
    UPHELD,
    NOT_UPHELD,
    PARTLY_UPHELD,
    "Withdrawn",
    "Inconclusive",
    "Legal proceedings pending",
)
_STAGE_ORDER = ("Stage 1", "Stage 2", "Stage 3", "LGSCO")
_LATER_STAGES = frozenset(_STAGE_ORDER[1:])
NO_CATEGORY = "Not categorised"
NO_THEME = "No theme recorded"
ALL_COMPLAINTS = "All complaints"
ALL_COMPLIMENTS = "All compliments"

TABLE_TITLES: dict[str, str] = {
    "totals_by_year": "Complaints received by year",
    "stages": "Complaints by stage",
    "team_procedure": "Complaints by team",
    "complainant": "Who complained",
    "method": "How complaints were made",
    "timeliness": "Timeliness of responses",
    "category_outcome": "Complaints by category and outcome",
    "category_outcome_by_year": "Outcomes by year",
    "category_share": "Categories as a share of complaints",
    "theme_outcome": "Themes of complaints and their outcomes",
    "compliments_by_year": "Compliments received by year",
    "compliments_by_team": "Compliments by team",
    "compliments_by_source": "Who gave compliments",
    "compliments_by_channel": "How compliments were received",
    "compliment_themes": "What people valued",
}
"""Every table the report can contain, in report order, with its title."""

CHARTS: dict[str, tuple[str, str]] = {
    "trend": ("totals_by_year", "Complaints received by year and procedure"),
    "categories_by_year": ("category_share", "Complaints by category and year"),
    "top_themes": ("theme_outcome", "Most common themes in complaints"),
    "compliments_by_team": ("compliments_by_team", "Compliments by team"),
}
"""Chart file stem -> (the table it is drawn from, what it shows)."""

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ReportColumns:
    """Names of the log's columns. Set one to "" when the log has no such column.

    A name is matched exactly, then ignoring case, spaces and punctuation
    ("Date Received" finds ``date_received``). A default name that is absent
    only skips the tables that need it; a name you set that is absent is an error.
    """

    reference: str = "reference"
    date_received: str = "date_received"
    date_responded: str = "date_responded"
    kind: str = "kind"
    procedure: str = "procedure"
    stage: str = "stage"
    team: str = "team"
    complainant: str = "complainant"
    method: str = "method"
    themes: str = "themes"
    category: str = "category"
    outcome: str = "outcome"
    suggested_kind: str = "suggested_kind"
    suggested_themes: str = "suggested_themes"
    suggested_category: str = "suggested_category"
    needs_review: str = "needs_review"
    reviewed: str = "reviewed"

    @staticmethod
    def option_for(name: str) -> str:
        """The option that sets a column: ``date_received`` -> ``--date-received-column``."""
        return f"--{name.replace('_', '-')}-column"


@dataclass(frozen=True)
class ReportOptions:
    """Everything ``build_report`` needs besides the log.

    year: the report year ("2023/24" or "2023-24"); None for the latest year in the log.
    suppress_below: hide counts from 1 to N-1 (and what would reveal them); None for none.
    trend_years: how many years the trend tables cover, ending with the report year.
    top_themes: how many themes the top-themes chart shows.
    taxonomy: display names and order of categories and themes (default taxonomy if None).
    """

    year: str | None = None
    suppress_below: int | None = None
    trend_years: int = 5
    top_themes: int = 10
    columns: ReportColumns = field(default_factory=ReportColumns)
    taxonomy: Taxonomy | None = None


@dataclass(frozen=True)
class LabelSources:
    """How many rows took a label from the officer's column, from the suggestion, or had none."""

    officer: int = 0
    suggested: int = 0
    missing: int = 0

    def __str__(self) -> str:
        return (
            f"{self.officer} from the officer's column, {self.suggested} suggested, "
            f"{self.missing} blank"
        )


@dataclass
class Report:
    """The report's tables (DataFrames, already suppressed) and what the reader must know.

    tables: name -> table; the first column is the row label.
    titles, captions: name -> title, and a one-line caption stating the base n.
    skipped: name -> why the table could not be produced.
    notes: sentences about what was counted and any data problems.
    label_sources: "kind", "category", "themes" -> where those labels came from.
    date_problems: what was wrong with dates -> number of rows.
    """

    year: str
    years: list[str]
    tables: dict[str, pd.DataFrame]
    titles: dict[str, str]
    captions: dict[str, str]
    skipped: dict[str, str]
    notes: list[str]
    label_sources: dict[str, LabelSources]
    date_problems: dict[str, int]
    suppress_below: int | None
    rows_read: int

    @property
    def period(self) -> str:
        """The years covered, e.g. "2019/20 to 2023/24"."""
        return self.years[0] if len(self.years) == 1 else f"{self.years[0]} to {self.years[-1]}"


# --------------------------------------------------------------------------- helpers


def round_percent(part: int, whole: int) -> int | float | None:
    """``part`` as a percentage of ``whole``, rounded half up; None when ``whole`` is 0.

    The only rounding used in the report, so every table rounds alike.
    """
    if whole <= 0:
        return None
    step = Decimal(1).scaleb(-PERCENT_DECIMALS)
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(step, rounding=ROUND_HALF_UP)
    return int(value) if PERCENT_DECIMALS == 0 else float(value)


def _words(value: Any) -> str:
    """Lower-case words only: "Partially-Upheld " -> "partially upheld"."""
    return re.sub(r"[\W_]+", " ", cell_text(value).casefold()).strip()


def _squash(value: Any) -> str:
    """Whitespace collapsed: the text as written, tidied."""
    return " ".join(cell_text(value).split())


def _key(value: Any) -> str:
    return re.sub(r"[\W_]+", "", cell_text(value).casefold())


def normalise_outcome(value: Any) -> str:
    """One spelling per outcome, e.g. "Partially upheld" and "partly upheld" -> "Partly upheld".

    Blank is "Not recorded"; an unknown outcome is kept, in sentence case.
    """
    words = _words(value)
    if not words:
        return NOT_RECORDED
    if re.search(r"\b(partly|partially|partial|part)\b", words):
        return PARTLY_UPHELD
    if re.search(r"\bnot\b.*\bupheld\b|\bunupheld\b", words):
        return NOT_UPHELD
    if words in {"upheld", "fully upheld", "upheld in full", "yes upheld"}:
        return UPHELD
    if words.startswith("withdr"):
        return "Withdrawn"
    if words.startswith("inconclusive") or words in {"unable to determine", "no finding"}:
        return "Inconclusive"
    if "legal" in words:
        return "Legal proceedings pending"
    text = _squash(value)
    return text[:1].upper() + text[1:].lower()


def normalise_procedure(value: Any) -> str:
    """ "statutory ", "Stat", "Children Act" -> "Statutory"; "corp" -> "Corporate"."""
    words = _words(value)
    if not words:
        return NOT_RECORDED
    if words.startswith("stat") or "children act" in words:
        return STATUTORY
    if words.startswith("corp"):
        return CORPORATE
    text = _squash(value)
    return text[:1].upper() + text[1:]


_STAGE_WORDS = {"1": 1, "one": 1, "2": 2, "two": 2, "3": 3, "three": 3}


def normalise_stage(value: Any) -> str:
    """ "1", 1.0, "stage one", "S1" -> "Stage 1"; "Ombudsman", "LGO" -> "LGSCO"; blank -> ""."""
    words = _words(value)
    if not words:
        return ""
    if "ombudsman" in words or words.split()[0] in {"lgsco", "lgo", "lgsco stage"}:
        return "LGSCO"
    match = re.fullmatch(r"(?:stage|stg|s)?\s*(1|2|3|one|two|three)(?: 0+)?", words)
    if match:
        return f"Stage {_STAGE_WORDS[match.group(1)]}"
    return _squash(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _words(value) in {"true", "yes", "y", "1", "1 0"}


class _Labels:
    """Maps what officers write (an id or a display name, any case) to a taxonomy id."""

    def __init__(self, labels: Iterable[Any]) -> None:
        self.lookup: dict[str, str] = {}
        for label in labels:
            for text in (label.id, label.name):
                self.lookup.setdefault(_words(text), label.id)

    def find(self, text: str) -> str:
        words = _words(text)
        if words in self.lookup:
            return self.lookup[words]
        if words.endswith("s") and words[:-1] in self.lookup:  # "Complaints"
            return self.lookup[words[:-1]]
        squashed = _squash(text)
        return squashed[:1].upper() + squashed[1:]


def _tidy_labels(values: Sequence[Any]) -> list[str]:
    """Free-text labels (team, complainant, method) grouped ignoring case and spacing.

    Each group is shown with its most common spelling, so "Fostering" and
    "fostering " are one team. Blank is "Not recorded".
    """
    squashed = [_squash(v) for v in values]
    spellings: dict[str, Counter[str]] = {}
    for text in squashed:
        if text:
            spellings.setdefault(text.casefold(), Counter())[text] += 1
    display: dict[str, str] = {}
    for key, counter in spellings.items():
        best = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]
        display[key] = best[:1].upper() + best[1:] if best.islower() else best
    return [display[t.casefold()] if t else NOT_RECORDED for t in squashed]


def _n(count: int, noun: str) -> str:
    """ "1 row", "3 rows"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _has(count: int) -> str:
    return "has" if count == 1 else "have"


def _is(count: int) -> str:
    return "is" if count == 1 else "are"


def _row_list(rows: Sequence[int], refs: Sequence[str], limit: int = 10) -> str:
    """Which rows, by reference when the log has them, else by spreadsheet row number."""
    shown = [ref if ref else f"row {row}" for row, ref in zip(rows, refs, strict=True)][:limit]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(shown) + more


# --------------------------------------------------------------------------- reading the log


_ALIASES: dict[str, tuple[str, ...]] = {
    "reference": ("ref", "reference number", "case reference", "complaint reference"),
    "date_received": ("received", "date received", "received date", "date logged"),
    "date_responded": (
        "responded",
        "response date",
        "date of response",
        "date response sent",
        "date closed",
        "closed date",
    ),
    "kind": ("record type", "representation type"),
    "procedure": ("complaint procedure", "procedure type"),
    "stage": ("complaint stage",),
    "team": ("service", "team or service", "team/service", "service area"),
    "complainant": ("complainant type", "who complained"),
    "method": ("method of contact", "contact method", "channel", "how received"),
    "themes": ("theme",),
    "outcome": ("result", "outcome of complaint"),
}


def _resolve_columns(
    available: Sequence[str], chosen: ReportColumns
) -> tuple[dict[str, str | None], list[str]]:
    defaults = ReportColumns()
    by_key: dict[str, str] = {}
    for column in available:
        by_key.setdefault(_key(column), column)
    used: set[str] = set()
    resolved: dict[str, str | None] = {}
    notes: list[str] = []
    for spec in fields(ReportColumns):
        wanted = getattr(chosen, spec.name)
        if not wanted:
            resolved[spec.name] = None
            continue
        is_default = wanted == getattr(defaults, spec.name)
        found = wanted if wanted in available else by_key.get(_key(wanted))
        if found is None and is_default:
            for alias in _ALIASES.get(spec.name, ()):
                candidate = by_key.get(_key(alias))
                if candidate is not None and candidate not in used:
                    found = candidate
                    break
        if found is None and not is_default:
            raise missing_column(wanted, available, ReportColumns.option_for(spec.name))
        if found is not None:
            used.add(found)
            if found != wanted:
                notes.append(f"Column '{found}' was read as {spec.name}.")
        resolved[spec.name] = found
    if resolved["date_received"] is None:
        raise missing_column(
            chosen.date_received, available, ReportColumns.option_for("date_received")
        )
    return resolved, notes


@dataclass
class _Log:
    """The log, tidied: one entry per row, every field normalised."""

    rows: pd.DataFrame
    columns: dict[str, str | None]
    notes: list[str]
    has_kind: bool
    has_category: bool
    has_themes: bool
    uses_stage: bool


def _prepare(frame: pd.DataFrame, options: ReportOptions, taxonomy: Taxonomy) -> _Log:
    columns, notes = _resolve_columns([str(c) for c in frame.columns], options.columns)
    n = len(frame)

    def values(name: str) -> list[Any]:
        column = columns[name]
        return frame[column].tolist() if column is not None else [None] * n

    kinds = _Labels(taxonomy.kinds)
    categories = _Labels(taxonomy.categories)
    themes = _Labels(taxonomy.themes)

    # `themes tag` copies suggestions into empty officer columns; on rows nobody has
    # marked reviewed, a value equal to the suggestion is still a suggestion.
    reviewed_column = columns.get("reviewed")
    unchecked = (
        [not is_reviewed(v) for v in frame[reviewed_column]]
        if reviewed_column is not None
        else [False] * n
    )

    def pick(
        officer: list[Any], suggested: list[Any], prefilled: bool = True
    ) -> tuple[list[str], list[str]]:
        chosen, source = [], []
        for mine, theirs, open_row in zip(officer, suggested, unchecked, strict=True):
            if prefilled and _squash(mine) and open_row and _squash(mine) == _squash(theirs):
                chosen.append(_squash(mine))
                source.append("suggested")
            elif _squash(mine):
                chosen.append(_squash(mine))
                source.append("officer")
            elif _squash(theirs):
                chosen.append(_squash(theirs))
                source.append("suggested")
            else:
                chosen.append("")
                source.append("")
        return chosen, source

    # Kind is a log field officers fill when they log a record, so it is never
    # treated as pre-filled.
    kind_text, kind_source = pick(values("kind"), values("suggested_kind"), prefilled=False)
    has_kind = columns["kind"] is not None or columns["suggested_kind"] is not None
    if has_kind:
        kind = [kinds.find(k).casefold() if k else "" for k in kind_text]
    else:
        kind = ["complaint"] * n
        notes.append(
            "The log has no kind column, so every row is counted as a complaint and "
            "the compliment tables are not produced."
        )
    category_text, category_source = pick(values("category"), values("suggested_category"))
    theme_text, theme_source = pick(values("themes"), values("suggested_themes"))

    def split_themes(text: str) -> tuple[str, ...]:
        found: list[str] = []
        for part in re.split(r"[;,|\n]+", text):
            if _squash(part):
                label = themes.find(part)
                if label not in found:
                    found.append(label)
        return tuple(found)

    received, received_problem = [], []
    for value in values("date_received"):
        try:
            day = parse_date(value)
        except ValueError:
            received.append(None)
            received_problem.append("unreadable")
            continue
        received.append(day)
        received_problem.append("" if day is not None else "missing")
    responded, responded_problem = [], []
    for value in values("date_responded"):
        try:
            day = parse_date(value)
        except ValueError:
            responded.append(None)
            responded_problem.append("unreadable")
            continue
        responded.append(day)
        responded_problem.append("")

    stage = [normalise_stage(v) for v in values("stage")]
    uses_stage = columns["stage"] is not None and any(stage)
    rows = pd.DataFrame(
        {
            # Spreadsheet row number: the header is row 1.
            "row": range(2, n + 2),
            "ref": [_squash(v) for v in values("reference")],
            "received": received,
            "received_problem": received_problem,
            "year": [financial_year_start(d) if d is not None else None for d in received],
            "responded": responded,
            "responded_problem": responded_problem,
            "kind": kind,
            "kind_source": kind_source if has_kind else ["officer"] * n,
            "procedure": [normalise_procedure(v) for v in values("procedure")],
            "stage": stage,
            "team": _tidy_labels(values("team")),
            "complainant": _tidy_labels(values("complainant")),
            "method": _tidy_labels(values("method")),
            "category": [categories.find(c) if c else NO_CATEGORY for c in category_text],
            "category_source": category_source,
            "themes": [split_themes(t) for t in theme_text],
            "themes_source": theme_source,
            "outcome": [normalise_outcome(v) for v in values("outcome")],
            "needs_review": [_truthy(v) for v in values("needs_review")],
        },
        dtype=object,
    )
    rows["complaint"] = rows["kind"] == "complaint"
    rows["compliment"] = rows["kind"] == "compliment"
    # Count each complaint once: by its first-stage row when stages are recorded.
    first_stage = ~rows["stage"].isin(_LATER_STAGES) if uses_stage else True
    rows["counted"] = rows["complaint"] & first_stage
    return _Log(
        rows=rows,
        columns=columns,
        notes=notes,
        has_kind=has_kind,
        has_category=columns["category"] is not None or columns["suggested_category"] is not None,
        has_themes=columns["themes"] is not None or columns["suggested_themes"] is not None,
        uses_stage=uses_stage,
    )


# --------------------------------------------------------------------------- count grids

Cell = tuple[Hashable, Hashable]
Value = int | float | str


@dataclass
class _Grid:
    """A table's counts before display, with the sums a reader could use to undo suppression.

    lines: (members, total) pairs meaning sum(members) == total, both shown.
    keys: cells whose count also appears in other tables, under a shared key.
    render: draws the display table and caption from a _View.
    """

    name: str
    counts: dict[Cell, int]
    lines: list[tuple[tuple[Cell, ...], Cell]] = field(default_factory=list)
    keys: dict[Cell, Hashable] = field(default_factory=dict)
    render: Callable[[_View], tuple[pd.DataFrame, str]] | None = None


def _crosstab(
    pairs: Iterable[tuple[Hashable, Hashable]],
    row_order: Sequence[Hashable],
    col_order: Sequence[Hashable],
    *,
    total_row: bool,
    total_col: bool,
) -> tuple[dict[Cell, int], list[tuple[tuple[Cell, ...], Cell]]]:
    """Counts of (row, col) pairs, every cell present (zeros too), with Total margins and lines."""
    tally = Counter(pairs)
    counts: dict[Cell, int] = {(r, c): tally.get((r, c), 0) for r in row_order for c in col_order}
    # Every record must land in a cell: exact counts are the point of the report.
    if sum(counts.values()) != sum(tally.values()):
        raise AssertionError("a value is missing from the row or column order")
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    if total_col:
        for r in row_order:
            counts[(r, TOTAL)] = sum(counts[(r, c)] for c in col_order)
            lines.append((tuple((r, c) for c in col_order), (r, TOTAL)))
    if total_row:
        cols_all = [*col_order, TOTAL] if total_col else list(col_order)
        for c in cols_all:
            counts[(TOTAL, c)] = sum(counts[(r, c)] for r in row_order)
            lines.append((tuple((r, c) for r in row_order), (TOTAL, c)))
    if total_row and total_col:
        lines.append((tuple((TOTAL, c) for c in col_order), (TOTAL, TOTAL)))
    return counts, lines


class _View:
    """A grid's cells as they may be shown, after suppression."""

    def __init__(self, grid: _Grid, below: int | None, status: dict[Cell, str]) -> None:
        self.grid = grid
        self.below = below
        self.hidden = {cell for cell, s in status.items() if s != "shown"}
        self.status = status

    def count(self, cell: Cell) -> Value:
        if cell not in self.hidden:
            return self.grid.counts[cell]
        return f"<{self.below}" if self.status[cell] == "primary" else SECONDARY_MARK

    def pct(self, part: Cell, whole: Cell) -> Value:
        if part in self.hidden or whole in self.hidden:
            return SECONDARY_MARK
        value = round_percent(self.grid.counts[part], self.grid.counts[whole])
        return "" if value is None else value

    def word(self, cell: Cell) -> str:
        return str(self.count(cell))


# --------------------------------------------------------------------------- suppression


def _domain_bits(value: int, status: str, below: int, bound: int) -> int:
    """The values a reader knows a cell can take, as a bitset over 0..bound."""
    if status == "shown":
        return 1 << value
    if status == "primary":
        return ((1 << below) - 1) & ~1  # 1 .. below-1
    # Secondary: zero, or at least `below` (else it would be a primary "<N").
    return 1 | (((1 << (bound + 1)) - 1) & ~((1 << below) - 1))


def _sums(domains: Sequence[int], mask: int) -> int:
    """All totals reachable by adding one value from each domain, as a bitset."""
    reach = 1
    for domain in domains:
        nxt = 0
        bits, shift = domain, 0
        while bits:
            if bits & 1:
                nxt |= reach << shift
            bits >>= 1
            shift += 1
        reach = nxt & mask
    return reach


def _at_least_two(bits: int) -> bool:
    return bits & (bits - 1) != 0


def _line_is_safe(
    members: Sequence[Cell],
    total: Cell,
    status: dict[Cell, str],
    counts: dict[Cell, int],
    below: int,
    bound: int,
) -> bool:
    """True when no hidden cell of ``sum(members) == total`` has only one possible value."""
    mask = (1 << (bound + 1)) - 1
    hidden = [c for c in members if status[c] != "shown"]
    if not hidden and status[total] == "shown":
        return True
    shown_sum = sum(counts[c] for c in members if status[c] == "shown")
    domains = {c: _domain_bits(counts[c], status[c], below, bound) for c in (*members, total)}
    # Possible values of sum(hidden members).
    targets = domains[total] >> shown_sum
    for cell in hidden:
        others = _sums([domains[o] for o in hidden if o != cell], mask)
        feasible, bits, value = 0, domains[cell], 0
        while bits:
            if bits & 1 and (others << value) & targets:
                feasible |= 1 << value
                if _at_least_two(feasible):
                    break
            bits >>= 1
            value += 1
        if not _at_least_two(feasible):
            return False
    if status[total] != "shown":
        return _at_least_two(_sums([domains[c] for c in hidden], mask) & targets)
    return True


def _suppress(
    grid: _Grid, below: int, forced: set[Hashable], demoted: set[Hashable]
) -> dict[Cell, str]:
    """How each cell is shown: "shown", "primary" (<N) or hidden as [c] ("secondary", "demoted").

    Primary: counts 1..below-1. Then cells other tables hid (``forced``), and
    complements until every line is safe.
    """
    counts = grid.counts
    status = {cell: "primary" if 0 < value < below else "shown" for cell, value in counts.items()}
    for cell, key in grid.keys.items():
        if key in demoted and status[cell] == "primary":
            status[cell] = "demoted"
        elif key in forced and status[cell] == "shown":
            status[cell] = "secondary"
    bound = max([*counts.values(), below])
    changed = True
    while changed:
        changed = False
        for members, total in grid.lines:
            if _line_is_safe(members, total, status, counts, below, bound):
                continue
            shown = [c for c in members if status[c] == "shown"]
            # The next smallest cell: a non-zero one if there is one (hiding a zero
            # protects little), else a zero, else the total itself.
            choice = sorted(shown, key=lambda c: (counts[c] == 0, counts[c], members.index(c)))
            if choice:
                status[choice[0]] = "secondary"
            elif status[total] == "shown":
                status[total] = "secondary"
            else:
                # All hidden, yet the "<N" markers still pin values (four "<5" adding up
                # to a "<5" total can only be 1 each): show one as [c], which claims
                # nothing about its size. The total first, else the largest.
                small = [c for c in (total, *members) if status[c] == "primary"]
                if not small:
                    continue
                pick = total if status[total] == "primary" else max(small, key=counts.get)
                status[pick] = "demoted"
            changed = True
    return status


def _suppress_all(grids: Sequence[_Grid], below: int | None) -> dict[str, dict[Cell, str]]:
    """Suppress every grid; a count shared by several tables is shown alike in all of them."""
    if not below:
        return {g.name: {} for g in grids}
    forced: set[Hashable] = set()
    demoted: set[Hashable] = set()
    while True:
        status = {g.name: _suppress(g, below, forced, demoted) for g in grids}
        hidden = {
            g.keys[c]
            for g in grids
            for c, s in status[g.name].items()
            if s != "shown" and c in g.keys
        }
        small = {
            g.keys[c]
            for g in grids
            for c, s in status[g.name].items()
            if s == "demoted" and c in g.keys
        }
        if hidden <= forced and small <= demoted:
            return status
        forced |= hidden
        demoted |= small


# --------------------------------------------------------------------------- tables


class _Skip(Exception):
    """A table cannot be produced; the message says why in one line."""


@dataclass
class _Context:
    log: _Log
    taxonomy: Taxonomy
    year: int
    years: list[int]

    @property
    def label(self) -> str:
        return financial_year_label(self.year)

    def labels(self) -> list[str]:
        return [financial_year_label(y) for y in self.years]

    def complaints(self, *, year: int | None = None) -> pd.DataFrame:
        rows = self.log.rows
        chosen = rows[rows["counted"] & rows["year"].isin(self.years)]
        return chosen[chosen["year"] == year] if year is not None else chosen

    def compliments(self, *, year: int | None = None) -> pd.DataFrame:
        rows = self.log.rows
        chosen = rows[rows["compliment"] & rows["year"].isin(self.years)]
        return chosen[chosen["year"] == year] if year is not None else chosen

    def need(self, *names: str) -> None:
        for name in names:
            if self.log.columns.get(name) is None:
                raise _Skip(f"the log has no {name} column (set {ReportColumns.option_for(name)})")

    def need_category(self) -> None:
        if not self.log.has_category:
            raise _Skip("the log has no category or suggested_category column")

    def need_themes(self) -> None:
        if not self.log.has_themes:
            raise _Skip("the log has no themes or suggested_themes column")

    def need_compliments(self, year_only: bool = False) -> pd.DataFrame:
        if not self.log.has_kind:
            raise _Skip("the log has no kind column to tell compliments from complaints")
        rows = self.compliments(year=self.year if year_only else None)
        if rows.empty:
            where = f"in {self.label}" if year_only else f"from {self.labels()[0]} to {self.label}"
            raise _Skip(f"no compliments received {where}")
        return rows

    def category_order(self, present: Iterable[str]) -> list[str]:
        known = self.taxonomy.category_ids
        extra = sorted({c for c in present if c not in known and c != NO_CATEGORY})
        tail = [NO_CATEGORY] if NO_CATEGORY in set(present) else []
        return [*known, *extra, *tail]

    def name(self, label: str) -> str:
        return self.taxonomy.name_of(label)


def _outcome_order(present: Iterable[str]) -> list[str]:
    present = set(present)
    known = [o for o in _OUTCOME_ORDER if o in present or o in _OUTCOME_ORDER[:3]]
    extra = sorted(present - set(_OUTCOME_ORDER) - {NOT_RECORDED})
    tail = [NOT_RECORDED] if NOT_RECORDED in present else []
    return [*known, *extra, *tail]


def _procedure_order(present: Iterable[str]) -> list[str]:
    present = set(present)
    extra = sorted(present - {STATUTORY, CORPORATE, NOT_RECORDED})
    tail = [NOT_RECORDED] if NOT_RECORDED in present else []
    return [STATUTORY, CORPORATE, *extra, *tail]


def _by_count(values: Iterable[str], weights: Iterable[str] = ()) -> list[str]:
    """Labels by how often they occur (most first), ties by name, "Not recorded" last."""
    counts = Counter(values)
    later = Counter(weights)
    labels = set(counts) | set(later)
    ordered = sorted(labels - {NOT_RECORDED}, key=lambda v: (-counts[v], -later[v], str(v)))
    return [*ordered, *([NOT_RECORDED] if NOT_RECORDED in labels else [])]


_ROUNDING = "% may not sum to 100 due to rounding"
_FIXED_ROWS = frozenset({NOT_RECORDED, NO_THEME, NO_CATEGORY})


def _shown_order(
    rows: Sequence[Hashable], hidden: Callable[[Hashable], bool], name: Callable[[Hashable], str]
) -> list[Hashable]:
    """Rows already sorted by count, with those whose count is hidden moved after the
    others in alphabetical order: their order must not hint at their size.
    "Not recorded" and "No theme recorded" stay last."""
    shown = [r for r in rows if r not in _FIXED_ROWS and not hidden(r)]
    secret = sorted((r for r in rows if r not in _FIXED_ROWS and hidden(r)), key=name)
    return [*shown, *secret, *(r for r in rows if r in _FIXED_ROWS)]


def _frame(columns: Sequence[str], rows: Iterable[Sequence[Value]]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(columns), dtype=object)


def _totals_by_year(ctx: _Context) -> _Grid:
    ctx.need("procedure")
    data = ctx.complaints()
    procs = _procedure_order(data["procedure"])
    counts, lines = _crosstab(
        zip(data["year"], data["procedure"], strict=True),
        ctx.years,
        procs,
        total_row=False,
        total_col=True,
    )
    keys = {(y, p): ("complaints", y, p) for y in ctx.years for p in [*procs, TOTAL]}

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Year", *procs, TOTAL],
            (
                [financial_year_label(y), *(view.count((y, p)) for p in [*procs, TOTAL])]
                for y in ctx.years
            ),
        )
        caption = (
            f"Complaints received each year, {ctx.labels()[0]} to {ctx.label}, by procedure; "
            f"base: each year's complaints (Total column; "
            f"{ctx.label} n={view.word((ctx.year, TOTAL))})."
        )
        return table, caption

    return _Grid("totals_by_year", counts, lines, keys, render)


def _stages(ctx: _Context) -> _Grid:
    if not ctx.log.uses_stage:
        raise _Skip(
            "the log has no stage column, or it is blank, so each complaint row is counted once"
        )
    rows = ctx.log.rows
    data = rows[rows["complaint"] & rows["year"].isin(ctx.years)]
    stage = [s or "Stage 1" for s in data["stage"]]
    present = set(stage)
    order = [s for s in _STAGE_ORDER if s in present or s == "Stage 1"]
    order += sorted(present - set(_STAGE_ORDER))
    counts, lines = _crosstab(
        zip(stage, data["year"], strict=True), order, ctx.years, total_row=False, total_col=False
    )
    keys = {("Stage 1", y): ("complaints", y, TOTAL) for y in ctx.years}

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Stage", *ctx.labels()],
            ([s, *(view.count((s, y)) for y in ctx.years)] for s in order),
        )
        caption = (
            "Complaint records by stage reached and year received; stage 1 (with rows whose "
            "stage is blank) is the count of complaints used in every other table; "
            f"base: {ctx.label} stage 1 n={view.word(('Stage 1', ctx.year))}."
        )
        return table, caption

    return _Grid("stages", counts, lines, keys, render)


def _team_procedure(ctx: _Context) -> _Grid:
    ctx.need("team", "procedure")
    data = ctx.complaints(year=ctx.year)
    procs = _procedure_order(data["procedure"])
    teams = _by_count(data["team"])
    counts, lines = _crosstab(
        zip(data["team"], data["procedure"], strict=True),
        teams,
        procs,
        total_row=True,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(TOTAL, p): ("complaints", ctx.year, p) for p in procs}
    keys[(TOTAL, TOTAL)] = ("complaints", ctx.year, TOTAL)

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Team", *procs, TOTAL],
            (
                [t, *(view.count((t, p)) for p in [*procs, TOTAL])]
                for t in [*_shown_order(teams, lambda t: (t, TOTAL) in view.hidden, str), TOTAL]
            ),
        )
        caption = (
            f"Complaints received in {ctx.label} by team and procedure; "
            f"base: n={view.word((TOTAL, TOTAL))} complaints."
        )
        return table, caption

    return _Grid("team_procedure", counts, lines, keys, render)


def _share_by_year(ctx: _Context, name: str, column: str, label: str, what: str) -> _Grid:
    """Rows of a label (complainant, method, category) by year: counts and % of the year."""
    data = ctx.complaints()
    if column == "category":
        order = ctx.category_order(data["category"])
        show = ctx.name
    else:
        this_year = data[data["year"] == ctx.year]
        order = _by_count(this_year[column], data[column])
        show = str
    counts, lines = _crosstab(
        zip(data[column], data["year"], strict=True),
        order,
        ctx.years,
        total_row=True,
        total_col=False,
    )
    keys: dict[Cell, Hashable] = {(TOTAL, y): ("complaints", y, TOTAL) for y in ctx.years}
    if column == "category":
        keys.update({(c, y): ("category", y, c) for c in order for y in ctx.years})

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        header = [label]
        for y in ctx.labels():
            header += [f"{y} n", f"{y} %"]
        body = []
        shown = order
        if column != "category":
            shown = _shown_order(order, lambda r: (r, ctx.year) in view.hidden, str)
        for r in [*shown, TOTAL]:
            line: list[Value] = [show(r) if r != TOTAL else TOTAL]
            for y in ctx.years:
                line += [view.count((r, y)), view.pct((r, y), (TOTAL, y))]
            body.append(line)
        caption = (
            f"{what}, {ctx.labels()[0]} to {ctx.label}: number and % of each year's complaints; "
            f"base: each year's complaints (Total row; "
            f"{ctx.label} n={view.word((TOTAL, ctx.year))}); "
            f"{_ROUNDING}."
        )
        return _frame(header, body), caption

    return _Grid(name, counts, lines, keys, render)


def _complainant(ctx: _Context) -> _Grid:
    ctx.need("complainant")
    return _share_by_year(ctx, "complainant", "complainant", "Complainant", "Who complained")


def _method(ctx: _Context) -> _Grid:
    ctx.need("method")
    return _share_by_year(ctx, "method", "method", "Method", "How complaints were made")


def _category_share(ctx: _Context) -> _Grid:
    ctx.need_category()
    return _share_by_year(ctx, "category_share", "category", "Category", "Complaints by category")


_TIME_COLUMNS = ("complaints", "within_10", "within_20", "over_20", "not_answered")


def _timeliness(ctx: _Context) -> _Grid:
    ctx.need("date_responded")
    data = ctx.complaints()
    use_procedure = ctx.log.columns["procedure"] is not None
    procs = _procedure_order(data["procedure"]) if use_procedure else []
    counts: dict[Cell, int] = {}
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    keys: dict[Cell, Hashable] = {}
    row_order: list[tuple[int, str]] = []
    for year in ctx.years:
        in_year = data[data["year"] == year]
        groups = [(p, in_year[in_year["procedure"] == p]) for p in procs] + [("All", in_year)]
        for proc, group in groups:
            row = (year, proc)
            row_order.append(row)
            days = [
                working_days_between(got, sent)
                for got, sent in zip(group["received"], group["responded"], strict=True)
                if sent is not None and sent >= got
            ]
            tally = {
                "complaints": len(group),
                "within_10": sum(d <= 10 for d in days),
                "within_20": sum(d <= 20 for d in days),
                "over_20": sum(d > 20 for d in days),
                "not_answered": len(group) - len(days),
            }
            for column, value in tally.items():
                counts[(row, column)] = value
            # Within 10 is part of within 20, so only these three add up to the row.
            parts = ((row, "within_20"), (row, "over_20"), (row, "not_answered"))
            lines.append((parts, (row, "complaints")))
            keys[(row, "complaints")] = ("complaints", year, TOTAL if proc == "All" else proc)
        if procs:
            for column in _TIME_COLUMNS:
                lines.append((tuple(((year, p), column) for p in procs), ((year, "All"), column)))

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        header = [
            "Year",
            "Procedure",
            "Complaints",
            "Within 10 days n",
            "Within 10 days %",
            "Within 20 days n",
            "Within 20 days %",
            "Over 20 days n",
            "Over 20 days %",
            "Not answered n",
            "Not answered %",
        ]
        body = []
        for row in row_order:
            base = (row, "complaints")
            line: list[Value] = [financial_year_label(row[0]), row[1], view.count(base)]
            for column in _TIME_COLUMNS[1:]:
                line += [view.count((row, column)), view.pct((row, column), base)]
            body.append(line)
        caption = (
            "Complaints answered within 10 and within 20 working days of receipt (weekends and "
            "bank holidays in England excluded) and after more than 20, as % of the complaints "
            f"received; base: the Complaints column ({ctx.label} "
            f"n={view.word(((ctx.year, 'All'), 'complaints'))}); not answered: no valid response "
            f"date; {_ROUNDING}."
        )
        return _frame(header, body), caption

    return _Grid("timeliness", counts, lines, keys, render)


def _category_outcome(ctx: _Context) -> _Grid:
    ctx.need_category()
    ctx.need("outcome")
    data = ctx.complaints(year=ctx.year)
    cats = ctx.category_order(data["category"])
    outcomes = _outcome_order(ctx.complaints()["outcome"])
    outcomes = [o for o in outcomes if o in _OUTCOME_ORDER[:3] or o in set(data["outcome"])]
    counts, lines = _crosstab(
        zip(data["category"], data["outcome"], strict=True),
        cats,
        outcomes,
        total_row=True,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(c, TOTAL): ("category", ctx.year, c) for c in cats}
    keys.update({(TOTAL, o): ("outcome", ctx.year, o) for o in outcomes})
    keys[(TOTAL, TOTAL)] = ("complaints", ctx.year, TOTAL)

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Category", *outcomes, TOTAL],
            (
                [
                    ctx.name(c) if c != TOTAL else TOTAL,
                    *(view.count((c, o)) for o in [*outcomes, TOTAL]),
                ]
                for c in [*cats, TOTAL]
            ),
        )
        caption = (
            f"Complaints received in {ctx.label} by category and outcome; "
            f"base: n={view.word((TOTAL, TOTAL))} complaints."
        )
        return table, caption

    return _Grid("category_outcome", counts, lines, keys, render)


def _category_outcome_by_year(ctx: _Context) -> _Grid:
    ctx.need("outcome")
    data = ctx.complaints()
    outcomes = _outcome_order(data["outcome"])
    counts, lines = _crosstab(
        zip(data["year"], data["outcome"], strict=True),
        ctx.years,
        outcomes,
        total_row=False,
        total_col=True,
    )
    keys: dict[Cell, Hashable] = {(y, o): ("outcome", y, o) for y in ctx.years for o in outcomes}
    keys.update({(y, TOTAL): ("complaints", y, TOTAL) for y in ctx.years})

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Year", *outcomes, TOTAL],
            (
                [financial_year_label(y), *(view.count((y, o)) for o in [*outcomes, TOTAL])]
                for y in ctx.years
            ),
        )
        caption = (
            f"Outcomes of complaints by year received, {ctx.labels()[0]} to {ctx.label}; "
            f"base: each year's complaints (Total column; {ctx.label} "
            f"n={view.word((ctx.year, TOTAL))})."
        )
        return table, caption

    return _Grid("category_outcome_by_year", counts, lines, keys, render)


def _themes_table(
    ctx: _Context,
    name: str,
    data: pd.DataFrame,
    with_outcomes: bool,
    noun: str,
    all_label: str,
    all_key: Hashable,
) -> _Grid:
    """Themes (several per record) by count, most first, with an "all records" base row."""
    order_known = ctx.taxonomy.theme_ids
    tally = Counter(t for themes in data["themes"] for t in themes)
    themes = sorted(
        tally, key=lambda t: (-tally[t], order_known.index(t) if t in order_known else 999, t)
    )
    none = sum(1 for themes in data["themes"] if not themes)
    rows = [*themes, *([NO_THEME] if none else []), all_label]
    themes_of = [ts if ts else (NO_THEME,) for ts in data["themes"]]
    counts: dict[Cell, int] = {}
    lines: list[tuple[tuple[Cell, ...], Cell]] = []
    keys: dict[Cell, Hashable] = {(all_label, "n"): all_key}
    outcomes: list[str] = []
    if with_outcomes:
        outcomes = _outcome_order(data["outcome"])
        pairs = Counter(
            (t, o) for ts, o in zip(themes_of, data["outcome"], strict=True) for t in ts
        )
        pairs.update((all_label, o) for o in data["outcome"])
        for r in rows:
            for o in outcomes:
                counts[(r, o)] = pairs.get((r, o), 0)
            lines.append((tuple((r, o) for o in outcomes), (r, "n")))
        keys.update({(all_label, o): ("outcome", ctx.year, o) for o in outcomes})
    per_row = Counter(t for ts in themes_of for t in ts)
    for r in rows:
        counts[(r, "n")] = per_row.get(r, 0) if r != all_label else len(data)

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        header = ["Theme", noun.capitalize(), f"% of {noun}"]
        if with_outcomes:
            header.append("Outcomes")
        body = []
        themes_shown = _shown_order(rows[:-1], lambda r: (r, "n") in view.hidden, ctx.name)
        for r in [*themes_shown, all_label]:
            line: list[Value] = [
                ctx.name(r),
                view.count((r, "n")),
                view.pct((r, "n"), (all_label, "n")),
            ]
            if with_outcomes:
                parts = [
                    f"{view.count((r, o))} {o.lower()}"
                    for o in outcomes
                    if counts[(r, o)] > 0 or (r, o) in view.hidden
                ]
                line.append(", ".join(parts))
            body.append(line)
        caption = (
            f"Themes of {noun} received in {ctx.label}, most common first; a record can have "
            f"several themes, so the rows add up to more than the base; "
            f"base: n={view.word((all_label, 'n'))} {noun}; {_ROUNDING}."
        )
        return _frame(header, body), caption

    return _Grid(name, counts, lines, keys, render)


def _theme_outcome(ctx: _Context) -> _Grid:
    ctx.need_themes()
    ctx.need("outcome")
    data = ctx.complaints(year=ctx.year)
    return _themes_table(
        ctx,
        "theme_outcome",
        data,
        True,
        "complaints",
        ALL_COMPLAINTS,
        ("complaints", ctx.year, TOTAL),
    )


def _compliment_themes(ctx: _Context) -> _Grid:
    ctx.need_themes()
    data = ctx.need_compliments(year_only=True)
    return _themes_table(
        ctx,
        "compliment_themes",
        data,
        False,
        "compliments",
        ALL_COMPLIMENTS,
        ("compliments", ctx.year),
    )


def _compliments_by_year(ctx: _Context) -> _Grid:
    data = ctx.need_compliments()
    counts, lines = _crosstab(
        ((y, "n") for y in data["year"]), ctx.years, ["n"], total_row=False, total_col=False
    )
    keys = {(y, "n"): ("compliments", y) for y in ctx.years}

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            ["Year", "Compliments"],
            ([financial_year_label(y), view.count((y, "n"))] for y in ctx.years),
        )
        caption = (
            f"Compliments received each year, {ctx.labels()[0]} to {ctx.label}; "
            f"base: {ctx.label} n={view.word((ctx.year, 'n'))} compliments."
        )
        return table, caption

    return _Grid("compliments_by_year", counts, lines, keys, render)


def _compliments_share(ctx: _Context, name: str, column: str, label: str, what: str) -> _Grid:
    ctx.need(column)
    data = ctx.need_compliments(year_only=True)
    order = _by_count(data[column])
    counts, lines = _crosstab(
        ((v, "n") for v in data[column]), order, ["n"], total_row=True, total_col=False
    )
    keys = {(TOTAL, "n"): ("compliments", ctx.year)}

    def render(view: _View) -> tuple[pd.DataFrame, str]:
        table = _frame(
            [label, "Compliments", "% of compliments"],
            (
                [r, view.count((r, "n")), view.pct((r, "n"), (TOTAL, "n"))]
                for r in [*_shown_order(order, lambda r: (r, "n") in view.hidden, str), TOTAL]
            ),
        )
        caption = (
            f"{what} in {ctx.label}: number and % of the year's compliments; "
            f"base: n={view.word((TOTAL, 'n'))} compliments; {_ROUNDING}."
        )
        return table, caption

    return _Grid(name, counts, lines, keys, render)


_BUILDERS: dict[str, Callable[[_Context], _Grid]] = {
    "totals_by_year": _totals_by_year,
    "stages": _stages,
    "team_procedure": _team_procedure,
    "complainant": _complainant,
    "method": _method,
    "timeliness": _timeliness,
    "category_outcome": _category_outcome,
    "category_outcome_by_year": _category_outcome_by_year,
    "category_share": _category_share,
    "theme_outcome": _theme_outcome,
    "compliments_by_year": _compliments_by_year,
    "compliments_by_team": lambda ctx: _compliments_share(
        ctx, "compliments_by_team", "team", "Team", "Compliments by team"
    ),
    "compliments_by_source": lambda ctx: _compliments_share(
        ctx, "compliments_by_source", "complainant", "Source", "Who gave compliments"
    ),
    "compliments_by_channel": lambda ctx: _compliments_share(
        ctx, "compliments_by_channel", "method", "Channel", "How compliments were received"
    ),
    "compliment_themes": _compliment_themes,
}


# --------------------------------------------------------------------------- build


def _check_options(options: ReportOptions) -> None:
    below = options.suppress_below
    if below is not None and (isinstance(below, bool) or not isinstance(below, int) or below < 2):
        raise ThemesError(
            f"--suppress-below must be a whole number of 2 or more (5 is usual), found {below!r}; "
            "leave it out to publish every count"
        )
    if options.trend_years < 1:
        raise ThemesError(f"trend_years must be 1 or more, found {options.trend_years}")


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _where(rows: pd.DataFrame) -> str:
    return _row_list(list(rows["row"]), list(rows["ref"]))


def _notes(
    ctx: _Context, rows_read: int
) -> tuple[list[str], dict[str, int], dict[str, LabelSources]]:
    """What the reader must know: what was counted, where labels came from, data problems."""
    log, rows = ctx.log, ctx.log.rows
    notes = list(log.notes)
    problems: dict[str, int] = {}
    in_years = rows[rows["year"].isin(ctx.years)]
    notes.append(
        f"Read {_n(rows_read, 'row')}; {len(in_years)} {_were(len(in_years))} received from "
        f"{ctx.labels()[0]} to {ctx.label} (financial years, 1 April to 31 March, of the "
        "date received)."
    )
    for problem, what in (
        ("missing", "no date received"),
        ("unreadable", "a date received that could not be read"),
    ):
        bad = rows[rows["received_problem"] == problem]
        if len(bad):
            problems[f"date_received {problem}"] = len(bad)
            notes.append(
                f"{_n(len(bad), 'row')} {_has(len(bad))} {what} ({_where(bad)}), so "
                f"{'it is' if len(bad) == 1 else 'they are'} in no table; correct the dates "
                "(e.g. 01/04/2023) and run again."
            )
    later = rows[rows["year"].notna() & (rows["year"] > ctx.year)]
    if len(later):
        notes.append(
            f"{_n(len(later), 'row')} received after {ctx.label} {_is(len(later))} "
            "not in this report."
        )
    # The report year may not be over yet.
    year_rows = rows[rows["year"] == ctx.year]
    if len(year_rows):
        last = max(year_rows["received"])
        if (date(ctx.year + 1, 3, 31) - last).days > 31:
            notes.append(
                f"The latest date received in {ctx.label} is {last:%d %B %Y}: "
                "the year may not be complete."
            )
    counted = ctx.complaints()
    if log.uses_stage:
        later_stage = in_years[in_years["complaint"] & ~in_years["counted"]]
        blank = counted[counted["stage"] == ""]
        note = (
            "Each complaint is counted once, by its stage 1 row: "
            f"{_n(len(later_stage), 'row')} at stage 2, stage 3 or LGSCO "
            f"{_is(len(later_stage))} in the stages table only"
        )
        if len(blank):
            note += (
                f"; {_n(len(blank), 'complaint')} with a blank stage {_is(len(blank))} "
                "counted as stage 1"
            )
        notes.append(note + ".")
        refs_at_one = set(counted["ref"]) - {""}
        orphans = later_stage[(later_stage["ref"] != "") & ~later_stage["ref"].isin(refs_at_one)]
        if len(orphans):
            notes.append(
                f"{_n(len(orphans), 'later-stage row')} {_has(len(orphans))} no stage 1 row with "
                "the same reference; if the log has one row per complaint (stage = highest "
                'reached), pass --stage-column "" to count every complaint row.'
            )
    else:
        notes.append("Each complaint row is counted as one complaint (the log has no stage).")
    if log.has_kind:
        other = in_years[~in_years["complaint"] & ~in_years["compliment"]]
        if len(other):
            kinds = Counter(k if k else "blank" for k in other["kind"])
            listing = ", ".join(f"{k} ({n})" for k, n in sorted(kinds.items()))
            notes.append(
                f"Rows that are neither complaints nor compliments, not counted: {listing}."
            )
    if log.columns["date_responded"] is not None:
        unreadable = counted[counted["responded_problem"] == "unreadable"]
        early = counted[
            [
                sent is not None and sent < got
                for got, sent in zip(counted["received"], counted["responded"], strict=True)
            ]
        ]
        for bad, key, what in (
            (unreadable, "date_responded unreadable", "a response date that could not be read"),
            (
                early,
                "date_responded before date_received",
                "a response date before the date received",
            ),
        ):
            if len(bad):
                problems[key] = len(bad)
                notes.append(
                    f"{_n(len(bad), 'complaint')} {_has(len(bad))} {what} ({_where(bad)}); "
                    "timeliness counts them as not answered."
                )
    sources: dict[str, LabelSources] = {}
    compliments = ctx.compliments()
    tagged = pd.concat([counted, compliments])
    for name, subset in (("kind", in_years), ("category", counted), ("themes", tagged)):
        source = Counter(subset[f"{name}_source"])
        sources[name] = LabelSources(source["officer"], source["suggested"], source[""])
    notes.append(
        "Labels used: "
        + "; ".join(f"{name}: {s}" for name, s in sources.items())
        + ". Suggested labels come from `themes tag` where an officer left the column blank."
    )
    suggested_any = in_years[
        (in_years["kind_source"] == "suggested")
        | (in_years["category_source"] == "suggested")
        | (in_years["themes_source"] == "suggested")
    ]
    flagged = int(suggested_any["needs_review"].sum())
    if flagged:
        notes.append(
            f"{_n(flagged, 'row')} {'uses' if flagged == 1 else 'use'} suggested labels that "
            "`themes tag` flagged for review and no officer has checked; check them before "
            "publishing."
        )
    known_categories = {*ctx.taxonomy.category_ids, NO_CATEGORY}
    unknown_cats = sorted({c for c in counted["category"] if c not in known_categories})
    if unknown_cats:
        notes.append(
            "Categories not in the taxonomy, shown as written: "
            + ", ".join(unknown_cats[:10])
            + "."
        )
    unknown_themes = sorted(
        {t for ts in tagged["themes"] for t in ts} - set(ctx.taxonomy.theme_ids)
    )
    if unknown_themes:
        notes.append(
            "Themes not in the taxonomy, shown as written: " + ", ".join(unknown_themes[:10]) + "."
        )
    places = "whole numbers" if PERCENT_DECIMALS == 0 else f"{PERCENT_DECIMALS} decimal places"
    notes.append(f"Percentages are rounded half up to {places}; {_ROUNDING}.")
    return notes, problems, sources


def build_report(frame: pd.DataFrame, options: ReportOptions | None = None) -> Report:
    """Build the annual report's tables from a complaints log.

    ``frame`` is the log as read by ``themes.io.read_table`` (CSV, Excel or JSON
    lines). Tables that need a column the log lacks are skipped and listed in
    ``Report.skipped``; the others are produced. Raises ColumnError when the date
    received column (or a column named in ``options``) is missing, InputFileError
    when no row has a readable date or the chosen year has no rows, and
    ThemesError for invalid options.
    """
    options = options or ReportOptions()
    _check_options(options)
    taxonomy = options.taxonomy or default_taxonomy()
    log = _prepare(frame, options, taxonomy)
    rows = log.rows
    dated = sorted({int(y) for y in rows["year"].dropna()})
    # The default year is the latest with a complaint or compliment counted, not one
    # that only holds, say, a stage 2 row received after the year end.
    reported = rows[(rows["counted"] | rows["compliment"]) & rows["year"].notna()]
    latest = int(max(reported["year"])) if len(reported) else (dated[-1] if dated else None)
    if not dated:
        raise InputFileError(
            f"no row of the log has a readable date received (of {len(rows)} rows); expected "
            "dates like 01/04/2023, 1 April 2023 or 2023-04-01; check --date-received-column"
        )
    if options.year is None:
        assert latest is not None
        year = latest
    else:
        try:
            year = parse_financial_year(options.year)
        except ValueError as exc:
            raise ThemesError(f"--year: {exc}") from None
        if year not in dated:
            raise InputFileError(
                f"no rows were received in {financial_year_label(year)}; the log covers "
                f"{financial_year_label(dated[0])} to {financial_year_label(dated[-1])}; "
                "pass --year with a year in that range"
            )
    first = max(dated[0], year - options.trend_years + 1)
    ctx = _Context(log=log, taxonomy=taxonomy, year=year, years=list(range(first, year + 1)))

    grids: list[_Grid] = []
    skipped: dict[str, str] = {}
    for name, builder in _BUILDERS.items():
        try:
            grids.append(builder(ctx))
        except _Skip as reason:
            skipped[name] = str(reason)
    hidden = _suppress_all(grids, options.suppress_below)
    tables: dict[str, pd.DataFrame] = {}
    captions: dict[str, str] = {}
    for grid in grids:
        assert grid.render is not None
        table, caption = grid.render(_View(grid, options.suppress_below, hidden[grid.name]))
        tables[grid.name] = table
        captions[grid.name] = caption
    notes, problems, sources = _notes(ctx, len(frame))
    if options.suppress_below:
        n = options.suppress_below
        notes.append(
            f"Counts from 1 to {n - 1} are shown as <{n}; {SECONDARY_MARK} marks a count hidden "
            f"so that a count below {n} cannot be worked out from the totals; percentages of "
            "hidden counts are hidden too."
        )
    return Report(
        year=ctx.label,
        years=ctx.labels(),
        tables=tables,
        titles={name: TABLE_TITLES[name] for name in tables},
        captions=captions,
        skipped=skipped,
        notes=notes,
        label_sources=sources,
        date_problems=problems,
        suppress_below=options.suppress_below,
        rows_read=len(frame),
    )


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def _atomic(path: Path):
    """A temporary path next to ``path``, renamed onto it only if the block succeeds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    temp = Path(tmp)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


_NUMBER_LIKE = re.compile(rf"<\d+|{re.escape(SECONDARY_MARK)}|")


def _number_like(value: Any) -> bool:
    """A count, a percentage or a suppression mark: right-aligned in tables."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and _NUMBER_LIKE.fullmatch(value) is not None


def _markdown_cell(value: Any) -> str:
    return cell_text(value).replace("|", "\\|").replace("\n", " ")


def _markdown_table(table: pd.DataFrame) -> str:
    header = [_markdown_cell(c) for c in table.columns]
    numeric = [
        i > 0 and all(_number_like(v) for v in table.iloc[:, i]) for i in range(table.shape[1])
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if right else "---" for right in numeric) + "|",
    ]
    for row in table.itertuples(index=False):
        cells = [_markdown_cell(v) for v in row]
        if cells and cells[0] in (TOTAL, ALL_COMPLAINTS, ALL_COMPLIMENTS):
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write_markdown(report: Report, path: Path, charts: dict[str, Path]) -> None:
    out = [
        f"# Children's social care complaints and compliments: annual report tables {report.year}",
        "",
        f"Figures for the financial year {report.year} (1 April to 31 March), with trends "
        f"from {report.years[0]}.",
        "",
        "## About these figures",
        "",
        *[f"- {note}" for note in report.notes],
        "",
    ]
    chart_for = {table: stem for stem, (table, _) in CHARTS.items()}
    for number, (name, table) in enumerate(report.tables.items(), start=1):
        out += [
            f"## {number}. {report.titles[name]}",
            "",
            f"*{report.captions[name]}*",
            "",
            _markdown_table(table),
            "",
        ]
        stem = chart_for.get(name)
        if stem and stem in charts:
            out += [f"![{CHARTS[stem][1]}](charts/{charts[stem].name})", ""]
    if report.skipped:
        out += ["## Tables not produced", ""]
        out += [f"- {name}: {reason}" for name, reason in report.skipped.items()]
        out.append("")
    with _atomic(path) as temp:
        temp.write_text("\n".join(out), encoding="utf-8")


def _write_xlsx(report: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    def put(sheet: Any, row: int, column: int, value: Any) -> Any:
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"  # never a live formula, whatever a team is called
        else:
            cell.value = value
        return cell

    book = Workbook()
    contents = book.active
    contents.title = "Contents"
    put(contents, 1, 1, f"Annual report tables {report.year}").font = Font(bold=True, size=14)
    put(contents, 3, 1, "Sheet").font = bold
    put(contents, 3, 2, "Table").font = bold
    put(contents, 3, 3, "Caption").font = bold
    row = 4
    for name in report.tables:
        put(contents, row, 1, name)
        put(contents, row, 2, report.titles[name])
        put(contents, row, 3, report.captions[name])
        row += 1
    row += 1
    put(contents, row, 1, "Notes").font = bold
    for note in report.notes:
        row += 1
        put(contents, row, 1, note)
    if report.skipped:
        row += 2
        put(contents, row, 1, "Tables not produced").font = bold
        for name, reason in report.skipped.items():
            row += 1
            put(contents, row, 1, name)
            put(contents, row, 2, reason)
    contents.column_dimensions["A"].width = 26
    contents.column_dimensions["B"].width = 40
    contents.column_dimensions["C"].width = 100
    contents.freeze_panes = "A4"

    for name, table in report.tables.items():
        sheet = book.create_sheet(name[:31])
        for j, column in enumerate(table.columns, start=1):
            cell = put(sheet, 1, j, str(column))
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, values in enumerate(table.itertuples(index=False), start=2):
            is_total = str(values[0]) in (TOTAL, ALL_COMPLAINTS, ALL_COMPLIMENTS)
            for j, value in enumerate(values, start=1):
                cell = put(sheet, i, j, value)
                if is_total:
                    cell.font = bold
                if _number_like(value):
                    cell.alignment = Alignment(horizontal="right")
        for j, column in enumerate(table.columns, start=1):
            width = max([len(str(column)), *(len(cell_text(v)) for v in table.iloc[:, j - 1])])
            sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "B2"
    with _atomic(path) as temp:
        book.save(temp)


def _bar_parts(values: Sequence[Any]) -> tuple[list[float], list[str]]:
    """Bar heights and labels: a hidden count draws no bar but keeps its "<5" label."""
    heights, labels = [], []
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            heights.append(float(value))
            labels.append(f"{value:g}")
        else:
            heights.append(0.0)
            labels.append(str(value))
    return heights, labels


def _figure(width: float = 7.0, height: float = 4.2) -> tuple[Any, Any]:
    # 7 inches wide is about the text width of an A4 Word page, so text keeps its size.
    # Figure + Agg canvas directly: no pyplot, so no global backend is switched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=200, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=10)
    return figure, axes


def _finish(figure: Any, report: Report, path: Path, title: str) -> None:
    figure.suptitle(title, fontsize=13, fontweight="bold")
    if report.suppress_below:
        # Keep a strip at the bottom free for the key, below the axis label.
        height = figure.get_figheight()
        figure.get_layout_engine().set(rect=(0, 0.3 / height, 1, 1 - 0.3 / height))
        figure.text(
            0.01,
            0.005,
            f"<{report.suppress_below}: fewer than {report.suppress_below}; "
            f"{SECONDARY_MARK}: hidden to protect small numbers",
            fontsize=8,
            color="#444444",
            ha="left",
            va="bottom",
        )
    with _atomic(path) as temp:
        figure.savefig(temp, format="png")


def _grouped_bars(
    axes: Any, groups: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]]
) -> None:
    from matplotlib.ticker import MaxNLocator

    width = 0.8 / max(len(series), 1)
    top = 0.0
    for i, (name, values) in enumerate(series):
        heights, labels = _bar_parts(values)
        top = max([top, *heights])
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        # The Total series is grey so the parts keep the palette's first colours.
        colour = "#666666" if name == TOTAL else PALETTE[i % len(PALETTE)]
        bars = axes.bar(xs, heights, width * 0.95, label=name, color=colour)
        axes.bar_label(bars, labels=labels, padding=2, fontsize=9)
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylim(0, top * 1.12 + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)
    # Above the plot, so it never hides a bar.
    axes.legend(
        frameon=False,
        fontsize=9,
        ncols=min(len(series), 4),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )


def _horizontal_bars(
    axes: Any, labels: Sequence[str], counts: Sequence[Any], pcts: Sequence[Any]
) -> None:
    from matplotlib.ticker import MaxNLocator

    heights, texts = _bar_parts(counts)
    texts = [
        f"{t} ({p}%)" if isinstance(p, (int, float)) else t
        for t, p in zip(texts, pcts, strict=True)
    ]
    wrapped = [textwrap.fill(str(label), 28) for label in labels]
    bars = axes.barh(range(len(labels)), heights, color=PALETTE[0], height=0.7)
    axes.bar_label(bars, labels=texts, padding=3, fontsize=9)
    axes.set_yticks(range(len(labels)), wrapped)
    axes.invert_yaxis()
    axes.set_xlim(0, max([*heights, 1]) * 1.25)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.grid(True, color="#dddddd")
    axes.set_axisbelow(True)


def _chart_trend(report: Report, path: Path) -> None:
    table = report.tables["totals_by_year"]
    figure, axes = _figure()
    series = [(column, list(table[column])) for column in table.columns[1:]]
    _grouped_bars(axes, list(table["Year"]), series)
    axes.set_xlabel("Financial year (1 April to 31 March)", fontsize=11)
    axes.set_ylabel("Complaints received", fontsize=11)
    _finish(figure, report, path, f"Complaints received by year, {report.period}")


def _chart_categories(report: Report, path: Path) -> None:
    table = report.tables["category_share"]
    body = table[table["Category"] != TOTAL]
    figure, axes = _figure()
    series = [
        (str(category), [body.iloc[i][f"{y} n"] for y in report.years])
        for i, category in enumerate(body["Category"])
    ]
    _grouped_bars(axes, report.years, series)
    axes.set_xlabel("Financial year (1 April to 31 March)", fontsize=11)
    axes.set_ylabel("Complaints received", fontsize=11)
    _finish(figure, report, path, f"Complaints by category, {report.period}")


def _chart_themes(report: Report, path: Path, top: int) -> None:
    table = report.tables["theme_outcome"]
    body = table[~table["Theme"].isin([NO_THEME, ALL_COMPLAINTS])].head(top)
    figure, axes = _figure(7.0, max(3.0, 0.42 * len(body) + 1.6))
    _horizontal_bars(
        axes, list(body["Theme"]), list(body["Complaints"]), list(body["% of complaints"])
    )
    axes.set_xlabel("Complaints with this theme (a complaint can have several)", fontsize=11)
    _finish(figure, report, path, f"Most common themes in complaints, {report.year}")


def _chart_compliments(report: Report, path: Path) -> None:
    table = report.tables["compliments_by_team"]
    body = table[table["Team"] != TOTAL]
    figure, axes = _figure(7.0, max(3.0, 0.42 * len(body) + 1.6))
    _horizontal_bars(
        axes, list(body["Team"]), list(body["Compliments"]), list(body["% of compliments"])
    )
    axes.set_xlabel("Compliments received (% of the year's compliments)", fontsize=11)
    _finish(figure, report, path, f"Compliments by team, {report.year}")


def write_report(
    report: Report, out_dir: str | Path, *, protect: Sequence[str | Path] = (), top_themes: int = 10
) -> list[Path]:
    """Write the report to ``out_dir`` and return the paths written.

    Writes ``tables/<name>.csv`` for every table, ``report.xlsx`` (a sheet per
    table), ``report.md`` (every table with its caption, and the charts) and
    ``charts/<name>.png``. Files this function would write for tables that were
    skipped this time are removed, so an old table is never mistaken for a new
    one. Raises OutputError if ``out_dir`` is a file or an output would replace
    one of the ``protect`` paths (pass the input log there).
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out '{out}' is a file; expected a folder for the report")
    tables_dir, charts_dir = out / "tables", out / "charts"
    planned = [out / "report.md", out / "report.xlsx"]
    planned += [tables_dir / f"{name}.csv" for name in report.tables]
    guarded = {Path(p).resolve() for p in protect}
    for path in planned:
        if path.resolve() in guarded:
            raise OutputError(
                f"writing the report would replace the input file '{path.name}'; "
                "choose another --out folder"
            )
    try:
        tables_dir.mkdir(parents=True, exist_ok=True)
        charts_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create the folder '{out}' ({exc.strerror}); choose another --out"
        ) from None
    written: list[Path] = []
    for name in TABLE_TITLES:
        path = tables_dir / f"{name}.csv"
        if name not in report.tables:
            if path.resolve() not in guarded:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            continue
        table = report.tables[name]
        with TableWriter(path, [str(c) for c in table.columns], safe_csv=True) as writer:
            writer.write(table)
        written.append(path)
    charts: dict[str, Path] = {}
    drawers: dict[str, Callable[[Report, Path], None]] = {
        "trend": _chart_trend,
        "categories_by_year": _chart_categories,
        "top_themes": lambda r, p: _chart_themes(r, p, top_themes),
        "compliments_by_team": _chart_compliments,
    }
    for stem, (table_name, _) in CHARTS.items():
        path = charts_dir / f"{stem}.png"
        if table_name not in report.tables:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        drawers[stem](report, path)
        charts[stem] = path
        written.append(path)
    _write_xlsx(report, out / "report.xlsx")
    written.append(out / "report.xlsx")
    _write_markdown(report, out / "report.md", charts)
    written.append(out / "report.md")
    return written


def report_from_file(
    path: str | Path,
    out_dir: str | Path,
    options: ReportOptions | None = None,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    delimiter: str | None = None,
) -> tuple[Report, list[Path]]:
    """Read a log, build the report and write it: what ``themes report`` runs.

    Returns the report (for its notes and skipped tables) and the paths written.
    """
    options = options or ReportOptions()
    frame = read_table(
        path, encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
    )
    # Blank rows inside a log are kept by the reader (nothing is lost when tagging);
    # they are not records, so the report leaves them out.
    if len(frame):
        blank = frame.apply(lambda column: column.map(cell_text).str.strip() == "").all(axis=1)
        frame = frame.loc[~blank].reset_index(drop=True)
    report = build_report(frame, options)
    written = write_report(report, out_dir, protect=[path], top_themes=options.top_themes)
    return report, written
