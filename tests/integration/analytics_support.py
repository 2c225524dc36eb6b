"""Helpers for the analytics integration tests: a private migrated database and row writers.

The analytics steps read and rewrite whole tables (every source job row, every job), so their tests
use a database of their own per module instead of the session's shared one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from crm_pipeline.db import migrate


@contextmanager
def private_database(pg_server_url: str) -> Iterator[str]:
    """A new database migrated to head; dropped afterwards."""
    name = f"crm_analytics_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def clear(url: str) -> None:
    """Empty the tables the analytics tests fill (the audit log is append-only and stays)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM job_duplicate_groups; DELETE FROM job_source_map; DELETE FROM jobs;"
            " DELETE FROM source_job_records; DELETE FROM customers; DELETE FROM source_files;"
        )


def insert_rows(url: str, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT the rows as the superuser (a key missing from some rows is NULL there)."""
    if not rows:
        return
    columns = list(dict.fromkeys(c for r in rows for c in r))
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
    )
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.executemany(statement, [{c: r.get(c) for c in columns} for r in rows])


def fetch(url: str, query: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def audit_count(url: str, table: str) -> int:
    return int(fetch(url, "SELECT count(*) FROM audit_log WHERE table_name = %(t)s", {"t": table})[0][0])


def customer(customer_id: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"customer_id": customer_id, "first_name": None, "last_name": "Doe"}
    row.update(values)
    return row


def source_file(name: str, profile: str) -> dict[str, Any]:
    return {"file_name": name, "sha256": "0" * 64, "profile": profile, "status": "ok"}


def job_record(uid: str, customer_id: str, **values: Any) -> dict[str, Any]:
    """A ``source_job_records`` row with sensible defaults (a booked Boston move on 2024-05-10)."""
    file_name, line = uid.split("#")
    sm = file_name.startswith("sm")
    row: dict[str, Any] = {
        "uid": uid,
        "file_name": file_name,
        "line": int(line),
        "record_id": f"line:{line}",
        "profile": "smartmoving_jobs" if sm else "legacy_jobs",
        "source_system": "smartmoving" if sm else "legacy",
        "job_number": None,
        "customer_id": customer_id,
        "service_date": date(2024, 5, 10),
        "service_type": "moving",
        "status": "booked",
        "branch": "Boston",
        "move_size": "2 Bedroom Apartment",
        "origin_street": "12 ELM ST",
        "origin_city": "BOSTON",
        "origin_state": "MA",
        "origin_zip": "02118",
        "dest_street": "400 BEACON ST",
        "dest_city": "BROOKLINE",
        "dest_state": "MA",
        "dest_zip": "02446",
        "estimated_total": Decimal("1200.00"),
        "final_total": None,
        "created_at": datetime(2024, 4, 1, 9, 0),
    }
    unknown = set(values) - set(row)
    assert not unknown, f"not a column of this builder: {unknown}"
    row.update(values)
    return row
