"""Make the robust_* reference files used by tests/test_robust.py.

Run from the repository root: ``python tests/data/robust_make_files.py``. The files
are committed; this script documents how they were made. Every text in them is
invented. robust_password.xlsx needs msoffcrypto-tool (not a project dependency):
it is only remade when that package is importable.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent


def title_rows_xlsx() -> None:
    """An Excel export as councils make them: a title, a blank row, then the header.

    Also: a merged data cell, numbers stored as text, dates as real dates, UK text
    and an Excel serial, a blank row in the middle and formatted empty rows at the end.
    Saved in normal mode, so strings go to the shared-strings table as Excel does.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "Complaints"
    ws["A1"] = "Complaints log 2023/24"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws.append([])
    ws.append(["Reference", "Date received", "Team", "Stage", "Text", "Outcome"])
    ws.append(
        [
            "00123",
            datetime(2023, 4, 3),
            "Fostering",
            "1",
            "The supervising social worker has not returned my calls for three weeks.",
            "upheld",
        ]
    )
    ws.append(["00124", "1 April 2023", "Child in Need", 1, "Merged across two cells", None])
    ws.merge_cells("E5:F5")
    ws.append([])
    ws.append(
        [
            "00125",
            45000,
            "Duty and Assessment",
            2,
            '=HYPERLINK("http://example.invalid") was typed here by a complainant',
            "not upheld",
        ]
    )
    # Typed by a complainant, stored as text (as Excel does for text typed after a quote).
    ws["E7"].data_type = "s"
    ws.append(["00126", "03/04/2023", "Fostering", "1", "", "withdrawn"])
    # Formatting left on empty rows below the data, as spreadsheets often have.
    for row in range(9, 13):
        ws.cell(row=row, column=1).font = Font(italic=True)
    wb.create_sheet("Notes").append(["Notes", "for the board"])
    wb.save(HERE / "robust_title_rows.xlsx")


def two_row_header_xlsx() -> None:
    """A header on two rows: "Dates" merged over "received" and "responded"."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "Reference"
    ws.merge_cells("A1:A2")
    ws["B1"] = "Dates"
    ws.merge_cells("B1:C1")
    ws["B2"] = "received"
    ws["C2"] = "responded"
    ws["D1"] = "text"
    ws.merge_cells("D1:D2")
    ws.append(["T1", datetime(2023, 5, 2), datetime(2023, 5, 12), "Contact was cancelled."])
    ws.append(["T2", datetime(2023, 6, 1), None, "Thank you for the support."])
    wb.save(HERE / "robust_two_row_header.xlsx")


def title_rows_csv() -> None:
    """The same kind of export saved as CSV by Excel on Windows: Windows-1252, semicolons.

    A title row and a blank row above the header, CRLF line ends, £ and smart quotes,
    a line break inside a quoted cell, a blank row in the middle and blank rows at the end.
    """
    lines = [
        "Complaints log 2023/24;;;",
        ";;;",
        "reference;date_received;text;outcome",
        "W1;03/04/2023;\u201cWe\u2019re still waiting\u201d for the \u00a3150 allowance;upheld",
        ";;;",
        'W2;1 April 2023;"First line\r\nsecond line; with a semicolon";not upheld',
        "W3;45000;;withdrawn",
        ";;;",
        ";;;",
    ]
    (HERE / "robust_title_rows.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def old_xls() -> None:
    """Not a real workbook: the OLE2 signature and a "Workbook" stream name, as in an .xls."""
    data = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    data += "Workbook".encode("utf-16-le") + bytes(1024)
    (HERE / "robust_old_format.xlsx").write_bytes(bytes(data))


def password_xlsx() -> None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        print("msoffcrypto-tool not installed: robust_password.xlsx left as it is")
        return
    wb = Workbook()
    ws = wb.active
    ws.append(["reference", "text"])
    ws.append(["E1", "A made-up complaint in a protected workbook."])
    plain = io.BytesIO()
    wb.save(plain)
    plain.seek(0)
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", encrypted)
    (HERE / "robust_password.xlsx").write_bytes(encrypted.getvalue())


if __name__ == "__main__":
    title_rows_xlsx()
    two_row_header_xlsx()
    title_rows_csv()
    old_xls()
    password_xlsx()
