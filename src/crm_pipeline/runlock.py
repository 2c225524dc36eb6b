"""One run at a time: the database's advisory lock plus a lock file in the processed folder.

``exclusive(settings, processed_dir=…, database=True)`` holds, for the block:

- the **database** run lock (``crm_pipeline.db.locks``: a session-level advisory lock the server
  releases when the holder's session ends), when the command writes the database;
- the **processed folder**'s lock file ``PROCESSED_DIR/.crm-pipeline.lock`` (JSON: run id, pid,
  host, since), when the command writes that folder — created with ``O_EXCL``, so of two
  processes exactly one gets it.

A second run finds one of them taken and stops with ``LockHeld`` (exit code 3) saying who holds
it. A lock file whose process is gone (same host, pid not alive) is left over from a crash and is
taken over, with a warning; one written on another host is never guessed about (remove it by hand
once you know that run is over). The lock file is removed when the block ends, if it is still ours.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crm_pipeline.config import Settings
from crm_pipeline.errors import LockHeld

log = logging.getLogger(__name__)

LOCK_FILE = ".crm-pipeline.lock"


@dataclass
class FolderLock:
    """The lock file's content; ``run_id`` is filled in once the run knows it (``note_run_id``)."""

    path: Path
    info: dict[str, Any] = field(default_factory=dict)

    def note_run_id(self, run_id: str) -> None:
        self.info["run_id"] = run_id
        _write_json(self.path, self.info, exclusive=False)


def me() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


@contextmanager
def exclusive(
    settings: Settings, *, processed_dir: Path | None = None, database: bool = True
) -> Iterator[FolderLock | None]:
    """Hold the database's run lock (``database``) and the folder's lock file (``processed_dir``)."""
    with ExitStack() as stack:
        if database:
            from crm_pipeline.db.locks import run_lock

            stack.enter_context(run_lock(settings, me()))
        folder = stack.enter_context(folder_lock(processed_dir)) if processed_dir is not None else None
        yield folder


@contextmanager
def folder_lock(processed_dir: Path) -> Iterator[FolderLock]:
    """The processed folder's lock file for the block (``LockHeld`` when a live process has it)."""
    processed_dir.mkdir(parents=True, exist_ok=True)
    path = processed_dir / LOCK_FILE
    info = {
        "run_id": None,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for _ in range(3):  # a stale file is replaced, then the O_EXCL create is tried again
        try:
            _write_json(path, info, exclusive=True)
            break
        except FileExistsError:
            _take_over_if_stale(path)
    else:
        raise LockHeld(f"could not take the lock file {path}; run again")
    lock = FolderLock(path, info)
    try:
        yield lock
    finally:
        if _read(path).get("pid") == os.getpid():
            path.unlink(missing_ok=True)


def _take_over_if_stale(path: Path) -> None:
    holder = _read(path)
    pid = holder.get("pid")
    same_host = holder.get("host") == socket.gethostname()
    if isinstance(pid, int) and same_host and not _alive(pid):
        log.warning("taking over the lock file %s of pid %s, which is gone (a crashed run)", path, pid)
        path.unlink(missing_ok=True)
        return
    if not holder:  # unreadable or half-written: another process is writing it right now
        raise LockHeld(f"another crm-pipeline run is taking the lock file {path}")
    where = f"pid {pid} on {holder.get('host')}"
    hint = "" if same_host else f" (another host: if that run is over, delete {path})"
    raise LockHeld(
        f"another crm-pipeline run holds the processed folder: run {holder.get('run_id') or '(starting)'}, "
        f"{where}, since {holder.get('since')}{hint}"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, info: dict[str, Any], *, exclusive: bool) -> None:
    """Write the lock file; ``exclusive``: only if it does not exist (``FileExistsError`` otherwise)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(info))
