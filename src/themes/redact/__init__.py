"""Redaction: personal data taken out of complaint text before it leaves the complaints team.

Personal details are replaced by typed placeholders ([NAME], [PHONE], [EMAIL],
[ADDRESS], [POSTCODE], [DATE_OF_BIRTH], [NHS_NUMBER], [NI_NUMBER], [CASE_REF]);
every other character is kept exactly, so the text still reads and still tags
the same.

Two kinds of evidence are combined:

* Formats (phone numbers, e-mails, postcodes, NHS and NI numbers, dates of birth,
  house-number-and-street addresses, case references) are matched with regular
  expressions on the characters, because spaCy's tokeniser splits them in
  different places depending on spacing ("07700 900123" vs "(01632) 960118").
* Names are found on spaCy tokens with a ``Matcher``: a capitalised word after a
  title ("Mrs Adams"), a role ("social worker Karen Blake", "SW Karen"), a family
  word ("my son Josh"), a greeting or sign-off ("Dear Anita", "Thanks, Leanne"),
  before an age or date of birth ("Esme (13)"); plus a list of first names, lines
  that look like a letter's signature, names joined by "and", and every other
  occurrence of a name already found. A statistical spaCy model adds its PERSON
  entities when one is named; the rules work with ``spacy.blank("en")`` alone.

Precision matters as much as recall: role words, team and service names, the
council's name, months, "Mum", "Dad" and ordinary capitalised words stay, so the
text keeps its meaning for tagging and for the annual report.

Modules: ``spans`` (types, spans, placeholders), ``lexicon`` (word lists),
``patterns`` (formats matched on characters), ``matcher`` (spaCy pipeline and name
patterns), ``names`` (names on tokens), ``redactor`` (the ``Redactor``), ``files``
(whole files through io's ``write_table``). A ``Redactor`` is built by its caller
and reused; there is no shared module-level instance.
"""

from themes.redact.files import RedactSummary, redact_file, redaction_label_drift
from themes.redact.patterns import nhs_number_valid
from themes.redact.redactor import Redactor
from themes.redact.spans import (
    DEFAULT_CHUNK_ROWS,
    TYPES,
    RedactionError,
    SpacyModelError,
    Span,
    apply_spans,
    placeholder,
)

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "TYPES",
    "RedactSummary",
    "RedactionError",
    "Redactor",
    "Span",
    "SpacyModelError",
    "apply_spans",
    "nhs_number_valid",
    "placeholder",
    "redact_file",
    "redaction_label_drift",
]
