"""Reading and writing complaint logs: CSV (any common encoding), Excel .xlsx and JSON lines.

Reading keeps every cell as it was, so that ``tag`` and ``redact`` can write every
input column back unchanged:

* CSV cells are text, exactly as in the file ("" when empty): numbers and dates
  stay as written ("00123", "03/04/2023", "45000"). The encoding is detected
  (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252, Latin-1) unless
  given, and the delimiter is sniffed (comma, semicolon, tab, pipe) unless given.
  The file must be well-formed: an unclosed quote or a quote followed by more
  text is reported with its line number rather than guessed at, because guessing
  silently merges rows.
* Excel cells keep their native values (text, numbers, dates as datetimes,
  booleans); text escaped by Excel as ``_xHHHH_`` is decoded. Only the anchor
  (top-left) cell of a merged range holds its value; the other cells of a merge
  stay empty. Formulas give the value Excel last calculated.
* JSON lines: one object per line; blank lines are not records; columns are the
  keys in order of first appearance.

The header is the first row that looks like one (at least two text cells, and
at least half as many as the widest of the first rows, above any row holding a
long text), so a title such as "Complaints log 2023/24" and blank rows above the
real header are skipped; pass ``header_row`` to choose it. In Excel, header cells
of a merged range take its label, and a label merged across columns above a row
of sub-headings makes a two-row header ("Dates received", "Dates responded").
Rows above the header are not data and are not read. Column names are made
unique and non-blank for use inside the program ("text (2)", "Column 4");
``Table.original_columns`` keeps the header exactly as in the file for writing
it back.

Rows: every data row is read, in file order, including rows that are entirely
empty in the middle of the data. Rows at the very end of the data in which
every cell is empty (spreadsheets leave them behind) are dropped; this is the
same for CSV, Excel and JSON lines and ``Table.blank_rows_dropped`` counts them.

Writing goes to a temporary file ``.NAME.PID.XXXX.part`` beside the output that is
renamed over it only when complete, so an interrupted run never leaves a
half-written or damaged output, and Excel output never contains a formula.
Error messages name files, lines, rows and columns, never cell contents.

Modules, from the bottom up:

* ``limits``: sizes and Excel's limits.
* ``messages``: what a message may show (``may_show``): the one policy for file text.
* ``cells``: blank cells and rows, header-like cells, unique column names.
* ``detect``: format, encoding and delimiter; binary files and Excel lock files.
* ``header``: which row is the header; merged and two-row headers; the guess note.
* ``columns``: which column is the complaint text and which the reference.
* ``rows``: rows into DataFrame chunks, trailing blank rows dropped.
* ``xlsx_guard``: zip-bomb limits and formulas with no saved value.
* ``csv_reader``, ``xlsx_reader``, ``jsonl_reader``: one reader per format.
* ``table``: ``ReadOptions`` and ``Table``, the one way to open a log.
* ``atomic``: ``AtomicFile`` and ``atomic_folder``, the one way to write a file.
* ``xlsx_stream``: a one-sheet .xlsx written row by row.
* ``writer``: ``TableWriter`` for CSV, .xlsx and JSON lines.
* ``workbook``: an .xlsx input written back with its layout and new columns.
* ``stream``: ``write_table``, the loop that writes a table read from a log.
"""

from themes.io.cells import cell_text
from themes.io.columns import ColumnChoice, choose_columns
from themes.io.detect import READ_FORMATS, WRITE_FORMATS, detect_encoding, file_format
from themes.io.limits import XLSX_MAX_CELL_CHARS, XLSX_MAX_COLUMNS, XLSX_MAX_ROWS
from themes.io.messages import may_show
from themes.io.table import ReadOptions, Table, TableInfo, read_table
from themes.io.writer import TableWriter, check_output_path, neutralise_formula

__all__ = [
    "READ_FORMATS",
    "WRITE_FORMATS",
    "XLSX_MAX_CELL_CHARS",
    "XLSX_MAX_COLUMNS",
    "XLSX_MAX_ROWS",
    "ColumnChoice",
    "ReadOptions",
    "Table",
    "TableInfo",
    "TableWriter",
    "cell_text",
    "check_output_path",
    "choose_columns",
    "detect_encoding",
    "file_format",
    "may_show",
    "neutralise_formula",
    "read_table",
]
