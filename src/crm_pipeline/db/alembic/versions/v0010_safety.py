"""No superuser in a normal run: ANALYZE through an owner function, the schema check as crm_loader.

Before this revision every ``run`` logged in as the admin user twice over: to read
``alembic_version`` (is the schema at head?) and to ``ANALYZE`` the tables the load changed
(ANALYZE needs the table owner; PostgreSQL < 17 has no grantable MAINTAIN right). Now:

- ``load_analyze(p_table text, p_columns text[])`` — ``SECURITY DEFINER``, owned by ``crm_owner``,
  ``search_path`` fixed to ``pg_catalog, public``: ANALYZEs one table of an allow-list (the load's
  tables and analytics' job tables), on the given columns (each must be a live column of that
  table; identifiers quoted with ``format('%I')``) or on every column when the list is empty.
  ``EXECUTE`` is revoked from PUBLIC and granted to ``crm_loader`` alone.
- ``SELECT`` on ``alembic_version`` for ``crm_loader``: the pipeline checks the schema revision
  with its own login. Migrating stays an explicit owner step (``crm-pipeline db migrate``).

Revision ID: 0010
Revises: 0008 (re-chained after 0009 at merge time; nothing here depends on 0009)
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

from crm_pipeline.db.alembic.versions.v0007_first_load_bulk_path import LOAD_TABLES
from crm_pipeline.db.alembic.versions.v0008_load_fast_paths import JOB_TABLES

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

ANALYZABLE = (*LOAD_TABLES, *JOB_TABLES, "branches", "branch_aliases")  # unconfirmed branches (0009)


def _analyze_function_sql() -> str:
    allowed = "ARRAY[" + ", ".join(f"'{t}'" for t in ANALYZABLE) + "]::text[]"
    return f"""
    CREATE FUNCTION load_analyze(p_table text, p_columns text[] DEFAULT '{{}}') RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    DECLARE
      rel regclass;
      bad text;
    BEGIN
      IF p_table IS NULL OR NOT (p_table = ANY ({allowed})) THEN
        RAISE EXCEPTION 'load_analyze: table % is not one the pipeline may analyze', p_table
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      rel := format('public.%I', p_table)::regclass;
      SELECT c INTO bad FROM unnest(coalesce(p_columns, '{{}}')) AS c
       WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = c
                           AND a.attnum > 0 AND NOT a.attisdropped)
       LIMIT 1;
      IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'load_analyze: % has no column %', p_table, bad USING ERRCODE = 'undefined_column';
      END IF;
      IF coalesce(cardinality(p_columns), 0) = 0 THEN
        EXECUTE format('ANALYZE public.%I', p_table);
      ELSE
        EXECUTE format('ANALYZE public.%I (%s)', p_table,
                       (SELECT string_agg(format('%I', c), ', ') FROM unnest(p_columns) AS c));
      END IF;
    END $$;
    REVOKE ALL ON FUNCTION load_analyze(text, text[]) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION load_analyze(text, text[]) TO crm_loader;
    """


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")  # the function is crm_owner's: it analyzes as the tables' owner
    op.execute(_analyze_function_sql())
    op.execute("RESET ROLE")
    # alembic_version belongs to whoever ran the first migration (the admin user)
    op.execute("GRANT SELECT ON public.alembic_version TO crm_loader")


def downgrade() -> None:
    op.execute("REVOKE SELECT ON public.alembic_version FROM crm_loader")
    op.execute("SET ROLE crm_owner")
    op.execute("DROP FUNCTION IF EXISTS load_analyze(text, text[])")
    op.execute("RESET ROLE")
