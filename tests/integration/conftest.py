"""Fixtures of the load tests: an empty database migrated to head, per test, copied from a template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from load_support import new_database

from crm_pipeline.db import migrate


@pytest.fixture(scope="module")
def migrated_template(pg_server_url: str) -> Iterator[str]:
    """A database migrated to head, made once per test module (migrating takes seconds)."""
    with new_database(pg_server_url) as url:
        migrate(url)
        yield url


@pytest.fixture
def db_url(pg_server_url: str, migrated_template: str) -> Iterator[str]:
    """An empty database of its own, migrated to head (a copy of the module's template)."""
    with new_database(pg_server_url, template=migrated_template) as url:
        yield url
