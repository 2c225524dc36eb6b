"""Staging + merge: COPY rows into a TEMP table, then fold them into the final table.

The SQL is built by pure functions (``*_sql``) from a declarative ``MergeSpec``; identifiers go
through ``psycopg.sql.Identifier``, values never appear in the SQL text. The executors below run
it on a connection the caller owns, inside the caller's transaction.

Why the merge looks the way it does:

- the staging table is ``CREATE TEMP TABLE … ON COMMIT DROP AS SELECT <columns> FROM <final> WITH
  NO DATA``: the final table's column types, no constraints, no WAL, gone with the transaction (a
  crash leaves nothing behind);
- ``INSERT … SELECT`` reads only the staged rows that are new or differ from the final row (an
  anti-join on the key with ``IS DISTINCT FROM``), so an unchanged row is never touched: no dead
  tuple, no row lock, no audit row. ``ON CONFLICT (key) DO UPDATE … WHERE … IS DISTINCT FROM`` keeps
  the statement correct on its own;
- ``RETURNING (xmax = 0)`` tells an insert from an update, so the counts come from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

# SQL expressions a spec may use for stamp columns (a closed list: specs never carry SQL text).
_STAMP_EXPRESSIONS: dict[str, sql.Composable] = {"now": sql.SQL("now()")}


@dataclass(frozen=True)
class MergeSpec:
    """How one final table is merged.

    ``key``: primary key (conflict target). ``columns``: data columns, compared to decide an
    update. ``lineage``: written with the row, never compared. ``stamps``: ``(column, expression)``
    set on every insert/update (expression from a closed list, e.g. ``"now"``).
    ``replace_within``: a column (``file_name``) naming the scope a load replaces: rows of a scope
    in the load that are missing from the staged rows are deleted (rows pointing at them go with
    them through their foreign keys' ``ON DELETE CASCADE``, e.g. analytics' ``job_source_map``).
    """

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    lineage: tuple[str, ...] = ()
    stamps: tuple[tuple[str, str], ...] = ()
    replace_within: str | None = None

    @property
    def staged_columns(self) -> tuple[str, ...]:
        """Columns the staging table holds and COPY fills, in order."""
        return (*self.key, *self.columns, *self.lineage)

    @property
    def staging_table(self) -> str:
        return f"stg_{self.table}"


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int


# ----------------------------------------------------------------------------------- SQL builders


def _cols(names: Sequence[str], prefix: str | None = None) -> sql.Composed:
    if prefix is None:
        return sql.SQL(", ").join(sql.Identifier(n) for n in names)
    return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)


def _row(names: Sequence[str], prefix: str) -> sql.Composable:
    """``(p.a, p.b)`` — a row constructor for ``IS DISTINCT FROM`` (a plain ``p.a`` for one column)."""
    if len(names) == 1:
        return sql.Identifier(prefix, names[0])
    return sql.SQL("ROW({})").format(_cols(names, prefix))


def create_staging_sql(spec: MergeSpec) -> sql.Composed:
    """A TEMP table with the final table's types for the staged columns, dropped at commit."""
    return sql.SQL(
        "CREATE TEMP TABLE {stg} ON COMMIT DROP AS SELECT {cols} FROM {final} WITH NO DATA"
    ).format(
        stg=sql.Identifier(spec.staging_table),
        cols=_cols(spec.staged_columns),
        final=sql.Identifier(spec.table),
    )


def copy_sql(spec: MergeSpec, *, into_final: bool = False) -> sql.Composed:
    """COPY in CSV: an unquoted empty field is NULL, a quoted one ``""`` an empty string.

    Into the staging table, or with ``into_final`` straight into the final table (a first load into
    empty tables: nothing to compare with; stamp columns take their ``DEFAULT now()``).
    """
    return sql.SQL("COPY {target} ({cols}) FROM STDIN (FORMAT csv)").format(
        target=sql.Identifier(spec.table if into_final else spec.staging_table),
        cols=_cols(spec.staged_columns),
    )


def merge_sql(spec: MergeSpec) -> sql.Composed:
    """``INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM`` of the changed staged rows.

    Returns one row: ``(inserted, updated)``.
    """
    # ``f``: the final row as it is now (NULL when the key is new); ``t``: the INSERT's target.
    key_join = sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier("f", k), sql.Identifier("s", k)) for k in spec.key
    )
    changed: sql.Composable
    if spec.columns:
        changed = sql.SQL("f.{k0} IS NULL OR {f_row} IS DISTINCT FROM {s_row}").format(
            k0=sql.Identifier(spec.key[0]), f_row=_row(spec.columns, "f"), s_row=_row(spec.columns, "s")
        )
    else:
        changed = sql.SQL("f.{k0} IS NULL").format(k0=sql.Identifier(spec.key[0]))

    stamp_cols = [c for c, _ in spec.stamps]
    stamp_exprs = [_STAMP_EXPRESSIONS[e] for _, e in spec.stamps]
    insert_cols = [*spec.staged_columns, *stamp_cols]
    select_list = sql.SQL(", ").join([*(sql.Identifier("s", c) for c in spec.staged_columns), *stamp_exprs])

    if spec.columns:
        updated = [*spec.columns, *spec.lineage, *stamp_cols]
        on_conflict: sql.Composable = sql.SQL(
            "DO UPDATE SET {sets} WHERE {t_row} IS DISTINCT FROM {x_row}"
        ).format(
            sets=sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(c), sql.Identifier("excluded", c)) for c in updated
            ),
            t_row=_row(spec.columns, "t"),
            x_row=_row(spec.columns, "excluded"),
        )
    else:
        on_conflict = sql.SQL("DO NOTHING")

    return sql.SQL(
        "WITH written AS ("
        " INSERT INTO {final} AS t ({insert_cols})"
        " SELECT {select_list} FROM {stg} AS s LEFT JOIN {final} AS f ON {key_join}"
        " WHERE {changed}"
        " ON CONFLICT ({key}) {on_conflict}"
        " RETURNING (t.xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
    ).format(
        final=sql.Identifier(spec.table),
        insert_cols=_cols(insert_cols),
        select_list=select_list,
        stg=sql.Identifier(spec.staging_table),
        key_join=key_join,
        changed=changed,
        key=_cols(spec.key),
        on_conflict=on_conflict,
    )


def scope_has_rows_sql(spec: MergeSpec, scope_table: str, scope_column: str) -> sql.Composed:
    """Whether the final table holds any row of the scopes in this load (an index probe)."""
    assert spec.replace_within is not None
    return sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM {final} WHERE {scope} IN (SELECT {scope_col} FROM {scope_table}))"
    ).format(
        final=sql.Identifier(spec.table),
        scope=sql.Identifier(spec.replace_within),
        scope_col=sql.Identifier(scope_column),
        scope_table=sql.Identifier(scope_table),
    )


def _missing_keys_sql(spec: MergeSpec, scope_table: str, scope_column: str) -> sql.Composed:
    """``SELECT key FROM final`` for rows of a scope in this load that are no longer staged."""
    assert spec.replace_within is not None
    key_match = sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier("s", k), sql.Identifier("t", k)) for k in spec.key
    )
    return sql.SQL(
        "SELECT {tkey} FROM {final} AS t"
        " WHERE t.{scope} IN (SELECT {scope_col} FROM {scope_table})"
        " AND NOT EXISTS (SELECT 1 FROM {stg} AS s WHERE {key_match})"
    ).format(
        tkey=_cols(spec.key, "t"),
        final=sql.Identifier(spec.table),
        scope=sql.Identifier(spec.replace_within),
        scope_col=sql.Identifier(scope_column),
        scope_table=sql.Identifier(scope_table),
        stg=sql.Identifier(spec.staging_table),
        key_match=key_match,
    )


def delete_missing_sql(spec: MergeSpec, scope_table: str, scope_column: str) -> sql.Composed:
    """Delete the rows of reloaded scopes that the load no longer has; returns the count deleted."""
    return sql.SQL(
        "WITH gone AS (DELETE FROM {final} WHERE ({key}) IN ({missing}) RETURNING 1)"
        " SELECT count(*) FROM gone"
    ).format(
        final=sql.Identifier(spec.table),
        key=_cols(spec.key),
        missing=_missing_keys_sql(spec, scope_table, scope_column),
    )


# -------------------------------------------------------------------------------------- executors


def create_staging(conn: psycopg.Connection[Any], spec: MergeSpec) -> None:
    conn.execute(create_staging_sql(spec))


def copy_chunks(
    conn: psycopg.Connection[Any],
    spec: MergeSpec,
    chunks: Iterable[bytes],
    *,
    after_first_chunk: Callable[[], None] | None = None,
    into_final: bool = False,
) -> None:
    """Stream CSV chunks into the staging table (or, ``into_final``, the final table) with one ``COPY``.

    ``after_first_chunk`` runs while the COPY is still open (the crash tests stop there).
    """
    with conn.cursor() as cur, cur.copy(copy_sql(spec, into_final=into_final)) as copy:
        first = True
        for chunk in chunks:
            copy.write(chunk)
            if first and after_first_chunk is not None:
                after_first_chunk()
            first = False
        if first and after_first_chunk is not None:  # nothing to copy: still a point in the COPY
            after_first_chunk()


def merge(conn: psycopg.Connection[Any], spec: MergeSpec) -> MergeCounts:
    row = conn.execute(merge_sql(spec)).fetchone()
    assert row is not None
    return MergeCounts(inserted=int(row[0]), updated=int(row[1]))


def delete_missing(
    conn: psycopg.Connection[Any], spec: MergeSpec, scope_table: str, scope_column: str
) -> int:
    """Delete rows of reloaded scopes missing from the load; returns how many."""
    row = conn.execute(delete_missing_sql(spec, scope_table, scope_column)).fetchone()
    return int(row[0]) if row is not None else 0


def scope_has_rows(
    conn: psycopg.Connection[Any], spec: MergeSpec, scope_table: str, scope_column: str
) -> bool:
    """True when rows of this load's scopes already exist: only then can some of them be stale."""
    row = conn.execute(scope_has_rows_sql(spec, scope_table, scope_column)).fetchone()
    return bool(row and row[0])


def fetch_pairs(conn: psycopg.Connection[Any], table: str, key: str, value: str) -> dict[str, int]:
    """A small ``key → value`` lookup (branch name → branch id)."""
    query = sql.SQL("SELECT {k}, {v} FROM {t}").format(
        k=sql.Identifier(key), v=sql.Identifier(value), t=sql.Identifier(table)
    )
    return {str(k): int(v) for k, v in conn.execute(query).fetchall()}
