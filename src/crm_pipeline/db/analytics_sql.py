"""The SQL of the analytics stage (job duplicates, rollups, gender); the stage itself is psycopg-free.

Every function takes an open connection from :func:`crm_pipeline.db.connection.connect` and runs in
the caller's transaction unless it says otherwise. Identifiers go through ``sql.Identifier``; values
are bound parameters.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl
from psycopg import sql

from crm_pipeline.db import load_tx
from crm_pipeline.db.connection import Connection
from crm_pipeline.db.copy import copy_frame
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.db.load_tx import LOAD_LOCK_NAME, advisory_key
from crm_pipeline.db.merge import MergeSpec, create_staging, merge
from crm_pipeline.models import MOVE_COLUMNS

log = logging.getLogger(__name__)

# Taken by every writer of the job tables, so two analytics runs queue instead of interleaving.
_JOBS_LOCK_KEY = "crm_pipeline.analytics.jobs"

JOBS_SPEC = MergeSpec(
    table="jobs",
    key=("job_id",),
    columns=(
        "customer_id",
        "job_number",
        *MOVE_COLUMNS,
        "n_sources",
    ),
)
JOB_SOURCE_MAP_SPEC = MergeSpec(table="job_source_map", key=("uid",), columns=("job_id",))
JOB_GROUPS_SPEC = MergeSpec(
    table="job_duplicate_groups", key=("job_id",), columns=("reason", "confidence", "n_members")
)

#: Materialized views of the rollups, refreshed by ``refresh_job_rollups()`` (see the migration).
ROLLUP_VIEWS = ("customer_job_rolling", "branch_job_rolling", "branch_repeat_customers")


# ------------------------------------------------------------------------------------------ session


def begin_job_step(conn: Connection, *, lock_timeout_s: float = 60.0) -> None:
    """Settings and locks of the job step's one transaction (call first, inside it).

    The load's advisory lock: the source rows read are exactly those the job tables are written
    for — a load waits until the step commits, and the step waits for a running load, each at most
    ``lock_timeout`` (then a retryable error). Memory for the staging tables and the merge's hash
    joins, as the load sets it (``temp_buffers`` only before the session's first TEMP table).
    """
    with translate_errors():
        for name, value in (
            ("temp_buffers", "256MB"),
            ("work_mem", "64MB"),
            ("lock_timeout", f"{int(lock_timeout_s * 1000)}ms"),
        ):
            conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(LOAD_LOCK_NAME),))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_JOBS_LOCK_KEY,))


# ------------------------------------------------------------------------------------------ reading


def read_frame(conn: Connection, query: sql.Composable, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Run ``query`` through ``COPY … TO STDOUT`` (CSV) and parse it with Polars in one go."""
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER true)").format(query)
    buffer = io.BytesIO()
    with translate_errors(), conn.cursor() as cur, cur.copy(statement) as copy:
        for block in copy:
            buffer.write(block)
    if buffer.tell() == 0:
        return pl.DataFrame(schema=dict(schema))
    buffer.seek(0)
    return pl.read_csv(buffer, schema=dict(schema))


def read_source_jobs(conn: Connection, columns: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``source_job_records`` (the given columns, in that order) as a frame."""
    query = sql.SQL("SELECT {} FROM source_job_records ORDER BY uid").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    return read_frame(conn, query, columns)


def has_table(conn: Connection, table: str) -> bool:
    """Whether the schema has ``table`` (a database never migrated has none)."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{table}",)).fetchone()
    return bool(row and row[0])


def has_job_map(conn: Connection) -> bool:
    """Whether the schema has ``job_source_map``."""
    return has_table(conn, "job_source_map")


def read_job_map(conn: Connection) -> pl.DataFrame:
    """``file, record_id, job_id`` for every source job row (the ``export job-map`` contract).

    A file holding two pasted exports repeats a ``(file, record_id)``; both rows map to one job, so
    the pair is listed once.
    """
    query = sql.SQL(
        "SELECT DISTINCT s.file_name AS file, s.record_id, m.job_id"
        " FROM job_source_map AS m JOIN source_job_records AS s USING (uid)"
        " ORDER BY file, s.record_id, m.job_id"
    )
    return read_frame(conn, query, {"file": pl.String(), "record_id": pl.String(), "job_id": pl.String()})


def read_unification_map(conn: Connection) -> pl.DataFrame:
    """``file, record_id, customer_id`` of every person row the database holds, in file and line
    order (the ``export unification-map`` contract; what the last load wrote)."""
    query = sql.SQL(
        "SELECT m.file_name AS file, m.record_id, m.customer_id"
        " FROM customer_source_map AS m JOIN source_person_records AS p USING (uid)"
        " ORDER BY m.file_name, p.line, m.uid"
    )
    schema = {"file": pl.String(), "record_id": pl.String(), "customer_id": pl.String()}
    return read_frame(conn, query, schema)


# ------------------------------------------------------------------------------------------ writing


@dataclass(frozen=True)
class JobTablesWritten:
    jobs_inserted: int
    jobs_updated: int
    jobs_deleted: int
    map_changed: int
    groups_changed: int


def _delete_unstaged(conn: Connection, spec: MergeSpec) -> int:
    """Delete the rows of ``spec.table`` whose key is not in its staging table; returns the count."""
    (key,) = spec.key
    statement = sql.SQL(
        "WITH gone AS (DELETE FROM {t} AS t WHERE NOT EXISTS"
        " (SELECT 1 FROM {s} AS s WHERE s.{k} = t.{k}) RETURNING 1) SELECT count(*) FROM gone"
    ).format(t=sql.Identifier(spec.table), s=sql.Identifier(spec.staging_table), k=sql.Identifier(key))
    row = conn.execute(statement).fetchone()
    return int(row[0]) if row else 0


def write_job_tables(
    conn: Connection, jobs: pl.DataFrame, source_map: pl.DataFrame, groups: pl.DataFrame
) -> JobTablesWritten:
    """Make ``jobs``, ``job_source_map`` and ``job_duplicate_groups`` equal to the frames, in one
    transaction (a savepoint inside the caller's); rows that already match are not touched (a rerun
    writes nothing, audits nothing).

    Order matters for the foreign keys: new jobs first, then the map points at them, then stale
    groups and finally stale jobs go.

    When all three tables are empty (the first run after a fresh load, or after they were emptied)
    the rows are COPYed straight into them between ``load_bulk_begin('jobs')`` and
    ``load_bulk_end()`` (migration 0008): keys, indexes, foreign keys and the audit rows of the new
    jobs are built in bulk, inside the same transaction, instead of row by row.
    """
    with translate_errors(table="jobs"), conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_JOBS_LOCK_KEY,))
        if load_tx.bulk_begin(conn, "jobs"):
            for spec, frame in (
                (JOBS_SPEC, jobs),
                (JOB_SOURCE_MAP_SPEC, source_map),
                (JOB_GROUPS_SPEC, groups),
            ):
                copy_frame(conn, spec.table, frame, spec.staged_columns)
            load_tx.bulk_end(conn)
            return JobTablesWritten(
                jobs_inserted=jobs.height,
                jobs_updated=0,
                jobs_deleted=0,
                map_changed=source_map.height,
                groups_changed=groups.height,
            )
        for spec, frame in ((JOBS_SPEC, jobs), (JOB_SOURCE_MAP_SPEC, source_map), (JOB_GROUPS_SPEC, groups)):
            create_staging(conn, spec)
            copy_frame(conn, spec.staging_table, frame, spec.staged_columns)
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(spec.staging_table)))
        jobs_counts = merge(conn, JOBS_SPEC)
        map_counts = merge(conn, JOB_SOURCE_MAP_SPEC)
        map_deleted = _delete_unstaged(conn, JOB_SOURCE_MAP_SPEC)
        groups_deleted = _delete_unstaged(conn, JOB_GROUPS_SPEC)
        groups_counts = merge(conn, JOB_GROUPS_SPEC)
        jobs_deleted = _delete_unstaged(conn, JOBS_SPEC)
    return JobTablesWritten(
        jobs_inserted=jobs_counts.inserted,
        jobs_updated=jobs_counts.updated,
        jobs_deleted=jobs_deleted,
        map_changed=map_counts.inserted + map_counts.updated + map_deleted,
        groups_changed=groups_counts.inserted + groups_counts.updated + groups_deleted,
    )


# ------------------------------------------------------------------------------------------ rollups


def refresh_rollups(conn: Connection) -> dict[str, int]:
    """Refresh the rollup materialized views (``CONCURRENTLY``: readers never wait) and count rows.

    Runs the ``SECURITY DEFINER`` function ``refresh_job_rollups()``: the views belong to
    ``crm_owner`` and only an owner may refresh them.
    """
    counts: dict[str, int] = {}
    with translate_errors(), conn.transaction():
        conn.execute("SELECT refresh_job_rollups()")
        for view in ROLLUP_VIEWS:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(view))).fetchone()
            counts[view] = int(row[0]) if row else 0
    return counts


# ------------------------------------------------------------------------------------------- gender


def read_gender_batch(
    conn: Connection, after_customer_id: str | None, limit: int, *, source: str, force: bool
) -> list[tuple[str, str, str | None, str | None, str | None, str | None]]:
    """The next ``limit`` customers (by id, after ``after_customer_id``) whose gender the step may
    set, with what they hold now: ``(customer_id, first_name, gender, gender_source, gender_method,
    gender_version)``. Those with an empty gender or one the step inferred before (``gender_source =
    source``); every customer with a first name when ``force``."""
    rows = conn.execute(
        "SELECT customer_id, first_name, gender, gender_source, gender_method, gender_version"
        " FROM customers"
        " WHERE first_name IS NOT NULL"
        " AND (gender IS NULL OR gender_source IS NOT DISTINCT FROM %(source)s::text OR %(force)s)"
        " AND (%(after)s::text IS NULL OR customer_id > %(after)s::text)"
        " ORDER BY customer_id LIMIT %(limit)s",
        {"source": source, "force": force, "after": after_customer_id, "limit": limit},
    ).fetchall()
    return [(str(r[0]), str(r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def write_genders(
    conn: Connection,
    customer_ids: Sequence[str],
    genders: Sequence[str | None],
    *,
    source: str,
    method: str,
    version: str,
    force: bool,
) -> dict[str, int]:
    """Set gender, source, method and version on the given customers in one statement; a ``None``
    gender clears an earlier inference (all four columns). Returns the rows changed per gender
    (``"cleared"`` for the cleared ones).

    Guards, so a value that arrived meanwhile is safe: a gender from elsewhere is only replaced with
    ``force``; only the step's own inference is ever cleared; a row that already holds exactly these
    values is not rewritten (no audit row)."""
    if not customer_ids:
        return {}
    with translate_errors(table="customers"):
        cur = conn.execute(
            "UPDATE customers AS c"
            " SET gender = v.gender, gender_source = v.source, gender_method = v.method,"
            "     gender_version = v.version"
            " FROM (SELECT u.customer_id, u.gender,"
            "         CASE WHEN u.gender IS NULL THEN NULL ELSE %(source)s::text END AS source,"
            "         CASE WHEN u.gender IS NULL THEN NULL ELSE %(method)s::text END AS method,"
            "         CASE WHEN u.gender IS NULL THEN NULL ELSE %(version)s::text END AS version"
            "       FROM unnest(%(ids)s::text[], %(genders)s::text[]) AS u(customer_id, gender)) AS v"
            " WHERE c.customer_id = v.customer_id"
            "   AND (c.gender IS NULL OR c.gender_source IS NOT DISTINCT FROM %(source)s::text OR %(force)s)"
            "   AND (v.gender IS NOT NULL OR c.gender_source IS NOT DISTINCT FROM %(source)s::text)"
            "   AND (c.gender, c.gender_source, c.gender_method, c.gender_version)"
            "       IS DISTINCT FROM (v.gender, v.source, v.method, v.version)"
            " RETURNING coalesce(c.gender, 'cleared')",
            {
                "ids": list(customer_ids),
                "genders": list(genders),
                "source": source,
                "method": method,
                "version": version,
                "force": force,
            },
        )
        changed: dict[str, int] = {}
        for (gender,) in cur.fetchall():
            changed[str(gender)] = changed.get(str(gender), 0) + 1
    return changed
