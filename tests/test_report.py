"""The annual report: published-style figures reproduced exactly, suppression, outputs, notebook.

The published-style figures below are the only hard-coded answers: a log is
built from them (with the mess real logs have: case, spacing, date formats,
suggested labels, later stages, comments, unreadable dates), written to CSV,
Excel and JSON lines, read back, and the report must give every figure back.
"""

from __future__ import annotations

import csv
import json
import math
import random
import re
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from themes.errors import ColumnError, InputFileError, OutputError, ThemesError
from themes.io import read_table
from themes.report import (
    SECONDARY_MARK,
    TABLE_TITLES,
    ReportColumns,
    ReportOptions,
    build_report,
    normalise_outcome,
    normalise_procedure,
    normalise_stage,
    report_from_file,
    round_percent,
    write_report,
)
from themes.workdays import add_working_days

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "report_sample_log.csv"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "annual_report.ipynb"
SECRET = "SENTINEL private words about a named child"

# ----------------------------------------------------------------------------------------
# The chosen figures, in the style of a council's published annual report.

TOTALS = {  # year: (statutory, corporate) complaints received at stage 1
    "2019/20": (41, 22),
    "2020/21": (35, 19),
    "2021/22": (48, 27),
    "2022/23": (52, 31),
    "2023/24": (58, 31),
}
OUTCOMES = {  # earlier years: upheld, not upheld, partly upheld, withdrawn
    "2019/20": (12, 40, 11, 0),
    "2020/21": (9, 36, 9, 0),
    "2021/22": (14, 47, 14, 0),
    "2022/23": (15, 50, 18, 0),
}
CATEGORY_OUTCOME = {  # 2023/24: category -> upheld, not upheld, partly upheld, withdrawn
    "Service provision": (12, 30, 9, 0),
    "Assessment / review process": (4, 18, 3, 1),
    "Staff": (2, 8, 1, 1),
}
TEAMS = {  # 2023/24: team -> statutory, corporate
    "Child in Need and Child Protection": (20, 12),
    "Children in Care and Care Leavers": (14, 5),
    "Duty and Assessment": (9, 8),
    "Disabled Children": (8, 2),
    "Fostering": (4, 3),
    "Adoption": (3, 1),
}
COMPLAINANTS = {  # 2023/24
    "Parent": 60,
    "Child or young person": 12,
    "Relative": 9,
    "Foster carer": 5,
    "Professional": 3,
}
THEMES = {  # 2023/24: theme -> {outcome: complaints}
    "Communication": {"Not upheld": 14, "Partly upheld": 3},
    "Delay and timeliness": {"Upheld": 5, "Not upheld": 7},
    "Staff conduct": {"Upheld": 2, "Not upheld": 6},
}
TIMELINESS = {  # 2023/24: procedure -> answered within 10, in 11 to 20, over 20 working days
    "Statutory": (40, 12, 6),
    "Corporate": (20, 8, 3),
}
COMPLIMENTS = {"2019/20": 30, "2020/21": 41, "2021/22": 38, "2022/23": 45, "2023/24": 52}
COMPLIMENT_TEAMS = {  # 2023/24
    "Fostering": 20,
    "Children in Care and Care Leavers": 14,
    "Child in Need and Child Protection": 10,
    "Disabled Children": 8,
}

OUTCOME_NAMES = ("Upheld", "Not upheld", "Partly upheld", "Withdrawn")
CATEGORY_IDS = {
    "Service provision": "service_provision",
    "Assessment / review process": "assessment_review",
    "Staff": "staff",
}
THEME_IDS = {"Communication": "communication", "Delay and timeliness": "delay"}
THEME_IDS["Staff conduct"] = "staff_conduct"
COLUMNS = [
    "reference", "date_received", "date_responded", "kind", "procedure", "stage", "team",
    "complainant", "method", "advocate", "text", "themes", "category", "outcome",
    "suggested_kind", "suggested_themes", "suggested_category", "confidence", "needs_review",
]  # fmt: skip

# How officers really type things: the report must read all of these alike.
MESSY = {
    "complaint": ["Complaint", "complaint ", "COMPLAINT", "complaint"],
    "compliment": ["Compliment", "compliment ", "compliment"],
    "Statutory": ["Statutory", "statutory ", "Stat", "STATUTORY"],
    "Corporate": ["Corporate", "corporate", "CORPORATE "],
    "Upheld": ["Upheld", "upheld ", "UPHELD"],
    "Not upheld": ["Not Upheld", "not upheld", "Not upheld ", "NOT UPHELD"],
    "Partly upheld": ["Partially upheld", "partly upheld", "Part upheld", "Partly Upheld"],
    "Withdrawn": ["withdrawn", "Withdrawn"],
    "stage": ["1", "Stage 1", "stage one", "", "S1"],
}


def half_up(part: int, whole: int) -> int:
    """Independent of the library: a percentage rounded half up to a whole number."""
    return math.floor(part * 100 / whole + 0.5)


def _date_cell(day: date, i: int) -> Any:
    """The forms dates take in real logs (Excel cells, ISO, UK, long, serial)."""
    form = i % 6
    if form == 0:
        return datetime(day.year, day.month, day.day, 9, 30)
    if form == 1:
        return day.isoformat()
    if form == 2:
        return day.strftime("%d/%m/%Y")
    if form == 3:
        return f"{day.day} {day:%B %Y}"
    if form == 4:
        return (day - date(1899, 12, 30)).days
    return f"{day.day}/{day.month}/{day:%y}"


class PublishedLog:
    """Builds the log behind the chosen figures, and remembers what it did."""

    def __init__(self) -> None:
        self.rng = random.Random(1989)
        self.rows: list[dict[str, Any]] = []
        self.messy = {key: cycle(values) for key, values in MESSY.items()}
        self.n = 0
        self.suggested = Counter()  # field -> rows whose label came from the suggestion
        self.blank_themes = 0  # counted complaints and compliments with no theme at all
        self.no_theme_2023 = 0
        self.flagged = 0  # rows in the report years using suggested labels flagged for review
        self.build()

    def variant(self, key: str) -> str:
        return next(self.messy[key])

    def add(self, **cells: Any) -> dict[str, Any]:
        self.n += 1
        row = {c: "" for c in COLUMNS}
        row.update(reference=f"CSC-{self.n:05d}", text=SECRET, advocate="no", confidence="0.8")
        row.update(cells)
        self.rows.append(row)
        return row

    def build(self) -> None:
        for label, (stat, corp) in TOTALS.items():
            self.complaints(int(label[:4]), stat, corp)
            self.compliments(int(label[:4]), COMPLIMENTS[label])
        self.noise()
        self.rng.shuffle(self.rows)

    def complaints(self, year: int, stat: int, corp: int) -> None:
        total = stat + corp
        label = f"{year}/{(year + 1) % 100:02d}"
        if label == "2023/24":
            cat_out = [
                (cat, OUTCOME_NAMES[j])
                for cat, counts in CATEGORY_OUTCOME.items()
                for j, k in enumerate(counts)
                for _ in range(k)
            ]
            team_proc = [
                (team, proc)
                for team, pair in TEAMS.items()
                for proc, k in zip(("Statutory", "Corporate"), pair, strict=True)
                for _ in range(k)
            ]
            who = [c for c, k in COMPLAINANTS.items() for _ in range(k)]
        else:
            outs = [
                o for o, k in zip(OUTCOME_NAMES, OUTCOMES[label], strict=True) for _ in range(k)
            ]
            cats = list(CATEGORY_IDS)
            cat_out = [(cats[i % 3], o) for i, o in enumerate(outs)]
            procs = ["Statutory"] * stat + ["Corporate"] * corp
            team_proc = [(list(TEAMS)[i % 6], p) for i, p in enumerate(procs)]
            who = [list(COMPLAINANTS)[i % 5] for i in range(total)]
        assert len(cat_out) == len(team_proc) == len(who) == total
        for pairs in (cat_out, team_proc, who):
            self.rng.shuffle(pairs)
        # Working days to answer, per procedure: the 2023/24 figures, else 5 days.
        delays: dict[str, list[int]] = {}
        for proc in ("Statutory", "Corporate"):
            if label == "2023/24":
                w10, w20, over = TIMELINESS[proc]
                days = [1 + i % 10 for i in range(w10)] + [11 + i % 10 for i in range(w20)]
                days += [21 + i % 15 for i in range(over)]
                self.rng.shuffle(days)
            else:
                days = [5] * total
            delays[proc] = days
        themes_left = {t: dict(spec) for t, spec in THEMES.items()} if label == "2023/24" else {}
        for i in range(total):
            category, outcome = cat_out[i]
            team, proc = team_proc[i]
            received = date(year, 4, 1) + timedelta(days=i * 365 // total)
            responded = add_working_days(received, delays[proc].pop())
            themes = []
            for theme, spec in themes_left.items():
                if spec.get(outcome, 0) > 0:
                    spec[outcome] -= 1
                    themes.append(THEME_IDS[theme])
            row = self.add(
                date_received=_date_cell(received, i),
                date_responded=_date_cell(responded, i + 3),
                kind=self.variant("complaint"),
                procedure=self.variant(proc),
                stage=self.variant("stage"),
                team=team if i % 4 else team.lower() + " ",
                complainant=who[i],
                method=["Email", "Telephone", "Web form", "Letter"][i % 4],
                themes=";".join(themes),
                # Officers write ids or display names, in any case.
                category=[CATEGORY_IDS[category], category, category.lower()][i % 3],
                outcome=self.variant(outcome),
                suggested_kind="complaint",
                suggested_category=CATEGORY_IDS[category],
                suggested_themes=";".join(themes),
            )
            # Some labels only the model gave: the officer's column is blank.
            if i % 7 == 0:
                row["category"] = ""
                row["needs_review"] = "True"
                self.suggested["category"] += 1
            if i % 11 == 0:
                row["kind"] = ""
                self.suggested["kind"] += 1
            if themes and i % 3 == 0:
                row["themes"] = ""
                self.suggested["themes"] += 1
            if not themes:
                self.blank_themes += 1
                self.no_theme_2023 += label == "2023/24"
            if row["needs_review"]:
                self.flagged += 1
            # An escalation: the same complaint again at stage 2, not a new complaint.
            if label == "2023/24" and i % 15 == 0:
                later = _date_cell(received + timedelta(days=1), i)
                self.add(**{**row, "stage": "Stage 2", "date_received": later})
                self.suggested["kind"] += row["kind"] == ""
                self.flagged += bool(row["needs_review"])

    def compliments(self, year: int, count: int) -> None:
        label = f"{year}/{(year + 1) % 100:02d}"
        if label == "2023/24":
            teams = [t for t, k in COMPLIMENT_TEAMS.items() for _ in range(k)]
        else:
            teams = [list(COMPLIMENT_TEAMS)[i % 4] for i in range(count)]
        for i in range(count):
            self.add(
                date_received=_date_cell(date(year, 4, 3) + timedelta(days=i * 360 // count), i),
                kind=self.variant("compliment"),
                team=teams[i],
                complainant=["Parent", "Professional", "Child or young person"][i % 3],
                method=["Card", "Email", "Telephone", "Text message"][i % 4],
                themes="staff_conduct;support" if i % 2 else "communication",
                suggested_kind="compliment",
            )

    def noise(self) -> None:
        """Rows that must not be counted as complaints, and bad dates that must be reported."""
        self.add(
            date_received="2023-07-01", kind="Comment", procedure="Corporate", team="Fostering"
        )
        self.add(date_received="2023-08-01", kind="Concern", procedure="Statutory", team="Adoption")
        self.add(date_received="12/09/2023", kind="complaint", stage="LGSCO", procedure="Statutory")
        self.add(
            date_received="31/02/2024", kind="Complaint", procedure="Statutory", team="Fostering"
        )
        self.add(date_received="sometime in May", kind="Complaint", procedure="Statutory")
        self.add(date_received="", kind="Complaint", procedure="Corporate")
        for i in range(4):  # after the report year
            self.add(date_received=f"0{i + 1}/05/2024", kind="Complaint", procedure="Statutory")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS)


def _write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", newline="", encoding="cp1252") as handle:  # as Excel on Windows saves
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows({k: "" if v is None else str(v) for k, v in r.items()} for r in rows)
    return path


def _write_xlsx(rows: list[dict[str, Any]], path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[c] if row[c] != "" else None for c in COLUMNS])
    book.save(path)
    return path


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, default=str) + "\n")
    return path


WRITERS = {"csv": _write_csv, "xlsx": _write_xlsx, "jsonl": _write_jsonl}


@pytest.fixture(scope="module")
def published() -> PublishedLog:
    return PublishedLog()


@pytest.fixture(scope="module", params=sorted(WRITERS))
def published_file(
    request: pytest.FixtureRequest, published: PublishedLog, tmp_path_factory
) -> Path:
    folder = tmp_path_factory.mktemp(f"log_{request.param}")
    return WRITERS[request.param](published.rows, folder / f"tagged_2019-2024.{request.param}")


# ----------------------------------------------------------------------------------------
# The expected tables, from the chosen figures only.


def expected_totals() -> list[list[Any]]:
    return [[year, s, c, s + c] for year, (s, c) in TOTALS.items()]


def expected_category_outcome() -> list[list[Any]]:
    rows = [[cat, *counts, sum(counts)] for cat, counts in CATEGORY_OUTCOME.items()]
    totals = [sum(r[j] for r in rows) for j in range(1, 6)]
    return [*rows, ["Total", *totals]]


def expected_team_procedure() -> list[list[Any]]:
    rows = [[team, s, c, s + c] for team, (s, c) in TEAMS.items()]
    return [*rows, ["Total", *(sum(r[j] for r in rows) for j in range(1, 4))]]


def expected_outcomes_by_year() -> list[list[Any]]:
    last = [sum(c[j] for c in CATEGORY_OUTCOME.values()) for j in range(4)]
    table = {**OUTCOMES, "2023/24": tuple(last)}
    return [[year, *counts, sum(counts)] for year, counts in table.items()]


def _values(table: pd.DataFrame) -> list[list[Any]]:
    return [list(row) for row in table.itertuples(index=False)]


def _as_text(rows: list[list[Any]]) -> list[list[str]]:
    return [[str(v) for v in row] for row in rows]


# ----------------------------------------------------------------------------------------
# The published figures, reproduced exactly


def test_published_figures_are_reproduced_exactly(published_file: Path) -> None:
    report = build_report(read_table(published_file), ReportOptions(year="2023/24"))
    tables = report.tables
    assert report.year == "2023/24"
    assert report.years == list(TOTALS)

    assert list(tables["totals_by_year"].columns) == ["Year", "Statutory", "Corporate", "Total"]
    assert _values(tables["totals_by_year"]) == expected_totals()

    outcome = tables["category_outcome"]
    assert list(outcome.columns) == ["Category", *OUTCOME_NAMES, "Total"]
    assert _values(outcome) == expected_category_outcome()

    assert list(tables["team_procedure"].columns) == ["Team", "Statutory", "Corporate", "Total"]
    assert _values(tables["team_procedure"]) == expected_team_procedure()

    by_year = tables["category_outcome_by_year"]
    assert list(by_year.columns) == ["Year", *OUTCOME_NAMES, "Total"]
    assert _values(by_year) == expected_outcomes_by_year()


def test_published_shares_themes_timeliness_and_compliments(published_file: Path) -> None:
    tables = build_report(read_table(published_file), ReportOptions(year="2023/24")).tables
    base = sum(TOTALS["2023/24"])

    complainant = tables["complainant"].set_index("Complainant")
    for who, n in COMPLAINANTS.items():
        assert complainant.loc[who, "2023/24 n"] == n
        assert complainant.loc[who, "2023/24 %"] == half_up(n, base)
    assert complainant.loc["Total", "2023/24 n"] == base

    share = tables["category_share"].set_index("Category")
    for category, counts in CATEGORY_OUTCOME.items():
        assert share.loc[category, "2023/24 n"] == sum(counts)
        assert share.loc[category, "2023/24 %"] == half_up(sum(counts), base)

    themes = tables["theme_outcome"].set_index("Theme")
    for theme, spec in THEMES.items():
        n = sum(spec.values())
        assert themes.loc[theme, "Complaints"] == n
        assert themes.loc[theme, "% of complaints"] == half_up(n, base)
        expected = ", ".join(f"{spec[o]} {o.lower()}" for o in OUTCOME_NAMES if spec.get(o))
        assert themes.loc[theme, "Outcomes"] == expected
    # Sorted by count, most first; then complaints without a theme, then the base row.
    order = sorted(THEMES, key=lambda t: -sum(THEMES[t].values()))
    assert list(themes.index) == [*order, "No theme recorded", "All complaints"]
    assert themes.loc["All complaints", "Complaints"] == base

    timeliness = tables["timeliness"]
    latest = timeliness[timeliness["Year"] == "2023/24"].set_index("Procedure")
    for proc, (w10, w20, over) in TIMELINESS.items():
        n = w10 + w20 + over
        assert latest.loc[proc, "Complaints"] == n
        assert latest.loc[proc, "Within 10 days n"] == w10
        assert latest.loc[proc, "Within 10 days %"] == half_up(w10, n)
        assert latest.loc[proc, "Within 20 days n"] == w10 + w20
        assert latest.loc[proc, "Within 20 days %"] == half_up(w10 + w20, n)
        assert latest.loc[proc, "Over 20 days n"] == over
        assert latest.loc[proc, "Over 20 days %"] == half_up(over, n)
        assert latest.loc[proc, "Answered n"] == n
        assert latest.loc[proc, "Open n"] == 0
    assert latest.loc["All", "Complaints"] == base

    assert _values(tables["compliments_by_year"]) == [[y, n] for y, n in COMPLIMENTS.items()]
    teams = tables["compliments_by_team"].set_index("Team")
    total = COMPLIMENTS["2023/24"]
    for team, n in COMPLIMENT_TEAMS.items():
        assert teams.loc[team, "Compliments"] == n
        assert teams.loc[team, "% of compliments"] == half_up(n, total)
    assert teams.loc["Total", "Compliments"] == total
    # Rounded shares need not add to 100 (here 38 + 27 + 19 + 15 = 99): the caption says so.
    assert (
        "may not sum to 100"
        in build_report(read_table(published_file), ReportOptions(year="2023/24")).captions[
            "compliments_by_team"
        ]
    )


def test_published_report_states_its_sources_and_problems(
    published: PublishedLog, published_file: Path
) -> None:
    report = build_report(read_table(published_file), ReportOptions(year="2023/24"))
    sources = report.label_sources
    assert sources["category"].suggested == published.suggested["category"]
    assert (
        sources["category"].officer
        == sum(sum(v) for v in TOTALS.values()) - (published.suggested["category"])
    )
    assert sources["kind"].suggested == published.suggested["kind"]
    assert sources["themes"].suggested == published.suggested["themes"]
    assert sources["themes"].missing == published.blank_themes
    # Two unreadable dates and one blank one: counted and named, never dropped silently.
    assert report.date_problems == {"date_received missing": 1, "date_received unreadable": 2}
    text = "\n".join(report.notes)
    assert "2 rows have a date received that could not be read" in text
    assert "1 row has no date received" in text
    assert "4 rows received after 2023/24" in text
    assert "comment (1), concern (1)" in text
    assert f"{published.flagged} rows use suggested labels" in text
    stages = report.tables["stages"].set_index("Stage")
    assert stages.loc["Stage 1", "2023/24"] == sum(TOTALS["2023/24"])
    assert stages.loc["Stage 2", "2023/24"] == len(range(0, sum(TOTALS["2023/24"]), 15))
    assert stages.loc["LGSCO", "2023/24"] == 1
    themes = report.tables["theme_outcome"].set_index("Theme")
    assert themes.loc["No theme recorded", "Complaints"] == published.no_theme_2023
    assert not report.skipped


def test_written_outputs_hold_the_same_figures(published_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    report, written = report_from_file(published_file, out, ReportOptions(year="2023/24"))
    assert set(written) >= {out / "report.md", out / "report.xlsx"}
    for name in TABLE_TITLES:
        assert (out / "tables" / f"{name}.csv").exists()
    back = read_table(out / "tables" / "category_outcome.csv")
    assert _values(back) == _as_text(expected_category_outcome())
    back = read_table(out / "tables" / "totals_by_year.csv")
    assert _values(back) == _as_text(expected_totals())
    back = read_table(out / "tables" / "team_procedure.csv")
    assert _values(back) == _as_text(expected_team_procedure())

    from openpyxl import load_workbook

    book = load_workbook(out / "report.xlsx")
    assert book.sheetnames == ["Contents", *report.tables]
    sheet = book["category_outcome"]
    # The title and caption head the sheet; the table starts on row 4, frozen below its header.
    assert sheet["A1"].value == TABLE_TITLES["category_outcome"]
    assert sheet["A2"].value == report.captions["category_outcome"]
    assert sheet.freeze_panes == "B5"
    assert sheet["A4"].font.bold and sheet["B4"].font.bold
    assert sheet.column_dimensions["A"].width >= len("Assessment / review process")
    cells = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    assert cells == expected_category_outcome()

    markdown = (out / "report.md").read_text(encoding="utf-8")
    for name in report.tables:
        assert f". {TABLE_TITLES[name]}\n" in markdown
        assert report.captions[name] in markdown
        assert re.search(r"base: .*n=", report.captions[name]), name
    assert "| Service provision | 12 | 30 | 9 | 0 | 51 |" in markdown

    for stem in ("trend", "categories_by_year", "top_themes", "compliments_by_team"):
        png = out / "charts" / f"{stem}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 20_000  # a real chart, not an empty canvas


def test_no_complaint_text_reaches_any_output(published_file: Path, tmp_path: Path) -> None:
    report, written = report_from_file(published_file, tmp_path / "out", ReportOptions())
    assert SECRET not in "\n".join(report.notes + list(report.captions.values()))
    from openpyxl import load_workbook

    for path in written:
        if path.suffix in {".md", ".csv"}:
            assert "SENTINEL" not in path.read_text(encoding="utf-8-sig")
    book = load_workbook(tmp_path / "out" / "report.xlsx")
    for sheet in book:
        for row in sheet.iter_rows(values_only=True):
            assert not any("SENTINEL" in str(v) for v in row if v is not None)


# ----------------------------------------------------------------------------------------
# Suppression


def _is_pct(column: str) -> bool:
    return column.endswith("%") or column.startswith("% of")


def _count_columns(table: pd.DataFrame) -> list[str]:
    labels = {"Year", "Procedure", "Outcomes", "Average working days"}
    return [
        c
        for c in table.columns[1:]
        if c not in labels and not _is_pct(c) and "limit (working days)" not in c
    ]


def _numbers_in(table: pd.DataFrame) -> list[Any]:
    values = [v for c in _count_columns(table) for v in table[c]]
    if "Outcomes" in table.columns:
        for text in table["Outcomes"]:
            values += [p.split(" ", 1)[0] for p in str(text).split(", ") if p]
    return values


def _domain(value: Any, below: int, bound: int) -> set[int]:
    if value == f"<{below}":
        return set(range(1, below))
    if value == SECONDARY_MARK:
        return {0, *range(below, bound + 1)}
    return {int(value)}


def _feasible(domains: list[set[int]], target: set[int]) -> list[set[int]]:
    """By brute force over sets: the values each unknown can take, the sum being in target."""
    result = []
    if not target:
        return [set() for _ in domains]
    for i, own in enumerate(domains):
        sums = {0}
        for j, other in enumerate(domains):
            if j != i:
                sums = {s + v for s in sums for v in other if s + v <= max(target)}
        result.append({v for v in own if any(t - v in sums for t in target)})
    return result


def _lines(table: pd.DataFrame) -> list[tuple[list[Any], Any]]:
    """(members, total) for every row and column that adds up to a Total shown in the table."""
    lines = []
    label = table.columns[0]
    if "Within 20 days n" in table.columns:  # timeliness
        for _, row in table.iterrows():
            lines.append(([row["Within 20 days n"], row["Over 20 days n"]], row["Answered n"]))
            parts = ["Open n", "Response date unusable n", "Answered n"]
            lines.append(([row[c] for c in parts], row["Complaints"]))
        for _, year in table.groupby("Year"):
            body = year[year["Procedure"] != "All"]
            total = year[year["Procedure"] == "All"].iloc[0]
            for column in _count_columns(table):
                lines.append((list(body[column]), total[column]))
    counts = [c for c in _count_columns(table) if c != "Total"]
    if "Total" in table.columns:
        for _, row in table.iterrows():
            lines.append(([row[c] for c in counts], row["Total"]))
    totals = table[table[label] == "Total"]
    if len(totals):
        body = table[table[label] != "Total"]
        for column in _count_columns(table):
            lines.append((list(body[column]), totals.iloc[0][column]))
    return lines


def assert_safe(report: Any, below: int, rows: int) -> None:
    """No small count shown, no hidden count derivable in any line, no % of a hidden count.

    A reader is taken to know that "<N" is 1 to N-1, that "[c]" is 0 or at least N,
    and that no count exceeds the number of rows in the log.
    """
    for name, table in report.tables.items():
        for value in _numbers_in(table):
            assert not (isinstance(value, int) and 0 < value < below), (name, value)
            assert not (isinstance(value, str) and value.isdigit() and 0 < int(value) < below)
        bound = rows
        for members, total in _lines(table):
            cells = [*members, total]
            hidden = [c for c in cells if not isinstance(c, int)]
            if not hidden:
                continue
            # A row or column with one hidden cell gives it away: never allowed.
            assert len(hidden) != 1, (name, members, total)
            known = sum(m for m in members if isinstance(m, int))
            unknown = [_domain(m, below, bound) for m in members if not isinstance(m, int)]
            target = {t - known for t in _domain(total, below, bound) if t >= known}
            for values in _feasible(unknown, target):
                assert len(values) >= 2, (name, members, total)
        for column in table.columns:
            if _is_pct(column):
                count_column = column[:-1] + "n" if column.endswith("%") else table.columns[1]
                for count, pct in zip(table[count_column], table[column], strict=True):
                    if not isinstance(count, int) and count != "":
                        assert pct == SECONDARY_MARK, (name, column)


def test_published_report_with_suppression_is_safe_and_keeps_shown_figures(
    published: PublishedLog,
) -> None:
    frame = published.frame()
    plain = build_report(frame, ReportOptions(year="2023/24"))
    hidden = build_report(frame, ReportOptions(year="2023/24", suppress_below=5))
    assert_safe(hidden, 5, len(frame))
    for name, table in hidden.tables.items():
        # Rows whose count is hidden may move (they are listed alphabetically): match by label.
        labels = [c for c in table.columns[:2] if c in (table.columns[0], "Procedure")]
        original = plain.tables[name].set_index(labels).loc[table.set_index(labels).index]
        table = table.set_index(labels)
        assert table.shape == original.shape
        for shown, true in zip(table.to_numpy().ravel(), original.to_numpy().ravel(), strict=True):
            if isinstance(shown, int):
                assert shown == true, name
            elif shown == "<5":
                assert isinstance(true, int) and 1 <= true <= 4
    # Staff: 2 upheld, 1 partly upheld, 1 withdrawn are all below 5.
    staff = hidden.tables["category_outcome"].set_index("Category").loc["Staff"]
    assert (staff["Upheld"], staff["Partly upheld"], staff["Withdrawn"]) == ("<5", "<5", "<5")
    # Figures repeated in two tables are hidden alike in both.
    totals = hidden.tables["totals_by_year"].set_index("Year").loc["2023/24"]
    teams = hidden.tables["team_procedure"].set_index("Team").loc["Total"]
    assert list(totals[["Statutory", "Corporate", "Total"]]) == list(
        teams[["Statutory", "Corporate", "Total"]]
    )
    outcome_total = hidden.tables["category_outcome"].set_index("Category").loc["Total"]
    by_year = hidden.tables["category_outcome_by_year"].set_index("Year").loc["2023/24"]
    assert list(outcome_total) == list(by_year)
    assert any("<5" in str(v) for v in hidden.tables["team_procedure"].to_numpy().ravel())


def _team_log(cells: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = []
    for (team, proc), n in cells.items():
        rows += [
            {"date_received": "01/06/2023", "kind": "complaint", "procedure": proc, "team": team}
        ] * n
    return pd.DataFrame(rows)


def test_one_small_cell_hides_the_next_smallest_in_its_row_and_column() -> None:
    frame = _team_log(
        {
            ("A", "Statutory"): 3,
            ("A", "Corporate"): 10,
            ("B", "Statutory"): 20,
            ("B", "Corporate"): 30,
        }
    )
    table = build_report(frame, ReportOptions(suppress_below=5)).tables["team_procedure"]
    # By hand: 3 is hidden; its row (3 + 10) and column (3 + 20) would give it away, so
    # 10 and 20 are hidden too; then the Corporate column (10 + 30 = 40) would give 10
    # away, so 30 is hidden. Two hidden cells per line: nothing can be worked out.
    assert _values(table) == [
        ["B", "[c]", "[c]", 50],
        ["A", "<5", "[c]", 13],
        ["Total", 23, 40, 63],
    ]


def test_a_complement_that_would_pin_the_small_count_is_not_enough() -> None:
    frame = _team_log(
        {
            ("A", "Statutory"): 1,
            ("A", "Corporate"): 5,
            ("B", "Statutory"): 20,
            ("B", "Corporate"): 30,
        }
    )
    report = build_report(frame, ReportOptions(suppress_below=5))
    # By hand: hiding 1 and 5 is not enough, since a reader knows "<5" is 1 to 4 and
    # "[c]" is 0 or at least 5, and 6 = 1 + 5 is the only way; so A's total is hidden
    # too, then B's total (the Total column), and 20 and 30 for their columns.
    # (Rows whose total is hidden are listed alphabetically, not by their hidden size.)
    assert _values(report.tables["team_procedure"]) == [
        ["A", "<5", "[c]", "[c]"],
        ["B", "[c]", "[c]", "[c]"],
        ["Total", 21, 35, 56],
    ]
    assert_safe(report, 5, len(frame))


@pytest.mark.parametrize("below", [3, 5, 10])
@pytest.mark.parametrize("seed", range(6))
def test_suppression_is_safe_on_random_logs(below: int, seed: int) -> None:
    rng = random.Random(seed)
    teams = ["A", "B", "C", "D", "E"][: rng.randint(2, 5)]
    rows = []
    for year in (2021, 2022, 2023):
        for _ in range(rng.randint(5, 60)):
            day = date(year, 4, 1) + timedelta(days=rng.randrange(365))
            rows.append(
                {
                    "date_received": day.isoformat(),
                    "date_responded": add_working_days(day, rng.choice([2, 9, 15, 30])).isoformat()
                    if rng.random() > 0.1
                    else "",
                    "kind": rng.choice(["complaint"] * 4 + ["compliment"]),
                    "procedure": rng.choice(["Statutory", "Corporate"]),
                    "team": rng.choice(teams),
                    "complainant": rng.choice(["Parent", "Child", "Relative"]),
                    "method": rng.choice(["Email", "Phone"]),
                    "category": rng.choice(list(CATEGORY_IDS.values())),
                    "themes": ";".join(rng.sample(["communication", "delay", "meetings"], 2)),
                    "outcome": rng.choice(["Upheld", "Not upheld", "Partly upheld", "Withdrawn"]),
                }
            )
    frame = pd.DataFrame(rows)
    report = build_report(frame, ReportOptions(suppress_below=below))
    assert_safe(report, below, len(frame))


# ----------------------------------------------------------------------------------------
# Options, columns and skipped tables


def test_missing_columns_skip_only_the_tables_that_need_them(
    published: PublishedLog, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    frame = published.frame()
    options = ReportOptions(year="2023/24")
    write_report(build_report(frame, options), out)  # a first run writes every table and chart
    report = build_report(frame.drop(columns=["team", "date_responded"]), options)
    assert set(report.skipped) == {
        "team_procedure", "timeliness", "stage_timeliness", "compliments_by_team"
    }  # fmt: skip
    assert "team column" in report.skipped["team_procedure"]
    assert "--date-responded-column" in report.skipped["timeliness"]
    assert _values(report.tables["totals_by_year"]) == expected_totals()
    written = write_report(report, out)
    # Old outputs of skipped tables are removed, never left to be mistaken for new ones.
    assert not (out / "tables" / "team_procedure.csv").exists()
    assert not (out / "charts" / "compliments_by_team.png").exists()
    assert out / "tables" / "category_outcome.csv" in written
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Tables not produced" in markdown and "- timeliness: the log has no" in markdown


def test_columns_are_found_by_name_and_can_be_mapped(published: PublishedLog) -> None:
    renamed = published.frame().rename(
        columns={"date_received": "Date Received", "team": "Service", "outcome": "Result"}
    )
    report = build_report(renamed, ReportOptions(year="2023-24"))
    assert _values(report.tables["team_procedure"]) == expected_team_procedure()
    assert any("'Date Received' was read as date_received" in n for n in report.notes)

    odd = published.frame().rename(columns={"team": "Area of service"})
    mapped = build_report(
        odd, ReportOptions(year="2023/24", columns=ReportColumns(team="Area of service"))
    )
    assert _values(mapped.tables["team_procedure"]) == expected_team_procedure()
    with pytest.raises(ColumnError, match="--team-column"):
        build_report(odd, ReportOptions(columns=ReportColumns(team="Team name")))


def test_a_log_without_date_received_is_an_error() -> None:
    frame = pd.DataFrame({"received_on": ["01/04/2023"], "kind": ["complaint"]})
    with pytest.raises(ColumnError, match="--date-received-column"):
        build_report(frame)


def test_year_must_be_in_the_data_and_well_formed(published: PublishedLog) -> None:
    frame = published.frame()
    with pytest.raises(InputFileError, match="2019/20 to 2024/25"):
        build_report(frame, ReportOptions(year="2030/31"))
    with pytest.raises(ThemesError, match="--year"):
        build_report(frame, ReportOptions(year="2023/25"))
    with pytest.raises(ThemesError, match="--suppress-below"):
        build_report(frame, ReportOptions(suppress_below=1))


def test_default_year_is_the_latest_with_a_month_of_data(published: PublishedLog) -> None:
    frame = published.frame()
    report = build_report(frame)
    # 2024/25 holds four complaints received from 1 to 4 May 2024: under 28 days of data.
    assert report.year == "2023/24"
    assert report.years == list(TOTALS)
    assert any(
        "2024/25 holds dates from 01 May 2024 to 04 May 2024 only" in n for n in report.notes
    )
    asked = build_report(frame, ReportOptions(year="2024/25"))
    assert asked.year == "2024/25"
    # A part year is labelled as such in the tables, and the notes warn.
    totals = asked.tables["totals_by_year"]
    assert totals.iloc[-1]["Year"] == "2024/25 (May only)"
    assert totals.iloc[-1]["Total"] == 4
    assert any("2024/25 (May only): the log holds data for part" in n for n in asked.notes)
    short = build_report(frame, ReportOptions(year="2020/21"))
    assert short.years == ["2019/20", "2020/21"]


def test_no_readable_dates_is_an_error() -> None:
    frame = pd.DataFrame({"date_received": ["soon", ""], "kind": ["complaint", "complaint"]})
    with pytest.raises(InputFileError, match="readable date"):
        build_report(frame)


def test_without_a_kind_column_every_row_is_a_complaint() -> None:
    frame = pd.DataFrame(
        {"date_received": ["01/05/2023"] * 3, "procedure": ["Statutory", "corporate", "stat"]}
    )
    report = build_report(frame)
    assert _values(report.tables["totals_by_year"]) == [["2023/24 (May only)", 2, 1, 3]]
    assert "compliments_by_year" in report.skipped
    assert any("no kind column" in n for n in report.notes)


def test_rows_without_a_reference_are_each_a_complaint() -> None:
    frame = pd.DataFrame(
        {
            "date_received": ["01/05/2023", "02/05/2023", "03/05/2023"],
            "kind": ["complaint"] * 3,
            "procedure": ["Statutory"] * 3,
            "stage": ["1", "2", "LGSCO"],
        }
    )
    # No reference links the rows, so each is a complaint and its stage the highest reached.
    report = build_report(frame)
    assert report.tables["totals_by_year"].iloc[0]["Total"] == 3
    stages = report.tables["stages"].set_index("Stage").iloc[:, 0]
    assert list(stages) == [3, 1, 0, 1]
    assert any("one row per complaint" in n for n in report.notes)
    unstaged = build_report(frame, ReportOptions(columns=ReportColumns(stage="")))
    assert unstaged.tables["totals_by_year"].iloc[0]["Total"] == 3
    assert "stages" in unstaged.skipped


def test_response_dates_that_cannot_be_used_are_reported() -> None:
    frame = pd.DataFrame(
        {
            "reference": ["A1", "A2", "A3", "A4"],
            "date_received": ["03/04/2023"] * 4,
            "date_responded": ["05/04/2023", "31/04/2023", "01/04/2023", ""],
            "kind": ["complaint"] * 4,
            "procedure": ["Statutory"] * 4,
        }
    )
    report = build_report(frame)
    assert report.date_problems == {
        "date_responded unreadable": 1,
        "date_responded before date_received": 1,
    }
    assert any("(A2)" in n for n in report.notes) and any("(A3)" in n for n in report.notes)
    row = report.tables["timeliness"].set_index("Procedure").loc["All"]
    # A4 has no response yet: open, not late. A2 and A3 cannot be timed. The base is A1.
    assert (row["Complaints"], row["Open n"], row["Response date unusable n"]) == (4, 1, 2)
    assert (row["Answered n"], row["Within 10 days n"], row["Within 10 days %"]) == (1, 1, 100)


def test_report_refuses_to_overwrite_its_input(tmp_path: Path, published: PublishedLog) -> None:
    log = _write_xlsx(published.rows, tmp_path / "report.xlsx")
    with pytest.raises(OutputError, match="input file"):
        report_from_file(log, tmp_path)
    assert read_table(log).shape[0] == len(published.rows)


def test_labels_that_look_like_formulas_stay_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date_received": ["01/05/2023"] * 6,
            "kind": ["complaint"] * 6,
            "procedure": ["Statutory"] * 6,
            "team": ["=SUM(1+2)"] * 5 + ['=HYPERLINK("http://x")'],
        }
    )
    out = tmp_path / "out"
    write_report(build_report(frame), out)
    written = (out / "tables" / "team_procedure.csv").read_text(encoding="utf-8-sig")
    assert "'=SUM(1+2)" in written
    # Text that is not a label (quotes, a link) never becomes a row heading.
    assert "HYPERLINK" not in written and "Other" in written
    from openpyxl import load_workbook

    cell = load_workbook(out / "report.xlsx")["team_procedure"]["A5"]
    assert cell.data_type == "s" and cell.value == "=SUM(1+2)"


# ----------------------------------------------------------------------------------------
# Normalising values and rounding


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Not Upheld", "Not upheld"),
        ("not upheld ", "Not upheld"),
        ("NOT-UPHELD", "Not upheld"),
        ("Partially upheld", "Partly upheld"),
        ("partly upheld", "Partly upheld"),
        ("Part upheld", "Partly upheld"),
        ("Upheld", "Upheld"),
        ("upheld ", "Upheld"),
        ("Withdrawn", "Withdrawn"),
        ("withdrawn by complainant", "Withdrawn"),
        ("Inconclusive", "Inconclusive"),
        ("legal proceedings pending", "Legal proceedings pending"),
        ("", "Not recorded"),
        (None, "Not recorded"),
        ("Resolved at stage 1", "Resolved"),
        ("Advice given", "Advice given"),
        ("The officer agreed. Sorry for the delay, it will not happen again", "Other"),
    ],
)
def test_normalise_outcome(raw: Any, clean: str) -> None:
    assert normalise_outcome(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Statutory", "Statutory"), ("statutory ", "Statutory"), ("Stat", "Statutory"),
     ("Children Act 1989", "Statutory"), ("corporate", "Corporate"), ("CORP", "Corporate"),
     ("", "Not recorded")],
)  # fmt: skip
def test_normalise_procedure(raw: str, clean: str) -> None:
    assert normalise_procedure(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("1", "Stage 1"), (1, "Stage 1"), (1.0, "Stage 1"), ("Stage One", "Stage 1"),
     ("stage 2", "Stage 2"), ("S3", "Stage 3"), ("LGSCO", "LGSCO"), ("Ombudsman", "LGSCO"),
     ("", "")],
)  # fmt: skip
def test_normalise_stage(raw: Any, clean: str) -> None:
    assert normalise_stage(raw) == clean


def test_round_percent_rounds_half_up_everywhere() -> None:
    assert round_percent(1, 8) == 13  # 12.5: half up, not to even
    assert round_percent(5, 200) == 3  # 2.5
    assert round_percent(1, 3) == 33
    assert round_percent(2, 3) == 67
    assert round_percent(0, 5) == 0
    assert round_percent(3, 0) is None


# ----------------------------------------------------------------------------------------
# The sample log and the notebook


def _excel_date(value: str) -> Any:
    if value.isdigit() or not re.search(r"[-/ ]", value):
        return value  # Excel serials and blanks stay as they are
    # pandas swaps month and day of ISO dates when told dayfirst, so only UK forms get it.
    iso = bool(re.match(r"\d{4}-", value))
    try:
        return pd.to_datetime(value, dayfirst=not iso).to_pydatetime()
    except (ValueError, OverflowError):
        return value


def test_sample_log_reads_the_same_from_csv_and_excel(tmp_path: Path) -> None:
    frame = read_table(SAMPLE)
    # In Excel most dates are real date cells: convert those pandas can read, day first.
    excel = frame.copy()
    excel["date_received"] = [_excel_date(v) for v in frame["date_received"]]
    assert sum(isinstance(v, datetime) for v in excel["date_received"]) > 100
    xlsx = tmp_path / "sample.xlsx"
    excel.to_excel(xlsx, index=False)
    from_csv = build_report(frame, ReportOptions(suppress_below=5))
    from_xlsx = build_report(read_table(xlsx), ReportOptions(suppress_below=5))
    assert from_csv.tables.keys() == from_xlsx.tables.keys()
    for name in from_csv.tables:
        assert _as_text(_values(from_csv.tables[name])) == _as_text(
            _values(from_xlsx.tables[name])
        ), name
    assert_safe(from_csv, 5, len(frame))
    # Kinds, procedures and outcomes typed in many ways collapse to one spelling each.
    totals = from_csv.tables["totals_by_year"]
    assert list(totals.columns) == ["Year", "Statutory", "Corporate", "Total"]
    outcomes = from_csv.tables["category_outcome_by_year"].columns
    assert list(outcomes) == ["Year", *OUTCOME_NAMES, "Total"]


def test_notebook_runs_headless() -> None:
    nbformat = pytest.importorskip(
        "nbformat", reason="nbformat not installed: pip install -e .[dev]"
    )
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient not installed: pip install -e .[dev]"
    )
    pytest.importorskip("ipykernel", reason="ipykernel not installed: pip install -e .[dev]")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no python3 Jupyter kernel: pip install ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    src = str(Path(__file__).resolve().parents[1] / "src")
    import os

    env_before = os.environ.get("PYTHONPATH")
    # The kernel is a new process: let it import this checkout's package.
    os.environ["PYTHONPATH"] = src + (os.pathsep + env_before if env_before else "")
    try:
        client = nbclient.NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()
    finally:
        if env_before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = env_before
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows a chart"
