"""Dates in complaints logs: reading them, financial years and working days.

Statutory time limits are in working days: weekends and bank holidays in
England do not count. Bank holidays come from the maintained ``holidays``
package (``country_holidays("GB", subdiv="ENG")``), which includes substitute
days and one-off holidays such as the 2022 state funeral and the 2023
coronation, so no hand-kept list goes stale.

Counting convention (the one the complaints procedures use): the day a
complaint is received is day 0 and the next working day is day 1, so a reply
on the tenth working day after receipt is "within 10 working days".

Reporting years are financial years, 1 April to 31 March, labelled "2023/24".
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

# Excel's day 0 for serial numbers (right from 1 March 1900 on, Excel having
# counted a 29 February 1900 that never was).
_EXCEL_EPOCH = date(1899, 12, 30)
# Serials accepted: 1 January 1950 to 31 December 2099. Outside that a number is
# more likely a year ("2023") or a reference than a date in a complaints log.
_EXCEL_SERIALS = (18_264, 73_050)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# An optional time after a date: "09:30", "9:30:15", "09:30 am", "T09:30:00Z", "+01:00".
_TIME = (
    r"(?:[ T]+\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?"
    r"\s*(?:[ap]\.?m\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_ISO = re.compile(rf"(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}", re.IGNORECASE)
_NUMERIC_UK = re.compile(
    rf"(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE
)
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DAY_MONTH_YEAR = re.compile(
    rf"{_WEEKDAY}(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/]+([a-z]+)\.?,?[\s\-/]+(\d{{4}}|\d{{2}}){_TIME}",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"{_WEEKDAY}([a-z]+)\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}){_TIME}", re.IGNORECASE
)
_SERIAL = re.compile(r"\d{1,7}(?:\.\d+)?")
_FINANCIAL_YEAR = re.compile(r"(?:FY\s*)?(\d{4}|\d{2})\s*[-/\u2013]\s*(\d{4}|\d{2})", re.IGNORECASE)


def _year(text: str) -> int:
    # Two-digit years in a complaints log are this century ("1/4/23" is 2023).
    value = int(text)
    return 2000 + value if len(text) == 2 else value


def _excel_serial(number: float) -> date:
    if not _EXCEL_SERIALS[0] <= number <= _EXCEL_SERIALS[1]:
        raise ValueError("a number that is not an Excel date between 1950 and 2099")
    return _EXCEL_EPOCH + timedelta(days=int(number))


def parse_date(value: Any) -> date | None:
    """Read one date cell from a complaints log; ``None`` when the cell is empty.

    Accepts Excel/pandas datetimes and dates; Excel serial numbers for dates
    from 1950 to 2099 (45017 or "45017"); ISO text ("2023-04-01",
    "2023-04-01T10:30:00"); and UK forms, always day first: "01/04/2023",
    "1/4/23", "01-04-2023", "1 April 2023", "1st Apr 2023", "Saturday 1 April
    2023" (and "April 1, 2023", which is unambiguous). A time after the date
    is ignored.

    Raises ValueError for text that is not a date or for an impossible date
    such as 31/02/2024; the message does not repeat the cell.
    """
    if value is None:
        return None
    if isinstance(value, datetime):  # pandas Timestamp is a datetime too
        if value != value:  # NaT
            return None
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        return value.astype("datetime64[D]").item()
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a date")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            return None
        return _excel_serial(float(value))
    text = str(value).strip()
    if not text or text.casefold() in {"nan", "nat", "none", "null"}:
        return None
    if _SERIAL.fullmatch(text):
        return _excel_serial(float(text))
    try:
        if match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
        if match := _NUMERIC_UK.fullmatch(text):
            day, month = int(match.group(1)), int(match.group(2))
            return date(_year(match.group(3)), month, day)
        if match := _DAY_MONTH_YEAR.fullmatch(text):
            month = _MONTHS.get(match.group(2).casefold())
            if month is not None:
                return date(_year(match.group(3)), month, int(match.group(1)))
        if match := _MONTH_DAY_YEAR.fullmatch(text):
            month = _MONTHS.get(match.group(1).casefold())
            if month is not None:
                return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        raise ValueError("impossible date (day or month out of range)") from None
    raise ValueError("not a recognised date; expected e.g. 01/04/2023, 1 April 2023 or 2023-04-01")


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, found {type(value).__name__}")


def financial_year_start(value: date | datetime) -> int:
    """The calendar year in which the financial year containing ``value`` starts."""
    day = _as_date(value)
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    """The label of the financial year starting 1 April ``start_year``: 2023 -> "2023/24"."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year(value: date | datetime) -> str:
    """The financial year (1 April to 31 March) of a date, labelled like "2023/24"."""
    return financial_year_label(financial_year_start(value))


def financial_year_bounds(label: str) -> tuple[date, date]:
    """First and last day of a financial year given as "2023/24": (1 April 2023, 31 March 2024)."""
    start = parse_financial_year(label)
    return date(start, 4, 1), date(start + 1, 3, 31)


def parse_financial_year(text: str) -> int:
    """The start year of a financial year written "2023/24", "2023-24", "2023/2024" or "23/24".

    Raises ValueError when the text is not two consecutive years.
    """
    match = _FINANCIAL_YEAR.fullmatch(str(text).strip())
    if not match:
        raise ValueError(
            f"financial year '{text}' not understood; expected two consecutive years "
            "such as 2023/24 or 2023-24"
        )
    first = _year(match.group(1))
    second_text = match.group(2)
    second = int(second_text)
    ends = first + 1
    if (len(second_text) == 2 and second != ends % 100) or (
        len(second_text) == 4 and second != ends
    ):
        raise ValueError(
            f"financial year '{text}' does not span consecutive years; "
            f"did you mean {financial_year_label(first)}?"
        )
    return first


@lru_cache(maxsize=64)
def _holidays_for(first_year: int, last_year: int) -> np.ndarray:
    import holidays

    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return np.array(sorted(calendar.keys()), dtype="datetime64[D]")


def _holiday_array(start: date, end: date) -> np.ndarray:
    low, high = min(start, end), max(start, end)
    return _holidays_for(low.year, high.year + 1)


def is_working_day(value: date | datetime) -> bool:
    """True for Monday to Friday unless it is a bank holiday in England."""
    day = _as_date(value)
    return bool(np.is_busday(np.datetime64(day, "D"), holidays=_holiday_array(day, day)))


def working_days_between(start: date | datetime, end: date | datetime) -> int:
    """Working days from ``start`` to ``end``: those after ``start`` up to and including ``end``.

    Receipt on Friday 31 March 2023 and reply on Wednesday 12 April 2023 is 6
    working days (Good Friday and Easter Monday are bank holidays). The same
    day gives 0. When ``end`` is before ``start`` the result is negative.
    Times of day are ignored.
    """
    first, last = _as_date(start), _as_date(end)
    holidays = _holiday_array(first, last)
    one = np.timedelta64(1, "D")
    begin, finish = np.datetime64(first, "D"), np.datetime64(last, "D")
    if last >= first:
        return int(np.busday_count(begin + one, finish + one, holidays=holidays))
    return -int(np.busday_count(finish + one, begin + one, holidays=holidays))


def add_working_days(start: date | datetime, days: int) -> date:
    """The date ``days`` working days after ``start`` (the deadline for a time limit).

    ``add_working_days(received, 10)`` is the last day of a 10-working-day limit;
    ``days`` must be zero or more.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    first = _as_date(start)
    if days == 0:
        return first
    # Generous upper bound for the holiday calendar: 2 calendar days per working day.
    holidays = _holiday_array(first, first + timedelta(days=2 * days + 14))
    result = np.busday_offset(np.datetime64(first, "D"), days, roll="backward", holidays=holidays)
    # busday_offset counts from the roll-adjusted start; from a non-working day
    # "backward" rolls to the previous working day, which is what day 0 means.
    return result.item()
