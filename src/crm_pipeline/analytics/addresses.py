"""Comparing two job addresses that may be spelled differently.

The clean stage already standardizes streets (USPS Pub 28: ``123 N MAIN ST``), but two exports of the
same job still differ: a typo (``123 MIAN ST``), a spelled-out suffix the cleaner left alone, a
missing unit. Two addresses are compared on three parts:

* the ZIP code (5 digits) — both present and different means *different*;
* the house number (the leading number of the street) — both present and different means *different*;
* the street name (the rest) — equal keys are *exact*, a similarity at or above the threshold is
  *fuzzy*, below it *different*.

A side without a street is *unknown* — or *same ZIP* when both ZIPs are there and equal: missing is
not the same as different, and an equal ZIP is weak evidence, not proof. The unit is ignored
(exports drop it freely).

Exports of other systems are messier (issue 11), so two more cases are *near* — a match the job
rules accept only on the same service date:

* a slip in the house number on a similar street: a letter typed for a digit or two digits
  swapped (``68A3`` vs ``6873``, ``S880`` vs ``5880``; ``400`` vs ``402`` stay two houses);
* the same house number and ZIP (or a ZIP on one side only) with a badly typed street name
  (``2663 WLS T`` vs ``2663 WELLS ST``: similarity of the names without spaces at least
  ``NEAR_STREET_SIMILARITY``).

An address written in one string (``2663 Wells St, Tampa, FL 33602`` in the street column) is cut
at its first comma (or before a trailing ``FL 33602``); its ZIP fills an empty ZIP column
(``street_zip``), and a street key that is the other's followed by more words (a city left in
it) is *fuzzy*. Parsing is vectorized (Polars string kernels); similarity runs once per
distinct pair of street names, in C++ (rapidfuzz ``cpdist``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA


class AddressMatch(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    SAME_ZIP = "same_zip"
    NEAR = "near"
    UNKNOWN = "unknown"
    DIFFERENT = "different"


#: A street name this similar (0–100) still counts at the same house number and ZIP (``near``).
NEAR_STREET_SIMILARITY = 60.0


# Spelled-out suffixes and directionals the cleaner may have left in place (USPS Pub 28 forms).
_ABBREVIATIONS: dict[str, str] = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "BOULEVARD": "BLVD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "TERRACE": "TER",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "CIRCLE": "CIR",
    "SQUARE": "SQ",
    "TRAIL": "TRL",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
_NON_WORD = r"[^A-Z0-9 ]+"
# the leading number: "123", "123B", or one with a letter typed for a digit ("68A3", "S880"); not "1ST AVE"
_HOUSE = r"^(\d[0-9A-Z]*\d[A-Z]?|\d+[A-Z]?|[A-Z]\d{2,}[A-Z]?)\b"
# what follows the street when a whole address sits in the street column
_CITY_TAIL = r",.*$"
_STATE_ZIP_TAIL = r"\s+[A-Z]{2}\s+\d{5}(-\d{4})?$"
_ZIP_AT_END = r"\b(\d{5})(?:-\d{4})?\s*$"


def street_parts(street: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``(house, street_key)`` expressions: ``"123 North Main Street"`` → ``"123"``, ``"N MAIN ST"``.

    Vectorized (Polars string kernels): upper case, punctuation to spaces, spelled-out suffixes and
    directionals abbreviated word by word, the leading number split off. Empty parts are null.
    """
    upper = street.str.to_uppercase().str.replace(_CITY_TAIL, "").str.strip_chars()
    words = upper.str.replace(_STATE_ZIP_TAIL, "").str.replace_all(_NON_WORD, " ")
    for word, short in _ABBREVIATIONS.items():
        words = words.str.replace_all(rf"\b{word}\b", short)
    words = words.str.replace_all(r"\s+", " ").str.strip_chars()
    house = words.str.extract(_HOUSE, 1)
    key = words.str.replace(_HOUSE, "").str.strip_chars()
    return house, pl.when(key != "").then(key)


def split_street(street: str | None) -> tuple[str | None, str | None]:
    """One street through :func:`street_parts` (for tests and the docs)."""
    house, key = street_parts(pl.col("s"))
    frame = pl.DataFrame({"s": [street]}, schema={"s": pl.String})
    row = frame.select(house.alias("house"), key.alias("key")).row(0)
    return row[0], row[1]


def street_zip(street: pl.Expr) -> pl.Expr:
    """The ZIP at the end of a street column holding a whole address (else null)."""
    return street.str.extract(_ZIP_AT_END, 1)


def add_street_parts(frame: pl.DataFrame, street_col: str, prefix: str) -> pl.DataFrame:
    """Add ``<prefix>_house`` and ``<prefix>_street_key`` columns parsed from ``street_col``."""
    house, key = street_parts(pl.col(street_col))
    return frame.with_columns(house.alias(f"{prefix}_house"), key.alias(f"{prefix}_street_key"))


def street_similarity(left: pl.Series, right: pl.Series) -> pl.Series:
    """Similarity 0–100 of two aligned street-name columns (null where either side is null): the
    better of the names as written and without spaces (a typo that moved a word break,
    ``BYSHRS TREET`` / ``BAYSHORE ST``)."""
    return _pairwise(left, right, _street_ratio)


def _street_ratio(a: str, b: str, **_: Any) -> float:
    return max(fuzz.ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def house_edits(left: pl.Series, right: pl.Series) -> pl.Series:
    """0 for equal house numbers, 1 for a typing slip, 2 otherwise (see ``_house_slip``)."""
    return _pairwise(left, right, _house_slip)


def _house_slip(a: str, b: str, **_: Any) -> int:
    """1 when two house numbers of one length differ by a slip no real number explains — a letter
    typed for a digit (``68A3`` / ``6873``, ``S880`` / ``5880``) or two digits swapped
    (``6837`` / ``6873``) — else 2 (``400`` / ``402`` are two houses); 0 when equal."""
    if a == b:
        return 0
    if len(a) != len(b) or OSA.distance(a, b) != 1:
        return 2
    letter_for_digit = any(x.isalpha() != y.isalpha() for x, y in zip(a, b, strict=True) if x != y)
    swapped = sorted(a) == sorted(b)
    return 1 if letter_for_digit or swapped else 2


def _pairwise(left: pl.Series, right: pl.Series, scorer: Any) -> pl.Series:
    """``scorer`` of two aligned string columns, computed once per distinct pair of values."""
    pairs = pl.DataFrame({"a": left, "b": right}, schema={"a": pl.String, "b": pl.String})
    distinct = pairs.unique().drop_nulls()
    if distinct.height:
        scores = process.cpdist(distinct["a"].to_list(), distinct["b"].to_list(), scorer=scorer, workers=1)
        distinct = distinct.with_columns(pl.Series("score", scores, dtype=pl.Float64))
    else:
        distinct = distinct.with_columns(pl.lit(None, dtype=pl.Float64).alias("score"))
    return pairs.join(distinct, on=["a", "b"], how="left", maintain_order="left")["score"]


def compare_addresses(
    zip_col: str,
    house_col: str,
    key_col: str,
    similarity_col: str,
    min_similarity: float,
    house_edits_col: str | None = None,
) -> pl.Expr:
    """An ``AddressMatch`` value (as text) per pair of ``<col>_l`` / ``<col>_r`` columns.

    ``house_edits_col``: the edit distance of the house numbers (``house_edits``); without it a
    house-number typo is *different*.
    """

    def sides(col: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(f"{col}_l"), pl.col(f"{col}_r")

    (zip_l, zip_r), (house_l, house_r), (key_l, key_r) = sides(zip_col), sides(house_col), sides(key_col)
    similarity = pl.col(similarity_col)
    zip_differs = zip_l.is_not_null() & zip_r.is_not_null() & (zip_l != zip_r)
    house_differs = house_l.is_not_null() & house_r.is_not_null() & (house_l != house_r)
    house_typo = pl.lit(False)
    if house_edits_col is not None:
        same_length = house_l.str.len_chars() == house_r.str.len_chars()
        house_typo = (
            house_differs & same_length & (pl.col(house_edits_col) <= 1) & (similarity >= min_similarity)
        )
    # (a ZIP missing on one side is no contradiction: an export that dropped it)
    same_house_and_zip = (house_l == house_r) & (zip_l.is_null() | zip_r.is_null() | (zip_l == zip_r))
    city_left_in = key_l.str.starts_with(key_r + " ") | key_r.str.starts_with(key_l + " ")
    return (
        pl.when(zip_differs)
        .then(pl.lit(AddressMatch.DIFFERENT.value))
        .when(house_typo.fill_null(False))
        .then(pl.lit(AddressMatch.NEAR.value))
        .when(house_differs)
        .then(pl.lit(AddressMatch.DIFFERENT.value))
        .when((key_l.is_null() | key_r.is_null()) & zip_l.is_not_null() & (zip_l == zip_r))
        .then(pl.lit(AddressMatch.SAME_ZIP.value))
        .when(key_l.is_null() | key_r.is_null())
        .then(pl.lit(AddressMatch.UNKNOWN.value))
        .when(key_l == key_r)
        .then(pl.lit(AddressMatch.EXACT.value))
        .when((similarity >= min_similarity) | city_left_in.fill_null(False))
        .then(pl.lit(AddressMatch.FUZZY.value))
        .when(same_house_and_zip.fill_null(False) & (similarity >= NEAR_STREET_SIMILARITY))
        .then(pl.lit(AddressMatch.NEAR.value))
        .otherwise(pl.lit(AddressMatch.DIFFERENT.value))
    )
