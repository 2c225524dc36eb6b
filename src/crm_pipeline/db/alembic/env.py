"""Alembic environment: runs the revisions on the connection ``crm_pipeline.db.migrations`` passes.

There is no alembic.ini: ``migrations.alembic_config()`` builds the configuration in code and puts
an open SQLAlchemy connection (as the admin user) in ``config.attributes["connection"]``. All
revisions of one ``upgrade`` run in a single transaction, so a failure leaves the schema untouched.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through crm_pipeline.db.migrations (needs a connection)")
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) mode is not supported; the revisions are plain SQL already")
run_migrations_online()
