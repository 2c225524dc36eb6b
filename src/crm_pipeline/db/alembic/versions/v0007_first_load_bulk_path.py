"""First-load bulk path: the owner sets secondary indexes and foreign keys aside while the load's
tables are empty, and puts them back (one index build, one validating query per key) before COMMIT.

Why: PostgreSQL checks a foreign key one inserted row at a time and grows every index one entry
at a time; on an empty schema that is most of a first load's time (``docs/load.md``). Building an
index over the loaded rows and validating a key with one anti-join is several times cheaper.

``crm_loader`` owns nothing, so it cannot drop an index or a constraint itself. Two
``SECURITY DEFINER`` functions owned by ``crm_owner`` do it for it, within narrow bounds:

- ``load_bulk_begin()``: locks the load's tables (``ACCESS EXCLUSIVE``), and only when every one of
  them is empty records the definitions (``pg_get_indexdef`` / ``pg_get_constraintdef``) of their
  foreign keys and of their indexes that back no constraint in ``crm_private.load_bulk_ddl`` and
  drops them.
  Returns whether it did. Primary keys, CHECK constraints and the audit triggers stay.
- ``load_bulk_end()``: recreates the recorded indexes, adds the recorded foreign keys back (which
  validates every loaded row: a violation fails the load) and empties ``load_bulk_ddl``.

Safety: everything happens inside the load's transaction, so a crash or an error rolls the drops
back with the data. ``load_bulk_ddl`` has a deferred constraint trigger that fails the COMMIT of
any transaction still holding recorded definitions: a transaction that forgot ``load_bulk_end``
cannot commit a schema without its keys. ``crm_loader`` may execute the two functions and nothing
more (no right on schema ``crm_private``); the tables' owner stays ``crm_owner``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

#: The tables the load writes in bulk (branches and branch_aliases are a handful of seeded rows).
LOAD_TABLES = (
    "source_files",
    "quarantine",
    "source_person_records",
    "match_runs",
    "customers",
    "customer_source_map",
    "source_job_records",
    "leads",
)


def bulk_functions_sql() -> str:
    """``load_bulk_begin()`` / ``load_bulk_end()`` as this revision defines them (0008 replaces them
    and restores these on downgrade)."""
    tables_array = "ARRAY[" + ", ".join(f"'{t}'" for t in LOAD_TABLES) + "]::text[]"
    empty_checks = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {t})" for t in LOAD_TABLES)
    return f"""
    CREATE FUNCTION load_bulk_begin() RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      load_tables text[] := {tables_array};
      r record;
      n integer := 0;
    BEGIN
      LOCK TABLE {", ".join(LOAD_TABLES)} IN ACCESS EXCLUSIVE MODE;
      IF NOT ({empty_checks}) THEN
        RETURN false;
      END IF;
      IF EXISTS (SELECT 1 FROM crm_private.load_bulk_ddl) THEN
        RAISE EXCEPTION 'load_bulk_begin() called twice in one transaction';
      END IF;
      FOR r IN
        SELECT c.conrelid::regclass::text AS table_name, c.conname AS name,
               pg_get_constraintdef(c.oid) AS definition
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY (load_tables)
        ORDER BY 1, 2
      LOOP
        n := n + 1;
        INSERT INTO crm_private.load_bulk_ddl VALUES (n, 'fkey', r.table_name, r.name, r.definition);
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', r.table_name, r.name);
      END LOOP;
      FOR r IN
        SELECT i.indrelid::regclass::text AS table_name, i.indexrelid::regclass::text AS name,
               pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        WHERE i.indrelid::regclass::text = ANY (load_tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1, 2
      LOOP
        n := n + 1;
        INSERT INTO crm_private.load_bulk_ddl VALUES (n, 'index', r.table_name, r.name, r.definition);
        EXECUTE format('DROP INDEX %I', r.name);
      END LOOP;
      RETURN true;
    END $$;

    CREATE FUNCTION load_bulk_end() RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
      SET maintenance_work_mem = '256MB' AS $$
    DECLARE
      r record;
      n integer := 0;
    BEGIN
      FOR r IN SELECT * FROM crm_private.load_bulk_ddl WHERE kind = 'index' ORDER BY ord LOOP
        EXECUTE r.definition;
        n := n + 1;
      END LOOP;
      FOR r IN SELECT * FROM crm_private.load_bulk_ddl WHERE kind = 'fkey' ORDER BY ord LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.table_name, r.name, r.definition);
        n := n + 1;
      END LOOP;
      DELETE FROM crm_private.load_bulk_ddl;
      RETURN n;
    END $$;

"""


def upgrade() -> None:
    # The definitions' table lives outside ``public`` (the contract's tables): a schema of its own
    # that only crm_owner can use.
    op.execute("CREATE SCHEMA crm_private AUTHORIZATION crm_owner")
    op.execute("REVOKE ALL ON SCHEMA crm_private FROM PUBLIC")
    op.execute("SET ROLE crm_owner")
    op.execute("""
    CREATE TABLE crm_private.load_bulk_ddl (
      ord        integer PRIMARY KEY,
      kind       text NOT NULL CHECK (kind IN ('index', 'fkey')),
      table_name text NOT NULL,
      name       text NOT NULL,
      definition text NOT NULL
    );
    REVOKE ALL ON crm_private.load_bulk_ddl FROM PUBLIC;

    CREATE FUNCTION load_bulk_ddl_must_be_empty() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM crm_private.load_bulk_ddl) THEN
        RAISE EXCEPTION 'load_bulk_begin() without load_bulk_end(): indexes and foreign keys are '
          'not back, refusing to commit';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER load_bulk_ddl_restored AFTER INSERT ON crm_private.load_bulk_ddl
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION load_bulk_ddl_must_be_empty();
    ALTER TABLE crm_private.load_bulk_ddl ENABLE ALWAYS TRIGGER load_bulk_ddl_restored;
    """)
    op.execute(bulk_functions_sql())
    op.execute("""
    REVOKE ALL ON FUNCTION load_bulk_begin(), load_bulk_end(), load_bulk_ddl_must_be_empty() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION load_bulk_begin(), load_bulk_end() TO crm_loader;
    """)
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.execute("""
    DROP FUNCTION load_bulk_end();
    DROP FUNCTION load_bulk_begin();
    DROP TABLE crm_private.load_bulk_ddl;
    DROP FUNCTION load_bulk_ddl_must_be_empty();
    DROP SCHEMA crm_private;
    """)
