"""The processed folder's lock file: one holder; a live holder stops a second run (exit code 3),
a dead one's file is taken over, another host's is never guessed about."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crm_pipeline.errors import LockHeld
from crm_pipeline.runlock import LOCK_FILE, folder_lock


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_lock_file_names_its_holder_and_goes_away(tmp_path: Path) -> None:
    with folder_lock(tmp_path) as lock:
        lock.note_run_id("run-1")
        info = json.loads((tmp_path / LOCK_FILE).read_text())
        assert info["run_id"] == "run-1" and info["pid"] == os.getpid()
        assert info["host"] == socket.gethostname() and info["since"]
        assert (tmp_path / LOCK_FILE).stat().st_mode & 0o777 == 0o600
        with pytest.raises(LockHeld, match=f"run run-1, pid {os.getpid()}") as err:
            with folder_lock(tmp_path):
                pass
        assert err.value.exit_code == 3
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_dead_holder_is_taken_over(tmp_path: Path) -> None:
    stale = {"run_id": "x", "pid": _dead_pid(), "host": socket.gethostname(), "since": "then"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(stale))
    with folder_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_another_hosts_lock_is_not_taken_over(tmp_path: Path) -> None:
    other = {"run_id": "x", "pid": _dead_pid(), "host": "not-" + socket.gethostname(), "since": "then"}
    (tmp_path / LOCK_FILE).write_text(json.dumps(other))
    with pytest.raises(LockHeld, match="another host"):
        with folder_lock(tmp_path):
            pass
    assert json.loads((tmp_path / LOCK_FILE).read_text()) == other
