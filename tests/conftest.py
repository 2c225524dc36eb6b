"""Shared fixtures.

Integration tests talk to a real PostgreSQL: the embedded PostgreSQL 16 (default) or the server in
``TEST_DATABASE_URL``. Each test session creates its own throwaway database and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from crm_pipeline.config import Settings, get_settings

TEST_HOME = Path(os.environ.get("CRM_TEST_HOME", "/tmp/crm-pipeline-test-home"))


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """Superuser URL of the server under test (its maintenance database)."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        return external
    from crm_pipeline.db.server import embedded_url

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    return embedded_url(Settings(home=TEST_HOME, database_url=None))


def _with_database(url: str, dbname: str) -> str:
    return make_url(url).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str) -> Iterator[str]:
    """Superuser URL of a fresh throwaway database, dropped after the session."""
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def migrated_database_url(database_url: str) -> str:
    """``database_url`` migrated to head: roles, tables, masked views, audit triggers.

    Shared by the session: tests that write rows use their own keys and leave others' rows alone.
    """
    from crm_pipeline.db import migrate

    migrate(database_url)
    return database_url


@pytest.fixture
def fresh_database_url(pg_server_url: str) -> Iterator[str]:
    """Like ``database_url`` but one database per test (for tests that need an empty schema)."""
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(pg_server_url, name)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the session's throwaway database, with a private CRM_HOME."""
    return Settings(database_url=database_url, home=tmp_path / "crm_home")


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's .env or CRM_HOME by accident."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("CRM_") or key == "DATABASE_URL":
            monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
