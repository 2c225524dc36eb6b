"""Turn person rows into the match input: one row per person record, with the keys Splink compares.

The clean stage already normalized the values (display-case names, E.164 phones, USPS streets);
here we derive *comparison keys* from them: lowercase letter-only names, the nickname variant set
and gender of the first name, the email's local part, the phone's last 7 digits, the house number
and street name, and two history keys (where the person lived, where a job moved them to).

The same SQL also accepts rows that were not cleaned (the standalone ``--input CANONICAL.csv``
mode), so each key is derived defensively (digits only for phones, first 5 digits for ZIPs).

Block keys (``*_blk``) are the same values with the over-frequent ones removed (a shared office
phone used by hundreds of rows, a placeholder email the cleaner missed): such a value says little
and would blow up the number of candidate pairs, so it does not form a block. The comparison
still sees the value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from crm_pipeline.match.names import first_name_table

log = logging.getLogger(__name__)

#: The person columns the matcher reads; any that the source lacks are treated as empty.
PERSON_COLUMNS: tuple[str, ...] = (
    "uid",
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
    "dest_street",
    "dest_city",
    "dest_zip",
)

#: Rows sharing a block-key value beyond this many do not form a block on that key.
MAX_BLOCK_SIZE = 100
#: Same for the name block (last name + first-name variant): common names need a bit more room.
MAX_NAME_BLOCK_SIZE = 200

MATCH_INPUT_TABLE = "match_input"

#: The columns behind each optional comparison (``spec.OPTIONAL``): the comparison has data on a
#: row when any of them is filled.
EVIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "phone": ("phone", "phone2"),
    "address": ("street", "city", "zip"),
}


@dataclass(frozen=True)
class ColumnUse:
    """Which optional comparisons the input has data for (its fill rate at or above the minimum)."""

    fill_rates: dict[str, float]
    min_fill_rate: float
    n_records: int

    @property
    def present(self) -> frozenset[str]:
        return frozenset(name for name, rate in self.fill_rates.items() if rate >= self.min_fill_rate)

    @property
    def left_out(self) -> list[str]:
        return [name for name in self.fill_rates if name not in self.present]

    def warnings(self) -> list[str]:
        """One sentence per comparison left out, naming its columns."""
        return [
            f"{' / '.join(EVIDENCE_COLUMNS[name])} filled on {self.fill_rates[name]:.1%} of "
            f"{self.n_records:,} rows (below CRM_MATCH_MIN_FILL_RATE {self.min_fill_rate:.1%}): "
            f"matching leaves out the {name} comparison and its blocking and training rules"
            for name in self.left_out
        ]


def column_use(con: duckdb.DuckDBPyConnection, min_fill_rate: float) -> ColumnUse:
    """The fill rate of each optional comparison's columns in ``match_input`` (one scan)."""
    filled = ", ".join(
        f"avg(CASE WHEN {' OR '.join(f'{c} IS NOT NULL' for c in cols)} THEN 1.0 ELSE 0.0 END)"
        for cols in EVIDENCE_COLUMNS.values()
    )
    row = con.execute(f"SELECT count(*), {filled} FROM {MATCH_INPUT_TABLE}").fetchall()[0]
    rates = {name: float(rate or 0.0) for name, rate in zip(EVIDENCE_COLUMNS, row[1:], strict=True)}
    use = ColumnUse(fill_rates=rates, min_fill_rate=min_fill_rate, n_records=int(row[0]))
    for warning in use.warnings():
        log.warning("match: %s", warning)
    return use


def _name_sql(col: str) -> str:
    return f"nullif(regexp_replace(lower(strip_accents(trim({col}))), '[^a-z]', '', 'g'), '')"


def _text_sql(col: str) -> str:
    return f"nullif(upper(trim(regexp_replace({col}, '\\s+', ' ', 'g'))), '')"


def _phone_sql(col: str) -> str:
    digits = f"regexp_replace({col}, '[^0-9]', '', 'g')"
    return (
        f"CASE WHEN length({digits}) = 11 AND starts_with({digits}, '1') THEN '+' || {digits} "
        f"WHEN length({digits}) = 10 THEN '+1' || {digits} "
        f"WHEN length({digits}) >= 8 THEN '+' || {digits} END"
    )


def _zip_sql(col: str) -> str:
    five = f"regexp_extract(trim({col}), '^([0-9]{{3,5}})', 1)"
    return f"CASE WHEN {five} <> '' THEN lpad({five}, 5, '0') END"


def _source_projection(available: set[str]) -> str:
    cols = []
    for col in PERSON_COLUMNS:
        cols.append(f"CAST({col} AS VARCHAR) AS {col}" if col in available else f"NULL::VARCHAR AS {col}")
    return ", ".join(cols)


def build_match_input(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Create table ``match_input`` in ``con`` from the relation or table named ``source``.

    ``source`` must have a unique ``uid`` column; ``unique_id`` (the id Splink uses) is the rank
    of ``uid``, so the same input always gets the same ids. Returns the row count.
    """
    available = {row[0] for row in con.execute(f"DESCRIBE {source}").fetchall()}
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE match_src AS
        SELECT {_source_projection(available)} FROM {source}
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE match_norm AS
        WITH n AS (
            SELECT
                uid,
                {_name_sql("first_name")} AS first_name,
                {_name_sql("middle_name")} AS middle_name,
                {_name_sql("last_name")} AS last_name,
                nullif(upper(regexp_replace(name_suffix, '[^A-Za-z]', '', 'g')), '') AS name_suffix,
                nullif(lower(trim(email)), '') AS email,
                {_phone_sql("phone")} AS phone,
                {_phone_sql("phone2")} AS phone2,
                {_text_sql("street")} AS street,
                {_text_sql("unit")} AS unit,
                {_text_sql("city")} AS city,
                nullif(upper(trim(state)), '') AS state,
                {_zip_sql("zip")} AS zip,
                {_text_sql("dest_street")} AS dest_street,
                {_text_sql("dest_city")} AS dest_city,
                {_zip_sql("dest_zip")} AS dest_zip
            FROM match_src
        )
        SELECT
            row_number() OVER (ORDER BY uid) AS unique_id,
            n.*,
            nullif(split_part(email, '@', 1), '') AS email_local,
            right(phone, 7) AS phone_last7,
            nullif(regexp_extract(street, '^([0-9]+[A-Z]?)\\b', 1), '') AS house_number,
            nullif(trim(regexp_replace(street, '^[0-9]+[A-Z]?\\s+', '')), '') AS street_name,
            street || '|' || coalesce(zip, city) AS addr_key,
            dest_street || '|' || coalesce(dest_zip, dest_city) AS dest_key
        FROM n
        """
    )
    # a swapped record's "last name" is a first name: its variants are needed for the swap check
    keys = [
        r[0]
        for r in con.execute(
            "SELECT first_name FROM match_norm WHERE first_name IS NOT NULL "
            "UNION SELECT last_name FROM match_norm WHERE last_name IS NOT NULL"
        ).fetchall()
    ]
    table = first_name_table(keys)
    lookup = pa.table(
        {
            "key": pa.array(table.keys, pa.string()),
            "variants": pa.array(table.variants, pa.list_(pa.string())),
            "gender": pa.array(table.genders, pa.string()),
            "gender_strict": pa.array(table.strict_genders, pa.string()),
        }
    )
    con.register("first_name_lookup", lookup)
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE match_names AS
            SELECT m.*, f.variants AS first_variants, len(f.variants) > 1 AS first_nicknamed,
                   f.gender AS first_gender, f.gender_strict AS first_gender_strict,
                   lv.variants AS last_variants
            FROM match_norm m
            LEFT JOIN first_name_lookup f ON m.first_name = f.key
            LEFT JOIN first_name_lookup lv ON m.last_name = lv.key
            """
        )
    finally:
        con.unregister("first_name_lookup")
    # the mailbox test runs once per distinct (mailbox, name), not once per row
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE match_mailboxes AS
        SELECT email_local, first_name, last_name, user AS email_user,
               nullif(regexp_replace(user, '[^0-9]', '', 'g'), '') AS email_user_digits
        FROM (
            SELECT email_local, first_name, last_name, {_email_user_sql()} AS user
            FROM (SELECT DISTINCT email_local, first_name, last_name, first_variants
                  FROM match_names WHERE email_local IS NOT NULL) m
        )
        """
    )
    # an email or phone used by two clearly different first names is a family's or an office's
    for col in ("email", "phone"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE match_shared_{col} AS {_shared_sql(col)}")
    # block keys: the value, unless more than MAX_BLOCK_SIZE rows share it (one GROUP BY per key)
    capped = {
        "email": "email_blk",
        "phone_last7": "phone_blk",
        "addr_key": "addr_blk",
        "dest_key": "dest_blk",
    }
    joins = "\n".join(
        f"LEFT JOIN (SELECT {col} AS v FROM match_names GROUP BY 1 HAVING count(*) <= {MAX_BLOCK_SIZE}) "
        f"{blk} ON {blk}.v = m.{col}"
        for col, blk in capped.items()
    )
    # the name block (last name + a first-name variant) drops the variants that, with this last
    # name, are shared by more than MAX_NAME_BLOCK_SIZE rows ("John Smith" in a big city)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE match_crowded_names AS
        SELECT last_name, v AS variant FROM (
            SELECT last_name, unnest(first_variants) AS v FROM match_names WHERE last_name IS NOT NULL
        ) GROUP BY ALL HAVING count(*) > {MAX_NAME_BLOCK_SIZE}
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {MATCH_INPUT_TABLE} AS
        SELECT
            m.*,
            CASE WHEN c.crowded IS NULL THEN m.first_variants
                 ELSE list_filter(m.first_variants, lambda v: NOT list_contains(c.crowded, v)) END
                AS first_variants_blk,
            b.email_user,
            b.email_user_digits,
            m.email IS NOT NULL AND se.v IS NULL AS email_personal,
            m.phone IS NOT NULL AND sp.v IS NULL AS phone_personal,
            {", ".join(f"{blk}.v AS {blk}" for blk in capped.values())}
        FROM match_names m
        LEFT JOIN match_mailboxes b ON b.email_local = m.email_local
            AND b.first_name IS NOT DISTINCT FROM m.first_name
            AND b.last_name IS NOT DISTINCT FROM m.last_name
        LEFT JOIN (SELECT last_name, list(variant) AS crowded FROM match_crowded_names GROUP BY 1) c
            ON c.last_name = m.last_name
        LEFT JOIN match_shared_email se ON se.v = m.email
        LEFT JOIN match_shared_phone sp ON sp.v = m.phone
        {joins}
        ORDER BY m.unique_id
        """
    )
    temps = ("match_src", "match_norm", "match_names", "match_mailboxes", "match_crowded_names")
    for temp in (*temps, "match_shared_email", "match_shared_phone"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    n = con.execute(f"SELECT count(*) FROM {MATCH_INPUT_TABLE}").fetchall()[0][0]
    log.info("match input: %d person records, %d distinct names", n, len(table.keys))
    return int(n)


def _shared_sql(col: str) -> str:
    """The values of ``col`` that two *clearly different* first names use: not nicknames of each
    other, not one edit apart (unless of opposite genders), not an initial of the other, not the
    same person with first and last name swapped. Such an email or phone belongs to a family or an
    office; the others are *personal* (``email_personal`` / ``phone_personal``), which lets them
    outweigh a short-name typo (spec.first_name_comparison). Runs once per distinct
    (value, name), within the few names that share a value."""
    opposite = "coalesce(a.first_gender, 'u') || coalesce(b.first_gender, 'u') IN ('mf', 'fm')"
    compatible = (
        "list_has_any(a.first_variants, b.first_variants) "
        f"OR (damerau_levenshtein(a.first_name, b.first_name) <= 1 AND NOT ({opposite})) "
        "OR ((length(a.first_name) = 1 OR length(b.first_name) = 1) "
        "AND left(a.first_name, 1) = left(b.first_name, 1)) "
        "OR (a.first_name = b.last_name AND a.last_name IS NOT DISTINCT FROM b.first_name)"
    )
    names = (
        f"SELECT DISTINCT {col} AS v, first_name, last_name, first_variants, first_gender "
        f"FROM match_names WHERE {col} IS NOT NULL AND first_name IS NOT NULL"
    )
    return (
        f"WITH d AS ({names}) SELECT DISTINCT a.v FROM d a JOIN d b ON a.v = b.v "
        f"AND a.first_name < b.first_name WHERE NOT ({compatible})"
    )


def _email_user_sql() -> str:
    """The email's mailbox name without punctuation, or NULL when it says no more than the name.

    "john.young@yahoo.com" and "john_young@gmail.com" say nothing beyond "John Young": two
    different John Youngs have them, so such a mailbox name is no evidence when the domains differ.
    A mailbox is "just the name" when its letters are a form of the record's first name (or a
    nickname variant of it) and last name — first+last, last+first, initial+last, first+initial,
    last+initial, first, last — with at most two digits ("michaelm52"): hundreds of people share
    those. "jyoung6171" or "sunnyday" are distinctive.
    """
    user = "regexp_replace(m.email_local, '[^a-z0-9]', '', 'g')"
    letters = f"regexp_replace({user}, '[0-9]', '', 'g')"
    digits = f"length(regexp_replace({user}, '[^0-9]', '', 'g'))"
    last = "coalesce(m.last_name, '')"
    forms = f"v || {last}, {last} || v, left(v, 1) || {last}, v || left({last}, 1), {last} || left(v, 1), v"
    names = "coalesce(m.first_variants, [coalesce(m.first_name, '')])"
    name_like = f"({letters} = {last} OR len(list_filter({names}, lambda v: {letters} IN ({forms}))) > 0)"
    return f"CASE WHEN {user} = '' OR ({digits} <= 2 AND {name_like}) THEN NULL ELSE {user} END"
