"""Job duplicate detection: source job rows → unified ``jobs``, ``job_source_map``, ``job_duplicate_groups``.

The work is split into pure steps on Polars frames, each in its own module:

1. :mod:`~crm_pipeline.analytics.job_pairs` — duplicate pairs within one customer, with reason and
   confidence;
2. :mod:`~crm_pipeline.analytics.job_clusters` — pairs → groups, never joining two different job
   numbers of one system;
3. :mod:`~crm_pipeline.analytics.job_canonical` — one canonical job per group, with a stable id.

:func:`detect_job_duplicates` chains them (no database; unit-tested); :func:`run_job_duplicates`
reads ``source_job_records`` and writes the three tables in one transaction through ``crm_pipeline.db``.
Why Polars rather than SQL: PostgreSQL has no string similarity without an extension (``pg_trgm`` /
``fuzzystrmatch`` need a superuser to install) and connected components need a recursive query;
pulling ~100k rows out with COPY and back takes well under a second (see ``bench/analytics.py``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from crm_pipeline.analytics.job_canonical import canonical_jobs
from crm_pipeline.analytics.job_clusters import cluster_pairs
from crm_pipeline.analytics.job_pairs import JobMatchRules, score_pairs
from crm_pipeline.config import Settings

log = logging.getLogger(__name__)

# Columns of ``source_job_records`` this step reads (the contract names).
SOURCE_JOB_COLUMNS: dict[str, pl.DataType] = {
    "uid": pl.String(),
    "file_name": pl.String(),
    "record_id": pl.String(),
    "source_system": pl.String(),
    "job_number": pl.String(),
    "customer_id": pl.String(),
    "service_date": pl.Date(),
    "service_type": pl.String(),
    "status": pl.String(),
    "branch": pl.String(),
    "move_size": pl.String(),
    "origin_street": pl.String(),
    "origin_unit": pl.String(),
    "origin_city": pl.String(),
    "origin_state": pl.String(),
    "origin_zip": pl.String(),
    "dest_street": pl.String(),
    "dest_unit": pl.String(),
    "dest_city": pl.String(),
    "dest_state": pl.String(),
    "dest_zip": pl.String(),
    "estimated_total": pl.Decimal(12, 2),
    "final_total": pl.Decimal(12, 2),
    "created_at": pl.Datetime("us"),
}


@dataclass(frozen=True)
class JobDuplicateFrames:
    """The three tables as frames: ``jobs`` (``JOB_COLUMNS``), ``source_map`` (uid, job_id) and
    ``groups`` (job_id, reason, confidence, n_members — only groups of two or more rows)."""

    jobs: pl.DataFrame
    source_map: pl.DataFrame
    groups: pl.DataFrame
    n_pairs: int
    cross_customer_groups: int = 0  # jobs whose rows sit under several customers (matcher split a person)


@dataclass(frozen=True)
class JobDuplicateResult:
    source_rows: int
    jobs: int
    duplicate_groups: int
    duplicate_rows: int  # source rows that share their job with another row
    pairs: int
    cross_customer_groups: int
    jobs_inserted: int
    jobs_updated: int
    jobs_deleted: int
    map_changed: int
    groups_changed: int
    seconds_read: float
    seconds_detect: float
    seconds_write: float

    @property
    def seconds(self) -> float:
        return self.seconds_read + self.seconds_detect + self.seconds_write


def rules_from(settings: Settings) -> JobMatchRules:
    return JobMatchRules(
        date_tolerance_days=settings.job_duplicate_date_tolerance_days,
        min_street_similarity=settings.job_duplicate_min_street_similarity,
    )


def detect_job_duplicates(source_jobs: pl.DataFrame, rules: JobMatchRules) -> JobDuplicateFrames:
    """Pure: source job rows (``SOURCE_JOB_COLUMNS``) → the three output frames."""
    pairs = score_pairs(source_jobs, rules)
    groups = cluster_pairs(source_jobs, pairs)
    jobs, source_map = canonical_jobs(source_jobs, groups)
    dup_groups = (
        groups.filter(pl.col("group_reason").is_not_null())
        .join(source_map, on="uid")
        .group_by("job_id")
        .agg(
            pl.col("group_reason").first().alias("reason"),
            pl.col("group_confidence").first().alias("confidence"),
            pl.len().cast(pl.Int32).alias("n_members"),
        )
        .sort("job_id")
    )
    spanning = (
        source_map.join(source_jobs.select("uid", "customer_id"), on="uid")
        .group_by("job_id")
        .agg(pl.col("customer_id").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .height
    )
    return JobDuplicateFrames(
        jobs=jobs,
        source_map=source_map,
        groups=dup_groups,
        n_pairs=pairs.height,
        cross_customer_groups=spanning,
    )


def run_job_duplicates(settings: Settings) -> JobDuplicateResult:
    """Read ``source_job_records``, detect duplicates, write the three tables (one transaction)."""
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect, transaction

    # One transaction from the read to the write, under the load's lock: the tables written always
    # match the source rows read.
    with (
        connect(settings, application_name="crm-pipeline analytics job-duplicates") as conn,
        transaction(conn),
    ):
        t0 = time.perf_counter()
        analytics_sql.begin_job_step(conn)
        source = analytics_sql.read_source_jobs(conn, SOURCE_JOB_COLUMNS)
        t1 = time.perf_counter()
        frames = detect_job_duplicates(source, rules_from(settings))
        t2 = time.perf_counter()
        written = analytics_sql.write_job_tables(conn, frames.jobs, frames.source_map, frames.groups)
    t3 = time.perf_counter()
    result = JobDuplicateResult(
        source_rows=source.height,
        jobs=frames.jobs.height,
        duplicate_groups=frames.groups.height,
        duplicate_rows=int(frames.groups["n_members"].sum() or 0),
        pairs=frames.n_pairs,
        cross_customer_groups=frames.cross_customer_groups,
        jobs_inserted=written.jobs_inserted,
        jobs_updated=written.jobs_updated,
        jobs_deleted=written.jobs_deleted,
        map_changed=written.map_changed,
        groups_changed=written.groups_changed,
        seconds_read=t1 - t0,
        seconds_detect=t2 - t1,
        seconds_write=t3 - t2,
    )
    if result.cross_customer_groups:
        log.warning(
            "job duplicates: %d jobs have source rows under different customers (same job number): "
            "the matcher probably split those people",
            result.cross_customer_groups,
        )
    log.info(
        "job duplicates: %d source rows -> %d jobs (%d groups, %d rows); %d inserted, %d updated, %d deleted",
        result.source_rows,
        result.jobs,
        result.duplicate_groups,
        result.duplicate_rows,
        result.jobs_inserted,
        result.jobs_updated,
        result.jobs_deleted,
    )
    return result


def export_job_map(settings: Settings, out: Path) -> int:
    """Write ``file, record_id, job_id`` for every source job row to ``out`` (CSV); returns the rows."""
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect
    from crm_pipeline.safe_csv import write_csv

    with connect(settings, application_name="crm-pipeline export") as conn:
        job_map = analytics_sql.read_job_map(conn)
    return write_csv(job_map, out)  # formula-like cells neutralized (crm_pipeline.safe_csv)
