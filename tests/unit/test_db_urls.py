"""Role URLs: the admin URL with another user and password, never the admin's password."""

from __future__ import annotations

import psycopg.errors
import pytest
from pydantic import SecretStr

from crm_pipeline.config import Settings
from crm_pipeline.db.connection import role_url, sqlalchemy_url, with_credentials
from crm_pipeline.db.errors import translate
from crm_pipeline.errors import ConfigError, DatabaseUnavailable, TerminalLoadError, TransientLoadError

EMBEDDED = "postgresql://postgres:@/postgres?host=/tmp/crm/pg"


def test_embedded_url_becomes_the_loader_url_on_the_same_socket() -> None:
    assert role_url(EMBEDDED, "loader") == "postgresql://crm_loader@/postgres?host=/tmp/crm/pg"
    assert role_url(EMBEDDED, "admin") == EMBEDDED


def test_the_admin_password_is_replaced_by_the_roles_own() -> None:
    settings = Settings(
        database_url=SecretStr("postgresql://admin:s3cret@db.example:5432/crm?sslmode=require"),
        reader_password=SecretStr("p@ss:word/1"),
    )
    assert role_url(settings, "loader") == "postgresql://crm_loader@db.example:5432/crm?sslmode=require"
    assert role_url(settings, "reader") == (
        "postgresql://crm_reader:p%40ss%3Aword%2F1@db.example:5432/crm?sslmode=require"
    )
    assert "s3cret" not in role_url(settings, "api_sync")


def test_with_credentials_refuses_other_schemes() -> None:
    with pytest.raises(ConfigError):
        with_credentials("mysql://root@localhost/crm", "crm_loader", None)


def test_sqlalchemy_url_selects_the_psycopg3_driver() -> None:
    assert sqlalchemy_url(EMBEDDED) == "postgresql+psycopg://postgres:@/postgres?host=/tmp/crm/pg"
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.SerializationFailure("could not serialize access"), TransientLoadError),
        (psycopg.errors.DeadlockDetected("deadlock detected"), TransientLoadError),
        (psycopg.errors.UniqueViolation("duplicate key value"), TerminalLoadError),
        (psycopg.errors.InsufficientPrivilege("permission denied for table audit_log"), TerminalLoadError),
        (
            psycopg.OperationalError('connection failed: FATAL:  role "crm_loader" does not exist'),
            ConfigError,
        ),
        (psycopg.OperationalError('connection failed: FATAL:  database "crm" does not exist'), ConfigError),
        (psycopg.OperationalError("connection failed: Connection refused"), DatabaseUnavailable),
    ],
)
def test_driver_errors_become_pipeline_errors_that_say_whether_to_retry(
    error: psycopg.Error, expected: type[Exception]
) -> None:
    translated = translate(error, table="customers")
    assert type(translated) is expected
