"""The contract every normalizer keeps: never crash, one output row per input row, in order,
and Python-level parsing once per distinct value."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_pipeline import clean
from crm_pipeline.clean import addresses, branches, dates, emails, money, names, phones, states

SINGLE_INPUT: dict[str, Callable[[pl.Series], pl.DataFrame]] = {
    "names": clean.normalize_full_names,
    "emails": clean.normalize_emails,
    "phones": clean.normalize_phones,
    "addresses": clean.normalize_addresses,
    "states": clean.normalize_states,
    "zips": clean.normalize_zips,
    "branches": clean.normalize_branches,
    "dates": clean.parse_dates,
    "datetimes": clean.parse_datetimes,
    "money": clean.parse_money,
    "status": clean.normalize_status,
    "service_type": clean.normalize_service_type,
    "nickname_keys": clean.nickname_keys,
}

# Text that looks like CRM data some of the time and like garbage the rest of the time.
_crm_alphabet = st.sampled_from(list("0123456789 ,.-/#()$@+:'&ÉéñAaBbCcJjMmNnSsTtXxZz\t\n\u00a0"))
crm_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=_crm_alphabet, max_size=40),
    st.sampled_from(["", " ", "N/A", "none", "-", "nan", "0", "00000", "1/1/1", "$", "#", ",", "@"]),
)
raw_columns = st.lists(st.one_of(st.none(), crm_text), max_size=25)


@pytest.mark.parametrize("name", sorted(SINGLE_INPUT))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=raw_columns)
def test_random_text_never_crashes_and_keeps_rows(name: str, values: list[str | None]) -> None:
    raw = pl.Series("raw", values, dtype=pl.Utf8)
    out = SINGLE_INPUT[name](raw)
    assert out.height == len(values)
    # Blank input gives null everywhere (no value, no error, no flag).
    blank = [i for i, v in enumerate(values) if v is None or not v.strip()]
    for i in blank:
        assert all(v is None for v in out.row(i)), (name, values[i], out.row(i))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), crm_text), st.one_of(st.none(), crm_text)),
        max_size=20,
    )
)
def test_split_names_never_crash(rows: list[tuple[str | None, str | None]]) -> None:
    first = pl.Series([r[0] for r in rows], dtype=pl.Utf8)
    last = pl.Series([r[1] for r in rows], dtype=pl.Utf8)
    assert clean.normalize_name_parts(first, last).height == len(rows)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(*[st.one_of(st.none(), crm_text)] * 5), max_size=15))
def test_split_addresses_never_crash(rows: list[tuple[str | None, ...]]) -> None:
    cols = [pl.Series([r[i] for r in rows], dtype=pl.Utf8) for i in range(5)]
    assert clean.normalize_address_parts(*cols).height == len(rows)


def test_output_follows_input_order() -> None:
    raw = pl.Series(["Jan 5, 2024", None, "2024-01-06", "Jan 5, 2024", "bad", "2024-01-06"])
    out = clean.parse_dates(raw)
    assert out["value"].cast(pl.Utf8).to_list() == [
        "2024-01-05",
        None,
        "2024-01-06",
        "2024-01-05",
        None,
        "2024-01-06",
    ]
    assert out["date_error"].to_list() == [None, None, None, None, "unreadable_date", None]


def test_null_typed_column_is_accepted() -> None:
    """A CSV reader types an all-empty column as Null; the normalizers take it as text."""
    out = clean.normalize_emails(pl.Series("email", [None, None]))
    assert out["email"].to_list() == [None, None]


# ----------------------------------------------------------------------------- once per distinct
@contextmanager
def counting(module: Any, attr: str) -> Iterator[list[Any]]:
    """Replace ``module.attr`` by a wrapper that records each call's first argument."""
    original = getattr(module, attr)
    calls: list[Any] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return original(*args, **kwargs)

    setattr(module, attr, wrapper)
    try:
        yield calls
    finally:
        setattr(module, attr, original)


# Ten distinct values per normalizer, each in a shape only the Python path handles, repeated to
# 100k rows with whitespace variants (which must not count as new values).
TEN = range(10)
STATE_SPELLINGS = ["Calif.", "Mass", "Texas", "N. Dak", "Penna", "Ohio", "Wyo", "Iowa", "Utah", "Maine"]
BRANCH_TYPOS = ["Nwe York", "Bsoton", "Chciago", "Maimi", "Dalas", "Philadephia", "Los Angles",
                "San Francsico", "Atlanta", "Denver"]  # fmt: skip
SLOW_SHAPES: list[tuple[Any, str, Callable[[pl.Series], pl.DataFrame], list[str]]] = [
    (names, "_parse_with_nameparser", clean.normalize_full_names, [f"Dr. Ann Lee{i} Jr." for i in TEN]),
    (emails, "_validate_email_value", clean.normalize_emails, [f"a{i}@bücher.de" for i in TEN]),
    (phones, "_parse_with_phonenumbers", clean.normalize_phones, [f"+44 20 7946 09{i:02}" for i in TEN]),
    (addresses, "_parse_with_usaddress", clean.normalize_addresses, [f"PO Box {i}, Boston MA" for i in TEN]),
    (states, "_state_from_python", clean.normalize_states, STATE_SPELLINGS),
    (branches, "_match_branch_value", clean.normalize_branches, BRANCH_TYPOS),
    (dates, "_parse_date_value", clean.parse_dates, [f"{i + 1}.05.2024" for i in TEN]),
    (dates, "_parse_datetime_value", clean.parse_datetimes, [f"Jan {i + 1} 2024 14:30:00.5" for i in TEN]),
    (money, "_parse_money_value", clean.parse_money, [f"12.34{i}" for i in TEN]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("module", "attr", "normalize", "distinct"), SLOW_SHAPES, ids=[s[1] for s in SLOW_SHAPES]
)
def test_python_parsing_runs_once_per_distinct_value(
    module: Any, attr: str, normalize: Callable[[pl.Series], pl.DataFrame], distinct: list[str]
) -> None:
    rows = [distinct[i % 10] if i % 3 else f"  {distinct[i % 10]} " for i in range(100_000)]
    with counting(module, attr) as calls:
        out = normalize(pl.Series(rows))
    assert out.height == 100_000
    assert len(calls) == 10, f"{attr} called {len(calls)} times for 10 distinct values"
    assert len(set(map(str, calls))) == 10
    # The slow shapes really were parsed (not just counted): no row lost its value.
    assert out.null_count().row(0)[0] < 100_000


def test_split_name_parsing_runs_once_per_distinct_pair() -> None:
    first = pl.Series(["Dr. John Q", "mary", "ANN"] * 30_000)
    last = pl.Series(["Smith Jr.", "o'neil", "LEE"] * 30_000)
    with counting(names, "_split_name_parts") as calls:
        out = clean.normalize_name_parts(first, last)
    assert len(calls) == 3
    assert out.row(0)[:5] == ("Dr", "John", "Q", "Smith", "JR")
