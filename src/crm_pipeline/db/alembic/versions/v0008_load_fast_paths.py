"""Load fast paths: primary keys and audit rows in bulk on a first load; unchanged tables skipped.

**First load** (``load_bulk_begin`` / ``load_bulk_end`` of 0007, replaced here). On top of the
secondary indexes and foreign keys, ``load_bulk_begin()`` now also sets aside, while every load
table is empty:

- the **primary keys** of the load tables (and the foreign keys of other tables that point at them,
  ``jobs`` / ``job_source_map``, which are empty too when the load tables are): one sorted index
  build after the COPY costs a fraction of growing the index one row at a time;
- the statement-level **audit INSERT triggers** (``customers``): instead of the trigger copying every
  inserted row into a transition table and then into ``audit_log``, ``load_bulk_end()`` writes the
  same audit rows (operation, key, ``to_jsonb`` of the row, txid, ``session_user``,
  ``application_name``, one timestamp) in one ``INSERT … SELECT`` from the table itself — every row
  in it was inserted by this transaction, since the table was empty and has been locked
  ``ACCESS EXCLUSIVE`` since — and enables the trigger again (``ENABLE ALWAYS``).

As in 0007 everything happens inside the load's transaction: a crash rolls the drops and the
disabled trigger back with the data, and the deferred trigger on ``crm_private.load_bulk_ddl``
refuses to COMMIT while a recorded definition has not been restored.

**Unused indexes**: the four ``(file_name, record_id)`` indexes go (``UNUSED_INDEXES`` below).

**Analytics' job tables** get the same path: ``load_bulk_begin('jobs')`` acts on ``jobs``,
``job_source_map`` and ``job_duplicate_groups`` (audit trigger of ``jobs`` included) when all three
are empty; ``load_bulk_begin()`` (scope ``'load'``) on the load's tables as before.

**Unchanged tables** (``load_table_state``, ``table_writes``). Every load table gets a
statement-level trigger (``ENABLE ALWAYS``, ``SECURITY DEFINER``) that counts the statements that
wrote it — whoever ran them — in a sequence of its own (``table_writes_<table>``; the view
``table_writes`` shows them all). Each load records per table a hash of the rows it
staged and the table's write count once its own writes are done (``load_table_state``, same
transaction). A later load whose staged rows hash the same for a table whose write count has not
moved since skips that table: its rows are exactly what that load left. Any other write (an
analyst's UPDATE, a TRUNCATE, a restore through COPY) moves the count and brings the full merge
back. The load holds ``SHARE ROW EXCLUSIVE`` on its tables, so no other writer can slip in between
the check and the COMMIT.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

from crm_pipeline.db.alembic.versions.v0007_first_load_bulk_path import LOAD_TABLES, bulk_functions_sql

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


#: The tables analytics' job step writes (``load_bulk_begin('jobs')``).
JOB_TABLES = ("jobs", "job_source_map", "job_duplicate_groups")


def _array(tables: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{t}'" for t in tables) + "]::text[]"


def _bulk_functions_sql() -> str:
    return f"""
    CREATE FUNCTION load_bulk_begin(scope text DEFAULT 'load') RETURNS boolean
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      load_tables text[] := CASE scope WHEN 'load' THEN {_array(LOAD_TABLES)}
                                       WHEN 'jobs' THEN {_array(JOB_TABLES)} END;
      t text;
      has_rows boolean;
      r record;
    BEGIN
      IF load_tables IS NULL THEN
        RAISE EXCEPTION 'load_bulk_begin(): unknown scope %', scope;
      END IF;
      EXECUTE 'LOCK TABLE ' || array_to_string(load_tables, ', ') || ' IN ACCESS EXCLUSIVE MODE';
      FOREACH t IN ARRAY load_tables LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO has_rows;
        IF has_rows THEN
          RETURN false;
        END IF;
      END LOOP;
      IF EXISTS (SELECT 1 FROM crm_private.load_bulk_ddl) THEN
        RAISE EXCEPTION 'load_bulk_begin() called twice in one transaction';
      END IF;
      -- First record every definition (before anything is dropped), in the order of the drops:
      -- foreign keys of the tables and onto them (before the keys they point at), indexes that back
      -- no constraint, primary keys and unique constraints, and the audit INSERT triggers (whose
      -- ``definition`` is the trigger's argument, the key column; load_bulk_end() writes their
      -- rows in one statement).
      INSERT INTO crm_private.load_bulk_ddl (ord, kind, table_name, name, definition)
      SELECT row_number() OVER (ORDER BY step, table_name, name), kind, table_name, name, definition
      FROM (
        SELECT 1 AS step, 'fkey' AS kind, c.conrelid::regclass::text AS table_name,
               c.conname::text AS name, pg_get_constraintdef(c.oid) AS definition
        FROM pg_constraint c
        WHERE c.contype = 'f'
          AND (c.conrelid::regclass::text = ANY (load_tables)
               OR c.confrelid::regclass::text = ANY (load_tables))
        UNION ALL
        SELECT 2, 'index', i.indrelid::regclass::text, i.indexrelid::regclass::text,
               pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid::regclass::text = ANY (load_tables)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        UNION ALL
        SELECT 3, 'key', c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY (load_tables)
        UNION ALL
        SELECT 4, 'audit', c.relname::text, t.tgname::text,
               convert_from(substring(t.tgargs FROM 1 FOR position('\\x00'::bytea IN t.tgargs) - 1),
                            'UTF8')
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE c.relname::text = ANY (load_tables) AND c.relnamespace = 'public'::regnamespace
          AND p.proname = 'audit_changes' AND NOT t.tgisinternal
          AND t.tgtype = 4  -- AFTER INSERT FOR EACH STATEMENT, nothing else
      ) AS items;
      FOR r IN SELECT * FROM crm_private.load_bulk_ddl ORDER BY ord LOOP
        EXECUTE CASE r.kind
          WHEN 'index' THEN format('DROP INDEX %I', r.name)
          WHEN 'audit' THEN format('ALTER TABLE %I DISABLE TRIGGER %I', r.table_name, r.name)
          ELSE format('ALTER TABLE %I DROP CONSTRAINT %I', r.table_name, r.name)  -- fkey, key
        END;
      END LOOP;
      RETURN true;
    END $$;

    CREATE OR REPLACE FUNCTION load_bulk_end() RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
      SET maintenance_work_mem = '256MB' AS $$
    DECLARE
      r record;
      n integer := 0;
      v_txid bigint := txid_current();
      v_role text := session_user;  -- the loader, as in audit_changes()
      v_app  text := current_setting('application_name', true);
      v_at   timestamptz := clock_timestamp();
    BEGIN
      -- Keys first (the foreign keys need them), then indexes, foreign keys, audit rows.
      FOR r IN
        SELECT * FROM crm_private.load_bulk_ddl
        ORDER BY array_position(ARRAY['key', 'index', 'fkey', 'audit'], kind), ord
      LOOP
        IF r.kind = 'index' THEN
          EXECUTE r.definition;
        ELSIF r.kind = 'audit' THEN
          -- The rows audit_changes() would have written for the inserts, in one statement.
          EXECUTE format($sql$
            INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row,
                                          changed_columns, txid, db_role, application_name, changed_at)
            SELECT %1$L, 'INSERT', t.%2$I::text, NULL, to_jsonb(t), NULL, $1, $2, $3, $4
            FROM public.%1$I AS t
          $sql$, r.table_name, r.definition)
          USING v_txid, v_role, v_app, v_at;
          EXECUTE format('ALTER TABLE %I ENABLE ALWAYS TRIGGER %I', r.table_name, r.name);
        ELSE  -- key, fkey: adding a foreign key validates every row in one query
          EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.table_name, r.name, r.definition);
        END IF;
        n := n + 1;
      END LOOP;
      DELETE FROM crm_private.load_bulk_ddl;
      RETURN n;
    END $$;
    """


#: ``(file_name, record_id)`` indexes 0002 created and 0006 kept "for the replace-a-file deletes and
#: the exports": EXPLAIN shows both deletes and scope checks scan the tables (a load's files cover
#: most rows), and the exports read Parquet or whole tables. Each cost the first load 20–110 ms to
#: build (0.27 s in all on the 50k bench) and every later insert an index entry.
UNUSED_INDEXES = {
    "source_person_records_file_record_idx": "source_person_records",
    "customer_source_map_file_record_idx": "customer_source_map",
    "source_job_records_file_record_idx": "source_job_records",
    "leads_file_record_idx": "leads",
}


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")
    for index in UNUSED_INDEXES:
        op.execute(f"DROP INDEX {index}")
    op.execute("""
    ALTER TABLE crm_private.load_bulk_ddl DROP CONSTRAINT load_bulk_ddl_kind_check;
    ALTER TABLE crm_private.load_bulk_ddl ADD CONSTRAINT load_bulk_ddl_kind_check
      CHECK (kind IN ('index', 'fkey', 'key', 'audit'));
    """)
    op.execute("DROP FUNCTION load_bulk_begin()")  # it gains a parameter
    op.execute(_bulk_functions_sql())
    op.execute("""
    REVOKE ALL ON FUNCTION load_bulk_begin(text) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION load_bulk_begin(text) TO crm_loader;
    """)

    # One sequence per load table, advanced by a statement-level trigger on every statement that
    # writes the table. A sequence, not a counter row: nextval() never waits, so concurrent writers
    # of a table do not queue behind each other's uncommitted count (a rolled-back write still
    # advances it: that only costs the next load a full merge, never a wrong skip).
    op.execute("""
    CREATE FUNCTION count_table_write() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    BEGIN
      PERFORM nextval(TG_ARGV[0]::regclass);
      RETURN NULL;
    END $$;
    REVOKE ALL ON FUNCTION count_table_write() FROM PUBLIC;
    """)
    for table in LOAD_TABLES:
        op.execute(f"""
        CREATE SEQUENCE table_writes_{table};
        REVOKE ALL ON SEQUENCE table_writes_{table} FROM PUBLIC;
        GRANT SELECT ON SEQUENCE table_writes_{table} TO crm_loader, crm_reader;
        CREATE TRIGGER {table}_count_writes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
          FOR EACH STATEMENT EXECUTE FUNCTION count_table_write('table_writes_{table}');
        ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_count_writes;
        """)
    counted = ", ".join(f"('{t}', 'table_writes_{t}'::regclass)" for t in LOAD_TABLES)
    op.execute(f"""
    CREATE VIEW table_writes AS
      SELECT t.table_name, coalesce(pg_sequence_last_value(t.counter), 0) AS writes
      FROM (VALUES {counted}) AS t(table_name, counter);
    REVOKE ALL ON table_writes FROM PUBLIC;
    GRANT SELECT ON table_writes TO crm_loader, crm_reader;

    CREATE TABLE load_table_state (
      table_name   text PRIMARY KEY,
      content_hash text NOT NULL,
      writes       bigint NOT NULL,
      run_id       uuid NOT NULL,
      recorded_at  timestamptz NOT NULL DEFAULT now()
    );
    REVOKE ALL ON load_table_state FROM PUBLIC;
    GRANT SELECT, INSERT, UPDATE ON load_table_state TO crm_loader;
    GRANT SELECT ON load_table_state TO crm_reader;
    """)
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.execute("SET ROLE crm_owner")
    for index, table in UNUSED_INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON {table} (file_name, record_id)")
    op.execute("DROP TABLE load_table_state; DROP VIEW table_writes;")
    for table in LOAD_TABLES:
        op.execute(f"DROP TRIGGER {table}_count_writes ON {table}; DROP SEQUENCE table_writes_{table};")
    op.execute("""
    DROP FUNCTION count_table_write();
    DROP FUNCTION load_bulk_end();
    DROP FUNCTION load_bulk_begin(text);
    """)
    op.execute(bulk_functions_sql())
    op.execute("""
    REVOKE ALL ON FUNCTION load_bulk_begin(), load_bulk_end() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION load_bulk_begin(), load_bulk_end() TO crm_loader;
    ALTER TABLE crm_private.load_bulk_ddl DROP CONSTRAINT load_bulk_ddl_kind_check;
    ALTER TABLE crm_private.load_bulk_ddl ADD CONSTRAINT load_bulk_ddl_kind_check
      CHECK (kind IN ('index', 'fkey'));
    """)
    op.execute("RESET ROLE")
