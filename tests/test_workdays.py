"""Dates, financial years and working days (weekends and bank holidays in England)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import holidays
import numpy as np
import pandas as pd
import pytest

from themes.workdays import (
    add_working_days,
    financial_year,
    financial_year_bounds,
    financial_year_label,
    financial_year_start,
    is_working_day,
    parse_date,
    parse_financial_year,
    working_days_between,
)

# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    "value",
    [
        "01/04/2023",
        "1/4/2023",
        "1/4/23",
        "01-04-2023",
        "01.04.2023",
        "1 April 2023",
        "1st April 2023",
        "1 Apr 2023",
        "1-Apr-2023",
        "1 apr. 2023",
        "Saturday 1 April 2023",
        "Sat, 1 April 2023",
        "April 1, 2023",
        "2023-04-01",
        "2023-04-01T09:30:00",
        "2023-04-01 09:30:00",
        "2023/04/01",
        "01/04/2023 14:05",
        "01/04/2023 2:05 pm",
        " 01/04/2023 ",
        "45017",
        45017,
        45017.6,
        datetime(2023, 4, 1, 16, 45),
        date(2023, 4, 1),
        pd.Timestamp("2023-04-01 10:00"),
        np.datetime64("2023-04-01"),
    ],
)
def test_parse_date_reads_every_common_form_as_1_april_2023(value: object) -> None:
    assert parse_date(value) == date(2023, 4, 1)


def test_parse_date_is_day_first_even_when_both_readings_are_possible() -> None:
    assert parse_date("04/01/2024") == date(2024, 1, 4)
    assert parse_date("12/11/2023") == date(2023, 11, 12)


@pytest.mark.parametrize("value", [None, "", "   ", float("nan"), pd.NaT, "NaN", "nan"])
def test_parse_date_treats_empty_cells_as_none(value: object) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(
    "value",
    ["31/02/2024", "13/13/2023", "not known", "sometime in May", "2023", "1 Smarch 2023", True, -5],
)
def test_parse_date_rejects_what_is_not_a_date(value: object) -> None:
    with pytest.raises(ValueError):
        parse_date(value)


def test_parse_date_error_does_not_repeat_the_cell() -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("Mrs Smith rang on Tuesday")
    assert "Smith" not in str(caught.value)


def test_excel_serials_match_excel_dates() -> None:
    # Excel shows 44927 as 01/01/2023 and 45382 as 31/03/2024.
    assert parse_date(44927) == date(2023, 1, 1)
    assert parse_date("45382") == date(2024, 3, 31)


# --------------------------------------------------------------------------- financial years


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2023, 4, 1), "2023/24"),
        (date(2024, 3, 31), "2023/24"),
        (date(2024, 4, 1), "2024/25"),
        (datetime(2024, 1, 15, 23, 59), "2023/24"),
        (date(1999, 6, 1), "1999/00"),
    ],
)
def test_financial_year_runs_1_april_to_31_march(day: date, label: str) -> None:
    assert financial_year(day) == label
    first, last = financial_year_bounds(label)
    assert first <= (day.date() if isinstance(day, datetime) else day) <= last
    assert financial_year_label(financial_year_start(day)) == label


@pytest.mark.parametrize(
    "text", ["2023/24", "2023-24", "2023/2024", "2023-2024", "23/24", " FY2023/24 "]
)
def test_parse_financial_year_accepts_the_usual_spellings(text: str) -> None:
    assert parse_financial_year(text) == 2023


@pytest.mark.parametrize("text", ["2023/25", "2023", "2023/23", "next year", "2024-2023"])
def test_parse_financial_year_rejects_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="financial year"):
        parse_financial_year(text)


def test_financial_year_bounds() -> None:
    assert financial_year_bounds("2023-24") == (date(2023, 4, 1), date(2024, 3, 31))


# --------------------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Same day is day 0; the next working day is day 1.
        (date(2023, 6, 5), date(2023, 6, 5), 0),
        (date(2023, 6, 5), date(2023, 6, 6), 1),
        # Friday to Monday: the weekend does not count.
        (date(2023, 6, 9), date(2023, 6, 12), 1),
        # Received Saturday: Monday is day 1.
        (date(2023, 6, 10), date(2023, 6, 12), 1),
        # Easter 2023: Good Friday 7 April and Easter Monday 10 April.
        (date(2023, 3, 31), date(2023, 4, 12), 6),
        # Christmas 2023 and New Year's Day 2024.
        (date(2023, 12, 22), date(2024, 1, 2), 4),
        # The coronation bank holiday, Monday 8 May 2023.
        (date(2023, 5, 5), date(2023, 5, 9), 1),
        # The state funeral, Monday 19 September 2022.
        (date(2022, 9, 16), date(2022, 9, 20), 1),
        # Christmas 2022 fell on a Sunday: Tuesday 27 December was the substitute day.
        (date(2022, 12, 23), date(2022, 12, 28), 1),
        # Reply before receipt: negative.
        (date(2023, 6, 12), date(2023, 6, 9), -1),
    ],
)
def test_working_days_between_known_dates(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_scottish_only_holidays_are_working_days_in_england() -> None:
    # St Andrew's Day and 2 January are bank holidays in Scotland, not England.
    assert is_working_day(date(2023, 11, 30))
    assert is_working_day(date(2024, 1, 2))
    assert not is_working_day(date(2023, 12, 25))
    assert not is_working_day(date(2023, 6, 10))  # Saturday


def _naive_working_days(start: date, end: date) -> int:
    calendar = holidays.country_holidays("GB", subdiv="ENG")
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            count += 1
    return count


def test_working_days_between_agrees_with_a_day_by_day_count() -> None:
    rng = random.Random(20240401)
    for _ in range(300):
        start = date(2018, 1, 1) + timedelta(days=rng.randrange(3000))
        end = start + timedelta(days=rng.randrange(120))
        assert working_days_between(start, end) == _naive_working_days(start, end), (start, end)
        assert working_days_between(end, start) == -_naive_working_days(start, end)


def test_add_working_days_is_the_inverse_of_working_days_between() -> None:
    rng = random.Random(7)
    for _ in range(200):
        start = date(2019, 1, 1) + timedelta(days=rng.randrange(2000))
        days = rng.randrange(0, 70)
        deadline = add_working_days(start, days)
        assert working_days_between(start, deadline) == days
        if days:
            assert is_working_day(deadline)
            # The day before the deadline is still short of the limit.
            assert working_days_between(start, deadline - timedelta(days=1)) == days - 1


def test_add_working_days_rejects_negative_days() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2023, 1, 1), -1)


def test_working_days_ignore_the_time_of_day() -> None:
    assert working_days_between(datetime(2023, 6, 5, 23, 0), datetime(2023, 6, 6, 1, 0)) == 1
