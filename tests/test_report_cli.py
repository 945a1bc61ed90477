"""`themes report` through CliRunner: council logs, new options, one-line write errors, charts.

Write failures (a full disk, a read-only folder) are produced by making the
writer's own system call fail the way the operating system would, since the
tests run as a user who can write anywhere; what is checked is real: the
message, the exit code, and that the previous report is left whole.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import one_line_error
from conftest import run_cli as run
from test_report_council import CouncilLog, write_cp1252_csv
from themes.report import ReportOptions, build_report, write_report


@pytest.fixture
def council_csv(tmp_path: Path) -> Path:
    return write_cp1252_csv(CouncilLog("mixture"), tmp_path / "Complaints log 2023-24.csv")


def test_report_reads_a_council_log_and_prints_the_columns_it_used(
    council_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run("report", council_csv, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Report 2023/24" in result.output
    assert "Columns read" in result.output
    for column in ("Ref", "Date Received", "Type", "LGSCO decision", "Advocate"):
        assert column in result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["complaints"]["received"] == 25
    assert data["complaints"]["by_procedure"] == {"statutory": 25}
    for name in ("report.docx", "report.xlsx", "report.md"):
        assert (out / name).stat().st_size > 0
    assert "SENTINEL" not in result.output


def test_procedure_option_sets_every_complaint(council_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run("report", council_csv, "--out", out, "--procedure", "corporate")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["complaints"]["by_procedure"] == {"corporate": 25}
    one_line_error(
        run("report", council_csv, "--out", out, "--procedure", "both"), "--procedure", "both"
    )
    one_line_error(run("report", council_csv, "--out", out, "--log-shape", "x"), "--log-shape")


def test_log_shape_option_reads_lone_later_rows_as_the_highest_stage(
    council_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = run("report", council_csv, "--out", out, "--log-shape", "complaint-per-row")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # S1-S3 (lone stage 2 rows) now count at stage 1 too, and L1 (a lone LGSCO row).
    assert data["complaints"]["by_stage"]["stage_1"] == 26


def _fail_with(code: int, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    import themes.report.output as output

    real = getattr(output, where)

    def failing(*args, **kwargs):
        if where == "write_docx":
            real(*args, **kwargs)  # a file half written, then the disk is full
        raise OSError(code, "injected")

    monkeypatch.setattr(output, where, failing)


@pytest.mark.parametrize(
    ("code", "where", "says"),
    [
        (errno.ENOSPC, "write_docx", "the disk is full"),
        (errno.EROFS, "write_docx", "read-only"),
        (errno.EACCES, "write_json", "read-only or you may not write there"),
    ],
)
def test_write_failures_are_one_line_and_leave_the_previous_report_whole(
    council_csv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    where: str,
    says: str,
) -> None:
    out = tmp_path / "report"
    assert run("report", council_csv, "--out", out).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _fail_with(code, monkeypatch, where)
    text = one_line_error(run("report", council_csv, "--out", out, "--year", "2022/23"), says)
    assert str(out.name) in text
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # nothing half written, nothing mixed with the new report
    assert not [p for p in tmp_path.iterdir() if ".report-tmp-" in p.name]


def test_a_first_report_that_fails_leaves_no_folder(
    council_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_with(errno.ENOSPC, monkeypatch, "write_docx")
    out = tmp_path / "new" / "report"
    one_line_error(run("report", council_csv, "--out", out), "the disk is full")
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if ".report-tmp-" in p.name]


def test_leftovers_of_a_killed_run_are_removed(council_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    leftover = tmp_path / ".report.report-tmp-killed"
    (leftover / "tables").mkdir(parents=True)
    (leftover / "report.md").write_text("half", encoding="utf-8")
    assert run("report", council_csv, "--out", out).exit_code == 0
    assert not leftover.exists()


def test_an_unreadable_out_folder_is_one_line(council_csv: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    one_line_error(run("report", council_csv, "--out", blocker), "is a file")
    one_line_error(run("report", council_csv, "--out", blocker / "sub"), "choose another --out")


def test_a_chart_whose_bars_are_all_hidden_is_left_out_with_a_note(tmp_path: Path) -> None:
    rows = [
        {"date_received": f"{d:02d}/05/2023", "kind": "complaint", "team": "A"}
        for d in range(1, 29)
    ]
    rows += [
        {"date_received": f"{d:02d}/06/2023", "kind": "compliment", "team": t}
        for d, t in zip(range(1, 8), "ABCDEFG", strict=True)
    ]
    report = build_report(pd.DataFrame(rows), ReportOptions(suppress_below=5))
    written = write_report(report, tmp_path / "out")
    names = {p.name for p in written}
    assert "compliments_by_team.png" not in names
    assert "trend.png" in names
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "compliments by team is left out: every bar is hidden by small-number suppression" in (
        markdown
    )
    from docx import Document

    paragraphs = [p.text for p in Document(str(tmp_path / "out" / "report.docx")).paragraphs]
    assert any("every bar is hidden" in p for p in paragraphs)


def test_report_json_hides_small_counts_when_suppressing(council_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert run("report", council_csv, "--out", out, "--suppress-below", "5").exit_code == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["suppressed_below"] == 5
    complaints = data["complaints"]
    assert complaints["received"] == 25
    assert complaints["by_stage"]["stage_3"] is None  # 1
    assert complaints["stage_1_outcomes"]["not_upheld"] == 8
    assert complaints["stage_1_outcomes"]["upheld"] == 5
    # Hidden counts are null, never a number from 1 to 4.
    flat = json.dumps(data)
    for key, value in complaints["stage_1_outcomes"].items():
        assert value is None or value == 0 or value >= 5, key
    assert "SENTINEL" not in flat


def test_when_only_the_out_folder_is_writable_the_report_is_staged_inside_it(
    council_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    import themes.report.output as output

    out = tmp_path / "report"
    out.mkdir()
    real = tempfile.mkdtemp

    def parent_read_only(*args, dir=None, **kwargs):  # noqa: A002 (tempfile's own name)
        if Path(dir) == tmp_path:
            raise PermissionError(errno.EACCES, "injected")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(output.tempfile, "mkdtemp", parent_read_only)
    result = run("report", council_csv, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.docx").exists() and (out / "tables").is_dir()
    assert not [p for p in out.iterdir() if ".report-tmp-" in p.name]
