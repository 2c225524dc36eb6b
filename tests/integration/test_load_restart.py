"""The database server restarting in the middle of a load.

The test runs its own embedded PostgreSQL (in ``tmp_path``), so stopping it disturbs no other
test, and it runs the same way whether or not ``TEST_DATABASE_URL`` points at another server. The
load runs in a child process (``load_child.py``) paused at a checkpoint while the test stops and
starts the server with ``crm-pipeline db start`` / ``stop_embedded``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from load_support import checksums, new_database, run_child, write_processed

from crm_pipeline.config import Settings
from crm_pipeline.db import migrate
from crm_pipeline.db.server import stop_embedded
from crm_pipeline.load import run_load

pytestmark = pytest.mark.integration

CLI = Path(sys.executable).with_name("crm-pipeline")


def _start(home: Path) -> str:
    """Start the private embedded server (as a user would) and return its superuser URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CRM_DATABASE_URL")}
    env["CRM_HOME"] = str(home)
    subprocess.run([str(CLI), "db", "start"], check=True, env=env, cwd=home, capture_output=True)
    # postmaster.pid, line 5: the directory of the server's unix socket
    socket_dir = (home / "pg" / "postmaster.pid").read_text().splitlines()[4].strip()
    return f"postgresql://postgres:@/postgres?host={socket_dir}"


@pytest.fixture
def private_server() -> Iterator[tuple[str, Settings]]:
    """A private embedded server: (superuser URL, its settings). Its folder is outside pytest's
    tmp_path, which a concurrent pytest session may prune while this one still runs."""
    home = Path(tempfile.mkdtemp(prefix="crm-load-restart-"))
    settings = Settings(home=home, database_url=None)
    try:
        yield _start(home), settings
    finally:
        stop_embedded(settings)
        shutil.rmtree(home, ignore_errors=True)


def test_server_restart_mid_load_gives_a_clear_error_and_a_rerun_succeeds(
    private_server: tuple[str, Settings], tmp_path: Path
) -> None:
    server_url, server_settings = private_server
    v1 = write_processed(tmp_path / "v1")
    v2 = write_processed(tmp_path / "v2", version=2)
    with new_database(server_url) as url:
        migrate(url)
        settings = Settings(database_url=url, home=tmp_path / "crm_home")
        run_load(v1, settings)
        after_v1 = checksums(url)
        with new_database(server_url, template=url) as ref:
            run_load(v2, Settings(database_url=ref, home=tmp_path / "crm_home"))
            after_v2 = checksums(ref)

        # 1. the server goes down mid-merge and stays down through every retry
        flag = tmp_path / "paused"
        child = run_child(v2, url, "merge:customers", flag, attempts=2)
        stop_embedded(server_settings)
        flag.unlink()  # let the load go on, into a dead connection
        _, err = child.communicate(timeout=60)

        assert child.returncode == 1
        assert "gave up after 2 attempt(s)" in err and "cannot reach PostgreSQL" in err
        _start(server_settings.home)
        assert checksums(url) == after_v1  # nothing of the failed load is visible

        run_load(v2, settings)
        assert checksums(url) == after_v2

        # 2. the server restarts while the load is paused in a COPY: the load's retry finishes it
        child = run_child(v1, url, "copy:customers", flag, attempts=3)
        stop_embedded(server_settings)
        _start(server_settings.home)
        flag.unlink()
        out, err = child.communicate(timeout=60)

        assert child.returncode == 0, err
        assert "attempts=2" in out
        again = run_load(v1, settings)  # the retried load was complete: nothing left to do
        assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
