"""Connections: which role, which URL, one transaction helper, and an SQLAlchemy engine.

The pipeline never works as the superuser. Each role of ``docs/schema.md`` gets its URL by taking
the admin URL (``DATABASE_URL`` or the embedded server's) and swapping in the role's user name and,
when configured, its password (``CRM_LOADER_PASSWORD`` …). On the embedded server (unix socket,
trust) and on a trust-configured server no password is needed; otherwise libpq's usual sources
(``PGPASSWORD``, ``~/.pgpass``) work too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from pydantic import SecretStr

from crm_pipeline.config import Settings, get_settings
from crm_pipeline.db import server
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine

Role = Literal["admin", "loader", "reader", "api_sync"]
Connection = psycopg.Connection[Any]

#: PostgreSQL role name for each pipeline role ("admin" keeps the user of the admin URL).
ROLE_NAMES: dict[str, str] = {
    "loader": "crm_loader",
    "reader": "crm_reader",
    "api_sync": "crm_api_sync",
}
DEFAULT_APPLICATION_NAME = "crm-pipeline"

Target = Settings | str | None
"""Where to connect: ``Settings`` (its DATABASE_URL or the embedded server), an admin URL, or
``None`` for the process settings."""


def resolve_admin_url(target: Target = None) -> str:
    """The admin URL for a target (starts the embedded server when settings select it)."""
    if isinstance(target, str):
        return target
    return server.admin_url(target or get_settings())


def role_url(target: Target = None, role: Role = "loader") -> str:
    """URL for ``role``: the admin URL with the role's user name and password.

    >>> role_url("postgresql://postgres:@/postgres?host=/tmp/pg", "loader")
    'postgresql://crm_loader@/postgres?host=/tmp/pg'
    """
    admin = resolve_admin_url(target)
    if role == "admin":
        return admin
    settings = target if isinstance(target, Settings) else None
    password = _role_password(settings, role) if settings is not None else None
    if password is None and urlsplit(admin).username == ROLE_NAMES[role]:
        return admin  # DATABASE_URL already logs in as this role (a loader-only scheduled job)
    return with_credentials(admin, ROLE_NAMES[role], password)


def loader_url(target: Target = None) -> str:
    """URL of the ``crm_loader`` role, the one the pipeline writes with."""
    return role_url(target, "loader")


def _role_password(settings: Settings, role: Role) -> str | None:
    secret: SecretStr | None = {
        "loader": settings.loader_password,
        "reader": settings.reader_password,
        "api_sync": settings.api_sync_password,
    }.get(role)
    return secret.get_secret_value() if secret is not None else None


def with_credentials(url: str, user: str, password: str | None) -> str:
    """``url`` with its user and password replaced (the admin's password is never carried over)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"DATABASE_URL must be a postgresql:// URL, got scheme {parts.scheme!r}")
    hostport = parts.netloc.rsplit("@", 1)[-1]
    userinfo = quote(user, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{hostport}"))


def sqlalchemy_url(url: str) -> str:
    """A libpq URL for SQLAlchemy with the psycopg 3 driver (``postgresql+psycopg://``)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    if url.startswith("postgresql+psycopg://"):
        return url
    raise ConfigError("DATABASE_URL must start with postgresql://")


def connect(
    target: Target = None,
    role: Role = "loader",
    *,
    autocommit: bool = False,
    application_name: str = DEFAULT_APPLICATION_NAME,
) -> Connection:
    """A psycopg 3 connection as ``role``; use it as a context manager (commit on success).

    ``application_name`` is recorded in the audit log next to each change.
    """
    url = role_url(target, role)
    with translate_errors():
        return psycopg.connect(url, autocommit=autocommit, application_name=application_name)


@contextmanager
def transaction(
    target: Connection | Target = None,
    role: Role = "loader",
    *,
    application_name: str = DEFAULT_APPLICATION_NAME,
) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back when it raises.

    Give it an open connection (a savepoint when one is already in a transaction) or a target to
    open one as ``role``. Driver errors leave as ``PipelineError`` types.
    """
    if isinstance(target, psycopg.Connection):
        with translate_errors(), target.transaction():
            yield target
        return
    with translate_errors():
        conn = connect(target, role, application_name=application_name)
        with conn, conn.transaction():
            yield conn


def engine(
    target: Target = None, role: Role = "reader", *, application_name: str = DEFAULT_APPLICATION_NAME
) -> Engine:
    """An SQLAlchemy engine (psycopg 3 driver, no pool) for Great Expectations and pandas."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    url = sqlalchemy_url(role_url(target, role))
    return create_engine(url, poolclass=NullPool, connect_args={"application_name": application_name})
