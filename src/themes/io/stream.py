"""The one streaming loop that writes a table read from a log: used by tag and redact.

``write_table`` takes the opened input ``Table``, the output path, the header to
write and the chunks to write (each a DataFrame in that column order), and picks
the writer: for .xlsx input and .xlsx output the input workbook is kept (sheets,
title rows, widths, formats; see ``workbook``) unless it is too large, in which
case the streaming writer is used and the result says so; otherwise the streaming
``TableWriter`` (CSV, .xlsx, JSON lines). Either way the output is written
atomically and messages name rows by their number in the input and reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from themes.io.detect import file_format
from themes.io.table import Table
from themes.io.workbook import KEEP_LAYOUT_MAX_BYTES, WorkbookWriter
from themes.io.writer import TableWriter


@dataclass
class WriteResult:
    """What ``write_table`` did: rows written, whether the workbook's layout was kept."""

    output: Path
    rows: int = 0
    layout_kept: bool = False
    notes: list[str] = field(default_factory=list)


def write_table(
    table: Table,
    output: str | Path,
    header: Sequence[str],
    chunks: Iterable[pd.DataFrame],
    *,
    safe_csv: bool = False,
    id_column: str | None = None,
    keep_layout: bool = True,
    keep_layout_max_bytes: int = KEEP_LAYOUT_MAX_BYTES,
    progress: Callable[[int], None] | None = None,
) -> WriteResult:
    """Write ``chunks`` to ``output`` under ``header``; see the module's docstring.

    The first ``len(table.columns)`` columns of each chunk are the input's columns in
    place; any further ones are new columns added at the right of the data.
    """
    out = Path(output)
    result = WriteResult(output=out)
    id_index = table.columns.index(id_column) if id_column in table.columns else None
    writer: TableWriter | WorkbookWriter
    same_kind = table.format == "xlsx" and file_format(out, for_writing=True) == "xlsx"
    if keep_layout and same_kind and table.sheet is not None and table.header_row:
        size = table.path.stat().st_size
        if size <= keep_layout_max_bytes:
            writer = WorkbookWriter(
                table.path,
                out,
                sheet=table.sheet,
                header_row=table.header_row,
                width=len(table.columns),
                header=header,
                source_row=table.row_number,
                original_rows=table.rows(),
                id_column=id_index,
            )
            result.layout_kept = True
        else:
            result.notes.append(
                f"the input workbook is large ({size / 2**20:,.0f} MB): the output is written "
                "by the streaming writer, as one sheet without the input's other sheets, "
                "title rows, column widths and formats"
            )
    if not result.layout_kept:
        writer = TableWriter(
            out, header, safe_csv=safe_csv, source_row=table.row_number, id_column=id_index
        )
    with writer:
        for chunk in chunks:
            writer.write(chunk)
            result.rows += len(chunk)
            if progress is not None:
                progress(len(chunk))
    return result
