"""Writing a report folder whole or not at all, and ``report_from_file`` (what the CLI runs).

Every file is first written into a temporary folder beside the target; only
when all are written are they moved into place (``tables/`` and ``charts/``
as whole folders, so outputs of tables skipped this time never linger). A full
disk or a read-only folder gives one line and leaves the previous report as it
was. Temporary folders left by a run that was killed are removed by the next.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from themes.errors import OutputError
from themes.io import cell_text, read_table
from themes.report.build import build_report
from themes.report.charts import chart_plan, draw_charts
from themes.report.options import Report, ReportOptions
from themes.report.word import write_docx
from themes.report.writers import write_csv, write_json, write_markdown, write_xlsx

FILES = ("report.docx", "report.xlsx", "report.json", "report.md")
"""The report's files, in the order they are moved into place (report.md last)."""
FOLDERS = ("tables", "charts")
_STAGING = ".report-tmp-"


def _output_error(exc: OSError, out: Path) -> OutputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(
            f"the disk is full: the report could not be written to '{out}'; free some space "
            "or choose another --out (the previous report, if any, is unchanged)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(
            f"cannot write to '{out}': the folder is read-only or you may not write there; "
            "choose another --out (the previous report, if any, is unchanged)"
        )
    return OutputError(
        f"cannot write the report to '{out}' ({exc.strerror or exc}); choose another --out"
    )


def _remove_leftovers(out: Path) -> None:
    """Temporary folders of earlier runs on the same --out that were killed."""
    for leftover in out.parent.glob(f".{out.name}{_STAGING}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if out.is_dir():
        for leftover in out.glob(f".*{_STAGING}*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _staging_folder(out: Path) -> Path:
    """A new folder beside ``out`` (same disk, so moves are renames); inside ``out`` when
    only ``out`` itself may be written to."""
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}", dir=out.parent))
    except PermissionError:
        if not out.is_dir():
            raise
        return Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}", dir=out))


def _stage(report: Report, staging: Path, top_themes: int) -> None:
    (staging / "tables").mkdir()
    (staging / "charts").mkdir()
    for name, table in report.tables.items():
        write_csv(table, staging / "tables" / f"{name}.csv")
    charts = draw_charts(report, staging / "charts", top_themes)
    left_out = {
        stem: why
        for stem, why in chart_plan(report, top_themes).items()
        if why is not None and "was not produced" not in why
    }
    write_xlsx(report, staging / "report.xlsx", charts)
    write_docx(report, staging / "report.docx", charts, left_out)
    write_json(report, staging / "report.json")
    write_markdown(report, staging / "report.md", charts, left_out)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    for folder in FOLDERS:
        target = out / folder
        if target.exists():
            old = out / f".{folder}{_STAGING}old-{os.getpid()}"
            os.rename(target, old)
            os.rename(staging / folder, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging / folder, target)
    for name in FILES:
        os.replace(staging / name, out / name)


def write_report(
    report: Report, out_dir: str | Path, *, protect: Sequence[str | Path] = (), top_themes: int = 10
) -> list[Path]:
    """Write the report to ``out_dir`` and return the paths written.

    Writes ``tables/<name>.csv`` for every table, ``charts/<name>.png``,
    ``report.xlsx`` (a sheet per table with its caption and chart),
    ``report.docx`` (for councillors), ``report.json`` (headline figures) and
    ``report.md``. Other files in ``out_dir`` are left alone. Raises OutputError
    in one line if ``out_dir`` is a file, an output would replace one of the
    ``protect`` paths (pass the input log there), or the disk is full or read-only.
    """
    out = Path(out_dir).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out '{out}' is a file; expected a folder for the report")
    guarded = {Path(p).resolve() for p in protect}
    for path in [out / name for name in FILES]:
        if path.resolve() in guarded:
            raise OutputError(
                f"writing the report would replace the input file '{path.name}'; "
                "choose another --out folder"
            )
    for folder in FOLDERS:
        inside = [p for p in guarded if (out / folder).resolve() in p.parents]
        if inside:
            raise OutputError(
                f"the input file is inside '{out / folder}', which the report replaces; "
                "move it or choose another --out folder"
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out)
        staging = _staging_folder(out)
    except OSError as exc:
        raise _output_error(exc, out) from None
    try:
        _stage(report, staging, top_themes)
        written = [p.relative_to(staging) for p in sorted(staging.rglob("*")) if p.is_file()]
        _swap(staging, out)
    except OSError as exc:
        raise _output_error(exc, out) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / p for p in written]


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

    Returns the report (for its notes, column mapping and skipped tables) and
    the paths written.
    """
    options = options or ReportOptions()
    frame = read_table(
        path, encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter
    )
    # Blank rows inside a log are kept by the reader (nothing is lost when tagging);
    # they are not records, so the report leaves them out.
    dropped = 0
    if len(frame):
        blank = frame.apply(lambda column: column.map(cell_text).str.strip() == "").all(axis=1)
        frame, dropped = frame.loc[~blank], int(blank.sum())
    report = build_report(frame, options)
    if dropped:
        report.notes.insert(
            0, f"{dropped} blank row{'s' if dropped != 1 else ''} of the log left out."
        )
    written = write_report(report, out_dir, protect=[path], top_themes=options.top_themes)
    return report, written
