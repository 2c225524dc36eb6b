"""Names: every name mess of the spec gives the exact parts the matcher relies on."""

from __future__ import annotations

from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_pipeline.clean import names
from crm_pipeline.clean.names import (
    display_case,
    name_variants,
    nickname_key,
    nickname_keys,
    normalize_full_names,
    normalize_name_parts,
)

Parts = tuple[str | None, str | None, str | None, str | None, str | None]


def parse(raw: str | None) -> Parts:
    row = normalize_full_names(pl.Series([raw], dtype=pl.Utf8)).row(0, named=True)
    return row["name_title"], row["first_name"], row["middle_name"], row["last_name"], row["name_suffix"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # any case → display case
        ("MARY-JANE O'NEIL", (None, "Mary-Jane", None, "O'Neil", None)),
        ("mary-jane o'neil", (None, "Mary-Jane", None, "O'Neil", None)),
        ("john mcdonald", (None, "John", None, "McDonald", None)),
        ("Mrs. Ann DeLuca", ("Mrs", "Ann", None, "DeLuca", None)),  # mixed case kept as typed
        ("MARY-JANE O’NEIL", (None, "Mary-Jane", None, "O'Neil", None)),  # curly apostrophe
        # extra spaces
        ("  bob   smith  ", (None, "Bob", None, "Smith", None)),
        ("John\tSmith", (None, "John", None, "Smith", None)),
        # "Last, First" and "LAST, FIRST M"
        ("ONEIL, MARY", (None, "Mary", None, "Oneil", None)),
        ("SMITH, JOHN Q", (None, "John", "Q", "Smith", None)),
        ("Smith ,John", (None, "John", None, "Smith", None)),
        ("de la cruz, maria", (None, "Maria", None, "De La Cruz", None)),
        # titles and suffixes (generational suffixes canonical, professional ones dropped)
        ("Dr. Bob Smith Jr.", ("Dr", "Bob", None, "Smith", "JR")),
        ("JOHN MCDONALD III", (None, "John", None, "McDonald", "III")),
        ("bob smith sr", (None, "Bob", None, "Smith", "SR")),
        ("Smith Jr., John", (None, "John", None, "Smith", "JR")),
        ("SMITH, JOHN Q. JR.", (None, "John", "Q", "Smith", "JR")),
        ("Dr. John Smith, 2nd", ("Dr", "John", None, "Smith", "II")),
        ("John Smith IV", (None, "John", None, "Smith", "IV")),
        ("Robert Smith PhD", (None, "Robert", None, "Smith", None)),
        # middle names and initials
        ("John Q. Public", (None, "John", "Q", "Public", None)),
        ("mary ann lee smith", (None, "Mary", "Ann Lee", "Smith", None)),
        ("J. Smith", (None, "J", None, "Smith", None)),
        # accents kept
        ("José  García-López", (None, "José", None, "García-López", None)),
        ("JOSÉ GARCÍA", (None, "José", None, "García", None)),
        # a nickname in quotes is not part of the name
        ('Robert "Bob" Smith', (None, "Robert", None, "Smith", None)),
        # one word
        ("Smith", (None, "Smith", None, None, None)),
    ],
)
def test_full_name(raw: str, expected: Parts) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "flag"),
    [("Unknown", "placeholder"), ("N/A", "placeholder"), ("12345", "unparsed"), ("???", "unparsed")],
)
def test_non_names_are_flagged_and_emptied(raw: str, flag: str | None) -> None:
    out = normalize_full_names(pl.Series([raw])).row(0, named=True)
    assert out["name_flag"] == flag
    assert out["first_name"] is None and out["last_name"] is None
    assert out["name_error"] is None


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Dr. John Q", "Smith Jr.", ("Dr", "John", "Q", "Smith", "JR")),
        ("mary", "o'neil", (None, "Mary", None, "O'Neil", None)),
        ("JOHN", "SMITH, III", (None, "John", None, "Smith", "III")),
        ("Mrs Ann", "Lee PhD", ("Mrs", "Ann", None, "Lee", None)),
        ("  ann ", "  van der berg ", (None, "Ann", None, "Van Der Berg", None)),
        (None, "Lee", (None, None, None, "Lee", None)),
        ("Bob Smith", None, (None, "Bob", None, "Smith", None)),  # whole name typed into "first"
        ("King", "Smith", (None, "King", None, "Smith", None)),  # a first name, not a title
    ],
)
def test_split_name(first: str | None, last: str | None, expected: Parts) -> None:
    out = normalize_name_parts(pl.Series([first], dtype=pl.Utf8), pl.Series([last], dtype=pl.Utf8))
    assert out.row(0)[:5] == expected


def test_split_and_full_forms_agree() -> None:
    """The same person typed both ways gives the same parts (what the matcher compares)."""
    full = normalize_full_names(pl.Series(["SMITH, JOHN Q. JR."])).row(0)
    split = normalize_name_parts(pl.Series(["john q."]), pl.Series(["smith jr"])).row(0)
    assert full == split


@pytest.mark.parametrize(
    ("word", "shown"),
    [("O'NEIL", "O'Neil"), ("mcdonald", "McDonald"), ("DeLuca", "DeLuca"), ("MARY-JANE", "Mary-Jane"),
     ("Mary-jane", "Mary-Jane"), ("d'angelo", "D'Angelo"), ("ÉMILE", "Émile")],
)  # fmt: skip
def test_display_case(word: str, shown: str) -> None:
    assert display_case(word) == shown


# ----------------------------------------------------------------------------- nicknames
@pytest.mark.parametrize(
    ("names_", "key"),
    [(["Bob", "rob", "ROBERT", "Robert "], "robert"), (["Liz", "Beth", "Elizabeth"], "elizabeth")],
)
def test_nickname_group_key(names_: list[str], key: str) -> None:
    assert {nickname_key(n) for n in names_} == {key}


def test_nickname_variants_link_bill_and_william() -> None:
    # The key is lossy for names listed under two formal names; the variant sets still meet.
    assert name_variants("Bill") & name_variants("William")
    assert not name_variants("John") & name_variants("Mary")


def test_nickname_keys_frame() -> None:
    out = nickname_keys(pl.Series(["Bob", None, "Bob", "José", " "]))
    assert out["first_name_key"].to_list() == ["robert", None, "robert", "jose", None]
    assert "robert" in out["first_name_variants"][0].to_list()
    assert out["first_name_variants"][1] is None


# ----------------------------------------------------------------------------- fast path = nameparser
_word = st.sampled_from(
    [
        "john",
        "MARY",
        "Ann",
        "o'neil",
        "McDonald",
        "GARCÍA-LÓPEZ",
        "Q.",
        "j",
        "Zoë",
        "Smith",
        "lee",
        "d'angelo",
    ]
)
# Words nameparser knows as titles: harmless after the first word ("Ryan Prince").
_title_like = st.sampled_from(["Prince", "King", "Judge", "Burgess", "Dean", "Major"])
_title = st.sampled_from(["", "Mr ", "Mr. ", "MRS ", "ms. ", "Dr. ", "dr ", "Prof. ", "Rev "])
_suffix = st.sampled_from(["", " Jr", " Jr.", " JR", ", Jr.", " Sr", " sr.", " II", " III", " iv"])


@settings(max_examples=200, deadline=None)
@given(
    first=_word,
    later=st.lists(st.one_of(_word, _title_like), max_size=3),
    title=_title,
    suffix=_suffix,
    comma=st.booleans(),
)
def test_vectorized_split_equals_nameparser(
    first: str, later: list[str], title: str, suffix: str, comma: bool
) -> None:
    """Plain names skip nameparser; their parts must be exactly what nameparser would give."""
    if comma and later and not title and not suffix:
        raw = f"{later[0]}, {' '.join([first, *later[1:]])}"
    else:
        raw = f"{title}{' '.join([first, *later])}{suffix}"
    with mock.patch.object(names, "_parse_with_nameparser", wraps=names._parse_with_nameparser) as slow:
        fast = parse(raw)
    if suffix and not later:
        return  # "Smith Jr" is left to nameparser on purpose
    assert slow.call_count == 0, f"{raw!r} should take the vectorized path"
    title_, first_, middle, last, suffix_ = names._parse_with_nameparser(raw)
    expected = (
        title_ and names.canonical_title(title_),
        first_ and names._display_words(first_),
        middle and names._display_words(middle),
        last and names._display_words(last),
        suffix_ and names.canonical_suffix(suffix_),
    )
    assert fast == expected
