"""Schema migrations (Alembic, configured in code) and role passwords.

The revisions live inside the package (``crm_pipeline/db/alembic/versions``) so they ship with the
wheel; there is no ``alembic.ini``. Migrations run as the admin user (``DATABASE_URL`` or the
embedded server's superuser) and create objects as ``crm_owner``.

To add a revision: copy the newest file in ``alembic/versions``, bump ``revision`` /
``down_revision``, write the SQL of ``upgrade()`` and ``downgrade()``, and run
``crm-pipeline db migrate``; ``tests/integration/test_migrations.py`` checks both directions.
"""

from __future__ import annotations

import logging
from pathlib import Path

import alembic.command
import alembic.util
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from crm_pipeline.config import Settings
from crm_pipeline.db.connection import ROLE_NAMES, Target, connect, resolve_admin_url, sqlalchemy_url
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.errors import ConfigError

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).parent / "alembic"


def alembic_config() -> Config:
    """The Alembic configuration, without an ini file."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    return cfg


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no revisions in crm_pipeline/db/alembic/versions"
    return head


def current_revision(target: Target = None) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    engine = create_engine(sqlalchemy_url(resolve_admin_url(target)), poolclass=NullPool)
    try:
        with translate_errors(), engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _run(target: Target, command: str, revision: str) -> str | None:
    cfg = alembic_config()
    engine = create_engine(
        sqlalchemy_url(resolve_admin_url(target)),
        poolclass=NullPool,
        connect_args={"application_name": "crm-pipeline migrate"},
    )
    try:
        with translate_errors(), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            if command == "upgrade":
                alembic.command.upgrade(cfg, revision)
            else:
                alembic.command.downgrade(cfg, revision)
            return MigrationContext.configure(conn).get_current_revision()
    except alembic.util.CommandError as exc:
        raise ConfigError(f"migration failed: {exc}") from exc
    finally:
        engine.dispose()


def migrate(target: Target = None, revision: str = "head") -> str | None:
    """Upgrade the schema (``alembic upgrade head``); returns the revision now current.

    With ``Settings`` that carry role passwords (``CRM_LOADER_PASSWORD`` …) the roles get them.
    """
    rev = _run(target, "upgrade", revision)
    log.info("schema at revision %s", rev)
    if isinstance(target, Settings):
        set_role_passwords(target)
    return rev


def downgrade(target: Target = None, revision: str = "base") -> str | None:
    """Downgrade the schema (to ``base``: no pipeline objects left; roles other databases use stay)."""
    rev = _run(target, "downgrade", revision)
    log.info("schema at revision %s", rev)
    return rev


def ensure_migrated(target: Target = None) -> str | None:
    """Migrate when the database is behind head (what ``make demo`` and a first load rely on)."""
    current = current_revision(target)
    if current == head_revision():
        return current
    return migrate(target)


def set_role_passwords(settings: Settings) -> list[str]:
    """Give each role the password configured for it; returns the roles changed.

    The password is hashed on this side (SCRAM-SHA-256, as libpq's ``\\password`` does), so the
    plain text never reaches the server or its logs.
    """
    wanted = {
        ROLE_NAMES["loader"]: settings.loader_password,
        ROLE_NAMES["reader"]: settings.reader_password,
        ROLE_NAMES["api_sync"]: settings.api_sync_password,
    }
    changed: list[str] = []
    with connect(settings, "admin", autocommit=True) as conn, translate_errors():
        for role, secret in wanted.items():
            if secret is None:
                continue
            hashed = conn.pgconn.encrypt_password(
                secret.get_secret_value().encode(), role.encode(), b"scram-sha-256"
            )
            statement = sql.SQL("ALTER ROLE {} PASSWORD {}")
            conn.execute(statement.format(sql.Identifier(role), sql.Literal(hashed.decode())))
            changed.append(role)
    if changed:
        log.info("passwords set for %s", ", ".join(changed))
    return changed
