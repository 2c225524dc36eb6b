"""The Alembic migrations build exactly the contract's schema, and take it down again cleanly."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import yaml

from crm_pipeline import db

pytestmark = pytest.mark.integration

_PLACE = ("street", "unit", "city", "state", "zip")
_ORIGIN_DEST = tuple(f"{side}_{part}" for side in ("origin", "dest") for part in _PLACE)

# docs/contracts.md, "PostgreSQL" section (origin_* / dest_* spelled out).
CONTRACT: dict[str, tuple[str, ...]] = {
    "branches": ("branch_id", "name", "confirmed"),
    "branch_aliases": ("alias", "branch_id"),
    "pipeline_runs": (
        "run_id",
        "started_at",
        "finished_at",
        "status",
        "raw_dir",
        "input_fingerprint",
        "summary",
    ),
    "pipeline_stages": ("run_id", "stage", "status", "started_at", "finished_at", "counts", "error"),
    "source_files": (
        "file_name",
        "sha256",
        "profile",
        "encoding",
        "delimiter",
        "rows_in",
        "rows_clean",
        "rows_quarantined",
        "status",
        "error",
        "run_id",
        "loaded_at",
    ),
    "quarantine": (
        "uid",
        "file_name",
        "line",
        "column_name",
        "rule",
        "raw_value",
        "profile",
        "run_id",
        "level",
    ),
    "source_person_records": (
        "uid",
        "file_name",
        "line",
        "record_id",
        "profile",
        "source_system",
        "source_customer_id",
        "name_title",
        "first_name",
        "middle_name",
        "last_name",
        "name_suffix",
        "email",
        "phone",
        "phone_ext",
        "phone_type",
        "phone2",
        "street",
        "unit",
        "city",
        "state",
        "zip",
        "zip4",
        "branch",
        "created_at",
        "event_date",
    ),
    "customers": (
        "customer_id",
        "first_name",
        "middle_name",
        "last_name",
        "name_suffix",
        "email",
        "phone",
        "phone2",
        "street",
        "unit",
        "city",
        "state",
        "zip",
        "branch",
        "first_seen",
        "last_seen",
        "n_records",
        "source_systems",
        "smartmoving_customer_id",
        "gender",
        "gender_source",
        "gender_method",
        "gender_version",
        "created_at",
        "updated_at",
    ),
    "customer_source_map": ("uid", "file_name", "record_id", "customer_id", "match_run_id"),
    "source_job_records": (
        "uid",
        "file_name",
        "line",
        "record_id",
        "profile",
        "source_system",
        "job_number",
        "quote_number",
        "source_customer_id",
        "customer_id",
        "service_date",
        "service_type",
        "status",
        "branch",
        "move_size",
        *_ORIGIN_DEST,
        "estimated_total",
        "final_total",
        "sales_person",
        "referral_source",
        "created_at",
        "status_raw",
        "service_type_raw",
    ),
    "jobs": (
        "job_id",
        "customer_id",
        "job_number",
        "service_date",
        "service_type",
        "status",
        "branch",
        "move_size",
        *_ORIGIN_DEST,
        "estimated_total",
        "final_total",
        "n_sources",
    ),
    "job_source_map": ("uid", "job_id"),
    "job_duplicate_groups": ("job_id", "reason", "confidence", "n_members"),
    "leads": (
        "uid",
        "file_name",
        "record_id",
        "lead_id",
        "customer_id",
        "move_date",
        "move_size",
        "origin_zip",
        "destination_zip",
        "branch",
        "referral_source",
        "created_at",
    ),
    "match_runs": (
        "match_run_id",
        "model_sha256",
        "threshold",
        "n_records",
        "n_pairs",
        "n_customers",
        "metrics",
        "created_at",
    ),
    "dq_results": (
        "id",
        "run_id",
        "checked_at",
        "check_name",
        "metric",
        "value",
        "threshold",
        "passed",
        "severity",
        "details",
    ),
    "sync_state": ("resource", "watermark", "cursor", "updated_at"),
    "sync_id_map": ("resource", "smartmoving_id", "local_id", "updated_at"),
    "audit_log": (
        "audit_id",
        "table_name",
        "operation",
        "row_pk",
        "old_row",
        "new_row",
        "changed_columns",
        "txid",
        "db_role",
        "application_name",
        "changed_at",
    ),
    "load_table_state": ("table_name", "content_hash", "writes", "run_id", "recorded_at"),
}
BRANCHES_YAML = Path(db.__file__).parents[1] / "clean" / "branches.yaml"


def _schema(url: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """table → (owner, columns in order) for the public schema, alembic's own table left out."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner),"
            "       array_agg(a.attname::text ORDER BY a.attnum)"
            " FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
            "   AND c.relname <> 'alembic_version'"
            " GROUP BY c.relname, c.relowner"
        ).fetchall()
    return {name: (owner, tuple(cols)) for name, owner, cols in rows}


def _other_objects(url: str) -> list[str]:
    """Views, materialized views and functions in the public schema."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')"
            " UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
        ).fetchall()
    return sorted(r[0] for r in rows)


def test_upgrade_downgrade_upgrade_on_a_fresh_database(fresh_database_url: str) -> None:
    url = fresh_database_url
    head = db.head_revision()
    assert db.current_revision(url) is None

    assert db.migrate(url) == head
    schema = _schema(url)
    assert {t: cols for t, (_, cols) in schema.items()} == CONTRACT
    assert {owner for owner, _ in schema.values()} == {"crm_owner"}
    assert {
        "audit_changes",
        "audit_log_append_only",
        "customers_masked",
        "jobs_masked",
        "mask_email",
        "mask_phone",
        "table_writes",
        "count_table_write",
    } <= set(_other_objects(url))

    assert db.downgrade(url, "base") is None
    assert db.current_revision(url) is None
    assert _schema(url) == {}
    assert _other_objects(url) == []

    assert db.migrate(url) == head
    assert {t: cols for t, (_, cols) in _schema(url).items()} == CONTRACT
    assert db.migrate(url) == head  # a second run changes nothing and does not fail


def test_downgrade_leaves_other_databases_working(
    fresh_database_url: str, migrated_database_url: str
) -> None:
    """Roles are server-wide: taking one database down must not take the roles from another."""
    db.migrate(fresh_database_url)
    db.downgrade(fresh_database_url, "base")

    with psycopg.connect(fresh_database_url) as conn:
        roles = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'crm\\_%'")}
    assert {"crm_owner", "crm_loader", "crm_reader", "crm_api_sync"} <= roles
    with db.transaction(migrated_database_url, "loader") as conn:
        conn.execute("CREATE TEMP TABLE stg (x int)")
        row = conn.execute("SELECT count(*) FROM customers").fetchone()
    assert row is not None
    with db.connect(migrated_database_url, "reader") as conn:
        assert conn.execute("SELECT count(*) FROM customers_masked").fetchone() is not None


def test_branches_are_seeded_from_the_reference_yaml(migrated_database_url: str) -> None:
    if not BRANCHES_YAML.exists():
        pytest.skip("no crm_pipeline/clean/branches.yaml yet")
    entries = yaml.safe_load(BRANCHES_YAML.read_text())["branches"]
    with db.connect(migrated_database_url, "reader") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM branches")}
        query = "SELECT a.alias, b.name FROM branch_aliases a JOIN branches b USING (branch_id)"
        aliases = dict(conn.execute(query).fetchall())
    assert {e["name"] for e in entries} <= names
    for entry in entries:
        for alias in entry.get("aliases") or []:
            assert aliases[str(alias)] == entry["name"]


def test_head_revision_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from crm_pipeline.db.migrations import alembic_config

    assert db.head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
