"""Every change to customers and jobs leaves exactly the right rows in audit_log — and no others.

The changes are made as crm_loader (the pipeline's role); the audit log is read as the admin, since
crm_loader may not read it. Rows are found by the transaction id of the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import polars as pl
import psycopg
import pytest
from psycopg.rows import dict_row

from crm_pipeline import db

pytestmark = pytest.mark.integration

APP = "test-audit"


@pytest.fixture
def prefix(migrated_database_url: str) -> Iterator[str]:
    """A key prefix owned by one test; its customers and jobs are deleted afterwards."""
    p = f"aud_{uuid.uuid4().hex[:8]}_"
    yield p
    with psycopg.connect(migrated_database_url) as conn:
        conn.execute("DELETE FROM jobs WHERE job_id LIKE %s", [p + "%"])
        conn.execute("DELETE FROM customers WHERE customer_id LIKE %s", [p + "%"])


def _loader(url: str) -> db.Connection:
    return db.connect(url, "loader", application_name=APP)


def _txid(conn: db.Connection) -> int:
    row = conn.execute("SELECT txid_current()").fetchone()
    assert row is not None
    return int(row[0])


def _audit(url: str, txid: int) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT table_name, operation, row_pk, old_row, new_row, changed_columns, db_role,"
            " application_name, changed_at FROM audit_log WHERE txid = %s ORDER BY audit_id",
            [txid],
        ).fetchall()


def test_insert_writes_one_audit_row_per_row_with_the_new_values(
    migrated_database_url: str, prefix: str
) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, first_name, email) VALUES (%s, 'Mary', 'mary@example.com'),"
            " (%s, 'John', NULL)",
            [prefix + "1", prefix + "2"],
        )
        txid = _txid(conn)

    rows = _audit(migrated_database_url, txid)
    assert [(r["table_name"], r["operation"], r["row_pk"]) for r in rows] == [
        ("customers", "INSERT", prefix + "1"),
        ("customers", "INSERT", prefix + "2"),
    ]
    assert rows[0]["old_row"] is None
    assert rows[0]["new_row"]["email"] == "mary@example.com"
    assert rows[1]["new_row"]["first_name"] == "John" and rows[1]["new_row"]["email"] is None
    assert {(r["db_role"], r["application_name"]) for r in rows} == {("crm_loader", APP)}
    assert all(r["changed_at"] is not None for r in rows)


def test_update_of_one_column_records_old_new_and_that_column(
    migrated_database_url: str, prefix: str
) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, phone, city) VALUES (%s, '+15551234567', 'BOSTON')",
            [prefix + "1"],
        )
    with _loader(migrated_database_url) as conn:
        conn.execute("UPDATE customers SET phone = '+15559876543' WHERE customer_id = %s", [prefix + "1"])
        txid = _txid(conn)

    [row] = _audit(migrated_database_url, txid)
    assert (row["operation"], row["row_pk"], row["changed_columns"]) == ("UPDATE", prefix + "1", ["phone"])
    assert row["old_row"]["phone"] == "+15551234567" and row["new_row"]["phone"] == "+15559876543"
    assert row["old_row"]["city"] == row["new_row"]["city"] == "BOSTON"


def test_delete_records_the_old_row(migrated_database_url: str, prefix: str) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute("INSERT INTO customers (customer_id, last_name) VALUES (%s, 'O''Neil')", [prefix + "1"])
    with _loader(migrated_database_url) as conn:
        conn.execute("DELETE FROM customers WHERE customer_id = %s", [prefix + "1"])
        txid = _txid(conn)

    [row] = _audit(migrated_database_url, txid)
    assert (row["operation"], row["row_pk"], row["new_row"]) == ("DELETE", prefix + "1", None)
    assert row["old_row"]["last_name"] == "O'Neil"


def test_multi_row_update_audits_each_changed_row_and_skips_unchanged_ones(
    migrated_database_url: str, prefix: str
) -> None:
    """10,000 rows change city; 500 more match the WHERE but already have the new city."""
    changed, unchanged = 10_000, 500
    frame = pl.DataFrame(
        {
            "customer_id": [f"{prefix}{i:05d}" for i in range(changed + unchanged)],
            "city": ["OLDTOWN"] * changed + ["NEWTOWN"] * unchanged,
            "zip": [f"{i % 100000:05d}" for i in range(changed + unchanged)],
        }
    )
    with _loader(migrated_database_url) as conn:
        assert db.copy_frame(conn, "customers", frame) == changed + unchanged
        insert_txid = _txid(conn)
    assert len(_audit(migrated_database_url, insert_txid)) == changed + unchanged

    with _loader(migrated_database_url) as conn:
        cur = conn.execute("UPDATE customers SET city = 'NEWTOWN' WHERE customer_id LIKE %s", [prefix + "%"])
        assert cur.rowcount == changed + unchanged
        txid = _txid(conn)

    with psycopg.connect(migrated_database_url) as conn:
        summary = conn.execute(
            "SELECT count(*), count(DISTINCT row_pk), min(row_pk), max(row_pk),"
            " bool_and(operation = 'UPDATE' AND changed_columns = '{city}'),"
            " bool_and(old_row ->> 'city' = 'OLDTOWN' AND new_row ->> 'city' = 'NEWTOWN'),"
            " bool_and(old_row ->> 'zip' = new_row ->> 'zip' AND new_row ->> 'zip' = right(row_pk, 5))"
            " FROM audit_log WHERE txid = %s",
            [txid],
        ).fetchone()
    assert summary == (changed, changed, f"{prefix}00000", f"{prefix}09999", True, True, True)


def test_rolled_back_transaction_leaves_no_audit_rows(migrated_database_url: str, prefix: str) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute("INSERT INTO customers (customer_id) VALUES (%s)", [prefix + "1"])
        conn.commit()
        conn.execute("INSERT INTO customers (customer_id) VALUES (%s)", [prefix + "2"])
        conn.execute("UPDATE customers SET city = 'X' WHERE customer_id = %s", [prefix + "1"])
        conn.execute("DELETE FROM customers WHERE customer_id = %s", [prefix + "1"])
        txid = _txid(conn)
        conn.rollback()

    assert _audit(migrated_database_url, txid) == []
    with psycopg.connect(migrated_database_url) as conn:
        left = conn.execute(
            "SELECT customer_id, city FROM customers WHERE customer_id LIKE %s", [prefix + "%"]
        )
        assert left.fetchall() == [(prefix + "1", None)]


def test_update_that_changes_nothing_leaves_no_audit_row(migrated_database_url: str, prefix: str) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, email) VALUES (%s, 'a@example.com'), (%s, 'b@example.com')",
            [prefix + "1", prefix + "2"],
        )
    with _loader(migrated_database_url) as conn:
        cur = conn.execute("UPDATE customers SET email = email WHERE customer_id LIKE %s", [prefix + "%"])
        assert cur.rowcount == 2
        txid = _txid(conn)
    assert _audit(migrated_database_url, txid) == []


def test_upsert_audits_only_new_and_changed_rows(migrated_database_url: str, prefix: str) -> None:
    """The load's merge: one new row, one changed, one identical → one INSERT and one UPDATE row."""
    with _loader(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers (customer_id, email)"
            " VALUES (%s, 'same@example.com'), (%s, 'old@example.com')",
            [prefix + "same", prefix + "changed"],
        )
    with _loader(migrated_database_url) as conn:
        conn.execute(
            "INSERT INTO customers AS t (customer_id, email) VALUES"
            " (%s, 'same@example.com'), (%s, 'new@example.com'), (%s, 'fresh@example.com')"
            " ON CONFLICT (customer_id) DO UPDATE SET email = excluded.email, updated_at = now()"
            " WHERE t.email IS DISTINCT FROM excluded.email",
            [prefix + "same", prefix + "changed", prefix + "new"],
        )
        txid = _txid(conn)

    rows = _audit(migrated_database_url, txid)
    assert sorted((r["operation"], r["row_pk"]) for r in rows) == [
        ("INSERT", prefix + "new"),
        ("UPDATE", prefix + "changed"),
    ]
    update = next(r for r in rows if r["operation"] == "UPDATE")
    assert update["changed_columns"] == ["email", "updated_at"]
    assert (update["old_row"]["email"], update["new_row"]["email"]) == ("old@example.com", "new@example.com")


def test_jobs_are_audited_too(migrated_database_url: str, prefix: str) -> None:
    with _loader(migrated_database_url) as conn:
        conn.execute("INSERT INTO customers (customer_id) VALUES (%s)", [prefix + "c"])
        conn.execute(
            "INSERT INTO jobs (job_id, customer_id, status, final_total) VALUES (%s, %s, 'booked', 1250.50)",
            [prefix + "j", prefix + "c"],
        )
        conn.execute("UPDATE jobs SET status = 'completed' WHERE job_id = %s", [prefix + "j"])
        txid = _txid(conn)

    rows = [
        (r["table_name"], r["operation"], r["changed_columns"]) for r in _audit(migrated_database_url, txid)
    ]
    assert rows == [
        ("customers", "INSERT", None),
        ("jobs", "INSERT", None),
        ("jobs", "UPDATE", ["status"]),
    ]


def test_truncate_is_recorded(migrated_database_url: str) -> None:
    """Only the owner may TRUNCATE; when it happens, the log says so (rolled back here)."""
    with psycopg.connect(migrated_database_url) as conn:
        conn.execute("TRUNCATE customers CASCADE")
        rows = conn.execute(
            "SELECT table_name, operation FROM audit_log WHERE txid = txid_current() ORDER BY audit_id"
        ).fetchall()
        conn.rollback()
    assert ("customers", "TRUNCATE") in rows and ("jobs", "TRUNCATE") in rows
