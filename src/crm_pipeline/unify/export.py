"""``crm-pipeline export unification-map``: the lineage map as CSV (file, record_id, customer_id)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crm_pipeline.errors import InputError

MAP_FILE = "unification_map.parquet"


def export_unification_map(processed_dir: Path, out: Path) -> int:
    """Write ``out`` from ``PROCESSED_DIR/unification_map.parquet``; returns the row count."""
    source = processed_dir / MAP_FILE
    if not source.is_file():
        raise InputError("unification map not found: run `crm-pipeline match` first", file=source)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TEMP TABLE m AS SELECT file, record_id, customer_id FROM read_parquet(?) "
            "ORDER BY file, line",
            [str(source)],
        )
        con.execute(f"COPY m TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT csv, HEADER true)")
        rows = int(con.execute("SELECT count(*) FROM m").fetchall()[0][0])
    finally:
        con.close()
    tmp.replace(out)
    return rows
