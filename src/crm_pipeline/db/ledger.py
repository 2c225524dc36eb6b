"""The run ledger (``pipeline_runs`` / ``pipeline_stages``) as the pipeline facade sees it.

Stages that work on files (clean, match) and analytics get their ledger rows written here, each in
a short transaction of its own. The load stage writes its own stage row inside the load's
transaction (``load_tx``), so the ledger can never claim data the database does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from crm_pipeline.db.connection import Target, connect
from crm_pipeline.db.errors import translate_errors


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    raw_dir: str | None
    input_fingerprint: str | None
    stages: dict[str, str] = field(default_factory=dict)  # stage -> status
    summary: dict[str, Any] | None = None


def open_run(target: Target, *, run_id: str, raw_dir: str, input_fingerprint: str) -> None:
    with translate_errors(table="pipeline_runs"), connect(target, "loader", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pipeline_runs (run_id, started_at, status, raw_dir, input_fingerprint)"
            " VALUES (%s, clock_timestamp(), 'running', %s, %s)"
            " ON CONFLICT (run_id) DO UPDATE SET status = 'running', finished_at = NULL",
            (run_id, raw_dir, input_fingerprint),
        )


def set_stage(
    target: Target,
    *,
    run_id: str,
    stage: str,
    status: str,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Upsert one stage row; ``running`` (re)starts its clock, other statuses stop it."""
    finished = status != "running"
    with translate_errors(table="pipeline_stages"), connect(target, "loader", autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pipeline_stages (run_id, stage, status, started_at, finished_at, counts, error)"
            " VALUES (%s, %s, %s, clock_timestamp(), CASE WHEN %s THEN clock_timestamp() END, %s, %s)"
            " ON CONFLICT (run_id, stage) DO UPDATE SET status = excluded.status,"
            " started_at = CASE WHEN excluded.status = 'running' THEN excluded.started_at"
            "                   ELSE pipeline_stages.started_at END,"
            " finished_at = excluded.finished_at, counts = excluded.counts, error = excluded.error",
            (run_id, stage, status, finished, Jsonb(counts) if counts is not None else None, error),
        )


def finish_run(target: Target, *, run_id: str, status: str, summary: dict[str, Any] | None) -> None:
    with translate_errors(table="pipeline_runs"), connect(target, "loader", autocommit=True) as conn:
        conn.execute(
            "UPDATE pipeline_runs SET status = %s, finished_at = clock_timestamp(), summary = %s"
            " WHERE run_id = %s",
            (status, Jsonb(summary) if summary is not None else None, run_id),
        )


def latest_run(target: Target, *, raw_dir: str | None = None) -> RunRecord | None:
    """The most recent run (of ``raw_dir`` when given), with the status of each of its stages."""
    with translate_errors(table="pipeline_runs"), connect(target, "loader", autocommit=True) as conn:
        row = conn.execute(
            "SELECT run_id::text, status, started_at, finished_at, raw_dir, input_fingerprint, summary"
            " FROM pipeline_runs WHERE (%s::text IS NULL OR raw_dir = %s)"
            " ORDER BY started_at DESC LIMIT 1",
            (raw_dir, raw_dir),
        ).fetchone()
        if row is None:
            return None
        stages = conn.execute(
            "SELECT stage, status FROM pipeline_stages WHERE run_id = %s", (row[0],)
        ).fetchall()
    return RunRecord(
        run_id=row[0],
        status=row[1],
        started_at=row[2],
        finished_at=row[3],
        raw_dir=row[4],
        input_fingerprint=row[5],
        stages={s: st for s, st in stages},
        summary=row[6],
    )


def stage_counts(target: Target, *, run_id: str) -> dict[str, dict[str, Any]]:
    """``stage → counts`` of the run's stages that succeeded (a resumed run's earlier figures)."""
    with translate_errors(table="pipeline_stages"), connect(target, "loader", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT stage, counts FROM pipeline_stages WHERE run_id = %s AND status = 'succeeded'",
            (run_id,),
        ).fetchall()
    return {str(stage): dict(counts or {}) for stage, counts in rows}
