"""Dates and timestamps in every format the exports use; unreadable → null + a value-level
quarantine entry (the row is kept), never a guess.

Spec mess handled: YYYYMMDD integers ("20240105", "20240105.0"), MM/DD/YYYY, M/D/YY, MM-DD-YYYY,
YYYY-MM-DD, YYYY/MM/DD, month names ("Jan 5, 2024", "January 5 2024", "5 Jan 2024", "05-Jan-2024",
"Sept. 5th, 2024", "Friday, January 5, 2024"), ISO date-times (with "T", fractions, "Z" or an
offset) and Excel serial numbers ("45296" → 2024-01-05, accepted between 20000 and 60000, i.e.
1954-2064). Slash dates are read the US way (month first); "13/01/2024" is unreadable, not a
day-first guess. An impossible date ("2024-02-30") or a year outside 1900-2100 is unreadable.

``parse_dates`` → ``value`` (Date) + ``date_error``; a date-time gives its date as written (the
offset is ignored: "2024-01-05T23:00-05:00" is 2024-01-05). ``parse_datetimes`` → ``value``
(naive Datetime in UTC) + ``datetime_error``: an offset or "Z" is converted to UTC, a value without
one is taken as UTC already, a bare date is midnight. Both use the rule name ``unreadable_date``.
Blank (or "N/A", "-", "nan") → null without an error.

Speed: every format is a ``str.strptime(strict=False)`` gated by a shape regex, coalesced, run on
the distinct values; the Python fallback (``datetime.strptime`` over a format list) only sees the
leftovers, once per distinct value.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from crm_pipeline.clean._distinct import blank_tokens_to_null, fill_from_python, per_distinct, squish

ERROR = "unreadable_date"
MIN_YEAR, MAX_YEAR = 1900, 2100
EXCEL_MIN, EXCEL_MAX = 20000, 60000
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0, after its 1900 leap-year bug

# (shape regex, strptime format) — the shape keeps strptime from misreading ("1/5/24" with %Y = year 24).
_DATE_FORMATS: tuple[tuple[str, str], ...] = (
    (r"^\d{8}$", "%Y%m%d"),
    (r"^\d{1,2}/\d{1,2}/\d{4}$", "%m/%d/%Y"),
    (r"^\d{1,2}/\d{1,2}/\d{2}$", "%m/%d/%y"),
    (r"^\d{1,2}-\d{1,2}-\d{4}$", "%m-%d-%Y"),
    (r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d"),
    (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
    (r"^[A-Za-z]{3,9} \d{1,2} \d{4}$", "%B %d %Y"),
    (r"^\d{1,2} [A-Za-z]{3,9} \d{4}$", "%d %B %Y"),
    (r"^\d{1,2}-[A-Za-z]{3,9}-\d{4}$", "%d-%B-%Y"),
    (r"^\d{1,2}-[A-Za-z]{3,9}-\d{2}$", "%d-%B-%y"),
)
_ISO_NAIVE = r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"
_ISO_OFFSET = r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2}:?\d{2}$"
_US_TIME = r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(?::\d{2})?$"
_US_TIME_12H = r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(?::\d{2})? [AP]M$"
_DATETIME_FORMATS: tuple[tuple[str, str, bool], ...] = (  # (shape, format, has offset)
    (_ISO_NAIVE, "%Y-%m-%d %H:%M:%S%.f", False),
    (_ISO_NAIVE, "%Y-%m-%d %H:%M", False),
    (_ISO_OFFSET, "%Y-%m-%d %H:%M:%S%.f%z", True),
    (_ISO_OFFSET, "%Y-%m-%d %H:%M%z", True),
    (_US_TIME_12H, "%m/%d/%Y %I:%M %p", False),
    (_US_TIME_12H, "%m/%d/%Y %I:%M:%S %p", False),
    (_US_TIME, "%m/%d/%Y %H:%M", False),
    (_US_TIME, "%m/%d/%Y %H:%M:%S", False),
)
# The Python fallback's formats (applied to the normalized text, month names title-cased).
_PY_DATE_FORMATS = (
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%m.%d.%Y",
    "%Y.%m.%d",
    "%m %d %Y",
    "%Y %m %d",
    "%B %Y %d",
    "%d/%b/%Y",
    "%m/%d/%Y",
    "%m-%d-%y",
    "%Y%m%d",
)
_PY_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I %p", " %H:%M:%S.%f")


def _normalize(expr: pl.Expr) -> pl.Expr:
    """Text every format list understands: no weekday, commas, ordinals or month-name dots;
    "Sept" → "Sep"; "T" / "Z" of ISO → " " / "+00:00"; "20240105.0" → "20240105"; "2:30PM" → "2:30 PM"."""
    text = blank_tokens_to_null(squish(expr))
    text = (
        text.str.replace(r"^(\d+)\.0+$", "${1}")
        .str.replace(r"(?i)^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? ", "")
        .str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})[Tt]", "${1} ")
        .str.replace(r"[Zz]$", "+00:00")
        .str.replace(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)\b", "${1}")
        .str.replace(r"(?i)\bsept\b", "Sep")
        .str.replace(r"(?i)\b([a-z]{3,9})\.", "${1}")
        .str.replace(r"(\d)\s*([AaPp])\.?[Mm]\.?$", "${1} ${2}M")
        .str.replace_all(",", " ")
    )
    return squish(text).str.replace(r" ([ap])M$", " ${1}M").str.to_uppercase()


def _date_part(text: pl.Expr) -> pl.Expr:
    """The date of a date-time text ("2024-01-05 14:30" → "2024-01-05"), else the text itself."""
    return pl.coalesce(
        text.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2}) \d", 1),
        text.str.extract(r"^(\d{1,2}/\d{1,2}/\d{2,4}) \d{1,2}:\d{2}", 1),
        text,
    )


def _date_expr(text: pl.Expr, date_part: pl.Expr) -> pl.Expr:
    """Vectorized date of a normalized text (date-times give their date part), else null."""
    parsed = [
        pl.when(date_part.str.contains(shape)).then(date_part.str.strptime(pl.Date, fmt, strict=False))
        for shape, fmt in _DATE_FORMATS
    ]
    serial = text.str.extract(r"^(\d{5})(?:\.\d+)?$", 1).cast(pl.Int32, strict=False)
    excel = pl.when(serial.is_between(EXCEL_MIN, EXCEL_MAX)).then(
        pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial)
    )
    return pl.coalesce(*parsed, excel.cast(pl.Date))


def _datetime_expr(text: pl.Expr, date_part: pl.Expr) -> pl.Expr:
    """Vectorized naive-UTC datetime of a normalized text, else null."""
    parsed = []
    for shape, fmt, has_offset in _DATETIME_FORMATS:
        if has_offset:
            value = text.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False).dt.replace_time_zone(None)
        else:
            value = text.str.strptime(pl.Datetime("us"), fmt, strict=False)
        parsed.append(pl.when(text.str.contains(shape)).then(value))
    serial = text.str.extract(r"^(\d{5}(?:\.\d+)?)$", 1).cast(pl.Float64, strict=False)
    excel = pl.when(serial.is_between(EXCEL_MIN, EXCEL_MAX)).then(
        pl.lit(dt.datetime(1899, 12, 30))
        + pl.duration(microseconds=(serial * 86_400_000_000).round(0).cast(pl.Int64))
    )
    date_only = pl.when(~text.str.contains(r"\d:\d")).then(
        _date_expr(text, date_part).cast(pl.Datetime("us"))
    )
    return pl.coalesce(*parsed, excel, date_only)


def _in_range(value: pl.Expr) -> pl.Expr:
    return value.dt.year().is_between(MIN_YEAR, MAX_YEAR)


# ----------------------------------------------------------------------------- Python fallback
def _py_datetime(text: str) -> dt.datetime | None:
    """Leftover shapes: ISO via ``fromisoformat``, then a format list; aware → naive UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None:
        titled = text.title()
        for date_fmt in _PY_DATE_FORMATS:
            for time_fmt in _PY_TIME_SUFFIXES:
                try:
                    value = dt.datetime.strptime(titled, date_fmt + time_fmt)
                    break
                except ValueError:
                    continue
            if value is not None:
                break
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value if MIN_YEAR <= value.year <= MAX_YEAR else None


def _parse_date_value(text: str) -> tuple[dt.date | None, str | None]:
    """Slow path for one distinct date text the vectorized formats did not read."""
    value = _py_datetime(text)
    return (value.date(), None) if value is not None else (None, ERROR)


def _parse_datetime_value(text: str) -> tuple[dt.datetime | None, str | None]:
    """Slow path for one distinct date-time text the vectorized formats did not read."""
    value = _py_datetime(text)
    return (value, None) if value is not None else (None, ERROR)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` ahead (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ----------------------------------------------------------------------------- entry points
def _compute_dates(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(_normalize(pl.col("raw")).alias("text"))
    table = table.with_columns(_date_part(pl.col("text")).alias("date_part"))
    table = table.with_columns(_date_expr(pl.col("text"), pl.col("date_part")).alias("value"))
    table = table.with_columns(
        pl.when(_in_range(pl.col("value"))).then(pl.col("value")).otherwise(None).alias("value"),
        pl.lit(None, dtype=pl.Utf8).alias("date_error"),
    )
    todo = pl.col("text").is_not_null() & pl.col("value").is_null()
    schema: dict[str, pl.DataType] = {"value": pl.Date(), "date_error": pl.Utf8()}
    return fill_from_python(table, todo, "text", _parse_date_value, schema).select("value", "date_error")


def _compute_datetimes(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(_normalize(pl.col("raw")).alias("text"))
    table = table.with_columns(_date_part(pl.col("text")).alias("date_part"))
    table = table.with_columns(_datetime_expr(pl.col("text"), pl.col("date_part")).alias("value"))
    table = table.with_columns(
        pl.when(_in_range(pl.col("value"))).then(pl.col("value")).otherwise(None).alias("value"),
        pl.lit(None, dtype=pl.Utf8).alias("datetime_error"),
    )
    todo = pl.col("text").is_not_null() & pl.col("value").is_null()
    schema: dict[str, pl.DataType] = {"value": pl.Datetime("us"), "datetime_error": pl.Utf8()}
    return fill_from_python(table, todo, "text", _parse_datetime_value, schema).select(
        "value", "datetime_error"
    )


def parse_dates(raw: pl.Series) -> pl.DataFrame:
    """Raw date texts → ``value`` (pl.Date) and ``date_error`` (``unreadable_date``, value quarantined)."""
    return per_distinct(raw, _compute_dates)


def parse_datetimes(raw: pl.Series) -> pl.DataFrame:
    """Raw date-time texts → ``value`` (naive UTC pl.Datetime) and ``datetime_error``."""
    return per_distinct(raw, _compute_datetimes)
