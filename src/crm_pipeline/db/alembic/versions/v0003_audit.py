"""The append-only audit log of customers and jobs, filled by statement-level triggers.

Design (docs/schema.md, "Audit"):

- one ``AFTER INSERT / UPDATE / DELETE … FOR EACH STATEMENT`` trigger per table and operation, with
  transition tables (``REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows``): the function runs
  once per statement and writes all its audit rows with one ``INSERT … SELECT``. Row-level triggers
  would run the function once per row — several times slower on a bulk load;
- one audit row per changed row: operation, primary key, old and new row as JSONB, the changed
  columns (UPDATE), txid, the login role (``session_user``), ``application_name`` and the time;
- an UPDATE that leaves a row as it was writes nothing (old and new JSONB are equal), so the load's
  "upsert everything, change what differs" leaves no noise;
- ``TRUNCATE`` (only the owner can) leaves one row saying so;
- the function is ``SECURITY DEFINER`` owned by crm_owner: it can write ``audit_log`` while the
  roles whose changes it records cannot touch it;
- triggers are ``ENABLE ALWAYS``: they fire even under ``session_replication_role = replica``;
- ``audit_log`` refuses UPDATE, DELETE and TRUNCATE from anyone (a guard trigger), on top of
  nobody but its owner having those rights.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

AUDITED = {"customers": "customer_id", "jobs": "job_id"}  # table → primary-key column


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")
    op.execute("""
    CREATE TABLE audit_log (
      audit_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      table_name       text NOT NULL,
      operation        text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
      row_pk           text,
      old_row          jsonb,
      new_row          jsonb,
      changed_columns  text[],
      txid             bigint NOT NULL,
      db_role          text NOT NULL,
      application_name text,
      changed_at       timestamptz NOT NULL
    );
    CREATE INDEX audit_log_row_idx ON audit_log (table_name, row_pk);
    CREATE INDEX audit_log_txid_idx ON audit_log (txid);
    REVOKE ALL ON audit_log FROM PUBLIC;

    -- One trigger function for every audited table; TG_ARGV[0] names the primary-key column.
    CREATE FUNCTION audit_changes() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, public, pg_temp
    AS $fn$
    DECLARE
      pk_column  text        := TG_ARGV[0];
      v_txid     bigint      := txid_current();
      v_role     text        := session_user;  -- current_user is crm_owner in here
      v_app      text        := current_setting('application_name', true);
      v_at       timestamptz := clock_timestamp();
      v_changed  text;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row, changed_columns,
                                      txid, db_role, application_name, changed_at)
        SELECT TG_TABLE_NAME, TG_OP, n.r ->> pk_column, NULL, n.r, NULL, v_txid, v_role, v_app, v_at
        FROM (SELECT to_jsonb(t) AS r FROM new_rows AS t) AS n;
      ELSIF TG_OP = 'UPDATE' THEN
        -- changed_columns: one "CASE WHEN o.col IS DISTINCT FROM n.col THEN 'col' END" per column,
        -- read from the catalog at each statement (a column added later is covered) and compared
        -- with the columns' own types: far cheaper per row than comparing JSONB key by key.
        SELECT string_agg(format('CASE WHEN o.%1$I IS DISTINCT FROM n.%1$I THEN %1$L END', attname),
                          ', ' ORDER BY attnum)
          INTO v_changed
          FROM pg_attribute
         WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped;
        -- Rows pair up by primary key (a row whose key changed shows as two half-rows); a row
        -- whose columns are all unchanged is not a change and leaves no audit row.
        EXECUTE format($sql$
          INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row, changed_columns,
                                        txid, db_role, application_name, changed_at)
          SELECT $1, 'UPDATE', pk, to_jsonb(o), to_jsonb(n), changed, $2, $3, $4, $5
          FROM (SELECT o, n, coalesce(n.%1$I, o.%1$I)::text AS pk,
                       array_remove(ARRAY[%2$s]::text[], NULL) AS changed
                FROM old_rows AS o FULL JOIN new_rows AS n ON n.%1$I = o.%1$I) AS pairs
          WHERE cardinality(changed) > 0
        $sql$, pk_column, v_changed)
        USING TG_TABLE_NAME, v_txid, v_role, v_app, v_at;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row, changed_columns,
                                      txid, db_role, application_name, changed_at)
        SELECT TG_TABLE_NAME, TG_OP, o.r ->> pk_column, o.r, NULL, NULL, v_txid, v_role, v_app, v_at
        FROM (SELECT to_jsonb(t) AS r FROM old_rows AS t) AS o;
      ELSIF TG_OP = 'TRUNCATE' THEN
        INSERT INTO public.audit_log (table_name, operation, row_pk, old_row, new_row, changed_columns,
                                      txid, db_role, application_name, changed_at)
        VALUES (TG_TABLE_NAME, TG_OP, NULL, NULL, NULL, NULL, v_txid, v_role, v_app, v_at);
      END IF;
      RETURN NULL;
    END
    $fn$;
    REVOKE ALL ON FUNCTION audit_changes() FROM PUBLIC;

    CREATE FUNCTION audit_log_append_only() RETURNS trigger
      LANGUAGE plpgsql
    AS $fn$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $fn$;
    CREATE TRIGGER audit_log_append_only
      BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
    """)
    for table, pk in AUDITED.items():
        op.execute(f"""
        CREATE TRIGGER {table}_audit_insert AFTER INSERT ON {table}
          REFERENCING NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION audit_changes('{pk}');
        CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table}
          REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
          FOR EACH STATEMENT EXECUTE FUNCTION audit_changes('{pk}');
        CREATE TRIGGER {table}_audit_delete AFTER DELETE ON {table}
          REFERENCING OLD TABLE AS old_rows
          FOR EACH STATEMENT EXECUTE FUNCTION audit_changes('{pk}');
        CREATE TRIGGER {table}_audit_truncate AFTER TRUNCATE ON {table}
          FOR EACH STATEMENT EXECUTE FUNCTION audit_changes('{pk}');
        ALTER TABLE {table}
          ENABLE ALWAYS TRIGGER {table}_audit_insert,
          ENABLE ALWAYS TRIGGER {table}_audit_update,
          ENABLE ALWAYS TRIGGER {table}_audit_delete,
          ENABLE ALWAYS TRIGGER {table}_audit_truncate;
        """)
    op.execute("RESET ROLE")


def downgrade() -> None:
    for table in AUDITED:
        op.execute(f"""
        DROP TRIGGER {table}_audit_truncate ON {table};
        DROP TRIGGER {table}_audit_delete ON {table};
        DROP TRIGGER {table}_audit_update ON {table};
        DROP TRIGGER {table}_audit_insert ON {table};
        """)
    op.execute("""
    DROP TABLE audit_log;
    DROP FUNCTION audit_log_append_only();
    DROP FUNCTION audit_changes();
    """)
