"""Job status and service type → the lowercase enums of the contract.

Spec mess handled: any case and spacing ("Completed", "COMPLETED", " completed "), US/UK spelling
("Canceled" / "Cancelled"), separators ("Moving & Packing", "Moving And Packing",
"moving_and_packing", "Storage-In", "Load Only"). A word in neither table is not guessed and not
dropped either (the company's own words are its business): it becomes ``other`` and the word as
typed is kept in ``status_raw`` / ``service_type_raw`` (null for known words), with the soft flag
``status_flag`` / ``service_type_flag`` = ``other``; the run summary counts them. Blank → null.
Entirely vectorized (a dictionary lookup on a key with case and separators folded away).
"""

from __future__ import annotations

import polars as pl

from crm_pipeline.clean._distinct import blank_tokens_to_null, per_distinct, squish

OTHER = "other"
"""The enum value of a word the table does not know (kept with its raw spelling)."""
STATUSES = ("lead", "opportunity", "booked", "completed", "closed", "cancelled", "lost", OTHER)
SERVICE_TYPES = (
    "moving",
    "packing",
    "moving_and_packing",
    "load_only",
    "unload_only",
    "commercial",
    "storage_in",
    "storage_out",
    OTHER,
)

#: Folded spelling (lowercase, "&" → "and", other separators → "_") → status.
STATUS_SPELLINGS: dict[str, str] = {
    **{s: s for s in STATUSES},
    "canceled": "cancelled",
    "cancel": "cancelled",
    "complete": "completed",
    "opp": "opportunity",
    "new_lead": "lead",
}
#: Folded spelling → service type.
SERVICE_TYPE_SPELLINGS: dict[str, str] = {
    **{s: s for s in SERVICE_TYPES},
    "move": "moving",
    "pack": "packing",
    "packing_only": "packing",
    "moving_packing": "moving_and_packing",
    "move_and_pack": "moving_and_packing",
    "packing_and_moving": "moving_and_packing",
    "moving_with_packing": "moving_and_packing",
    "loading_only": "load_only",
    "loading": "load_only",
    "unloading_only": "unload_only",
    "unloading": "unload_only",
    "commercial_move": "commercial",
    "commercial_moving": "commercial",
    "office_move": "commercial",
    "into_storage": "storage_in",
    "out_of_storage": "storage_out",
}


def _fold(expr: pl.Expr) -> pl.Expr:
    """ "Moving & Packing" → "moving_and_packing", "Storage-In" → "storage_in"."""
    text = blank_tokens_to_null(squish(expr)).str.to_lowercase().str.replace_all("&", " and ")
    return text.str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_").replace("", None)


def _lookup(raw: pl.Series, spellings: dict[str, str], column: str) -> pl.DataFrame:
    def compute(keys: pl.Series) -> pl.DataFrame:
        table = keys.to_frame("raw").with_columns(_fold(pl.col("raw")).alias("key"))
        table = table.with_columns(
            pl.col("key").replace_strict(spellings, default=None, return_dtype=pl.Utf8).alias(column)
        )
        unknown = pl.col("key").is_not_null() & pl.col(column).is_null()
        return table.select(
            pl.when(unknown).then(pl.lit(OTHER)).otherwise(pl.col(column)).alias(column),
            pl.when(unknown).then(squish(pl.col("raw"))).alias(f"{column}_raw"),
            pl.when(unknown).then(pl.lit(OTHER)).alias(f"{column}_flag"),
        )

    return per_distinct(raw, compute)


def normalize_status(raw: pl.Series) -> pl.DataFrame:
    """Raw job statuses → ``status`` (lowercase enum, ``other`` for an unknown word), ``status_raw``
    (that word as typed) and ``status_flag``."""
    return _lookup(raw, STATUS_SPELLINGS, "status")


def normalize_service_type(raw: pl.Series) -> pl.DataFrame:
    """Raw service types → ``service_type`` (snake enum or ``other``), ``service_type_raw``, flag."""
    return _lookup(raw, SERVICE_TYPE_SPELLINGS, "service_type")
