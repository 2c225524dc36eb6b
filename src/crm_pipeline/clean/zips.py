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


def with_zip_columns(table: pl.DataFrame, raw: str, prefix: str = "zip") -> pl.DataFrame:
    """Add ``<prefix>``, ``<prefix>4`` and ``<prefix>_flag`` computed from the raw column ``raw``.

    Reused by the address normalizer. Intermediate steps are materialized columns: an eager
    expression referenced twice would be evaluated twice.
    """
    text = blank_tokens_to_null(squish(pl.col(raw)))
    # "2139.0" / "2139.00": a float column written out; "02139 - 4307": spaces around the dash.
    text = text.str.replace(r"\.0+$", "").str.replace_all(r"\s*-\s*", "-").str.replace_all(" ", "")
    table = table.with_columns(text.alias("__zip_text"))
    t = pl.col("__zip_text")
    table = table.with_columns(
        t.str.extract(r"^(\d{3,5})$", 1).alias("__five"),
        t.str.extract_groups(r"^(\d{3,5})-(\d{4})$").alias("__plus4"),
        # 7-9 bare digits: a ZIP+4 without its dash, leading zeros possibly lost as a number.
        t.str.extract(r"^(\d{7,9})$", 1).str.zfill(9).alias("__nine"),
    )
    table = table.with_columns(
        pl.coalesce(
            pl.col("__five").str.zfill(5),
            pl.col("__plus4").struct.field("1").str.zfill(5),
            pl.col("__nine").str.slice(0, 5),
        ).alias("__zip5"),
        pl.coalesce(pl.col("__plus4").struct.field("2"), pl.col("__nine").str.slice(5, 4)).alias("__zip4"),
    )
    valid = (pl.col("__zip5") >= _MIN_ZIP).fill_null(False)
    table = table.with_columns(valid.alias("__valid"))
    ok = pl.col("__valid")
    return table.with_columns(
        pl.when(ok).then(pl.col("__zip5")).otherwise(None).alias(prefix),
        pl.when(ok & (pl.col("__zip4") != "0000")).then(pl.col("__zip4")).otherwise(None).alias(f"{prefix}4"),
        pl.when(t.is_not_null() & ~ok).then(pl.lit("invalid_zip")).otherwise(None).alias(f"{prefix}_flag"),
    ).drop("__zip_text", "__five", "__plus4", "__nine", "__zip5", "__zip4", "__valid")


def _compute(keys: pl.Series) -> pl.DataFrame:
    return with_zip_columns(keys.to_frame("raw"), "raw").select("zip", "zip4", "zip_flag")


def normalize_zips(raw: pl.Series) -> pl.DataFrame:
    """Raw ZIPs → ``zip`` (5 digits), ``zip4``, ``zip_error`` (always null), ``zip_flag``."""
    out = per_distinct(raw, _compute)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("zip_error")).select(
        "zip", "zip4", "zip_error", "zip_flag"
    )
