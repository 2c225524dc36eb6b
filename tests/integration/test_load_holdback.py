"""`crm-pipeline load` alone never deletes a source's rows because its export came back empty.

The processed folder of a day when ``sm_customers.csv`` arrived as a 0-byte file (the clean stage
rejected it, so none of its rows are in the Parquet files): the load holds the file back — its
rows stay, exit code 1, the message names the file and the numbers — until ``--accept-shrink``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import psycopg
import pytest
from load_support import SM_CUSTOMERS, run_cli, write_processed

pytestmark = pytest.mark.integration


def _rows_of(url: str, file: str) -> tuple[int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM source_person_records WHERE file_name = %(f)s),"
            " (SELECT count(*) FROM customer_source_map WHERE file_name = %(f)s),"
            " (SELECT rows_clean FROM source_files WHERE file_name = %(f)s)",
            {"f": file},
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _export_came_back_empty(processed: Path, file: str) -> None:
    """What `clean` writes when ``file`` is a 0-byte export: rejected, none of its rows."""
    for name in ("persons.parquet", "unification_map.parquet", "quarantine.parquet"):
        frame = pl.read_parquet(processed / name)
        frame.filter(pl.col("file") != file).write_parquet(processed / name)
    files = pl.read_parquet(processed / "files.parquet")
    empty = pl.col("file") == file
    files.with_columns(
        *(
            pl.when(empty).then(0).otherwise(pl.col(c)).alias(c)
            for c in ("rows_in", "rows_clean", "rows_quarantined")
        ),
        pl.when(empty).then(pl.lit("rejected")).otherwise(pl.col("status")).alias("status"),
        pl.when(empty)
        .then(pl.lit("file is empty (no header row)"))
        .otherwise(pl.col("error"))
        .alias("error"),
    ).write_parquet(processed / "files.parquet")


def test_an_empty_export_is_held_back_until_accepted(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    processed = write_processed(tmp_path / "day1")
    first = run_cli(db_url, home, "load", str(processed))
    assert first.returncode == 0, first.stderr[-2000:]
    before = _rows_of(db_url, SM_CUSTOMERS)
    assert before[0] > 0

    _export_came_back_empty(processed, SM_CUSTOMERS)
    held = run_cli(db_url, home, "load", str(processed))
    assert held.returncode == 1, held.stdout[-2000:] + held.stderr[-2000:]
    message = " ".join(held.stderr.split())
    assert f"{SM_CUSTOMERS} held back" in message and f"{before[2]} row(s) loaded before, 0 now" in message
    assert _rows_of(db_url, SM_CUSTOMERS) == before

    accepted = run_cli(db_url, home, "load", str(processed), "--accept-shrink", SM_CUSTOMERS)
    assert accepted.returncode == 0, accepted.stdout[-2000:] + accepted.stderr[-2000:]
    assert _rows_of(db_url, SM_CUSTOMERS) == (0, 0, 0)
