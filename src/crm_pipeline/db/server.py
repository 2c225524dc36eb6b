"""The embedded PostgreSQL 16 (the ``pgserver`` package) and the choice of server.

With ``DATABASE_URL`` set, that server is used as it is. Otherwise an embedded PostgreSQL 16 lives
in ``CRM_HOME/pg``; it listens on a unix socket only, starts on demand and keeps running for the
next command until ``crm-pipeline db stop``.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_pipeline.config import Settings, get_settings
from crm_pipeline.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerStatus:
    kind: str  # "embedded" or "external"
    running: bool
    url: str  # without password
    pgdata: Path | None = None
    pid: int | None = None


def _pgserver_module() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' XDG_RUNTIME_DIR warning
        import pgserver

    return pgserver


def embedded_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """Start (if needed) the embedded server and return its URL (unix socket, user postgres)."""
    settings = settings or get_settings()
    pgdata = settings.pgdata
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if not start and not _embedded_pid(pgdata):
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {pgdata} is not running (crm-pipeline db start)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            srv = _pgserver_module().get_server(pgdata, cleanup_mode=None)
            uri: str = srv.get_uri()
    except Exception as exc:  # pgserver raises bare exceptions from pg_ctl/initdb
        raise DatabaseUnavailable(f"could not start the embedded PostgreSQL in {pgdata}: {exc}") from exc
    return uri


def _embedded_pid(pgdata: Path) -> int | None:
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return None
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        import os

        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def stop_embedded(settings: Settings | None = None) -> bool:
    """Stop the embedded server; returns False when it was not running."""
    settings = settings or get_settings()
    pgdata = settings.pgdata
    if not _embedded_pid(pgdata):
        return False
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    srv_user = "pgserver" if _is_root() else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=srv_user)
    except subprocess.CalledProcessError as exc:
        raise DatabaseUnavailable(f"could not stop the embedded PostgreSQL: {exc}") from exc
    return True


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def admin_url(settings: Settings | None = None) -> str:
    """URL of a superuser / owner connection: DATABASE_URL, or the embedded server (started)."""
    settings = settings or get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_url(settings)


def is_embedded(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return settings.database_url is None


def redact(url: str) -> str:
    """A URL safe to print: the password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is still not printed whole
        return "<unparsable database URL>"


def status(settings: Settings | None = None) -> ServerStatus:
    settings = settings or get_settings()
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
        return ServerStatus(kind="external", running=True, url=redact(url))
    pid = _embedded_pid(settings.pgdata)
    url = embedded_url(settings, start=False) if pid else f"(not running; data in {settings.pgdata})"
    return ServerStatus(kind="embedded", running=pid is not None, url=url, pgdata=settings.pgdata, pid=pid)
