"""The one place where driver errors become ``crm_pipeline.errors`` types.

psycopg and SQLAlchemy raise their own exceptions; the rest of the pipeline (and the CLI's error
handler) only knows ``PipelineError`` subclasses, which say whether a retry can help. Everything in
``crm_pipeline.db`` that talks to the server runs inside ``translate_errors()``.

The mapping is by SQLSTATE class (https://www.postgresql.org/docs/current/errcodes-appendix.html):

- no SQLSTATE, class 08 (connection), 57P01-57P03 (shutdown, cannot connect now) → ``DatabaseUnavailable``
- 28 (bad login), 3D000 (no such database) → ``ConfigError`` (fix the settings or run ``db migrate``)
- 40 (serialization failure, deadlock), 53 (out of resources), 55P03 (lock timeout) → ``TransientLoadError``
- everything else (constraint, bad value, permission denied, SQL error) → ``TerminalLoadError``

Messages use the server's primary message (without the quoted value of a data error) and context
(``COPY customers, line 7, column zip``), not its DETAIL (which quotes row values); the CLI masks
emails and phones in whatever remains.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from crm_pipeline.errors import (
    ConfigError,
    DatabaseUnavailable,
    PipelineError,
    TerminalLoadError,
    TransientLoadError,
)

_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03")
_QUOTED_VALUE = re.compile(r':\s*".*"\s*$', re.DOTALL)
# FATAL messages of a refused connection → the SQLSTATE the server sent with them.
_LOGIN_REFUSALS = (
    (re.compile(r"password authentication failed|no password supplied"), "28P01"),
    (re.compile(r'is not permitted to log in|role "[^"]*" does not exist|no pg_hba.conf entry'), "28000"),
    (re.compile(r'database "[^"]*" does not exist'), "3D000"),
)


def translate(exc: BaseException, *, table: str | None = None) -> PipelineError:
    """The ``PipelineError`` that tells the user what ``exc`` (a driver error) means."""
    if isinstance(exc, PipelineError):
        return exc
    orig = getattr(exc, "orig", None)
    if _is_sqlalchemy_error(exc) and isinstance(orig, psycopg.Error):
        exc = orig
    if not isinstance(exc, psycopg.Error):
        return TerminalLoadError(f"database error: {exc}", table=table)

    message = _message(exc)
    state = exc.sqlstate or _connect_failure_state(message)
    where = f" (table {table})" if table else ""
    if not state or state.startswith("08") or state in _UNAVAILABLE_STATES:
        return DatabaseUnavailable(f"cannot reach PostgreSQL: {message}")
    if state.startswith("28"):
        return ConfigError(
            f"PostgreSQL refused the login: {message} — run `crm-pipeline db migrate` to create the "
            "roles, and set CRM_LOADER_PASSWORD if the server asks for a password"
        )
    if state == "3D000":
        return ConfigError(f"{message} — check DATABASE_URL")
    if state.startswith(("40", "53")) or state == "55P03":
        return TransientLoadError(f"{message}{where} — retrying can help", table=table)
    key = exc.diag.constraint_name
    return TerminalLoadError(f"{message}{where}", table=table or exc.diag.table_name, key=key)


def _connect_failure_state(message: str) -> str:
    """libpq reports a refused login as text only (no SQLSTATE): recognise the server's words."""
    for pattern, state in _LOGIN_REFUSALS:
        if pattern.search(message):
            return state
    return ""


def _message(exc: psycopg.Error) -> str:
    primary = exc.diag.message_primary
    if primary is None:  # client-side errors (connection refused, bad URL) carry no diagnostics
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if (exc.sqlstate or "").startswith("22"):
        # data exceptions quote the offending value ('… type date: "31/02/2024"'): it may be personal
        # data, and the line and column below are enough to find it.
        primary = _QUOTED_VALUE.sub("", primary)
    context = exc.diag.context
    if context and context.startswith("COPY "):
        # "COPY customers, line 7, column zip: "..."" → keep up to the column, drop the value.
        primary += f" [{context.split(': ', 1)[0]}]"
    return primary


@contextmanager
def translate_errors(table: str | None = None) -> Iterator[None]:
    """Run a block; a psycopg / SQLAlchemy error leaving it becomes a ``PipelineError`` (``from`` it)."""
    try:
        yield
    except psycopg.Error as exc:
        raise translate(exc, table=table) from exc
    except Exception as exc:
        if _is_sqlalchemy_error(exc):
            raise translate(exc, table=table) from exc
        raise


def _is_sqlalchemy_error(exc: BaseException) -> bool:
    """A SQLAlchemy DBAPIError, without importing SQLAlchemy (slow) when nothing else did."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)
