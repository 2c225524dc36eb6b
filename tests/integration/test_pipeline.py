"""End to end: `crm-pipeline run` on generated data, against a real PostgreSQL.

What a user relies on: every stage succeeds and the database holds what the stages reported; a rerun
on unchanged input does no work and changes nothing; a run killed (SIGKILL) during match or during
load, run again, ends with final tables identical to an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from load_support import CHECKSUM_QUERIES, checksums, new_database

from crm_pipeline.db.load_tx import LOAD_LOCK_NAME, advisory_key
from crm_pipeline.generate.main import generate

pytestmark = pytest.mark.integration

PEOPLE = 600
FINAL_TABLE_QUERIES = {
    **{k: v for k, v in CHECKSUM_QUERIES.items() if k not in ("match_runs", "audit_log")},
    # match_run_id names the run that wrote a row, not the data
    "customer_source_map": (
        "SELECT uid, file_name, record_id, customer_id FROM customer_source_map ORDER BY uid"
    ),
    "jobs": "SELECT job_id, customer_id, job_number, service_date, service_type, status, branch,"
    " estimated_total, final_total, n_sources FROM jobs ORDER BY job_id",
    "job_source_map": "SELECT uid, job_id FROM job_source_map ORDER BY uid",
    "job_duplicate_groups": "SELECT * FROM job_duplicate_groups ORDER BY job_id",
}


def final_tables(url: str) -> dict[str, tuple[int, str]]:
    return checksums(url, FINAL_TABLE_QUERIES)


def count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pipeline_data")
    generate(PEOPLE, out, seed=11)
    return out / "raw"


def cli_env(url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CRM_HOME=str(home))
    return env


def run_cli(raw: Path, url: str, home: Path, *extra: str) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_pipeline.cli",
            "run",
            str(raw),
            "--processed",
            str(home / "processed"),
            "--json",
            *extra,
        ],
        env=cli_env(url, home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def reference(
    pg_server_url: str, raw_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, object], dict[str, tuple[int, str]]]]:
    """One uninterrupted run: its database, its JSON summary and its final tables."""
    home = tmp_path_factory.mktemp("reference_home")
    with new_database(pg_server_url) as url:
        summary = run_cli(raw_dir, url, home)
        yield url, summary, final_tables(url)


def test_every_stage_succeeds_and_the_database_holds_what_was_reported(
    reference: tuple[str, dict[str, object], dict[str, tuple[int, str]]],
) -> None:
    url, summary, _ = reference
    assert summary["status"] == "succeeded"
    stages = {s["stage"]: s for s in summary["stages"]}  # type: ignore[attr-defined]
    assert list(stages) == ["clean", "match", "load", "analytics"]
    assert all(s["status"] == "succeeded" for s in stages.values())
    head = summary["summary"]
    assert isinstance(head, dict)
    # nothing lost: every input row is clean or quarantined, and the database agrees
    assert head["rows_in"] == head["rows_clean"] + head["rows_quarantined"]
    assert count(url, "SELECT sum(rows_in) FROM source_files") == head["rows_in"]
    assert count(url, "SELECT count(*) FROM source_person_records") == head["persons"]
    assert count(url, "SELECT count(*) FROM customers") == head["customers"]
    # every person-bearing row maps to a customer; every job has one
    assert count(url, "SELECT count(*) FROM customer_source_map") == head["persons"]
    assert count(url, "SELECT count(*) FROM source_job_records WHERE customer_id IS NULL") == 0
    assert count(url, "SELECT count(*) FROM job_source_map") == count(
        url, "SELECT count(*) FROM source_job_records"
    )
    assert 0 < head["customers"] < head["persons"]  # type: ignore[operator]
    # the ledger says the same
    assert count(url, "SELECT count(*) FROM pipeline_stages WHERE status = 'succeeded'") == 4


def test_processed_files_and_the_run_log_are_owner_only(
    reference: tuple[str, dict[str, object], dict[str, tuple[int, str]]],
) -> None:
    """PII lives in review_pairs.csv, the Parquet files and the log: 0700 folders, 0600 files."""
    _, summary, _ = reference
    processed = Path(str(summary["processed_dir"]))
    log_file = Path(str(summary["log_file"]))
    paths = [processed, *processed.rglob("*"), log_file.parent, log_file]
    assert (processed / "review_pairs.csv").is_file() and log_file.is_file()
    wrong = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in paths if p.stat().st_mode & 0o077}
    assert wrong == {}


def test_rerun_on_unchanged_input_does_nothing(
    reference: tuple[str, dict[str, object], dict[str, tuple[int, str]]],
    raw_dir: Path,
    tmp_path: Path,
) -> None:
    url, first, tables = reference
    audit_before = count(url, "SELECT count(*) FROM audit_log")
    runs_before = count(url, "SELECT count(*) FROM pipeline_runs")
    again = run_cli(raw_dir, url, tmp_path)
    assert again["status"] == "unchanged"
    assert again["run_id"] == first["run_id"]
    assert final_tables(url) == tables
    assert count(url, "SELECT count(*) FROM audit_log") == audit_before
    assert count(url, "SELECT count(*) FROM pipeline_runs") == runs_before


def _wait_for(predicate: object, proc: subprocess.Popen[str], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before {what}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _stage_running(url: str, stage: str) -> bool:
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute(
                "SELECT count(*) FROM pipeline_stages WHERE stage = %s AND status = 'running'", (stage,)
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # not migrated yet
            return False
    return bool(row and row[0])


def _load_in_progress(url: str) -> bool:
    """The load's transaction is open (its ledger row is invisible until COMMIT, its lock is not).

    The load's own advisory lock, by its key: a run also holds the run lock and, while migrating,
    the migration lock (advisory locks too)."""
    key = advisory_key(LOAD_LOCK_NAME) & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND a.datname = current_database()"
            " AND l.classid = %s AND l.objid = %s",
            (key >> 32, key & 0xFFFFFFFF),
        ).fetchone()
    return bool(row and row[0])


@pytest.mark.parametrize("kill_during", ["match", "load"])
def test_sigkill_then_run_again_gives_the_uninterrupted_result(
    kill_during: str,
    reference: tuple[str, dict[str, object], dict[str, tuple[int, str]]],
    pg_server_url: str,
    raw_dir: Path,
    tmp_path: Path,
) -> None:
    _, _, expected = reference
    with new_database(pg_server_url) as url:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crm_pipeline.cli",
                "run",
                str(raw_dir),
                "--processed",
                str(tmp_path / "processed"),
                "--json",
            ],
            env=cli_env(url, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "killed_run.stderr").open("w"),
            text=True,
        )
        try:
            if kill_during == "match":
                _wait_for(lambda: _stage_running(url, "match"), proc, "match started")
                time.sleep(1.0)  # well inside matching
            else:
                _wait_for(lambda: _load_in_progress(url), proc, "load started")
            assert proc.poll() is None, "the run finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)
        # nothing of the killed stage is visible
        if kill_during == "load":
            assert count(url, "SELECT count(*) FROM customers") == 0
        resumed = run_cli(raw_dir, url, tmp_path)
        assert resumed["status"] == "succeeded"
        assert resumed["resumed"] is True
        statuses = {s["stage"]: s["status"] for s in resumed["stages"]}  # type: ignore[attr-defined]
        assert statuses["clean"] == "skipped"  # done before the kill, not redone
        got = final_tables(url)
        assert [t for t in expected if got[t] != expected[t]] == []
