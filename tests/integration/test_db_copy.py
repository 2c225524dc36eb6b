"""``db.copy_frame`` puts every value in the table exactly as the frame holds it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pytest

from crm_pipeline import db
from crm_pipeline.errors import TerminalLoadError

pytestmark = pytest.mark.integration

TEMP_TABLE = (
    "CREATE TEMP TABLE t (name text, note text, day date, at timestamp, total numeric(12, 2),"
    " paid boolean, n integer)"
)


def test_values_arrive_unchanged_nulls_stay_null_and_empty_strings_stay_empty(
    migrated_database_url: str,
) -> None:
    frame = pl.DataFrame(
        {
            "name": ["O'Neil, Mary-Jane", 'say "hi"', "Zoë\nnew line", None],
            "note": ["", None, "x", "tab\there"],
            "day": [dt.date(2024, 2, 29), None, dt.date(1999, 12, 31), None],
            "at": [dt.datetime(2024, 1, 2, 3, 4, 5, 678901), None, None, dt.datetime(2020, 1, 1)],
            "total": pl.Series([Decimal("1234.50"), None, Decimal("0.01"), None], dtype=pl.Decimal(12, 2)),
            "paid": [True, False, None, True],
            "n": [1, None, -3, 2_000_000_000],
        }
    )
    with db.connect(migrated_database_url, "loader") as conn:
        conn.execute(TEMP_TABLE)
        assert db.copy_frame(conn, "t", frame, chunk_rows=3) == 4  # two slices
        rows = conn.execute("SELECT * FROM t").fetchall()
        conn.rollback()
    assert rows == list(frame.iter_rows())


def test_arrow_tables_and_a_column_subset(migrated_database_url: str) -> None:
    table = pa.table({"n": [1, 2], "name": ["a", "b"], "ignored": [[1], [2]]})
    with db.connect(migrated_database_url, "loader") as conn:
        conn.execute(TEMP_TABLE)
        db.copy_frame(conn, "t", table, ["name", "n"])
        rows = conn.execute("SELECT name, n, note FROM t ORDER BY n").fetchall()
        conn.rollback()
    assert rows == [("a", 1, None), ("b", 2, None)]


def test_a_bad_value_is_a_terminal_load_error_naming_table_and_line(migrated_database_url: str) -> None:
    frame = pl.DataFrame({"name": ["ok", "bad"], "n": ["1", "not a number"]})
    with db.connect(migrated_database_url, "loader") as conn:
        conn.execute(TEMP_TABLE)
        with pytest.raises(
            TerminalLoadError, match=r"invalid input syntax .*\[COPY t, line 2, column n\]"
        ) as err:
            db.copy_frame(conn, "t", frame)
        conn.rollback()
    assert err.value.table == "t"
    assert "not a number" not in str(err.value)  # values stay out of the message


def test_nested_columns_are_refused_before_anything_is_sent(migrated_database_url: str) -> None:
    frame = pl.DataFrame({"name": ["a"], "note": [["x", "y"]]})
    with db.connect(migrated_database_url, "loader") as conn:
        conn.execute(TEMP_TABLE)
        with pytest.raises(ValueError, match="JSON"):
            db.copy_frame(conn, "t", frame)
        conn.rollback()
