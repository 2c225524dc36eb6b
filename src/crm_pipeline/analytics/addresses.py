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
(exports drop it freely). Parsing is vectorized (Polars string kernels); similarity runs once per
distinct pair of street names, in C++ (rapidfuzz ``cpdist``).
"""

from __future__ import annotations

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
_NON_WORD = r"[^A-Z0-9 ]+"
_HOUSE = r"^(\d+[A-Z]?)\b"


def street_parts(street: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``(house, street_key)`` expressions: ``"123 North Main Street"`` → ``"123"``, ``"N MAIN ST"``.

    Vectorized (Polars string kernels): upper case, punctuation to spaces, spelled-out suffixes and
    directionals abbreviated word by word, the leading number split off. Empty parts are null.
    """
    words = street.str.to_uppercase().str.replace_all(_NON_WORD, " ")
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


def add_street_parts(frame: pl.DataFrame, street_col: str, prefix: str) -> pl.DataFrame:
    """Add ``<prefix>_house`` and ``<prefix>_street_key`` columns parsed from ``street_col``."""
    house, key = street_parts(pl.col(street_col))
    return frame.with_columns(house.alias(f"{prefix}_house"), key.alias(f"{prefix}_street_key"))


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
