"""Stable customer ids and the lineage map (every person row → its customer).

A customer id is ``cus_`` + the first 16 hex digits of sha256 of the smallest ``file|record_id``
key among the customer's rows. It depends only on which rows form the customer, not on the
order of processing, so an unchanged input gives the same ids on every run, and a customer keeps
its id when new rows join it (unless a new row sorts before all its old ones).
"""

from __future__ import annotations

import duckdb

MAP_COLUMNS: tuple[str, ...] = ("uid", "file", "line", "record_id", "customer_id")


def customer_id_sql(key_expr: str) -> str:
    """SQL expression of the customer id from a ``file|record_id`` key expression."""
    return f"'cus_' || substr(sha256({key_expr}), 1, 16)"


def build_lineage(
    con: duckdb.DuckDBPyConnection, persons: str, clusters: str, out_table: str = "lineage"
) -> None:
    """Create ``out_table`` (uid, file, line, record_id, customer_id) for every row of ``persons``.

    ``clusters`` maps ``uid`` → ``cluster`` (any cluster label); rows absent from it become
    customers of their own.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {out_table} AS
        WITH labelled AS (
            SELECT p.uid, p.file, p.line, p.record_id,
                   coalesce(CAST(c.cluster AS VARCHAR), 'uid:' || p.uid) AS cluster,
                   p.file || '|' || coalesce(p.record_id, 'line:' || CAST(p.line AS VARCHAR)) AS row_key
            FROM {persons} p LEFT JOIN {clusters} c USING (uid)
        )
        SELECT uid, file, line, record_id,
               {customer_id_sql("min(row_key) OVER (PARTITION BY cluster)")} AS customer_id
        FROM labelled
        ORDER BY uid
        """
    )
