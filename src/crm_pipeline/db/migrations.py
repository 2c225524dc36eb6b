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
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from psycopg import sql

from crm_pipeline.config import Settings
from crm_pipeline.db.connection import (
    ROLE_NAMES,
    Connection,
    Target,
    connect,
    resolve_admin_url,
    sqlalchemy_url,
)
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.errors import ConfigError, DatabaseUnavailable, PipelineError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).parent / "alembic"
MIGRATE_LOCK_KEY = 0x43524D5F4D494752  # "CRM_MIGR": one migration at a time per database
_REVISION = re.compile(r'^revision\s*=\s*"([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision\b[^=]*=\s*"([^"]+)"', re.MULTILINE)


def alembic_config() -> Config:
    """The Alembic configuration, without an ini file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision this code knows: the one no other revision names as its parent.

    Read from the revision files' text — importing Alembic takes seconds and ``db status`` only
    needs this one name (``test_migrations`` checks it agrees with Alembic).
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (SCRIPT_LOCATION / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if found := _REVISION.search(text):
            revisions.add(found.group(1))
            parents.update(_DOWN_REVISION.findall(text))
    heads = revisions - parents
    if len(heads) != 1:
        raise ConfigError(f"the migrations must have exactly one head, found {sorted(heads)}")
    return heads.pop()


def read_revision(conn: Connection) -> str | None:
    """The revision recorded in the database of ``conn`` (``None``: never migrated)."""
    row = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
    return str(row[0]) if row else None


def current_revision(target: Target = None) -> str | None:
    """The revision the database is at (``None``: never migrated)."""
    with connect(target, "admin", autocommit=True) as conn, translate_errors():
        return read_revision(conn)


def _run(target: Target, command: str, revision: str) -> str | None:
    import alembic.command
    import alembic.util
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    cfg = alembic_config()
    engine = create_engine(
        sqlalchemy_url(resolve_admin_url(target)),
        poolclass=NullPool,
        connect_args={"application_name": "crm-pipeline migrate"},
    )
    try:
        with translate_errors(), engine.begin() as conn:
            # two first runs at once: the second waits here, then finds the schema at head
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY})")
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
    """Check the schema revision as ``crm_loader``; migrate only when behind and allowed to.

    A database at head costs one ``crm_loader`` session and no admin one (``alembic_version`` is
    readable by the loader since 0010). A database behind head (or never migrated: ``make demo``, a
    first run) is migrated with the admin URL — unless that URL *is* the loader's (a scheduled job
    given only ``crm_loader`` credentials), which cannot migrate: then a clear error asks for
    ``crm-pipeline db migrate`` with the owner's credentials.
    """
    head = head_revision()
    if loader_revision(target) == head:
        return head
    admin_user = urlsplit(resolve_admin_url(target)).username
    if admin_user == ROLE_NAMES["loader"]:
        raise ConfigError(
            f"the database schema is behind this code's revision {head} and DATABASE_URL logs in as "
            f"{admin_user}, which may not migrate: run `crm-pipeline db migrate` with the owner's "
            "DATABASE_URL first"
        )
    current = current_revision(target)
    if current == head:
        return current
    return migrate(target)


def loader_revision(target: Target = None) -> str | None:
    """The revision as ``crm_loader`` sees it; ``None`` when it cannot tell (no role yet, a schema
    older than 0010 that does not let it read ``alembic_version``, never migrated)."""
    try:
        with connect(target, "loader", autocommit=True) as conn, translate_errors():
            return read_revision(conn)
    except PipelineError as exc:
        if exc.retryable and not isinstance(exc, DatabaseUnavailable):
            raise
        log.debug("schema revision not readable as crm_loader: %s", exc)
        return None


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
