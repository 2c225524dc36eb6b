"""``crm-pipeline db migrate`` and ``db status`` as a user runs them (a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from crm_pipeline import db

pytestmark = pytest.mark.integration


def _cli(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CRM_HOME=str(home), COLUMNS="200", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "crm_pipeline.cli", *args],
        env=env,
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_then_status_reports_revision_roles_and_triggers(
    fresh_database_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    head = db.head_revision()

    before = _cli(fresh_database_url, home, "db", "status")
    assert before.returncode == 1
    assert f"schema at revision none, code expects {head}" in before.stderr

    migrated = _cli(fresh_database_url, home, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"schema at revision {head}" in migrated.stdout

    status = _cli(fresh_database_url, home, "db", "status")
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

    status = _cli(fresh_database_url, home, "db", "status")
    assert status.returncode == 1
    assert "database not healthy" in status.stderr
    assert "trigger(s) missing: customers_audit_update, leads_count_writes" in status.stderr
    assert "jobs_audit_insert on jobs is origin, not ALWAYS" in status.stderr
    assert "customers_audit_update (missing)" in status.stdout
    assert "leads_count_writes" in status.stderr
