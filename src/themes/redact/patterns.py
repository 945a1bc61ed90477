"""Formats matched on characters: phones, e-mails, postcodes, NHS and NI numbers,
dates of birth, case references and addresses; and how overlapping spans are resolved."""

from __future__ import annotations

import re

from themes.redact.lexicon import NOT_NAME_WORDS, STREET_SUFFIXES, word_set
from themes.redact.spans import TYPES

_PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(TYPES) + r")\]")


# ---------------------------------------------------------------------------
# Formats matched on characters. Compiled once at import.
# ---------------------------------------------------------------------------

# A UK number: "+44" (optionally "(0)") or a leading 0, then 9-10 more digits in any
# grouping with spaces, dashes, dots or brackets. Group sizes are checked afterwards
# so that dates and times ("01.06.2023 10.30") are not taken for phone numbers.
_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+[ \t]?44[ \t]?(?:\(0\)[ \t]?)?|\(?0)(?:[ \t\-.()]{0,2}\d){9,10}(?!\d)"
)
# Possessive quantifiers keep this linear; the top-level domain is checked in code.
_EMAIL_RE = re.compile(r"(?<![\w.%+'-])[\w.%+'-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++")
# Any valid UK postcode shape (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA),
# any area letters (so invented areas such as ZX count). Lower-case postcodes are
# matched too, but not "s20 3rd"-like ordinals.
_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d(?!ST|ND|RD|TH)[ABD-HJLNP-UW-Z]{2}"
    r"(?![A-Za-z0-9])"
)
_POSTCODE_LOWER_RE = re.compile(
    r"(?<![A-Za-z0-9])[a-z]{1,2}\d[a-z\d]? ?\d(?!st|nd|rd|th)[abd-hjlnp-uw-z]{2}(?![A-Za-z0-9])"
)
_NHS_LABELLED_RE = re.compile(
    r"(?i:\bNHS\s*(?:number|no\b\.?|num\b\.?|#)?\s*(?:is\s+|:\s*|-\s*)?)"
    r"(?P<value>\d{3}[ -]?\d{3}[ -]?\d{4})(?!\d)"
)
_NHS_RE = re.compile(r"(?<![\d+])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])")
# NI numbers: two prefix letters (D, F, I, U, V never used; Q allowed so that HMRC's
# example prefix QQ counts), three pairs of digits, a suffix letter A-D.
_NI_RE = re.compile(r"(?<![A-Za-z0-9])[A-CEGHJ-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
_NI_LABELLED_RE = re.compile(
    r"(?i:\b(?:national\s+insurance|N\.?I\.?|NINO)\s*(?:number|no\b\.?|num\b\.?)?\s*"
    r"(?:is\s+|:\s*|-\s*)?)"
    r"(?P<value>[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2}(?: ?[A-Da-d](?![A-Za-z0-9]))?)(?![A-Za-z0-9])"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})(?!\d)"
    r"|\d{4}-\d{2}-\d{2}(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}(?!\d)"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}(?!\d))"
)
# A date is a date of birth only next to a label: "DOB", "D.O.B", "date of birth",
# "born (on)", "birthday". Dates without one ("the meeting on 3 May") stay.
_DOB_RE = re.compile(
    r"(?i)(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b|\bborn\b(?:\s+on)?"
    r"|\bbirthday\b)\s*(?:is\s+|was\s+|of\s+|[:=\-–]\s*|\(\s*)?"
    rf"(?P<value>{_DATE})"
)
_DOB_MORE_RE = re.compile(rf"(?i)\s*(?:,|and|&)\s*(?P<value>{_DATE})")
# Case references after a label: "ref CS-2023-0412", "case no. 123456", "Mosaic ID 4471902".
_REF_LABELLED_RE = re.compile(
    r"(?i:\b(?P<key>case|file|client|complaint|court|claim|mosaic|lcs|eclipse|liquid\s?logic"
    r"|crn|reference|ref|id)\b\.?"
    r"(?P<tail>(?:\s*(?:ref(?:erence)?|no|number|num|id)\b\.?|\s*#)*))"
    r"\s*(?:is\s+|[:#=\-–]\s*)?"
    r"(?P<value>[A-Za-z0-9](?:[A-Za-z0-9/\-]*[A-Za-z0-9])?(?: \d{3,}(?![A-Za-z0-9/\-]))*)"
)
# References recognisable by shape alone: "CS-2023-0412", "COMP/22/118", and family
# court case numbers such as "ZX23P00418".
_REF_SHAPE_RE = re.compile(
    r"(?<![A-Za-z0-9/\-])(?:[A-Z]{2,6}[-/]\d{2,4}[-/]\d{2,6}|[A-Z]{2}\d{2}[A-Z]\d{5})"
    r"(?![A-Za-z0-9/\-])"
)
_DATE_LIKE_RE = re.compile(r"^\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{1,4})?$")

_CAP = r"[A-Z](?=[A-Za-z'’\-]*[a-z])[A-Za-z'’\-]*+"
_SUFFIX_ALT = "|".join(
    sorted(
        (s.capitalize() for s in STREET_SUFFIXES),
        key=len,
        reverse=True,
    )
)
_NUMBERED = (
    rf"\d{{1,4}}[A-Za-z]?(?:-\d{{1,4}})?,?[ \t]+(?:{_CAP}[ \t]+){{0,2}}{_CAP}[ \t]+"
    rf"(?:{_SUFFIX_ALT})\b"
)
_BUILDING = (
    rf"(?:{_CAP}[ \t]+){{1,2}}(?:House|Court|Lodge|Mansions|Tower|Heights|Buildings|Point|Flats"
    r"|Cottages|Hall|Apartments|Place)\b"
)
_BARE_SUFFIX = "Road|Street|Avenue|Close|Lane|Drive|Crescent|Grove|Gardens|Terrace|Mews|Rise"
_STREET = rf"(?:{_CAP}[ \t]+){{1,2}}(?:{_BARE_SUFFIX})\b"
_ADDRESS_RE = re.compile(
    rf"\b(?:(?:Flat|Apartment|Apt|Unit|Room)[ \t]+\d{{1,4}}[A-Za-z]?,?[ \t]+"
    rf"(?:{_BUILDING}(?:,?[ \t]+(?:{_NUMBERED}|{_STREET}))?|{_NUMBERED})"
    rf"|{_NUMBERED})"
)
# A street named without a house number ("moved to Ashgrove Avenue"), but not a school
# or centre named after one ("Hallow Lane Academy").
_BARE_STREET_RE = re.compile(
    rf"(?<![\w'’])(?:{_CAP}[ \t]+){{1,2}}(?:{_BARE_SUFFIX})\b"
    r"(?![ \t]+(?:Academy|School|Primary|Nursery|Surgery|Medical|Health|Centre|Center|Clinic"
    r"|Practice|Library|Church|Mosque|Community|Leisure|Sports|Police|Station|Hospital|Campus"
    r"|College|Infants?|Junior|High|Family|Children|Contact|Hub|Estate|Day|Project)\b)"
)
_COURT_NAMES = word_set("family county crown high magistrates magistrates' youth appeal supreme")
_GENERIC_STREETS = word_set("high main")

# Priorities when spans overlap: a lower number wins. Labelled evidence beats shapes.
_PRIORITY = {
    "_PLACEHOLDER": 0,
    "EMAIL": 1,
    "NHS_NUMBER": 2,
    "NI_NUMBER": 3,
    "DATE_OF_BIRTH": 4,
    "CASE_REF": 5,
    "PHONE": 6,
    "_NHS_SHAPE": 7,
    "_REF_SHAPE": 8,
    "POSTCODE": 9,
    "ADDRESS": 10,
    "NAME": 11,
}
CONTACT_TYPES = frozenset({"PHONE", "EMAIL", "ADDRESS", "POSTCODE", "_PLACEHOLDER"})


def nhs_number_valid(number: str) -> bool:
    """True when a 10-digit NHS number's last digit is its modulus-11 check digit."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def _phone_ok(raw: str) -> bool:
    text = raw.strip()
    international = text.startswith("+")
    if international:
        text = re.sub(r"^\+[ \t]?44[ \t]?(?:\(0\)[ \t]?)?", "", text)
    digits = re.sub(r"\D", "", text)
    if not international and not digits.startswith("0"):
        return False
    national = digits if not international else "0" + digits
    if len(national) not in (10, 11) or national[1] == "0":
        return False
    # Real numbers are written in groups of three or more digits ("01632 960 118",
    # "07700 900123"); a lone leading "0" ("0 7700 900 313") is allowed too.
    groups = re.findall(r"\d+", text)
    if groups and groups[0] == "0":
        groups = groups[1:]
    return all(len(g) >= 3 for g in groups)


_STRONG_REF_KEYS = frozenset({"mosaic", "lcs", "eclipse", "crn", "id", "ref", "reference"})


def _ref_ok(value: str, key: str, tail: str) -> bool:
    compact = value.replace(" ", "")
    digits = sum(c.isdigit() for c in compact)
    if digits < 3 or len(compact) < 4:
        return False
    if _DATE_LIKE_RE.match(value):
        return False  # a date or a financial year ("2023/24"), not a reference
    first = value.split(" ", 1)[0]
    if " " in value and not any(c.isdigit() for c in first):
        # "complaint the 07700 900412": a word of the sentence followed by numbers is
        # not a reference; the numbers are judged on their own (a phone, here).
        return False
    strong = bool(tail.strip()) or key.lower() in _STRONG_REF_KEYS
    if not strong and _PHONE_RE.fullmatch(value) and _phone_ok(value):
        return False  # "complaint 07700 900412": a phone number after a weak label
    if compact.isdigit():
        return digits >= (4 if strong else 5)
    return True


def pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """Candidate spans of every format found in ``text`` (may overlap; resolved later)."""
    found: list[tuple[int, int, str]] = []
    add = found.append
    if "[" in text:
        for m in _PLACEHOLDER_RE.finditer(text):
            add((m.start(), m.end(), "_PLACEHOLDER"))
    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
            end = _email_end(m)
            if end:
                add((m.start(), end, "EMAIL"))
    if not any(c.isdigit() for c in text):
        # Every format but e-mails and unnumbered streets needs a digit.
        for m in _BARE_STREET_RE.finditer(text):
            span = _bare_street(m)
            if span:
                add(span)
        return found
    for m in _NHS_LABELLED_RE.finditer(text):
        add((m.start("value"), m.end("value"), "NHS_NUMBER"))
    for m in _NHS_RE.finditer(text):
        if nhs_number_valid(m.group()):
            add((m.start(), m.end(), "_NHS_SHAPE"))
    for m in _NI_RE.finditer(text):
        add((m.start(), m.end(), "NI_NUMBER"))
    for m in _NI_LABELLED_RE.finditer(text):
        add((m.start("value"), m.end("value"), "NI_NUMBER"))
    for m in _DOB_RE.finditer(text):
        add((m.start("value"), m.end("value"), "DATE_OF_BIRTH"))
        end = m.end()
        while more := _DOB_MORE_RE.match(text, end):
            add((more.start("value"), more.end("value"), "DATE_OF_BIRTH"))
            end = more.end()
    for m in _REF_LABELLED_RE.finditer(text):
        if _ref_ok(m.group("value"), m.group("key"), m.group("tail")):
            add((m.start("value"), m.end("value"), "CASE_REF"))
    for m in _REF_SHAPE_RE.finditer(text):
        add((m.start(), m.end(), "_REF_SHAPE"))
    for m in _PHONE_RE.finditer(text):
        if _phone_ok(m.group()):
            start = m.start()
            # "(01632) 960118" keeps its bracket; "(07700 900590)" leaves it to the text.
            if text[start] == "(" and ")" not in m.group():
                start += 1
            add((start, m.end(), "PHONE"))
    for m in _POSTCODE_RE.finditer(text):
        add((m.start(), m.end(), "POSTCODE"))
    for m in _POSTCODE_LOWER_RE.finditer(text):
        add((m.start(), m.end(), "POSTCODE"))
    for m in _ADDRESS_RE.finditer(text):
        span = _numbered_address(m)
        if span:
            add(span)
    for m in _BARE_STREET_RE.finditer(text):
        span = _bare_street(m)
        if span:
            add(span)
    return found


def _email_end(m: re.Match[str]) -> int | None:
    """Where the e-mail address ends: its last dot-separated part must be letters
    ("example.org.uk"); trailing parts that are not ("example.com.2") are left out."""
    local, _at, domain = m.group().partition("@")
    labels = domain.split(".")
    while len(labels) >= 2 and not (labels[-1].isalpha() and len(labels[-1]) >= 2):
        labels.pop()
    if len(labels) < 2:
        return None
    return m.start() + len(local) + 1 + len(".".join(labels))


def _numbered_address(m: re.Match[str]) -> tuple[int, int, str] | None:
    words = m.group().split()
    if len(words) >= 2 and words[-1] == "Court" and words[-2].lower() in _COURT_NAMES:
        return None  # "2 Family Court hearings" is not an address
    return (m.start(), m.end(), "ADDRESS")


def _bare_street(m: re.Match[str]) -> tuple[int, int, str] | None:
    """An unnumbered street, with sentence words before it ("At", "The") left out."""
    words = [(w.start() + m.start(), w.group()) for w in re.finditer(r"\S+", m.group())]
    # Drop leading ordinary words: "At Mill Lane" -> "Mill Lane".
    while len(words) > 1 and words[0][1].lower() in NOT_NAME_WORDS:
        words = words[1:]
    if len(words) < 2:
        return None
    if len(words) == 2 and words[0][1].lower() in _GENERIC_STREETS:
        return None  # "High Street" names no one's home
    return (words[0][0], m.end(), "ADDRESS")


def resolve_overlaps(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans: higher-priority types first, longer spans first within one."""
    ordered = sorted(candidates, key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0]))
    chosen: list[tuple[int, int, str]] = []
    for cand in ordered:
        if all(cand[1] <= s[0] or cand[0] >= s[1] for s in chosen):
            chosen.append(cand)
    chosen.sort()
    return chosen


# ---------------------------------------------------------------------------
# Names, on spaCy tokens.
# ---------------------------------------------------------------------------


def public_type(kind: str) -> str:
    if kind == "_NHS_SHAPE":
        return "NHS_NUMBER"
    if kind == "_REF_SHAPE":
        return "CASE_REF"
    return kind
