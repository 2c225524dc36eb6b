"""Bench helpers: a throwaway migrated database and a realistic customers frame (no Faker: fast)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from crm_pipeline import db
from crm_pipeline.config import Settings
from crm_pipeline.db.server import embedded_url

BENCH_HOME = Path(os.environ.get("CRM_BENCH_HOME", "/tmp/crm-pipeline-bench-home"))


def server_url() -> str:
    """DATABASE_URL / TEST_DATABASE_URL when set, else the embedded PostgreSQL 16 (its own home)."""
    for key in ("DATABASE_URL", "TEST_DATABASE_URL"):
        if os.environ.get(key):
            return os.environ[key]
    return embedded_url(Settings(home=BENCH_HOME, database_url=None))


@contextmanager
def migrated_database() -> Iterator[str]:
    """Admin URL of a fresh database migrated to head, dropped afterwards."""
    server = server_url()
    name = f"crm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        db.migrate(url)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def customers_frame(n: int, *, prefix: str = "cus_") -> pl.DataFrame:
    """``n`` golden-record-shaped rows with the customers table's column names and types."""
    i = pl.int_range(0, n, eager=True)
    first = pl.Series(["Mary", "John", "Ana", "Li", "Omar", "Zoe", "Raj", "Eve"])
    last = pl.Series(["Smith", "O'Neil", "Garcia", "Nguyen", "McDonald", "Kowalski", "Brown"])
    base = dt.datetime(2020, 1, 1)
    return pl.DataFrame(
        {"i": i, "first_name": first.gather(i % len(first)), "last_name": last.gather(i % len(last))}
    ).select(
        customer_id=pl.lit(prefix) + pl.col("i").cast(pl.String).str.zfill(16),
        first_name="first_name",
        last_name="last_name",
        email=pl.lit("user") + pl.col("i").cast(pl.String) + pl.lit("@example.com"),
        phone=pl.lit("+1555") + (pl.col("i") % 10_000_000).cast(pl.String).str.zfill(7),
        street=(pl.col("i") % 9999 + 1).cast(pl.String) + pl.lit(" N MAIN ST"),
        city=pl.lit("BOSTON"),
        state=pl.lit("MA"),
        zip=(pl.col("i") % 100_000).cast(pl.String).str.zfill(5),
        branch=pl.lit("Boston"),
        first_seen=pl.lit(base) + pl.duration(hours=pl.col("i") % 40_000),
        last_seen=pl.lit(base) + pl.duration(hours=pl.col("i") % 40_000 + 24),
        n_records=(pl.col("i") % 4 + 1).cast(pl.Int32),
        source_systems=pl.lit("legacy,smartmoving"),
    )
