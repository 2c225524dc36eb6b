"""One canonical job per group: the most advanced and most complete fields, and a stable id.

Members are ranked best-first by

1. status — ``lead < opportunity < booked < lost = cancelled < completed < closed``: a later stage is
   newer news; *cancelled*/*lost* outrank *booked* (the booking was called off later) but not
   *completed*/*closed* (a job that happened with a final total was not cancelled, whatever a stale
   row says);
2. completeness — more filled fields first;
3. SmartMoving before the legacy CRM (the current system of record), then the later ``created_at``,
   then the smaller ``uid`` (a total order, so reruns pick the same member).

Every scalar field is the first non-null value in that order, so a total filled in on any member
survives. Origin and destination are taken as whole blocks from the best member that has a street
there, so a city is never paired with another member's street. The job number prefers SmartMoving's.

``job_id`` is ``job_`` + the first 16 hex digits of SHA-256 of the group's smallest
``file|record_id`` (the same rule as ``customer_id``), so an unchanged input gives the same ids.
"""

from __future__ import annotations

import hashlib

import polars as pl

STATUS_RANK: dict[str, int] = {
    "lead": 1,
    "opportunity": 2,
    "booked": 3,
    "lost": 4,
    "cancelled": 4,
    "completed": 5,
    "closed": 6,
}

ADDRESS_PARTS = ("street", "unit", "city", "state", "zip")
SCALAR_FIELDS = (
    "service_date",
    "service_type",
    "status",
    "branch",
    "move_size",
    "estimated_total",
    "final_total",
)
JOB_COLUMNS = (
    "job_id",
    "customer_id",
    "job_number",
    *SCALAR_FIELDS[:5],
    *(f"origin_{p}" for p in ADDRESS_PARTS),
    *(f"dest_{p}" for p in ADDRESS_PARTS),
    "estimated_total",
    "final_total",
    "n_sources",
)
_COMPLETENESS_FIELDS = (
    "job_number",
    *SCALAR_FIELDS,
    *(f"origin_{p}" for p in ADDRESS_PARTS),
    *(f"dest_{p}" for p in ADDRESS_PARTS),
)


def job_id_for(key: str) -> str:
    return "job_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _ranked(jobs: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Members joined to their group, sorted best-first within each group."""
    return (
        jobs.join(groups, on="uid")
        .with_columns(
            pl.col("status").replace_strict(STATUS_RANK, default=0, return_dtype=pl.Int32).alias("_status"),
            pl.sum_horizontal(*(pl.col(c).is_not_null() for c in _COMPLETENESS_FIELDS)).alias("_filled"),
            (pl.col("source_system") == "smartmoving").fill_null(False).alias("_sm"),
            (pl.col("file_name") + "|" + pl.col("record_id")).alias("_key"),
        )
        .sort(
            ["group", "_status", "_filled", "_sm", "created_at", "uid"],
            descending=[False, True, True, True, True, False],
            nulls_last=True,
        )
    )


def _ids(ranked: pl.DataFrame) -> pl.DataFrame:
    """``group → job_id`` from the smallest member key; a (rare) clash falls back to the smallest uid."""
    keys = ranked.group_by("group").agg(
        pl.col("_key").min().alias("key"), pl.col("uid").min().alias("min_uid")
    )
    clash = pl.col("key").is_duplicated()
    keys = keys.with_columns(pl.when(clash).then(pl.col("min_uid")).otherwise(pl.col("key")).alias("key"))
    ids = [job_id_for(k) for k in keys["key"].to_list()]
    return keys.select("group", pl.Series("job_id", ids, dtype=pl.String))


def _block(prefix: str) -> list[pl.Expr]:
    """The address block of the best member with a street (else with any part) on that side."""
    cols = [f"{prefix}_{p}" for p in ADDRESS_PARTS]
    has_street = pl.col(f"{prefix}_street").is_not_null()
    has_any = pl.any_horizontal(*(pl.col(c).is_not_null() for c in cols))
    first_with_street = pl.col("_rank").filter(has_street).first()
    first_with_any = pl.col("_rank").filter(has_any).first()
    chosen = pl.coalesce(first_with_street, first_with_any)
    return [pl.col(c).filter(pl.col("_rank") == chosen).first().alias(c) for c in cols]


def canonical_jobs(jobs: pl.DataFrame, groups: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(jobs, source_map)``: canonical rows in ``JOB_COLUMNS`` order and ``uid → job_id``."""
    ranked = _ranked(jobs, groups).with_columns(
        pl.int_range(pl.len()).over("group").alias("_rank"), pl.len().over("group").alias("_size")
    )
    # Most jobs have one source row: they are their own canonical row, no aggregation needed.
    single_columns = [c for c in JOB_COLUMNS if c not in ("job_id", "n_sources")]
    singles = ranked.filter(pl.col("_size") == 1).select(
        "group", *single_columns, pl.lit(1, dtype=pl.Int32).alias("n_sources")
    )
    job_number = pl.coalesce(
        pl.col("job_number").filter(pl.col("_sm")).drop_nulls().first(),
        pl.col("job_number").drop_nulls().first(),
    )
    merged = (
        ranked.filter(pl.col("_size") > 1)
        .group_by("group")
        .agg(
            pl.col("customer_id").first(),
            job_number.alias("job_number"),
            *(pl.col(c).drop_nulls().first().alias(c) for c in SCALAR_FIELDS),
            *_block("origin"),
            *_block("dest"),
            pl.len().cast(pl.Int32).alias("n_sources"),
        )
        .select(singles.columns)
    )
    ids = _ids(ranked)
    canonical = pl.concat([singles, merged]).join(ids, on="group").select(JOB_COLUMNS).sort("job_id")
    source_map = ranked.join(ids, on="group").select("uid", "job_id").sort("uid")
    return canonical, source_map
