"""Shared plumbing of the normalizers: work once per *distinct* value, then broadcast back.

Why: CRM exports repeat values massively (500k job rows carry a few thousand distinct dates, a few
dozen branch spellings, one address per customer). Every normalizer therefore computes its answer on
the distinct raw values only — vectorized Polars expressions for the common shapes, a Python
library call for the leftovers — and joins the answers back onto the rows, in row order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import polars as pl

#: Values that mean "nothing here" in any column (besides the empty string).
NULL_TOKENS: frozenset[str] = frozenset({"n/a", "na", "null", "none", "nil", "nan", "nat", "-", "--", "?"})

_NULL_TOKEN_PATTERN = "(?i)^(?:" + "|".join(re.escape(t) for t in sorted(NULL_TOKENS)) + ")$"
_KEY = "__distinct_key_"


def as_text(raw: pl.Series) -> pl.Series:
    """The column as Utf8 (a CSV reader may hand over an all-null column typed ``Null``)."""
    return raw if raw.dtype == pl.Utf8 else raw.cast(pl.Utf8)


def squish(expr: pl.Expr) -> pl.Expr:
    """Trim, collapse whitespace runs (tabs, newlines, NBSP, control characters such as NUL) to
    one space; empty → null."""
    # Only runs of 2+ whitespace or non-space whitespace are rewritten: most values have none,
    # and a pattern that rarely matches is several times faster than rewriting every space.
    spaced = expr.str.replace_all(r"[\s\p{Cc}]{2,}|[^\S ]|\p{Cc}", " ")
    return spaced.str.strip_chars().replace("", None)


def blank_tokens_to_null(expr: pl.Expr) -> pl.Expr:
    """Map the usual "no value" spellings (``N/A``, ``none``, ``-``, ``nan``) to null."""
    return expr.str.replace(_NULL_TOKEN_PATTERN, "").replace("", None)


def per_distinct(raw: pl.Series, compute: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """Run ``compute`` on the distinct values of ``raw`` and return its columns for every row.

    ``compute`` receives the distinct values (nulls included, at most once) and must return a frame
    with one row per value, in the same order. The result has ``len(raw)`` rows in row order.
    """
    raw = as_text(raw)
    keys = raw.unique(maintain_order=True)
    table = compute(keys)
    if table.height != keys.len():
        raise ValueError(f"compute returned {table.height} rows for {keys.len()} distinct values")
    table = table.with_columns(keys.alias(_KEY))
    return (
        raw.alias(_KEY)
        .to_frame()
        .join(table, on=_KEY, how="left", nulls_equal=True, maintain_order="left")
        .drop(_KEY)
    )


def per_distinct_rows(frame: pl.DataFrame, compute: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """Like :func:`per_distinct` for several input columns (e.g. first + last name)."""
    frame = frame.with_columns(pl.all().cast(pl.Utf8))
    keys = frame.unique(maintain_order=True)
    table = compute(keys)
    if table.height != keys.height:
        raise ValueError(f"compute returned {table.height} rows for {keys.height} distinct rows")
    renamed = {c: f"{_KEY}{i}" for i, c in enumerate(frame.columns)}
    table = pl.concat([keys.rename(renamed), table], how="horizontal")
    return (
        frame.rename(renamed)
        .join(table, on=list(renamed.values()), how="left", nulls_equal=True, maintain_order="left")
        .drop(list(renamed.values()))
    )


def map_values(
    values: Iterable[Any], parse: Callable[[Any], tuple[Any, ...]], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """Call the Python ``parse`` once per value; one output row per value, columns per ``schema``."""
    rows = [parse(v) for v in values]
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def fill_from_python(
    table: pl.DataFrame,
    todo: pl.Expr,
    key: str,
    parse: Callable[[Any], tuple[Any, ...]],
    schema: Mapping[str, pl.DataType],
) -> pl.DataFrame:
    """Fill ``schema``'s columns of the rows selected by ``todo`` by calling ``parse`` on ``key``.

    The vectorized fast path of a normalizer leaves the shapes it does not know for this slow path.
    ``parse`` runs once per distinct ``key`` (raw values that differ only in spacing share a key).
    """
    table = table.with_columns(todo.fill_null(False).alias("__todo"))
    pending = table.filter(pl.col("__todo")).select(key).unique(maintain_order=True)
    if pending.height == 0:
        return table.drop("__todo")
    answers = map_values(pending[key].to_list(), parse, schema).with_columns(
        pending[key], pl.lit(True).alias("__hit")
    )
    cols = list(schema)
    merged = table.join(answers, on=key, how="left", suffix="__py", maintain_order="left")
    take = pl.col("__todo") & pl.col("__hit").fill_null(False)
    return merged.with_columns(
        [pl.when(take).then(pl.col(f"{c}__py")).otherwise(pl.col(c)).alias(c) for c in cols]
    ).drop(["__todo", "__hit", *[f"{c}__py" for c in cols]])
