"""Unchanged tables are skipped on a rerun — and only while nobody else has written them (0008)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from load_support import audit_count, checksums, customer_id, run_cli, write_processed

from crm_pipeline.config import Settings
from crm_pipeline.load import LoadOptions, run_load
from crm_pipeline.load import tables as T
from crm_pipeline.load.result import LoadResult

pytestmark = pytest.mark.integration

ALWAYS_STAGED = {T.SOURCE_FILES.table}  # names the files a load replaces: never skipped


def _skipped(result: LoadResult) -> set[str]:
    return {t.table for t in result.tables if t.skipped}


def test_rerun_skips_every_unchanged_table_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    settings = Settings(database_url=db_url, home=tmp_path / "h")
    first = run_load(processed, settings)
    before, audit_before = checksums(db_url), audit_count(db_url)

    again = run_load(processed, settings)

    assert _skipped(first) == set()
    assert _skipped(again) == {spec.table for spec in T.MERGE_ORDER} - ALWAYS_STAGED
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert all(t.unchanged == t.staged for t in again.tables)
    assert checksums(db_url) == before and audit_count(db_url) == audit_before
    with psycopg.connect(db_url) as conn:  # the ledger says which tables were not compared
        (counts,) = conn.execute(
            "SELECT counts FROM pipeline_stages WHERE run_id = %s AND stage = 'load'", (again.run_id,)
        ).fetchone() or (None,)
    assert counts["tables"]["customers"]["skipped"] is True
    assert counts["tables"]["source_files"]["skipped"] is False


def test_a_write_by_anyone_else_brings_the_full_merge_back(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    settings = Settings(database_url=db_url, home=tmp_path / "h")
    run_load(processed, settings)
    expected = checksums(db_url)
    with psycopg.connect(db_url) as conn:  # an analyst's hand edit, outside the pipeline
        conn.execute(
            "UPDATE customers SET email = 'typo@example.com' WHERE customer_id = %s", (customer_id(3),)
        )
        conn.execute("DELETE FROM leads WHERE uid = (SELECT min(uid) FROM leads)")

    again = run_load(processed, settings)

    assert {"customers", "leads"}.isdisjoint(_skipped(again))
    assert "source_person_records" in _skipped(again)  # untouched tables are still skipped
    assert (again.table("customers").updated, again.table("leads").inserted) == (1, 1)
    now = checksums(db_url)
    assert now.pop("audit_log")[0] == expected.pop("audit_log")[0] + 2  # the edit, and its revert
    assert now == expected  # the source's values are back


def test_changed_input_merges_the_changed_tables_only(db_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=db_url, home=tmp_path / "h")
    run_load(write_processed(tmp_path / "v1"), settings)

    changed = run_load(write_processed(tmp_path / "v2", changed_email=True), settings)

    assert {"customers", "source_person_records"}.isdisjoint(_skipped(changed))
    assert {"leads", "source_job_records", "customer_source_map"} <= _skipped(changed)
    assert changed.table("customers").updated == 1


def test_skip_can_be_turned_off(db_url: str, tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "v1")
    settings = Settings(database_url=db_url, home=tmp_path / "h")
    run_load(processed, settings)

    full = run_load(processed, settings, options=LoadOptions(skip_unchanged=False))

    assert _skipped(full) == set()
    assert (full.inserted, full.updated, full.deleted) == (0, 0, 0)


def test_cli_load_migrates_a_new_database_then_skips_or_compares_as_asked(
    fresh_database_url: str, tmp_path: Path
) -> None:
    processed = write_processed(tmp_path / "v1")
    home = tmp_path / "home"

    first = run_cli(fresh_database_url, home, "load", str(processed))  # the database has no schema yet
    again = run_cli(fresh_database_url, home, "load", str(processed))
    full = run_cli(fresh_database_url, home, "load", str(processed), "--full-compare")

    assert first.returncode == 0, first.stderr
    assert "12 audited customer change(s)" in first.stdout
    assert again.returncode == 0 and "7 table(s) unchanged since the last load" in again.stdout
    assert full.returncode == 0 and "unchanged since the last load" not in full.stdout
    assert "0 audited customer change(s)" in full.stdout
