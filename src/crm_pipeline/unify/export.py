"""``crm-pipeline export unification-map``: the lineage map as CSV (file, record_id, customer_id).

From the database by default — what the last load wrote, whichever folder its run used — or from
a processed folder's ``unification_map.parquet`` (``--processed``, e.g. after ``match`` alone).
Written through ``safe_csv`` (cells a spreadsheet would run as formulas are neutralized).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.errors import InputError
from crm_pipeline.safe_csv import write_csv

MAP_FILE = "unification_map.parquet"
COLUMNS = ("file", "record_id", "customer_id")


def export_unification_map(
    out: Path, *, processed_dir: Path | None = None, settings: Settings | None = None
) -> int:
    """Write ``out`` from ``processed_dir`` (when given) or the database; returns the row count."""
    if processed_dir is not None:
        source = processed_dir / MAP_FILE
        if not source.is_file():
            raise InputError("unification map not found: run `crm-pipeline match` first", file=source)
        frame = pl.read_parquet(source, columns=[*COLUMNS, "line"]).sort("file", "line").select(COLUMNS)
    else:
        frame = _from_database(settings)
    return write_csv(frame, out)


def _from_database(settings: Settings | None) -> pl.DataFrame:
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect

    with connect(settings, application_name="crm-pipeline export") as conn:
        if not analytics_sql.has_table(conn, "customer_source_map"):
            raise InputError("the database has no unification map yet: run `crm-pipeline run RAW_DIR` first")
        return analytics_sql.read_unification_map(conn)
