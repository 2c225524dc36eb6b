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
(exports drop it freely). Parsing runs once per distinct street; similarity once per distinct pair
of street names, in C++ (rapidfuzz ``cpdist``).
"""

from __future__ import annotations

import re
from enum import StrEnum

import polars as pl
from rapidfuzz import fuzz, process


class AddressMatch(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    SAME_ZIP = "same_zip"
    UNKNOWN = "unknown"
    DIFFERENT = "different"


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
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")
_HOUSE = re.compile(r"^(\d+[A-Z]?)\b\s*(.*)$")


def split_street(street: str | None) -> tuple[str | None, str | None]:
    """``"123 North Main Street"`` → ``("123", "N MAIN ST")``; either part may be None."""
    if street is None:
        return None, None
    text = _NON_WORD.sub(" ", street.upper())
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    if not words:
        return None, None
    joined = " ".join(words)
    m = _HOUSE.match(joined)
    if m is None:
        return None, joined
    name = m.group(2).strip()
    return m.group(1), name or None


def add_street_parts(frame: pl.DataFrame, street_col: str, prefix: str) -> pl.DataFrame:
    """Add ``<prefix>_house`` and ``<prefix>_street_key`` columns, parsing each distinct street once."""
    distinct = frame.select(pl.col(street_col).unique().drop_nulls()).to_series().to_list()
    parsed = [split_street(s) for s in distinct]
    lookup = pl.DataFrame(
        {
            street_col: distinct,
            f"{prefix}_house": [p[0] for p in parsed],
            f"{prefix}_street_key": [p[1] for p in parsed],
        },
        schema={street_col: pl.String, f"{prefix}_house": pl.String, f"{prefix}_street_key": pl.String},
    )
    return frame.join(lookup, on=street_col, how="left")


def street_similarity(left: pl.Series, right: pl.Series) -> pl.Series:
    """Similarity 0–100 of two aligned street-name columns (null where either side is null).

    Scored once per distinct pair of values.
    """
    pairs = pl.DataFrame({"a": left, "b": right}, schema={"a": pl.String, "b": pl.String})
    distinct = pairs.unique().drop_nulls()
    if distinct.height:
        scores = process.cpdist(
            distinct["a"].to_list(), distinct["b"].to_list(), scorer=fuzz.ratio, workers=1
        )
        distinct = distinct.with_columns(pl.Series("score", scores, dtype=pl.Float64))
    else:
        distinct = distinct.with_columns(pl.lit(None, dtype=pl.Float64).alias("score"))
    return pairs.join(distinct, on=["a", "b"], how="left", maintain_order="left")["score"]


def compare_addresses(
    zip_col: str, house_col: str, key_col: str, similarity_col: str, min_similarity: float
) -> pl.Expr:
    """An ``AddressMatch`` value (as text) per pair of ``<col>_l`` / ``<col>_r`` columns."""

    def sides(col: str) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(f"{col}_l"), pl.col(f"{col}_r")

    (zip_l, zip_r), (house_l, house_r), (key_l, key_r) = sides(zip_col), sides(house_col), sides(key_col)
    zip_differs = zip_l.is_not_null() & zip_r.is_not_null() & (zip_l != zip_r)
    house_differs = house_l.is_not_null() & house_r.is_not_null() & (house_l != house_r)
    return (
        pl.when(zip_differs | house_differs)
        .then(pl.lit(AddressMatch.DIFFERENT.value))
        .when((key_l.is_null() | key_r.is_null()) & zip_l.is_not_null() & (zip_l == zip_r))
        .then(pl.lit(AddressMatch.SAME_ZIP.value))
        .when(key_l.is_null() | key_r.is_null())
        .then(pl.lit(AddressMatch.UNKNOWN.value))
        .when(key_l == key_r)
        .then(pl.lit(AddressMatch.EXACT.value))
        .when(pl.col(similarity_col) >= min_similarity)
        .then(pl.lit(AddressMatch.FUZZY.value))
        .otherwise(pl.lit(AddressMatch.DIFFERENT.value))
    )
