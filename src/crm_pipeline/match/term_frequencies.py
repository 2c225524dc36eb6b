"""Term-frequency tables shrunk toward the model's u, so small inputs are scored sensibly.

Splink's term-frequency adjustment replaces a level's u by the value's frequency in the input:
"Smith" or a shared office phone counts less than a rare surname or a personal mobile. But the
frequency is counted over *records*, and one person has several records. In a 150k-record file a
personal phone on 3 records has frequency 2e-5 — about the model's u, no adjustment. In a 60-row
file the same phone has frequency 0.05, and an exact phone match would lose 11 bits of weight:
on small inputs the adjustment wipes out the evidence.

So the frequency is estimated with a prior: as if the input held ``1/u`` more records in which the
value occurred once, ``tf = (count + 1) / (N + 1/u)``. On large inputs this is the plain frequency;
on small ones it stays near u unless a value is clearly shared.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
from splink import Linker
from splink.internals.database_api import DatabaseAPI

log = logging.getLogger(__name__)


def tf_columns(settings: dict[str, Any]) -> dict[str, float]:
    """Columns with term-frequency adjustments → the u of their exact-match level."""
    found: dict[str, float] = {}
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and level.get("u_probability"):
                found[str(column)] = float(level["u_probability"])
    return found


def shrunk_tf_sql(table: str, column: str, n_records: int, u: float) -> str:
    prior_records = 1.0 / u
    return (
        f"SELECT {column}, (count(*) + 1.0) / ({n_records} + {prior_records!r}) AS tf_{column} "
        f"FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}"
    )


def register_shrunk_tf_tables(
    linker: Linker,
    db_api: DatabaseAPI,  # type: ignore[type-arg]
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    table: str,
    tag: str,
) -> None:
    """Compute the shrunk TF table of every adjusted column in DuckDB and register it with ``linker``."""
    n_records = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    for column, u in tf_columns(settings).items():
        name = f"tf_shrunk_{tag}_{column}"
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {shrunk_tf_sql(table, column, n_records, u)}")
        linker.table_management.register_term_frequency_lookup(db_api.register(name, table_name=name), column)
    log.debug("registered shrunk term-frequency tables for %s", ", ".join(tf_columns(settings)))
