"""What each role may and may not do (docs/schema.md, "Roles").

The refusals matter most: the pipeline's own role must not be able to switch off or rewrite the
audit trail, and the dashboard role must not see personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from crm_pipeline import db
from crm_pipeline.db.connection import with_credentials
from crm_pipeline.errors import ConfigError, TerminalLoadError

pytestmark = pytest.mark.integration

LOADER_REFUSED = {
    "disable an audit trigger": "ALTER TABLE customers DISABLE TRIGGER customers_audit_update",
    "disable all triggers": "ALTER TABLE customers DISABLE TRIGGER ALL",
    "drop an audit trigger": "DROP TRIGGER customers_audit_insert ON customers",
    "replica mode (skips triggers)": "SET session_replication_role = replica",
    "truncate customers": "TRUNCATE customers CASCADE",
    "truncate jobs": "TRUNCATE jobs CASCADE",
    "update the audit log": "UPDATE audit_log SET db_role = 'nobody'",
    "delete from the audit log": "DELETE FROM audit_log",
    "truncate the audit log": "TRUNCATE audit_log",
    "write the audit log": (
        "INSERT INTO audit_log (table_name, operation, txid, db_role, changed_at)"
        " VALUES ('customers', 'DELETE', 1, 'x', now())"
    ),
    "read the audit log": "SELECT count(*) FROM audit_log",
    "become the owner": "SET ROLE crm_owner",
    "replace the audit function": "ALTER FUNCTION audit_changes() SECURITY INVOKER",
    "drop a table": "DROP TABLE customers CASCADE",
    # the load's write counts (0008): only the tables' triggers move them
    "drop a write-count trigger": "DROP TRIGGER customers_count_writes ON customers",
    "advance a write count": "SELECT nextval('table_writes_customers')",
    "reset a write count": "SELECT setval('table_writes_customers', 1)",
    # the owner's ANALYZE (0010) only for the pipeline's tables
    "analyze a table outside the allow-list": "SELECT load_analyze('audit_log')",
}

READER_REFUSED = {
    "customer emails": "SELECT email FROM customers",
    "customer rows": "SELECT * FROM customers",
    "job addresses": "SELECT origin_street FROM jobs",
    "source records": "SELECT email FROM source_person_records",
    "quarantined raw values": "SELECT raw_value FROM quarantine",
    "the audit log": "SELECT old_row FROM audit_log",
    "quality details": "SELECT details FROM dq_results",
    "writing": "INSERT INTO branches (name) VALUES ('Nowhere')",
}


@pytest.fixture
def customer(migrated_database_url: str) -> Iterator[str]:
    """One committed customer with an email and phones, deleted afterwards."""
    customer_id = f"role_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, first_name, email, phone, phone2, street, city)"
            " VALUES (%s, 'Mary', 'mary.oneil@example.com', '+15551234567', '+15559876501',"
            " '12 N MAIN ST', 'BOSTON')",
            [customer_id],
        )
    yield customer_id
    with psycopg.connect(migrated_database_url) as conn:
        conn.execute("DELETE FROM customers WHERE customer_id = %s", [customer_id])


@pytest.mark.parametrize("statement", LOADER_REFUSED.values(), ids=LOADER_REFUSED.keys())
def test_loader_is_refused(migrated_database_url: str, statement: str) -> None:
    with db.connect(migrated_database_url, "loader", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_loader_can_do_its_job(migrated_database_url: str) -> None:
    """The refusals above are not a broken connection: the loader stages, merges and deletes."""
    key = f"role_{uuid.uuid4().hex[:8]}"
    with db.connect(migrated_database_url, "loader") as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("crm_loader",)
        conn.execute("CREATE TEMP TABLE stg ON COMMIT DROP AS SELECT * FROM customers WITH NO DATA")
        conn.execute("INSERT INTO stg (customer_id, email) VALUES (%s, 'x@example.com')", [key])
        conn.execute("INSERT INTO customers (customer_id, email) SELECT customer_id, email FROM stg")
        conn.execute("UPDATE customers SET email = 'y@example.com' WHERE customer_id = %s", [key])
        conn.execute("DELETE FROM customers WHERE customer_id = %s", [key])
        conn.execute("INSERT INTO sync_state (resource) VALUES (%s)", [key])
        conn.rollback()


def test_a_refusal_reaches_the_pipeline_as_a_terminal_load_error(migrated_database_url: str) -> None:
    with pytest.raises(TerminalLoadError, match="permission denied"):
        with db.transaction(migrated_database_url, "loader") as conn:
            conn.execute("DELETE FROM audit_log")


@pytest.mark.parametrize("statement", READER_REFUSED.values(), ids=READER_REFUSED.keys())
def test_reader_is_refused(migrated_database_url: str, statement: str) -> None:
    with db.connect(migrated_database_url, "reader", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_reader_sees_masked_emails_and_phones(migrated_database_url: str, customer: str) -> None:
    with db.connect(migrated_database_url, "reader") as conn:
        cur = conn.execute(
            "SELECT first_name, email, phone, phone2, city FROM customers_masked WHERE customer_id = %s",
            [customer],
        )
        row = cur.fetchone()
        columns = [c.name for c in conn.execute("SELECT * FROM customers_masked LIMIT 0").description or []]
        job_columns = [c.name for c in conn.execute("SELECT * FROM jobs_masked LIMIT 0").description or []]
    assert row == ("Mary", "m***@example.com", "***67", "***01", "BOSTON")
    assert "street" not in columns and "unit" not in columns
    assert not any(c.endswith(("_street", "_unit")) for c in job_columns)


def test_api_sync_reads_customers_and_writes_only_sync_tables(
    migrated_database_url: str, customer: str
) -> None:
    with db.connect(migrated_database_url, "api_sync") as conn:
        assert conn.execute("SELECT email FROM customers WHERE customer_id = %s", [customer]).fetchone() == (
            "mary.oneil@example.com",
        )
        conn.execute(
            "INSERT INTO sync_id_map (resource, smartmoving_id, local_id) VALUES ('customers', 'sm1', %s)",
            [customer],
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE customers SET email = NULL WHERE customer_id = %s", [customer])
        conn.rollback()


def test_the_owner_role_cannot_log_in(migrated_database_url: str) -> None:
    with pytest.raises(ConfigError, match="not permitted to log in"):
        db.connect(with_credentials(migrated_database_url, "crm_owner", None), "admin")


def test_every_table_is_owned_by_crm_owner(migrated_database_url: str) -> None:
    with psycopg.connect(migrated_database_url) as conn:
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
    assert owners == [("crm_owner",)]


def test_reader_engine_serves_pandas_the_masked_view(migrated_database_url: str, customer: str) -> None:
    """The SQLAlchemy engine (what Great Expectations and pandas use) connects as the same role."""
    import pandas as pd
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    engine = db.engine(migrated_database_url, "reader")
    try:
        frame = pd.read_sql(
            text("SELECT email FROM customers_masked WHERE customer_id = :id"),
            engine,
            params={"id": customer},
        )
        with engine.connect() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT email FROM customers"))
    finally:
        engine.dispose()
    assert frame["email"].tolist() == ["m***@example.com"]


def test_loader_analyzes_through_the_owner_function(migrated_database_url: str) -> None:
    """ANALYZE needs the owner; ``load_analyze`` lends it for the pipeline's tables (0010)."""
    with psycopg.connect(migrated_database_url, autocommit=True) as conn:
        before = conn.execute(
            "SELECT coalesce(analyze_count, 0) FROM pg_stat_user_tables WHERE relname = 'customers'"
        ).fetchone()
    with db.connect(migrated_database_url, "loader", autocommit=True) as conn:
        conn.execute("SELECT load_analyze('customers', ARRAY['customer_id', 'email'])")
        with pytest.raises(psycopg.errors.UndefinedColumn):
            conn.execute("SELECT load_analyze('customers', ARRAY['email); DROP TABLE customers; --'])")
    with psycopg.connect(migrated_database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        after = conn.execute(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'customers'"
        ).fetchone()
        assert conn.execute("SELECT to_regclass('public.customers') IS NOT NULL").fetchone() == (True,)
    assert before is not None and after is not None and after[0] > before[0]


def test_loader_may_analyze_every_table_a_load_writes(migrated_database_url: str) -> None:
    """The load ANALYZEs the tables it changed: each of them must be on the function's allow-list
    (a missing one only logs a warning at run time, so it would go unnoticed)."""
    from crm_pipeline.load.tables import ALL_TABLES

    with db.connect(migrated_database_url, "loader", autocommit=True) as conn:
        for table in ALL_TABLES:
            conn.execute("SELECT load_analyze(%s)", (table,))


def test_loader_reads_the_schema_revision(migrated_database_url: str) -> None:
    from crm_pipeline.db.migrations import loader_revision

    assert loader_revision(migrated_database_url) == db.head_revision()


def test_a_loader_only_url_never_migrates(fresh_database_url: str) -> None:
    """A scheduled job with only crm_loader credentials and a schema behind: a clear error."""
    db.migrate(fresh_database_url, "0008")
    loader_only = with_credentials(fresh_database_url, "crm_loader", None)
    with pytest.raises(ConfigError, match="crm-pipeline db migrate"):
        db.ensure_migrated(loader_only)
    assert db.current_revision(fresh_database_url) == "0008"
    db.migrate(fresh_database_url)
    assert db.ensure_migrated(loader_only) == db.head_revision()  # at head: the loader may go on
