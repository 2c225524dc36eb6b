"""How to COPY a frame into PostgreSQL fastest: the choice behind ``crm_pipeline.db.copy_frame``.

Loads the same 200,000 customer rows into a TEMP table (no indexes, no triggers, no WAL) four ways
and prints seconds and the ratio to the fastest:

- ``copy_frame`` — Polars writes CSV slices (Rust), psycopg streams the bytes (what the code uses);
- one CSV write — the same, the whole frame at once (more memory);
- ``write_row`` text — psycopg formats each row in Python;
- ``write_row`` binary — psycopg binary COPY with ``set_types``, still one Python call per row.

Run: .venv/bin/python bench/copy_frame.py [ROWS] [ROUNDS]   (DATABASE_URL / TEST_DATABASE_URL or embedded)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import polars as pl
from psycopg import sql

from _db import customers_frame, migrated_database
from crm_pipeline import db

COLUMNS_SQL = sql.SQL(", ")


def _copy_statement(cols: list[str], fmt_name: str = "csv") -> sql.Composed:
    fmt = sql.SQL(fmt_name)
    return sql.SQL("COPY stg ({}) FROM STDIN (FORMAT {})").format(
        COLUMNS_SQL.join(sql.Identifier(c) for c in cols), fmt
    )


def via_copy_frame(conn: db.Connection, frame: pl.DataFrame) -> None:
    db.copy_frame(conn, "stg", frame)


def via_one_csv(conn: db.Connection, frame: pl.DataFrame) -> None:
    with conn.cursor() as cur, cur.copy(_copy_statement(frame.columns)) as copy:
        copy.write(frame.write_csv(include_header=False))


def via_write_row_text(conn: db.Connection, frame: pl.DataFrame) -> None:
    with conn.cursor() as cur, cur.copy(_copy_statement(frame.columns, "text")) as copy:
        for row in frame.iter_rows():
            copy.write_row(row)


def via_write_row_binary(conn: db.Connection, frame: pl.DataFrame) -> None:
    types = ["text"] * 10 + ["timestamp", "timestamp", "int4", "text"]
    with conn.cursor() as cur, cur.copy(_copy_statement(frame.columns, "binary")) as copy:
        copy.set_types(types)
        for row in frame.iter_rows():
            copy.write_row(row)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    frame = customers_frame(rows)
    methods: dict[str, Callable[[db.Connection, pl.DataFrame], None]] = {
        "copy_frame (CSV slices)": via_copy_frame,
        "one CSV write": via_one_csv,
        "write_row (text)": via_write_row_text,
        "write_row (binary)": via_write_row_binary,
    }
    timings: dict[str, float] = dict.fromkeys(methods, float("inf"))
    with migrated_database() as url:
        # Rounds interleave the methods, so a busy moment on the machine hits them all alike.
        for _ in range(rounds):
            for name, method in methods.items():
                with db.connect(url, "loader") as conn:
                    conn.execute("CREATE TEMP TABLE stg AS SELECT * FROM customers WITH NO DATA")
                    start = time.perf_counter()
                    method(conn, frame)
                    timings[name] = min(timings[name], time.perf_counter() - start)
                    count = conn.execute("SELECT count(*) FROM stg").fetchone()
                    assert count == (rows,), count
                    conn.rollback()
    fastest = min(timings.values())
    print(f"COPY of {rows:,} customer rows into a TEMP table (best of {rounds})")
    for name, seconds in timings.items():
        print(f"  {name:<26} {seconds:6.2f} s   {seconds / fastest:5.1f}x")


if __name__ == "__main__":
    main()
