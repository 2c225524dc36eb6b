"""Golden customer records by written survivorship rules (docs/matching.md, "Survivorship").

All rules run as one DuckDB query over the person rows joined to their customer. Each rule is an
ordering of a customer's rows; the first row with a non-empty value wins:

- Source preference: SmartMoving (the system of record) before the legacy CRM before lead lists.
- Recency: a row's date is ``created_at``, else ``event_date``; newer first.
- Name (first, middle, last, suffix): the most frequent spelling of the full name wins (a
  one-off typo, nickname or swap loses to the usual form); a full first name beats an initial;
  ties go to the preferred source, then the newest row.
- Email, phone, second phone, branch: the newest non-empty value (ties: preferred source).
- Address (street, unit, city, state, ZIP) is taken *as a whole* from the newest row that has a
  street (else the newest with a city or ZIP), so parts of two addresses are never mixed.
- ``smartmoving_customer_id``: the most frequent SmartMoving Customer Id of the customer's
  SmartMoving rows (newest on ties).
- ``first_seen`` / ``last_seen``: earliest and latest row date; ``n_records``: person rows;
  ``source_systems``: the distinct systems, sorted, comma-separated.
"""

from __future__ import annotations

import duckdb

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "email",
    "phone",
    "phone2",
    "street",
    "unit",
    "city",
    "state",
    "zip",
    "branch",
    "first_seen",
    "last_seen",
    "n_records",
    "source_systems",
    "smartmoving_customer_id",
)

_SOURCE_RANK = "CASE source_system WHEN 'smartmoving' THEN 0 WHEN 'legacy' THEN 1 ELSE 2 END"


def _newest(col: str) -> str:
    """The newest non-empty value of ``col`` (ties: preferred source, then uid)."""
    order = "struct_pack(ts := ts, src := -src_rank, uid := uid)"
    return f"arg_max({col}, {order}) FILTER (WHERE {col} IS NOT NULL)"


def golden_records_sql(rows: str) -> str:
    """SQL for one golden record per customer from ``rows`` (person columns + ``customer_id``)."""
    return f"""
    WITH r AS (
        SELECT *,
            {_SOURCE_RANK} AS src_rank,
            coalesce(created_at, CAST(event_date AS TIMESTAMP)) AS seen,
            coalesce(created_at, CAST(event_date AS TIMESTAMP), TIMESTAMP '1900-01-01') AS ts
        FROM {rows}
    ),
    names AS (
        SELECT customer_id, first_name, middle_name, last_name, name_suffix,
            count(*) OVER (PARTITION BY customer_id, lower(first_name), lower(last_name)) AS n_same,
            length(coalesce(first_name, '')) > 1 AS full_first,
            src_rank, ts, uid
        FROM r
        WHERE first_name IS NOT NULL OR last_name IS NOT NULL
    ),
    best_name AS (
        SELECT customer_id,
            arg_max(struct_pack(first_name, last_name),
                    struct_pack(full_first, n_same, src := -src_rank, ts, uid)) AS name
        FROM names GROUP BY customer_id
    ),
    middles AS (
        SELECT customer_id,
            arg_max(middle_name,
                    struct_pack(n := n_mid, len := length(middle_name), src := -src_rank, ts)) AS middle_name
        FROM (SELECT customer_id, middle_name, src_rank, ts,
                     count(*) OVER (PARTITION BY customer_id, lower(middle_name)) AS n_mid
              FROM r WHERE middle_name IS NOT NULL)
        GROUP BY customer_id
    ),
    suffixes AS (
        SELECT customer_id,
            arg_max(name_suffix, struct_pack(n := n_sfx, src := -src_rank, ts)) AS name_suffix
        FROM (SELECT customer_id, name_suffix, src_rank, ts,
                     count(*) OVER (PARTITION BY customer_id, name_suffix) AS n_sfx
              FROM r WHERE name_suffix IS NOT NULL)
        GROUP BY customer_id
    ),
    address AS (
        SELECT customer_id,
            arg_max(struct_pack(street, unit, city, state, zip),
                    struct_pack(has_street := street IS NOT NULL, ts, src := -src_rank, uid)) AS addr
        FROM r
        WHERE street IS NOT NULL OR city IS NOT NULL OR zip IS NOT NULL
        GROUP BY customer_id
    ),
    sm_ids AS (
        SELECT customer_id,
            arg_max(source_customer_id, struct_pack(n := n_id, ts)) AS smartmoving_customer_id
        FROM (SELECT customer_id, source_customer_id, ts,
                     count(*) OVER (PARTITION BY customer_id, source_customer_id) AS n_id
              FROM r WHERE source_system = 'smartmoving' AND source_customer_id IS NOT NULL)
        GROUP BY customer_id
    ),
    contact AS (
        SELECT customer_id,
            {_newest("email")} AS email,
            {_newest("phone")} AS phone,
            {_newest("phone2")} AS phone2,
            {_newest("branch")} AS branch,
            min(seen) AS first_seen,
            max(seen) AS last_seen,
            count(*) AS n_records,
            string_agg(DISTINCT source_system, ',' ORDER BY source_system) AS source_systems
        FROM r GROUP BY customer_id
    )
    SELECT
        c.customer_id,
        n.name.first_name AS first_name,
        m.middle_name,
        n.name.last_name AS last_name,
        s.name_suffix,
        c.email, c.phone, c.phone2,
        a.addr.street AS street, a.addr.unit AS unit, a.addr.city AS city,
        a.addr.state AS state, a.addr.zip AS zip,
        c.branch, c.first_seen, c.last_seen, c.n_records, c.source_systems,
        i.smartmoving_customer_id
    FROM contact c
    LEFT JOIN best_name n USING (customer_id)
    LEFT JOIN middles m USING (customer_id)
    LEFT JOIN suffixes s USING (customer_id)
    LEFT JOIN address a USING (customer_id)
    LEFT JOIN sm_ids i USING (customer_id)
    ORDER BY c.customer_id
    """


def build_golden_records(con: duckdb.DuckDBPyConnection, rows: str, out_table: str = "customers") -> int:
    """Create ``out_table`` with one golden record per customer; returns the customer count."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out_table} AS {golden_records_sql(rows)}")
    return int(con.execute(f"SELECT count(*) FROM {out_table}").fetchall()[0][0])
