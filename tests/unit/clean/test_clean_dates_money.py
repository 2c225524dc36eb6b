"""Dates, timestamps and money: every format of the spec read exactly; unreadable → quarantine rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from crm_pipeline.clean.dates import parse_dates, parse_datetimes
from crm_pipeline.clean.money import parse_money

JAN5 = dt.date(2024, 1, 5)


@pytest.mark.parametrize(
    "raw",
    [
        "20240105", "20240105.0", "01/05/2024", "1/5/2024", "1/5/24", "01-05-2024", "2024-01-05", "2024-1-5",
        "2024/01/05", "Jan 5, 2024", "JAN 05 2024", "January 5 2024", "january 5, 2024", "5 Jan 2024",
        "5 January 2024", "05-Jan-2024", "Jan. 5th, 2024", "Friday, January 5, 2024", "45296", "45296.0",
        "2024-01-05T14:30:00", "2024-01-05T14:30:00Z", "2024-01-05 14:30:00", "01/05/2024 2:30 PM",
        "2024-01-05T23:30:00-05:00", "  2024-01-05  ",
    ],
)  # fmt: skip
def test_date_formats(raw: str) -> None:
    assert parse_dates(pl.Series([raw])).row(0) == (JAN5, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sept 5, 2024", (dt.date(2024, 9, 5), None)),
        ("12/31/99", (dt.date(1999, 12, 31), None)),
        ("2024-02-29", (dt.date(2024, 2, 29), None)),
        ("2024-02-30", (None, "unreadable_date")),  # impossible date
        ("13/01/2024", (None, "unreadable_date")),  # day-first is not guessed
        ("1/5/0024", (None, "unreadable_date")),  # year out of range
        ("99999", (None, "unreadable_date")),  # not a sane Excel serial
        ("next tuesday", (None, "unreadable_date")),
        ("", (None, None)),
        ("N/A", (None, None)),
        (None, (None, None)),
    ],
)
def test_date_edge_cases(raw: str | None, expected: tuple[dt.date | None, str | None]) -> None:
    assert parse_dates(pl.Series([raw], dtype=pl.Utf8)).row(0) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-05 14:30:00", dt.datetime(2024, 1, 5, 14, 30)),
        ("2024-01-05T14:30:00.250", dt.datetime(2024, 1, 5, 14, 30, 0, 250000)),
        ("2024-01-05T14:30:00Z", dt.datetime(2024, 1, 5, 14, 30)),
        ("2024-01-05T14:30:00+02:00", dt.datetime(2024, 1, 5, 12, 30)),  # offsets → UTC
        ("2024-01-05T23:30:00-05:00", dt.datetime(2024, 1, 6, 4, 30)),
        ("01/05/2024 2:30 PM", dt.datetime(2024, 1, 5, 14, 30)),
        ("1/5/2024 2:30pm", dt.datetime(2024, 1, 5, 14, 30)),
        ("01/05/2024 14:30", dt.datetime(2024, 1, 5, 14, 30)),
        ("Jan 5, 2024 10:00 AM", dt.datetime(2024, 1, 5, 10, 0)),
        ("Jan 5, 2024", dt.datetime(2024, 1, 5)),  # a bare date is midnight
        ("20240105", dt.datetime(2024, 1, 5)),
        ("45296.5", dt.datetime(2024, 1, 5, 12, 0)),  # Excel serial with a time fraction
    ],
)
def test_datetimes(raw: str, expected: dt.datetime) -> None:
    out = parse_datetimes(pl.Series([raw]))
    assert out.schema["value"] == pl.Datetime("us")  # naive
    assert out.row(0) == (expected, None)


def test_unreadable_datetime() -> None:
    out = parse_datetimes(pl.Series(["2024-01-05 25:61", "", "soon"]))
    assert out.rows() == [(None, "unreadable_date"), (None, None), (None, "unreadable_date")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("USD 1,234", "1234.00"),
        ("1,234.50 USD", "1234.50"),
        ("$ 1 234.50", "1234.50"),
        ("-12.00", "-12.00"),
        ("$-12.00", "-12.00"),
        ("-$12.00", "-12.00"),
        ("(12.00)", "-12.00"),
        ("($1,234.56)", "-1234.56"),
        ("1.234,50", "1234.50"),  # European: dot thousands, comma decimals
        ("12,50", "12.50"),  # a lone comma with 1-2 digits after it is a decimal comma
        ("1,234", "1234.00"),  # a comma with 3 digits after it is a thousands separator
        ("12.345", "12.35"),  # rounded half-up to cents
        ("0", "0.00"),
        (".5", "0.50"),
        ("9999999999.99", "9999999999.99"),
    ],
)
def test_money(raw: str, expected: str) -> None:
    out = parse_money(pl.Series([raw]))
    assert out.schema["amount"] == pl.Decimal(12, 2)
    assert out.row(0) == (Decimal(expected), None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", (None, "unreadable_money")),
        ("1.2.3", (None, "unreadable_money")),
        ("99999999999", (None, "unreadable_money")),  # does not fit Decimal(12, 2)
        ("1,2345", (None, "unreadable_money")),
        ("", (None, None)),  # blank until the job is completed
        ("N/A", (None, None)),
        ("-", (None, None)),
    ],
)
def test_money_unreadable_or_blank(raw: str, expected: tuple[Decimal | None, str | None]) -> None:
    assert parse_money(pl.Series([raw])).row(0) == expected
