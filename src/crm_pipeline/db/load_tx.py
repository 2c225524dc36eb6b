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
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
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


def lock_tables(conn: Connection, tables: Iterable[str]) -> None:
    """``SHARE ROW EXCLUSIVE`` on the load's tables until COMMIT: readers go on, other writers wait.

    So nobody can change a table between the load's check that it is unchanged since the last load
    (``unchanged_tables``) and the COMMIT that records it again.
    """
    conn.execute(
        sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
            sql.SQL(", ").join(sql.Identifier(t) for t in tables)
        )
    )


def unchanged_tables(conn: Connection, hashes: dict[str, str]) -> set[str]:
    """Tables whose staged rows hash as the last load's did and that nobody wrote since.

    ``load_table_state`` (migration 0008) holds, per table, the hash of the rows the last load
    staged and the table's write count (the view ``table_writes``: a sequence per table, advanced
    by a trigger on every statement that writes the table) right after that load. Both equal = the
    table holds exactly those rows.
    """
    rows = conn.execute(
        "SELECT s.table_name FROM load_table_state s JOIN table_writes w USING (table_name)"
        " WHERE s.writes = w.writes AND s.content_hash = (%s::jsonb ->> s.table_name)",
        (Jsonb(hashes),),
    ).fetchall()
    return {str(r[0]) for r in rows}


def record_table_states(conn: Connection, *, run_id: str, hashes: dict[str, str]) -> None:
    """After the load's last write (same transaction): each table's staged-rows hash and its write
    count now, for the next load's ``unchanged_tables``."""
    conn.execute(
        "INSERT INTO load_table_state (table_name, content_hash, writes, run_id, recorded_at)"
        " SELECT w.table_name, h.value, w.writes, %s, now()"
        " FROM table_writes w JOIN jsonb_each_text(%s::jsonb) AS h ON h.key = w.table_name"
        " ON CONFLICT (table_name) DO UPDATE SET content_hash = excluded.content_hash,"
        " writes = excluded.writes, run_id = excluded.run_id, recorded_at = excluded.recorded_at",
        (run_id, Jsonb(hashes)),
    )


def bulk_begin(conn: Connection, scope: str = "load") -> bool:
    """First write into empty tables only: set their keys, indexes and foreign keys aside.

    ``scope``: ``"load"`` (the load's tables) or ``"jobs"`` (analytics' job tables).

    ``load_bulk_begin()`` (migrations 0007/0008, ``SECURITY DEFINER`` as the tables' owner) locks
    the load's tables and, only when all of them are empty, drops their foreign keys (and those
    pointing at them), the indexes that back no constraint and the primary keys, and disables the
    audit INSERT trigger, remembering it all. Returns whether it did; then
    ``bulk_end`` must run before COMMIT (a deferred trigger refuses the COMMIT otherwise).
    """
    row = conn.execute("SELECT load_bulk_begin(%s)", (scope,)).fetchone()
    return bool(row and row[0])


def bulk_end(conn: Connection) -> int:
    """Rebuild the primary keys and indexes, re-add (and so validate, in bulk) the foreign keys
    ``bulk_begin`` set aside, write the audit rows of the inserted rows in one statement and enable
    the audit trigger again; returns how many items. A row that breaks a key fails here and rolls
    the load back."""
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


def analyze(target: Target, tables: Iterable[str], *, workers: int = 2) -> list[str]:
    """ANALYZE the columns the planner joins and filters on, two tables at a time.

    Which columns: every column of an index or a constraint of the table (keys, foreign keys,
    ``customer_id``…) — what the pipeline's own joins and lookups need estimates for, at once.
    A column-list ANALYZE does not reset the table's count of changed rows,
    so autovacuum's auto-analyze still runs on it shortly after (within ``autovacuum_naptime``)
    and completes the statistics of every other column in the background. ``workers`` connections
    share the tables, largest first (the machine's cores work in parallel; one ANALYZE uses one).

    Runs as ``crm_loader`` through ``load_analyze(table, columns)`` (migration 0010): ANALYZE needs
    the table owner's rights (``crm_owner``; PostgreSQL < 17 has no grantable MAINTAIN right), and
    that ``SECURITY DEFINER`` function lends them for an allow-list of tables only — a normal run
    never logs in as the admin user. Returns the server's warnings.
    """
    wanted = list(tables)
    if not wanted:
        return []
    with connect(target, "loader", autocommit=True, application_name="crm-pipeline load") as conn:
        with translate_errors():
            plan = conn.execute(_KEY_COLUMNS_SQL, (wanted,)).fetchall()
    statements = [
        sql.SQL("SELECT load_analyze({}, {})").format(
            sql.Literal(str(table)), sql.Literal([str(c) for c in columns])
        )
        for table, columns, _size in plan
    ]
    queues: list[list[sql.Composed]] = [[] for _ in range(max(1, min(workers, len(statements))))]
    loads = [0] * len(queues)
    for statement, (_t, _c, size) in zip(statements, plan, strict=True):  # largest first: LPT
        i = loads.index(min(loads))
        queues[i].append(statement)
        loads[i] += int(size) + 1
    with ThreadPoolExecutor(max_workers=len(queues)) as pool:
        results = list(pool.map(partial(_run_analyze, target), queues))
    return [notice for notices in results for notice in notices]


#: Per table (largest first): the columns of its indexes and constraints, and its size in bytes.
_KEY_COLUMNS_SQL = """
SELECT c.relname, array_agg(a.attname ORDER BY a.attnum), max(pg_relation_size(c.oid))
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY (%s)
  AND (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey))
       OR EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND a.attnum = ANY (k.conkey)))
GROUP BY c.relname
ORDER BY 3 DESC, c.relname
"""


def _run_analyze(target: Target, statements: list[sql.Composed]) -> list[str]:
    notices: list[str] = []

    def keep(diag: Any) -> None:
        notices.append(str(diag.message_primary))

    with connect(target, "loader", autocommit=True, application_name="crm-pipeline load") as conn:
        conn.add_notice_handler(keep)
        with translate_errors():
            for statement in statements:
                conn.execute(statement)
    return notices
