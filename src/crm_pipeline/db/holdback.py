"""What the database holds of each input file: the shrink guard's side of PostgreSQL.

``loaded_files`` — per file in ``source_files``, the clean rows it loaded last time (the guard in
``crm_pipeline.load.holdback`` compares a new export with it). ``previous_frames`` — the rows of
given files as the clean stage wrote them (``persons/jobs/leads/quarantine/files.parquet``
columns), read back from the tables, so a ``run`` can put a held-back file's earlier rows in
front of the matcher and the load instead of its empty or shrunken export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl
from psycopg import sql

from crm_pipeline.db.analytics_sql import read_frame
from crm_pipeline.db.connection import Connection, Target, connect
from crm_pipeline.db.errors import translate_errors

#: Per Parquet output of the clean stage: its table and the joined table that completes it
#: (a job row's person carries the job's destination, ``dest_*``).
_SOURCES: dict[str, tuple[str, str | None]] = {
    "persons": ("source_person_records", "source_job_records"),
    "jobs": ("source_job_records", None),
    "leads": ("leads", None),
    "quarantine": ("quarantine", None),
    "files": ("source_files", None),
}

#: Parquet column → SQL expression where the table stores it differently (``docs/load.md``).
_RENAMED: dict[str, str] = {"file": "t.file_name"}
_QUARANTINE_RENAMED: dict[str, str] = {  # a file rejected whole: line 0, column '*'
    **_RENAMED,
    "column": "NULLIF(t.column_name, '*')",
    "line": "NULLIF(t.line, 0)",
}


def loaded_files(target: Target) -> dict[str, int]:
    """``file_name → rows_clean`` of every file the database holds (empty before a first load)."""
    with translate_errors(table="source_files"), connect(target, "loader", autocommit=True) as conn:
        rows = conn.execute("SELECT file_name, rows_clean FROM source_files").fetchall()
    return {str(name): int(count) for name, count in rows}


def previous_frames(
    target: Target, files: Iterable[str], schemas: Mapping[str, Mapping[str, pl.DataType]]
) -> dict[str, pl.DataFrame]:
    """The stored rows of ``files`` per clean output (``schemas``: its Parquet columns and types)."""
    names = sorted(set(files))
    with connect(target, "loader", autocommit=True) as conn:
        return {kind: _read(conn, kind, names, schema) for kind, schema in schemas.items()}


def _read(conn: Connection, kind: str, files: list[str], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    table, joined = _SOURCES[kind]
    own = _columns(conn, table)
    other = _columns(conn, joined) if joined else set()
    renamed = _QUARANTINE_RENAMED if kind == "quarantine" else _RENAMED
    select: list[sql.Composable] = []
    for column in schema:
        if column in renamed:
            expr: sql.Composable = sql.SQL(renamed[column])
        elif column in own:
            expr = sql.SQL("t.{}").format(sql.Identifier(column))
        elif column in other:
            expr = sql.SQL("j.{}").format(sql.Identifier(column))
        else:  # a column the database does not keep
            expr = sql.NULL
        select.append(sql.SQL("{} AS {}").format(expr, sql.Identifier(column)))
    join = sql.SQL(" LEFT JOIN {} j USING (uid)").format(sql.Identifier(joined)) if joined else sql.SQL("")
    query = sql.SQL("SELECT {} FROM {} t{} WHERE t.file_name = ANY({})").format(
        sql.SQL(", ").join(select), sql.Identifier(table), join, sql.Literal(files)
    )
    return read_frame(conn, query, schema)


def _columns(conn: Connection, table: str | None) -> set[str]:
    if table is None:
        return set()
    with translate_errors(table=table):
        rows = conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0"
            " AND NOT attisdropped",
            (f"public.{table}",),
        ).fetchall()
    return {str(r[0]) for r in rows}
