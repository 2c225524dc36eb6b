"""Roles: crm_owner, crm_loader, crm_reader, crm_api_sync, and their rights on this database.

Roles belong to the whole server (cluster), not to one database, and several databases may use
them at once (the test suite creates many). So:

- upgrade creates a role only when it is missing and tolerates a concurrent creation elsewhere;
  it then ``COMMENT``s each role, which locks it until commit, so a downgrade running in another
  database cannot drop it halfway through this upgrade;
- downgrade revokes what this database granted and drops a role only when nothing in any database
  still depends on it (``DROP ROLE`` refuses then, and we keep the role).

Roles are always taken in the same order (owner, loader, reader, api_sync) so that concurrent
upgrades and downgrades queue instead of deadlocking.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute("""
    DO $$
    DECLARE
      r record;
    BEGIN
      FOR r IN
        SELECT * FROM (VALUES
          (1, 'crm_owner',    false, 'crm-pipeline: owns every table, view and function; cannot log in'),
          (2, 'crm_loader',   true,  'crm-pipeline: the pipeline; reads and writes pipeline tables'),
          (3, 'crm_reader',   true,  'crm-pipeline: dashboards; masked views and aggregates only'),
          (4, 'crm_api_sync', true,  'crm-pipeline: SmartMoving sync; sync tables, reads customers/jobs')
        ) AS v(ord, name, can_login, note)
        ORDER BY ord
      LOOP
        LOOP
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            BEGIN
              EXECUTE format('CREATE ROLE %I %s', r.name,
                             CASE WHEN r.can_login THEN 'LOGIN' ELSE 'NOLOGIN' END);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
              NULL;  -- created a moment ago by a migration in another database
            END;
          END IF;
          BEGIN
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);  -- locks the role until commit
            EXIT;
          EXCEPTION WHEN undefined_object THEN
            NULL;  -- dropped meanwhile by a downgrade in another database: create it again
          END;
        END LOOP;
      END LOOP;
    END $$;
    """)
    # The migrations create objects as crm_owner (SET ROLE). A superuser may; any other admin user
    # (a managed server's master user with CREATEROLE) must be a member of crm_owner.
    op.execute("""
    DO $$
    BEGIN
      IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
         AND NOT pg_has_role(current_user, 'crm_owner', 'MEMBER') THEN
        EXECUTE format('GRANT crm_owner TO %I', current_user);
      END IF;
    END $$;
    """)
    op.execute("""
    GRANT USAGE, CREATE ON SCHEMA public TO crm_owner;
    GRANT USAGE ON SCHEMA public TO crm_loader, crm_reader, crm_api_sync;
    DO $$
    BEGIN
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO crm_loader, crm_reader, crm_api_sync',
                     current_database());
      -- the load stages rows in TEMP tables
      EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO crm_loader', current_database());
    END $$;
    """)


def downgrade() -> None:
    op.execute("""
    REVOKE ALL ON SCHEMA public FROM crm_owner, crm_loader, crm_reader, crm_api_sync;
    DO $$
    BEGIN
      EXECUTE format('REVOKE ALL ON DATABASE %I FROM crm_owner, crm_loader, crm_reader, crm_api_sync',
                     current_database());
    END $$;
    """)
    op.execute("""
    DO $$
    DECLARE
      role_name text;
    BEGIN
      FOREACH role_name IN ARRAY ARRAY['crm_owner', 'crm_loader', 'crm_reader', 'crm_api_sync'] LOOP
        BEGIN
          EXECUTE format('DROP ROLE IF EXISTS %I', role_name);
        EXCEPTION WHEN dependent_objects_still_exist THEN
          RAISE NOTICE 'role % kept: another database still uses it', role_name;
        END;
      END LOOP;
    END $$;
    """)
