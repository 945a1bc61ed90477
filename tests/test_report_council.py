"""Council-style logs: every chosen figure comes back in the tables, report.json and report.docx.

Three logs tell the same year: one row per stage, one row per complaint, and a
mixture of the two. They use a council's own column names (Ref, Date Received,
Type, Stage, Team, Outcome, Advocate, LGSCO decision, Summary of Complaint), no
procedure column, and are written as Windows-1252 CSV and as XLSX. The year
holds escalations, complaints logged first at stage 2, open complaints, an
Ombudsman decision, advocates, a free-text outcome, compliments, a comment,
and dates that must be set aside (2099 and 1923).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from themes.io import cell_text
from themes.report import ReportOptions, build_report, report_from_file
from themes.workdays import add_working_days

SECRET = "SENTINEL £ “private” words about a named child"
FREE_TEXT_OUTCOME = "Apologised to mum on the phone, explained the plan."
HEADER = [
    "Ref", "Date Received", "Date Responded", "Type", "Stage", "Team", "Outcome",
    "Advocate", "LGSCO decision", "Remedy", "Summary of Complaint",
]  # fmt: skip

# ----------------------------------------------------------------------------------------
# The chosen figures. 2023/24 is the report year; 2022/23 holds Feb and Mar 2023 only.

STAGE_1 = {  # 2023/24 complaints that stayed at stage 1: working days to answer (None: open)
    "days": [3] * 6 + [7] * 4 + [10] * 2 + [11, 15, 18, 20] + [21, 30] + [None, None],
    # outcomes of the 18 answered, in the same order as days; the 2 open have none
    "outcomes": ["Upheld"] * 5
    + ["Partly upheld"] * 4
    + ["Not upheld"] * 6
    + ["Withdrawn"] * 2
    + [FREE_TEXT_OUTCOME],
}
TEAMS_2023 = {  # 25 complaints received in 2023/24
    "Child in Need and Child Protection": 10,
    "Children in Care": 8,
    "Fostering": 4,
    "Disabled Children": 3,
}
EXPECTED = {  # 2023/24, from the cases below (worked out by hand)
    "received": 25,  # 20 at stage 1 only, 2 escalated, 3 logged first at stage 2
    "by_stage": {"stage_1": 22, "stage_2": 6, "stage_3": 1, "ombudsman": 2},
    "stage_1_within_10_working_days": 14,  # 12 of the 20, and both escalated ones
    "stage_1_within_20_working_days": 18,
    "stage_1_open": 2,
    "stage_1_answered": 20,
    "stage_2_within_25_working_days": 3,  # E1 (20), S1 (10), S2 (25: on the day)
    "stage_2_within_65_working_days": 4,  # and E2 (40); P1 took 70
    "stage_2_open": 1,  # S3
    "stage_3_panels_within_30_working_days": 1,  # E2's panel, 28 working days
    "stage_1_outcomes": {
        "upheld": 5,
        "partly_upheld": 4,
        "not_upheld": 8,
        "withdrawn": 2,
        "other": 1,
        "not_recorded": 2,
    },  # fmt: skip
    "ombudsman_upheld": 1,  # E2: fault causing injustice; L1 not upheld
    "ombudsman_decisions": 2,
    "ombudsman_remedies": 1,  # E2: an apology and a payment
    "with_advocate": 3,
    "stage_1_escalated_to_stage_2": 2,
    "compliments": 7,
}
PREVIOUS = {  # 2022/23: 10 complaints, all stage 1, Feb-Mar 2023
    "received": 10,
    "within_10": 6,
    "within_20": 9,
    "with_advocate": 1,
    "compliments": 4,
}


@dataclass
class Row:
    ref: str
    received: date
    stage: str
    kind: str = "Complaint"
    days: int | None = None  # working days to respond; None: open
    outcome: str = ""
    team: str = ""
    advocate: str = "No"
    decision: str = ""
    remedy: str = ""

    def cells(self) -> dict[str, Any]:
        responded = add_working_days(self.received, self.days) if self.days is not None else None
        return {
            "Ref": self.ref,
            "Date Received": self.received.strftime("%d/%m/%Y"),
            "Date Responded": responded.strftime("%d/%m/%Y") if responded else "",
            "Type": self.kind,
            "Stage": self.stage,
            "Team": self.team,
            "Outcome": self.outcome,
            "Advocate": self.advocate,
            "LGSCO decision": self.decision,
            "Remedy": self.remedy,
            "Summary of Complaint": SECRET,
        }


@dataclass
class CouncilLog:
    """Builds one of the three logs from the same story."""

    shape: str  # "stage", "complaint" or "mixture"
    rows: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        teams = [t for t, n in TEAMS_2023.items() for _ in range(n)]
        day = iter(date(2023, 4, 3) + timedelta(days=13 * i) for i in range(30))
        advocates = {0: "Yes", 7: "NYAS"}  # two stage-1 complaints with an advocate
        outcomes = iter(STAGE_1["outcomes"])
        single = "" if self.shape == "mixture" else "Stage 1"
        for i, days in enumerate(STAGE_1["days"]):
            self.add(
                Row(
                    f"C23-{i:03d}",
                    next(day),
                    ["1", "Stage 1", "stage one"][i % 3] if single else single,
                    days=days,
                    outcome=next(outcomes) if days is not None else "",
                    team=teams.pop(0),
                    advocate=advocates.get(i, "No" if i % 2 else ""),
                )
            )
        self.escalations(teams, day)
        self.earlier_year()
        self.others()

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def escalations(self, teams: list[str], day: Any) -> None:
        e1, e2 = next(day), next(day)
        if self.shape == "complaint":
            # One row each: the stage column holds the highest stage reached; the row's
            # dates and outcome are the stage 1 response.
            self.add(Row("E1", e1, "Stage 2", days=5, outcome="Not upheld", team=teams.pop(0)))
            self.add(
                Row(
                    "E2", e2, "Stage 3", days=9, outcome="Not upheld", team=teams.pop(0),
                    decision="Upheld: fault causing injustice",
                    remedy="Apology and £300",
                )
            )  # fmt: skip
            return
        # E1: stage 1 within 10, then stage 2 within 25 (its stage 2 row's Type left blank).
        self.add(Row("E1", e1, "Stage 1", days=5, outcome="Not upheld", team=teams.pop(0)))
        self.add(Row("E1", e1 + timedelta(days=20), "Stage 2", kind="", days=20, outcome="Upheld"))
        # E2: stage 1, stage 2 in 40 days, stage 3 panel in 28, then the Ombudsman.
        self.add(Row("E2", e2, "1", days=9, outcome="Not upheld", team=teams.pop(0)))
        self.add(Row("E2", e2 + timedelta(days=14), "2", days=40, outcome="Not upheld"))
        self.add(Row("E2", e2 + timedelta(days=60), "Stage 3", days=28, outcome="Not upheld"))
        decision = "Upheld: fault causing injustice"
        if self.shape == "stage":
            self.add(
                Row("E2", date(2024, 3, 20), "LGSCO", decision=decision, remedy="Apology and £300")
            )
        else:  # the mixture records it on the stage 3 row
            self.rows[-1].decision, self.rows[-1].remedy = decision, "Apology and £300"
        # S1-S3: logged first at stage 2 (S3 has an advocate and is still open).
        s = next(day)
        self.add(Row("S1", s, "Stage 2", days=10, outcome="Partly upheld", team=teams.pop(0)))
        self.add(Row("S2", s, "Stage 2", days=25, outcome="Not upheld", team=teams.pop(0)))
        self.add(Row("S3", s, "Stage 2", team=teams.pop(0), advocate="yes"))
        # L1: an Ombudsman enquiry about a complaint from before the log began.
        self.add(Row("L1", date(2023, 11, 6), "LGSCO", decision="Not upheld - no fault"))
        assert not teams

    def earlier_year(self) -> None:
        days = [2, 4, 6, 8, 9, 10, 12, 15, 19, 25]
        outcomes = ["Not upheld"] * 6 + ["Upheld"] * 4
        for i, (d, outcome) in enumerate(zip(days, outcomes, strict=True)):
            received = date(2023, 2, 1) + timedelta(days=5 * i)
            stage = "Stage 1" if self.shape != "mixture" else ""
            if i == 9 and self.shape == "complaint":
                stage = "Stage 2"
            row = Row(f"P{i}", received, stage, days=d, outcome=outcome, team="Fostering")
            row.advocate = "Yes" if i == 3 else "No"
            self.add(row)
        if self.shape != "complaint":
            # P9 went to stage 2 in 2023/24: a 2023/24 stage 2 record, a 2022/23 complaint.
            self.add(Row("P9", date(2023, 5, 10), "Stage 2", days=70, outcome="Not upheld"))

    def others(self) -> None:
        for i in range(7):
            self.add(Row(f"K23-{i}", date(2023, 4, 20) + timedelta(days=53 * i), "", "Compliment"))
        for i in range(4):
            self.add(Row(f"K22-{i}", date(2023, 2, 10) + timedelta(days=10 * i), "", "Compliment"))
        self.add(Row("N1", date(2023, 9, 1), "", "Comment"))
        self.add(Row("C-FUT", date(2099, 1, 5), "Stage 1", team="Fostering"))
        self.add(Row("C-OLD", date(1923, 3, 3), "Stage 1", team="Fostering"))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.cells() for r in self.rows], columns=HEADER)


def write_cp1252_csv(log: CouncilLog, path: Path) -> Path:
    with path.open("w", newline="", encoding="cp1252") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(r.cells() for r in log.rows)
    return path


def write_xlsx(log: CouncilLog, path: Path) -> Path:
    log.frame().to_excel(path, index=False)
    return path


SHAPES = ("stage", "complaint", "mixture")


@pytest.fixture(scope="module", params=[(s, f) for s in SHAPES for f in ("csv", "xlsx")])
def written(request: pytest.FixtureRequest, tmp_path_factory: Any) -> tuple[str, Any, Path]:
    shape, fmt = request.param
    log = CouncilLog(shape)
    folder = tmp_path_factory.mktemp(f"council_{shape}_{fmt}")
    writer = write_cp1252_csv if fmt == "csv" else write_xlsx
    path = writer(log, folder / f"log.{fmt}")
    report, paths = report_from_file(path, folder / "out", ReportOptions())
    return shape, report, folder / "out"


def expected(shape: str) -> dict[str, Any]:
    """The chosen figures as each shape can carry them."""
    figures = json.loads(json.dumps(EXPECTED))
    if shape == "complaint":
        # No complaint logged first at stage 2, no Ombudsman-only record; later stages
        # are known only as the highest reached, with no dates or outcomes of their own.
        figures.update(
            received=22,
            by_stage={"stage_1": 22, "stage_2": 2, "stage_3": 1, "ombudsman": 1},
            stage_2_within_25_working_days=0,
            stage_2_within_65_working_days=0,
            stage_2_open=0,
            stage_3_panels_within_30_working_days=0,
            ombudsman_decisions=1,
            with_advocate=2,
        )
    return figures


# ----------------------------------------------------------------------------------------


def test_headline_figures_in_report_json(written: tuple[str, Any, Path]) -> None:
    shape, report, out = written
    want = expected(shape)
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["year"] == "2023/24"
    complaints = data["complaints"]
    assert complaints["received"] == want["received"]
    assert complaints["by_stage"] == want["by_stage"]
    for key in (
        "stage_1_within_10_working_days", "stage_1_within_20_working_days", "stage_1_open",
        "stage_1_answered", "stage_2_within_25_working_days", "stage_2_within_65_working_days",
        "stage_2_open", "stage_3_panels_within_30_working_days", "ombudsman_upheld",
        "ombudsman_decisions", "ombudsman_remedies", "with_advocate",
        "stage_1_escalated_to_stage_2",
    ):  # fmt: skip
        assert complaints[key] == want[key], key
    assert complaints["stage_1_outcomes"] == want["stage_1_outcomes"]
    assert complaints["by_procedure"] == {"statutory": want["received"]}
    assert data["compliments"]["received"] == want["compliments"]
    [previous] = data["previous_years"]
    assert previous["year"] == "2022/23"
    assert previous["complaints"]["received"] == PREVIOUS["received"]
    assert previous["complaints"]["stage_1_within_10_working_days"] == PREVIOUS["within_10"]
    assert previous["complaints"]["stage_1_within_20_working_days"] == PREVIOUS["within_20"]
    assert previous["complaints"]["with_advocate"] == PREVIOUS["with_advocate"]
    assert previous["compliments"]["received"] == PREVIOUS["compliments"]
    assert all(isinstance(v, int) for v in complaints["by_stage"].values())


def test_tables_hold_the_chosen_figures(written: tuple[str, Any, Path]) -> None:
    shape, report, _ = written
    want = expected(shape)
    tables = report.tables
    totals = tables["totals_by_year"].set_index("Year")
    # No procedure column: every complaint is statutory, and the notes say so.
    assert list(totals.columns) == ["Statutory", "Corporate", "Total"]
    assert totals.loc["2023/24", "Total"] == totals.loc["2023/24", "Statutory"] == want["received"]
    assert totals.loc["2022/23 (Feb–Mar only)", "Total"] == PREVIOUS["received"]
    assert any("no procedure column" in n for n in report.notes)

    stages = tables["stages"].set_index("Stage")["2023/24"]
    by_stage = want["by_stage"]
    assert list(stages) == [by_stage[k] for k in ("stage_1", "stage_2", "stage_3", "ombudsman")]

    time = tables["timeliness"].set_index("Procedure")
    row = time[time["Year"] == "2023/24"].loc["All"]
    assert row["Complaints"] == want["by_stage"]["stage_1"]
    assert row["Open n"] == want["stage_1_open"]
    assert row["Answered n"] == want["stage_1_answered"]
    assert row["Within 10 days n"] == want["stage_1_within_10_working_days"]
    assert row["Within 10 days %"] == 70  # 14 of 20 answered
    assert row["Within 20 days n"] == want["stage_1_within_20_working_days"]
    assert row["Within 20 days %"] == 90
    assert row["Over 20 days n"] == 2

    per_stage = tables["stage_timeliness"].set_index("Stage")
    assert per_stage.loc["Stage 2", "Within limit n"] == want["stage_2_within_25_working_days"]
    assert (
        per_stage.loc["Stage 2", "Within extended limit n"]
        == want["stage_2_within_65_working_days"]
    )
    assert (
        per_stage.loc["Stage 3", "Within limit n"] == want["stage_3_panels_within_30_working_days"]
    )
    assert per_stage.loc["Stage 2", "Open n"] == want["stage_2_open"]

    outcomes = tables["stage_outcomes"].set_index("Stage").loc["Stage 1"]
    for name, n in want["stage_1_outcomes"].items():
        column = name.replace("_", " ").capitalize()
        assert outcomes[column] == n, name
    # Free text in an outcome cell is "Other", never a column heading.
    headings = [str(c) for t in tables.values() for c in t.columns]
    headings += [str(v) for t in tables.values() for v in t.iloc[:, 0]]
    assert not any("Apologised" in h for h in headings)

    ombudsman = tables["ombudsman"].set_index("Decision")
    assert ombudsman.loc["Upheld", "Complaints"] == want["ombudsman_upheld"]
    assert ombudsman.loc["Total", "Complaints"] == want["by_stage"]["ombudsman"]
    assert ombudsman.loc["Upheld", "With a remedy"] == want["ombudsman_remedies"]

    advocacy = tables["escalation_advocacy"].set_index("Year").loc["2023/24"]
    assert advocacy["Complaints received"] == want["received"]
    assert advocacy["With an advocate n"] == want["with_advocate"]
    assert advocacy["Escalated to stage 2 n"] == want["stage_1_escalated_to_stage_2"]
    assert advocacy["Escalated to stage 2 %"] == 9  # 2 of 22

    teams = tables["team_procedure"].set_index("Team")["Total"]
    chosen = dict(TEAMS_2023)
    if shape == "complaint":  # S1-S3 are not in this log: Disabled Children had them all
        del chosen["Disabled Children"]
        assert "Disabled Children" not in teams.index
    for team, n in chosen.items():
        assert teams[team] == n, team
    assert tables["compliments_by_year"].set_index("Year").loc["2023/24", "Compliments"] == 7


def test_notes_reconcile_every_row(written: tuple[str, Any, Path]) -> None:
    shape, report, _ = written
    text = "\n".join(report.notes)
    rows = {"stage": 55, "complaint": 46, "mixture": 54}[shape]
    assert report.rows_read == rows
    assert f"Read {rows} rows:" in text
    assert "11 compliments" in text and "comment (1)" in text and "2 set aside" in text
    # The dates after today and before 2000 are set aside by reference, never choosing the year.
    assert "1 row has a date received after today (C-FUT)" in text
    assert "1 row has a date received before 2000 (C-OLD)" in text
    assert report.year == "2023/24"
    assert "Column 'Date Received' was read as date_received" in text
    assert "Column 'Ref' was read as reference" in text
    assert "Column 'LGSCO decision' was read as ombudsman_decision" in text
    assert report.column_map["kind"] == "Type"
    assert "2 stage 1 complaints received in 2023/24 are still open" in text
    assert "2022/23 (Feb–Mar only): the log holds data for part of this year only" in text
    assert "Cells holding text that is not a label, shown as Other: outcome (1)" in text
    if shape == "complaint":
        assert "one row per complaint" in text
    else:
        assert "one row per stage" in text
        assert "3 complaints have no stage 1 row (S1, S2, S3)" in text
        assert "1 Ombudsman record has no council stage under its reference (L1)" in text
    if shape == "stage":
        assert "1 row with a blank kind under a complaint's reference is read as a stage" in text


def test_docx_holds_the_tables_captions_charts_and_notes(written: tuple[str, Any, Path]) -> None:
    from docx import Document

    shape, report, out = written
    document = Document(str(out / "report.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for section in ("Introduction", "The figures", "Learning and actions", "Conclusion"):
        assert section in headings
    assert "Notes on method and suppression" in headings
    assert document.paragraphs[0].text.endswith("annual report 2023/24")
    # Every table, in order, with its caption, holds exactly the report's cells.
    assert len(document.tables) == len(report.tables)
    for docx_table, (name, table) in zip(document.tables, report.tables.items(), strict=True):
        assert report.captions[name] in paragraphs
        cells = [[c.text for c in row.cells] for row in docx_table.rows]
        assert cells[0] == [str(c) for c in table.columns], name
        assert cells[1:] == [[cell_text(v) for v in row] for row in table.itertuples(index=False)]
    for note in report.notes:
        assert note in paragraphs
    # Charts are pictures in the document.
    assert len(document.inline_shapes) >= 2
    # The chosen figures, found where a reader looks for them.
    want = expected(shape)
    index = list(report.tables).index("stages")
    stage_rows = {r.cells[0].text: r.cells for r in document.tables[index].rows}
    assert stage_rows["Stage 2"][-1].text == str(want["by_stage"]["stage_2"])
    index = list(report.tables).index("ombudsman")
    lgsco = {r.cells[0].text: r.cells[1].text for r in document.tables[index].rows}
    assert lgsco["Upheld"] == str(want["ombudsman_upheld"])
    # No complaint text anywhere in the document.
    assert not any("SENTINEL" in p for p in paragraphs)
    assert not any("SENTINEL" in c.text for t in document.tables for r in t.rows for c in r.cells)


def test_xlsx_sheets_carry_their_caption_and_chart(written: tuple[str, Any, Path]) -> None:
    from openpyxl import load_workbook

    _, report, out = written
    book = load_workbook(out / "report.xlsx")
    for name in report.tables:
        assert book[name]["A2"].value == report.captions[name]
    assert len(book["totals_by_year"]._images) == 1
    stages = book["stages"]
    header = [c.value for c in stages[4]]
    assert header[0] == "Stage" and header[-1] == "2023/24"


def test_no_complaint_text_in_any_output(written: tuple[str, Any, Path]) -> None:
    _, _, out = written
    for path in out.rglob("*"):
        if path.suffix in {".md", ".csv", ".json"}:
            assert "SENTINEL" not in path.read_text(encoding="utf-8-sig")
    from openpyxl import load_workbook

    for sheet in load_workbook(out / "report.xlsx"):
        for row in sheet.iter_rows(values_only=True):
            assert not any("SENTINEL" in str(v) for v in row if v is not None)


def test_stage_shapes_agree_on_the_year() -> None:
    """The same story logged a row per stage and as a mixture gives the same tables."""
    stage = build_report(CouncilLog("stage").frame())
    mixture = build_report(CouncilLog("mixture").frame())
    assert stage.headline == mixture.headline
    for name in ("totals_by_year", "stages", "timeliness", "stage_timeliness", "ombudsman"):
        pd.testing.assert_frame_equal(stage.tables[name], mixture.tables[name])


def test_reading_a_single_later_stage_row_as_the_highest_reached() -> None:
    """--log-shape complaint-per-row: S1-S3's single stage 2 rows also count at stage 1."""
    frame = CouncilLog("stage").frame()
    report = build_report(frame, ReportOptions(log_shape="complaint-per-row"))
    by_stage = report.headline["complaints"]["by_stage"]
    # E1, E2 and P9 keep their rows per stage; S1-S3 are now stage 1 and stage 2;
    # L1 alone at the Ombudsman counts as a complaint at stage 1 too.
    assert by_stage == {"stage_1": 22 + 3 + 1, "stage_2": 6, "stage_3": 1, "ombudsman": 2}
    assert report.headline["complaints"]["received"] == 26


def test_the_log_s_own_type_column_beats_tag_s_prefill() -> None:
    """tag adds a kind column pre-filled with its suggestion; the officer's Type wins."""
    frame = pd.DataFrame(
        {
            "Ref": ["A", "B", "C"],
            "Date Received": ["03/04/2023", "04/04/2023", "05/05/2023"],
            "Type": ["Compliment", "Complaint", "Complaint"],
            "kind": ["complaint", "complaint", "complaint"],
            "suggested_kind": ["complaint", "complaint", "complaint"],
            "reviewed": ["", "", ""],
        }
    )
    report = build_report(frame)
    assert report.headline["complaints"]["received"] == 2
    assert report.headline["compliments"]["received"] == 1
    assert report.label_sources["kind"].officer == 3
    # Without the log's own column, tag's pre-filled values on unreviewed rows are suggested.
    tagged = build_report(frame.drop(columns=["Type"]))
    assert tagged.label_sources["kind"].suggested == 3
    assert tagged.label_sources["kind"].officer == 0
    reviewed = frame.drop(columns=["Type"]).assign(reviewed=["yes", "", ""])
    assert build_report(reviewed).label_sources["kind"].officer == 1


def test_free_text_in_a_theme_or_team_cell_is_other() -> None:
    sentence = "Mum says the social worker never rang back, this is the third time."
    frame = pd.DataFrame(
        {
            "date_received": ["03/04/2023", "04/05/2023", "05/06/2023"],
            "kind": ["complaint"] * 3,
            "team": ["Fostering", sentence, "Fostering"],
            "themes": ["communication", sentence, "delay; " + sentence],
            "outcome": ["Upheld", sentence, "Not upheld"],
        }
    )
    report = build_report(frame)
    hidden = build_report(frame, ReportOptions(suppress_below=2))
    for built in (report, hidden):
        cells = [str(c) for t in built.tables.values() for c in [*t.columns, *t.iloc[:, 0]]]
        assert not any("social worker" in c for c in cells)
    themes = report.tables["theme_outcome"].set_index("Theme")
    assert themes.loc["Other", "Complaints"] == 2
    assert "Other" in report.tables["team_procedure"]["Team"].tolist()
    assert not any("social worker" in n for n in report.notes)
