"""The load's transaction: session settings, the advisory lock, the run ledger, ANALYZE.

One load = one transaction. The ledger rows (``pipeline_runs`` / ``pipeline_stages``) are written in
that same transaction, so the ledger can never claim data the database does not hold, and a load
that dies before COMMIT leaves no trace at all. A load that fails with an error is recorded as
failed by ``record_failure`` in a transaction of its own, which touches only the ledger.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from crm_pipeline.db.connection import Connection, Target, connect
from crm_pipeline.db.errors import translate_errors

log = logging.getLogger(__name__)

LOAD_LOCK_NAME = "crm_pipeline.load"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` derived from a readable name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def begin_load(
    conn: Connection, *, lock_timeout_s: float, work_mem: str = "64MB", temp_buffers: str = "256MB"
) -> None:
    """Settings local to the load's transaction, then the lock that keeps two loads apart.

    ``lock_timeout`` bounds every lock wait (the advisory lock included): a second load waits that
    long for the first, then fails with a retryable error instead of hanging. ``temp_buffers``
    (memory for TEMP tables; only settable before the session's first TEMP table, hence first
    here) keeps the staged rows in memory instead of spilling them to disk at the 8 MB default.
    """
    for name, value in (
        ("temp_buffers", temp_buffers),
        ("lock_timeout", f"{int(lock_timeout_s * 1000)}ms"),
        ("TimeZone", "UTC"),  # the inputs' timestamps are naive UTC
        ("work_mem", work_mem),  # the merge's hash joins over the staged rows
    ):
        conn.execute("SELECT set_config(%s, %s, true)", (name, value))
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(LOAD_LOCK_NAME),))


def bulk_begin(conn: Connection) -> bool:
    """First load only: set the load tables' secondary indexes and foreign keys aside.

    ``load_bulk_begin()`` (migration 0007, ``SECURITY DEFINER`` as the tables' owner) locks the
    load's tables and, only when all of them are empty, drops their foreign keys and the indexes
    that back no constraint, remembering the definitions. Returns whether it did; then
    ``bulk_end`` must run before COMMIT (a deferred trigger refuses the COMMIT otherwise).
    """
    row = conn.execute("SELECT load_bulk_begin()").fetchone()
    return bool(row and row[0])


def bulk_end(conn: Connection) -> int:
    """Rebuild the indexes and re-add (and so validate, in bulk) the foreign keys ``bulk_begin``
    set aside; returns how many. A row that breaks a key fails here and rolls the load back."""
    row = conn.execute("SELECT load_bulk_end()").fetchone()
    return int(row[0]) if row else 0


def open_run(
    conn: Connection,
    *,
    run_id: str,
    stage: str,
    started_at: datetime,
    raw_dir: str | None,
    input_fingerprint: str,
) -> None:
    """The ledger rows of a run in progress (inside the load's transaction).

    The run row is created when missing (a standalone ``crm-pipeline load``); when the pipeline
    facade already opened it, it is left as it is.
    """
    conn.execute(
        "INSERT INTO pipeline_runs (run_id, started_at, status, raw_dir, input_fingerprint)"
        " VALUES (%s, %s, 'running', %s, %s) ON CONFLICT (run_id) DO NOTHING",
        (run_id, started_at, raw_dir, input_fingerprint),
    )
    _upsert_stage(conn, run_id=run_id, stage=stage, status="running", started_at=started_at)


def close_run(
    conn: Connection,
    *,
    run_id: str,
    stage: str,
    started_at: datetime,
    counts: dict[str, Any],
    owns_run: bool,
) -> None:
    """Mark the stage (and, for a standalone load, the run) succeeded — still before COMMIT."""
    _upsert_stage(
        conn,
        run_id=run_id,
        stage=stage,
        status="succeeded",
        started_at=started_at,
        counts=counts,
        finished=True,
    )
    if owns_run:
        conn.execute(
            "UPDATE pipeline_runs SET status = 'succeeded', finished_at = clock_timestamp(), summary = %s"
            " WHERE run_id = %s",
            (Jsonb({stage: counts}), run_id),
        )


def record_failure(
    target: Target,
    *,
    run_id: str,
    stage: str,
    started_at: datetime,
    raw_dir: str | None,
    input_fingerprint: str | None,
    error: str,
    owns_run: bool,
) -> None:
    """Record a failed load in a transaction of its own; it changes nothing but the ledger."""
    with translate_errors(table="pipeline_stages"), connect(target, "loader") as conn, conn.transaction():
        conn.execute(
            "INSERT INTO pipeline_runs (run_id, started_at, status, raw_dir, input_fingerprint)"
            " VALUES (%s, %s, 'running', %s, %s) ON CONFLICT (run_id) DO NOTHING",
            (run_id, started_at, raw_dir, input_fingerprint),
        )
        _upsert_stage(
            conn,
            run_id=run_id,
            stage=stage,
            status="failed",
            started_at=started_at,
            error=error,
            finished=True,
        )
        if owns_run:
            conn.execute(
                "UPDATE pipeline_runs SET status = 'failed', finished_at = clock_timestamp()"
                " WHERE run_id = %s",
                (run_id,),
            )


def _upsert_stage(
    conn: Connection,
    *,
    run_id: str,
    stage: str,
    status: str,
    started_at: datetime,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    finished: bool = False,
) -> None:
    conn.execute(
        "INSERT INTO pipeline_stages (run_id, stage, status, started_at, finished_at, counts, error)"
        " VALUES (%s, %s, %s, %s, CASE WHEN %s THEN clock_timestamp() END, %s, %s)"
        " ON CONFLICT (run_id, stage) DO UPDATE SET status = excluded.status,"
        " started_at = excluded.started_at, finished_at = excluded.finished_at,"
        " counts = excluded.counts, error = excluded.error",
        (run_id, stage, status, started_at, finished, Jsonb(counts) if counts is not None else None, error),
    )


def orphan_customers(conn: Connection) -> int:
    """Customers that no source row maps to any more (kept, reported)."""
    row = conn.execute(
        "SELECT count(*) FROM customers c"
        " WHERE NOT EXISTS (SELECT 1 FROM customer_source_map m WHERE m.customer_id = c.customer_id)"
    ).fetchone()
    return int(row[0]) if row else 0


def analyze(target: Target, tables: Iterable[str]) -> list[str]:
    """ANALYZE the tables: fresh planner statistics after a bulk change.

    Runs as the admin user: ANALYZE needs the table owner's rights (``crm_owner``; PostgreSQL < 17
    has no grantable MAINTAIN right) and ``crm_loader`` is deliberately not the owner. Returns the
    server's warnings (it skips, with a WARNING, a table the role may not analyze).
    """
    notices: list[str] = []

    def keep(diag: Any) -> None:
        notices.append(str(diag.message_primary))

    statement = sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables))
    with connect(target, "admin", autocommit=True, application_name="crm-pipeline load") as conn:
        conn.add_notice_handler(keep)
        with translate_errors():
            conn.execute(statement)
    return notices
