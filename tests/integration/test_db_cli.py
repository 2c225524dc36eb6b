"""``crm-pipeline db migrate`` and ``db status`` as a user runs them (a subprocess)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from load_support import run_cli

from crm_pipeline import db

pytestmark = pytest.mark.integration


def test_migrate_then_status_reports_revision_roles_and_triggers(
    fresh_database_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    head = db.head_revision()

    before = run_cli(fresh_database_url, home, "db", "status")
    assert before.returncode == 1
    assert f"schema at revision none, code expects {head}" in before.stderr

    migrated = run_cli(fresh_database_url, home, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"schema at revision {head}" in migrated.stdout

    status = run_cli(fresh_database_url, home, "db", "status")
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert "external" in out and f"{head} (head {head})" in out
    assert "crm_owner, crm_loader, crm_reader, crm_api_sync" in out
    for trigger in ("customers_audit_insert", "customers_audit_update", "jobs_audit_delete"):
        assert f"{trigger} (always)" in out
    for table in ("source_person_records", "customers", "leads"):  # the load's write counts (0008)
        assert f"{table}_count_writes (always)" in out


def test_status_fails_loudly_when_an_audit_trigger_is_dropped_or_not_always(
    fresh_database_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    db.migrate(fresh_database_url)
    with psycopg.connect(fresh_database_url) as conn:
        conn.execute("DROP TRIGGER customers_audit_update ON customers")
        conn.execute("ALTER TABLE jobs ENABLE TRIGGER jobs_audit_insert")  # ORIGIN: off in replica mode
        # without its write count a changed table could look unchanged to the next load
        conn.execute("DROP TRIGGER leads_count_writes ON leads")

    status = run_cli(fresh_database_url, home, "db", "status")
    assert status.returncode == 1
    assert "database not healthy" in status.stderr
    assert "trigger(s) missing: customers_audit_update, leads_count_writes" in status.stderr
    assert "jobs_audit_insert on jobs is origin, not ALWAYS" in status.stderr
    assert "customers_audit_update (missing)" in status.stdout
    assert "leads_count_writes" in status.stderr
