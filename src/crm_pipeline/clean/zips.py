"""ZIP codes: 5 digits with leading zeros restored, ZIP+4 kept apart.

Spec mess handled: "02139", "2139" (a spreadsheet dropped the leading zero), "02139-4307",
"021394307", "2139.0" (a float column), " 02139 ". Entirely vectorized (no Python per value).
Anything else (letters, too many digits, "00000") → null zip + soft flag ``invalid_zip``.
"""

from __future__ import annotations

import polars as pl

from crm_pipeline.clean._distinct import blank_tokens_to_null, per_distinct, squish

#: ZIPs below 00501 do not exist; "00000"/"000xx" are placeholders or damage.
_MIN_ZIP = "00501"


def zip_expr(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Expressions (zip, zip4, flag) for a column of raw ZIP strings; reused by addresses."""
    text = blank_tokens_to_null(squish(raw))
    # "2139.0" / "2139.00": a float column written out; "02139 - 4307": spaces around the dash.
    text = text.str.replace(r"\.0+$", "").str.replace_all(r"\s*-\s*", "-").str.replace_all(" ", "")
    five = text.str.extract(r"^(\d{3,5})$", 1)
    plus4 = text.str.extract_groups(r"^(\d{3,5})-(\d{4})$")
    # 7-9 bare digits: a ZIP+4 without its dash, leading zeros possibly lost as a number.
    nine = text.str.extract(r"^(\d{7,9})$", 1).str.zfill(9)
    zip5 = pl.coalesce(
        five.str.zfill(5), plus4.struct.field("1").str.zfill(5), nine.str.slice(0, 5)
    )
    zip4 = pl.coalesce(plus4.struct.field("2"), nine.str.slice(5, 4))
    valid = zip5.is_not_null() & (zip5 >= _MIN_ZIP)
    flag = pl.when(text.is_not_null() & ~valid).then(pl.lit("invalid_zip")).otherwise(None)
    zip4_ok = pl.when(valid & (zip4 != "0000")).then(zip4).otherwise(None)
    return pl.when(valid).then(zip5).otherwise(None), zip4_ok, flag


def _compute(keys: pl.Series) -> pl.DataFrame:
    zip5, zip4, flag = zip_expr(pl.col("raw"))
    return keys.to_frame("raw").select(zip5.alias("zip"), zip4.alias("zip4"), flag.alias("zip_flag"))


def normalize_zips(raw: pl.Series) -> pl.DataFrame:
    """Raw ZIPs → ``zip`` (5 digits), ``zip4``, ``zip_error`` (always null), ``zip_flag``."""
    out = per_distinct(raw, _compute)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("zip_error")).select(
        "zip", "zip4", "zip_error", "zip_flag"
    )
