"""One run at a time per database: a session-level PostgreSQL advisory lock.

``run_lock(target, holder)`` opens one ``crm_loader`` connection, takes
``pg_try_advisory_lock(<key of "crm_pipeline.run">)`` and keeps the connection (and so the lock)
until the block ends. The server releases the lock by itself when the holder's session ends — a
killed process, a lost connection — so a crashed holder never blocks the next run. The connection's
``application_name`` names the holder (pid, host), which is what a second run reports when it
finds the lock taken (``LockHeld``, exit code 3).

Advisory locks are per database: two pipelines on two databases of one server do not meet. The
load's own transaction-level lock (``load_tx.begin_load``) has another key and stays: it also keeps
a ``load`` apart from writers that do not take this lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from crm_pipeline.db.connection import Connection, Target, connect
from crm_pipeline.db.errors import translate_errors
from crm_pipeline.db.load_tx import advisory_key
from crm_pipeline.errors import LockHeld

RUN_LOCK_NAME = "crm_pipeline.run"
APPLICATION_PREFIX = "crm-pipeline lock"

_HOLDER_SQL = """
SELECT a.pid, a.application_name, a.client_addr::text, a.backend_start
FROM pg_locks l JOIN pg_stat_activity a USING (pid)
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (
        SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = %s AND l.objid = %s AND l.objsubid = 1
"""


@contextmanager
def run_lock(target: Target, holder: str) -> Iterator[None]:
    """Hold the database's run lock for the block; ``LockHeld`` when another session has it.

    ``holder``: who we are, e.g. ``pid 4242 on host-1`` (shown to a run that finds the lock taken).
    """
    key = advisory_key(RUN_LOCK_NAME)
    name = f"{APPLICATION_PREFIX} {holder}"[:63]
    conn = connect(target, "loader", autocommit=True, application_name=name)
    try:
        with translate_errors():
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not (row and row[0]):
                raise LockHeld(
                    f"another crm-pipeline run holds the database's run lock: {_holder(conn, key)}"
                )
        yield
    finally:
        conn.close()  # ends the session: the server releases the lock


def _holder(conn: Connection, key: int) -> str:
    """Who holds the lock, as far as the server tells (pid and start of its session)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    params = ((unsigned >> 32) & 0xFFFFFFFF, unsigned & 0xFFFFFFFF)
    row = conn.execute(_HOLDER_SQL, params).fetchone()
    if row is None:
        return "released meanwhile; run again"
    pid, app, client, since = row
    who = str(app)[len(APPLICATION_PREFIX) :].strip() if str(app).startswith(APPLICATION_PREFIX) else str(app)
    where = client or "local socket"
    return f"{who or 'unknown client'} (server pid {pid}, from {where}, since {since:%Y-%m-%d %H:%M:%S %Z})"
