"""Database access: the only package that imports psycopg or SQLAlchemy.

Every other stage reaches PostgreSQL through these names (schema and roles: ``docs/schema.md``)::

    from crm_pipeline import db

    db.migrate(settings)                       # alembic upgrade head, as the admin user
    with db.transaction(settings) as conn:     # crm_loader; commit at the end, rollback on error
        db.copy_frame(conn, "stg_customers", frame, ["customer_id", "email"])
        conn.execute("INSERT INTO customers … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM …")
    engine = db.engine(settings, role="reader")  # SQLAlchemy (psycopg 3) for Great Expectations / pandas

Where to connect — ``target`` in every function: a ``Settings`` (its ``DATABASE_URL``, else the
embedded PostgreSQL 16, started on demand), an admin URL string, or ``None`` (process settings).

Connections (``connection``):
    ``connect(target, role="loader"|"admin"|"reader"|"api_sync")`` → psycopg 3 connection;
    ``transaction(target_or_conn, role)`` → context manager, one transaction;
    ``admin_url(settings)``, ``loader_url(target)``, ``role_url(target, role)`` → URLs;
    ``sqlalchemy_url(url)`` (``postgresql://`` → ``postgresql+psycopg://``), ``engine(target, role)``.
    The pipeline writes as ``crm_loader``; its password (if the server wants one) comes from
    ``CRM_LOADER_PASSWORD``, else libpq's ``PGPASSWORD`` / ``~/.pgpass``.

Bulk load (``copy``): ``copy_frame(conn, table, frame, columns)`` streams a Polars / Arrow frame
with ``COPY … FROM STDIN`` (CSV slices written by Polars: the fastest of the ways measured).

Schema (``migrations``): ``migrate(target)``, ``downgrade(target, "base")``,
``current_revision(target)``, ``head_revision()``, ``ensure_migrated(target)``.

Health (``health``): ``check(settings)`` → what ``crm-pipeline db status`` prints.

Errors (``errors``): ``translate_errors()`` is the one place driver errors become
``crm_pipeline.errors`` types (``DatabaseUnavailable``, ``ConfigError``, ``TransientLoadError``,
``TerminalLoadError``); every function here already runs inside it.

The embedded server (``server``): ``embedded_url``, ``stop_embedded``, ``status``, ``redact``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm_pipeline.db.connection import (
        ROLE_NAMES,
        Connection,
        Role,
        Target,
        connect,
        engine,
        loader_url,
        role_url,
        sqlalchemy_url,
        transaction,
    )
    from crm_pipeline.db.copy import copy_frame
    from crm_pipeline.db.errors import translate_errors
    from crm_pipeline.db.migrations import (
        current_revision,
        downgrade,
        ensure_migrated,
        head_revision,
        migrate,
    )
    from crm_pipeline.db.server import admin_url, redact

# Imported on first use (PEP 562): Polars, SQLAlchemy and Alembic take seconds to import, and a
# command like `crm-pipeline db stop` needs none of them.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "ROLE_NAMES",
            "Connection",
            "Role",
            "Target",
            "connect",
            "engine",
            "loader_url",
            "role_url",
            "sqlalchemy_url",
            "transaction",
        ],
        "crm_pipeline.db.connection",
    ),
    "copy_frame": "crm_pipeline.db.copy",
    "translate_errors": "crm_pipeline.db.errors",
    **dict.fromkeys(
        ["current_revision", "downgrade", "ensure_migrated", "head_revision", "migrate"],
        "crm_pipeline.db.migrations",
    ),
    "admin_url": "crm_pipeline.db.server",
    "redact": "crm_pipeline.db.server",
}

__all__ = [
    "ROLE_NAMES",
    "Connection",
    "Role",
    "Target",
    "admin_url",
    "connect",
    "copy_frame",
    "current_revision",
    "downgrade",
    "engine",
    "ensure_migrated",
    "head_revision",
    "loader_url",
    "migrate",
    "redact",
    "role_url",
    "sqlalchemy_url",
    "transaction",
    "translate_errors",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crm_pipeline.db' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
