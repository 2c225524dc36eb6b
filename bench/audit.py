"""What the audit triggers cost: 200,000 customer rows with the audit on, off, and row-level.

For each way of auditing, on a fresh, migrated throwaway database:

- COPY: ``db.copy_frame`` of 200k rows into the empty ``customers`` table, as crm_loader, commit;
- UPDATE: one statement changing one column of all 200k rows, commit.

"off" disables the four audit triggers; "statement" is the schema as migrated (statement-level,
transition tables); "row-level" swaps in an equivalent ``FOR EACH ROW`` trigger for comparison.
Between runs ``customers`` and ``audit_log`` are emptied (the bench database only). Prints the best
of N runs and the ratio to "off".

Run: .venv/bin/python bench/audit.py [ROWS] [RUNS]   (DATABASE_URL / TEST_DATABASE_URL or embedded)
"""

from __future__ import annotations

import sys
import time

import psycopg

from _db import customers_frame, migrated_database
from crm_pipeline import db

MODES = (("off", "no audit"), ("statement", "statement-level (ours)"), ("row", "row-level"))
AUDIT_TRIGGERS = ("customers_audit_insert", "customers_audit_update", "customers_audit_delete")

ROW_LEVEL = """
CREATE FUNCTION bench_audit_row() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
  IF TG_OP = 'UPDATE' AND o = n THEN
    RETURN NULL;
  END IF;
  INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row, changed_columns,
                                txid, db_role, application_name, changed_at)
  VALUES (TG_TABLE_NAME, TG_OP, coalesce(n, o) ->> 'customer_id', o, n,
          CASE WHEN TG_OP = 'UPDATE' THEN
            ARRAY(SELECT key FROM jsonb_each(n) WHERE value IS DISTINCT FROM o -> key) END,
          txid_current(), session_user, current_setting('application_name', true), clock_timestamp());
  RETURN NULL;
END
$fn$;
CREATE TRIGGER bench_row_audit AFTER INSERT OR UPDATE OR DELETE ON customers
  FOR EACH ROW EXECUTE FUNCTION bench_audit_row();
"""


def _set_mode(admin: psycopg.Connection, mode: str) -> None:
    """Mode ``off`` / ``statement`` / ``row``: which audit triggers are active on customers."""
    statement_on = "ENABLE ALWAYS" if mode == "statement" else "DISABLE"
    for name in AUDIT_TRIGGERS:
        admin.execute(f"ALTER TABLE customers {statement_on} TRIGGER {name}")
    admin.execute("DROP TRIGGER IF EXISTS bench_row_audit ON customers")
    admin.execute("DROP FUNCTION IF EXISTS bench_audit_row()")
    if mode == "row":
        admin.execute(ROW_LEVEL)


def _empty(admin: psycopg.Connection) -> None:
    admin.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    admin.execute("TRUNCATE customers, audit_log CASCADE")
    admin.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only")
    admin.execute("VACUUM ANALYZE customers, audit_log")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    frame = customers_frame(rows)
    results: dict[tuple[str, str], float] = {}
    with migrated_database() as url, psycopg.connect(url, autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        for mode in ("off", "statement", "row"):
            _set_mode(admin, mode)
            for _ in range(runs):
                _empty(admin)
                with db.connect(url, "loader") as conn:
                    start = time.perf_counter()
                    db.copy_frame(conn, "customers", frame)
                    conn.commit()
                    copy_s = time.perf_counter() - start
                    start = time.perf_counter()
                    conn.execute("UPDATE customers SET city = 'CAMBRIDGE'")
                    conn.commit()
                    update_s = time.perf_counter() - start
                audited = admin.execute(
                    "SELECT count(*) FROM audit_log WHERE operation IN ('INSERT', 'UPDATE')"
                ).fetchone()[0]  # type: ignore[index]
                assert audited == (0 if mode == "off" else 2 * rows), (mode, audited)
                for op, seconds in (("COPY", copy_s), ("UPDATE", update_s)):
                    results[(op, mode)] = min(results.get((op, mode), float("inf")), seconds)
        _set_mode(admin, "statement")

    print(f"Audit cost on customers, {rows:,} rows, PostgreSQL {version}, best of {runs}")
    for op in ("COPY", "UPDATE"):
        base = results[(op, "off")]
        for mode, label in MODES:
            seconds = results[(op, mode)]
            print(f"  {op:<6} {label:<24} {seconds:6.2f} s   {seconds / base:5.1f}x")


if __name__ == "__main__":
    main()
