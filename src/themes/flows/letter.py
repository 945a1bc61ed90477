"""One complaint from a file, as it arrives: a text file, a Word letter or an e-mail.

``read_letter`` returns the text to suggest for: a .txt file's text (encoding
detected), a .docx letter's paragraphs and table cells (python-docx), or an .eml
message's subject and plain-text body (the standard library's e-mail parser; an
HTML-only message gives its text without tags). Any other format is refused in one
line naming the formats read.
"""

from __future__ import annotations

import html
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from themes.errors import InputFileError

LETTER_FORMATS = (".txt", ".docx", ".eml")


def _docx(path: Path) -> str:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import OpcError

    try:
        document = Document(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError):
        raise InputFileError(
            f"'{path.name}' is not a Word .docx document (an old .doc renamed, or damaged); "
            "save it from Word as .docx or as plain text (.txt)"
        ) from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(part for part in parts if part.strip())


def _eml(path: Path) -> str:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    subject = str(message.get("subject", "") or "").strip()
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        body = body_part.get_content()
        if body_part.get_content_type() == "text/html":
            body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return "\n".join(part for part in (subject, body.strip()) if part)


def _txt(path: Path) -> str:
    from themes.io import detect_encoding

    raw = path.read_bytes()
    return raw.decode(detect_encoding(path, raw))


def read_letter(path: str | Path) -> str:
    """The text of one complaint file (.txt, .docx or .eml); InputFileError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"file '{path}' not found; check the path")
    suffix = path.suffix.lower()
    readers = {".txt": _txt, ".docx": _docx, ".eml": _eml}
    if suffix not in readers:
        raise InputFileError(
            f"'{path.name}' is a {suffix or 'file without an extension'}; suggest --file reads "
            f"{', '.join(LETTER_FORMATS)}: save the letter as one of those, or paste its text"
        )
    return readers[suffix](path)
