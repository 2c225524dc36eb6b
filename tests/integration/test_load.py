"""Phase 3 load against a real PostgreSQL: what lands, reruns, changes, failures, the lock, retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import psycopg
import pytest
from load_support import (
    SM_CUSTOMERS,
    SM_JOBS,
    audit_count,
    checksums,
    customer_id,
    write_processed,
)

from crm_pipeline.config import Settings
from crm_pipeline.db.load_tx import LOAD_LOCK_NAME, advisory_key
from crm_pipeline.errors import TerminalLoadError, TransientLoadError
from crm_pipeline.load import LoadOptions, run_load

pytestmark = pytest.mark.integration


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=url, home=tmp_path / "crm_home")


def _rows(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params or None).fetchall()


def test_first_load_fills_every_table_as_crm_loader_with_keys_and_audit(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    result = run_load(processed, _settings(db_url, tmp_path))

    persons = pl.read_parquet(processed / "persons.parquet")
    jobs = pl.read_parquet(processed / "jobs.parquet")
    assert result.table("customers").inserted == 12
    assert result.table("source_person_records").inserted == persons.height
    assert result.table("customer_source_map").inserted == persons.height
    assert result.table("source_job_records").inserted == jobs.height
    assert result.table("leads").inserted == 4
    assert result.table("quarantine").inserted == 3
    assert result.table("source_files").inserted == 5
    # every job row has its customer from the unification map (uid of the job = uid of its person)
    assert _rows(
        db_url,
        "SELECT count(*) FROM source_job_records j JOIN customer_source_map m USING (uid)"
        " WHERE m.customer_id = j.customer_id",
    ) == [(jobs.height,)]
    # values keep their types: money, dates, naive UTC timestamps
    assert _rows(
        db_url,
        "SELECT estimated_total::text, service_date::text, created_at::text FROM source_job_records"
        " WHERE uid = %s",
        (f"{SM_JOBS}#3",),
    ) == [("1234.50", "2024-03-02", "2024-01-01 10:30:00")]
    # a file rejected whole: line 0, column '*'
    assert _rows(db_url, "SELECT line, column_name FROM quarantine WHERE file_name = 'notes.csv'") == [
        (0, "*")
    ]
    # branches: the reference table plus aliases
    assert _rows(
        db_url, "SELECT b.name FROM branch_aliases a JOIN branches b USING (branch_id) WHERE a.alias = 'NYC'"
    ) == [("New York City",)]
    # written as crm_loader, every new customer audited by the (still enabled) triggers
    assert _rows(
        db_url,
        "SELECT operation, db_role, application_name, count(*) FROM audit_log GROUP BY 1, 2, 3",
    ) == [("INSERT", "crm_loader", "crm-pipeline load", 12)]
    assert result.audited_changes == 12
    # the first load writes the audit rows in bulk: the same rows the trigger writes
    assert _rows(
        db_url,
        "SELECT count(*) FROM audit_log a JOIN customers c ON c.customer_id = a.row_pk"
        " WHERE a.new_row = to_jsonb(c) AND a.old_row IS NULL AND a.changed_columns IS NULL",
    ) == [(12,)]
    assert {
        r[0] for r in _rows(db_url, "SELECT tgenabled FROM pg_trigger WHERE tgname LIKE 'customers_audit%'")
    } == {"A"}
    # the ledger, written in the load's transaction
    assert _rows(
        db_url,
        "SELECT r.status, s.status, (s.counts->'tables'->'customers'->>'inserted')::int"
        " FROM pipeline_runs r JOIN pipeline_stages s USING (run_id)"
        " WHERE r.run_id = %s AND s.stage = 'load'",
        (result.run_id,),
    ) == [("succeeded", "succeeded", 12)]


def test_rerun_of_the_same_input_changes_nothing(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    settings = _settings(db_url, tmp_path)
    run_load(processed, settings)
    before, audit_before = checksums(db_url), audit_count(db_url)

    again = run_load(processed, settings)

    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert all(t.unchanged == t.staged for t in again.tables)
    assert audit_count(db_url) == audit_before
    assert checksums(db_url) == before


def test_changed_email_updates_one_customer_with_one_audit_row(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    run_load(write_processed(tmp_path / "v1"), settings)
    audit_before = audit_count(db_url)

    result = run_load(write_processed(tmp_path / "v2", changed_email=True), settings)

    customers = result.table("customers")
    assert (customers.inserted, customers.updated, customers.unchanged) == (0, 1, 11)
    assert audit_count(db_url) == audit_before + 1
    (row,) = _rows(
        db_url,
        "SELECT operation, row_pk, old_row->>'email', new_row->>'email', changed_columns"
        " FROM audit_log ORDER BY audit_id DESC LIMIT 1",
    )
    assert row[:4] == ("UPDATE", customer_id(1), "person1@example.com", "changed1@example.org")
    assert "email" in row[4]
    assert _rows(db_url, "SELECT email FROM customers WHERE customer_id = %s", (customer_id(1),)) == [
        ("changed1@example.org",)
    ]


def test_reloaded_files_drop_rows_they_no_longer_have_and_orphan_customers_are_kept(
    db_url: str, tmp_path: Path
) -> None:
    settings = _settings(db_url, tmp_path)
    run_load(write_processed(tmp_path / "v1", people=12), settings)

    # customer 11 vanished from every file (its customer row, its job, its legacy row)
    result = run_load(write_processed(tmp_path / "v2", people=11, dropped_row=True), settings)

    assert (
        result.table("source_person_records").deleted == 3
    )  # sm row of 3, sm row of 11, its job's person row
    assert result.table("customer_source_map").deleted == 3
    assert result.table("source_job_records").deleted == 1
    assert _rows(
        db_url, "SELECT count(*) FROM source_person_records WHERE uid = %s", (f"{SM_CUSTOMERS}#5",)
    ) == [(0,)]
    assert _rows(db_url, "SELECT count(*) FROM customers WHERE customer_id = %s", (customer_id(11),)) == [
        (1,)
    ]
    assert result.orphan_customers == 1


def test_job_without_a_customer_fails_naming_the_uid_and_is_recorded_as_failed(
    db_url: str, tmp_path: Path
) -> None:
    processed = write_processed(tmp_path / "v1")
    umap = pl.read_parquet(processed / "unification_map.parquet")
    umap.filter(pl.col("uid") != f"{SM_JOBS}#4").write_parquet(processed / "unification_map.parquet")
    # the person row must go too, or the map check would fire first
    persons = pl.read_parquet(processed / "persons.parquet")
    persons.filter(pl.col("uid") != f"{SM_JOBS}#4").write_parquet(processed / "persons.parquet")

    with pytest.raises(TerminalLoadError, match=f"{SM_JOBS}#4") as err:
        run_load(processed, _settings(db_url, tmp_path))

    assert err.value.table == "source_job_records"
    assert _rows(db_url, "SELECT count(*) FROM customers") == [(0,)]
    ((status, error),) = _rows(db_url, "SELECT status, error FROM pipeline_stages WHERE stage = 'load'")
    assert status == "failed" and f"{SM_JOBS}#4" in error
    assert _rows(db_url, "SELECT status FROM pipeline_runs") == [("failed",)]


def test_constraint_violation_names_the_table_and_leaves_nothing_half_written(
    db_url: str, tmp_path: Path
) -> None:
    settings = _settings(db_url, tmp_path)
    run_load(write_processed(tmp_path / "v1"), settings)
    before = checksums(db_url)
    processed = write_processed(tmp_path / "v2", version=2)
    jobs = pl.read_parquet(processed / "jobs.parquet")
    jobs.with_columns(pl.lit("postponed").alias("status")).write_parquet(processed / "jobs.parquet")

    with pytest.raises(TerminalLoadError, match="source_job_records") as err:
        run_load(processed, settings)

    assert err.value.table == "source_job_records"
    assert checksums(db_url) == before  # customers etc. were merged before the failure: rolled back
    assert _rows(db_url, "SELECT status, count(*) FROM pipeline_stages GROUP BY 1 ORDER BY 1") == [
        ("failed", 1),
        ("succeeded", 1),
    ]


def test_a_second_load_waits_for_the_first_then_gives_up_cleanly(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    settings = _settings(db_url, tmp_path)
    options = LoadOptions(attempts=2, backoff_initial_s=0.05, lock_timeout_s=0.2)
    with psycopg.connect(db_url) as other:  # another load holds the lock
        other.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(LOAD_LOCK_NAME),))
        with pytest.raises(TransientLoadError, match="gave up after 2 attempt"):
            run_load(processed, settings, options=options)
        assert _rows(db_url, "SELECT count(*) FROM customers") == [(0,)]
    # the other load finished: this one goes through
    assert run_load(processed, settings, options=options).table("customers").inserted == 12


def test_connection_lost_mid_merge_is_retried_and_the_result_is_whole(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    killed: list[str] = []

    def kill_backend_once(point: str) -> None:
        if point == "merge:customers" and not killed:
            killed.append(point)
            with psycopg.connect(db_url, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'crm-pipeline load' AND datname = current_database()"
                )

    result = run_load(
        write_processed(tmp_path / "v1"),
        settings,
        options=LoadOptions(backoff_initial_s=0.05),
        checkpoint=kill_backend_once,
    )

    assert killed and result.attempts == 2
    assert result.table("customers").inserted == 12
    assert audit_count(db_url) == 12  # the killed attempt left no audit rows behind
