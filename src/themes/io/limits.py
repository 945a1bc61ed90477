"""Sizes and limits: how far to look for a header, Excel's own limits."""

from __future__ import annotations

# How many rows from the top are searched for the header, and the longest text that
# can be a column name there.
HEADER_SCAN_ROWS = 30
MAX_NAME_CHARS = 150
# Excel data rows looked at to find unnamed columns that hold data.
WIDTH_LOOKAHEAD_ROWS = 1000


# Excel's own limits.
XLSX_MAX_CELL_CHARS = 32_767
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
