"""Crash safety: a load SIGKILLed anywhere leaves the database as it was; a rerun completes it.

The database holds yesterday's load (v1); today's load (v2: a changed email, a row gone, a new job)
runs in a child process (``load_child.py``) that pauses at one checkpoint, and is killed there.
After the kill every final table must still equal yesterday's (nothing half-visible); after a
rerun, it must equal an uninterrupted v2 load row for row (checksums of the ordered rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from load_support import checksums, new_database, run_child, write_processed

from crm_pipeline.config import Settings
from crm_pipeline.db import migrate
from crm_pipeline.load import run_load

pytestmark = pytest.mark.integration

# Ten points: before any write, inside three COPYs (between two chunks), after staging, after two
# merges, after the deletes, just before COMMIT, and just after it.
KILL_POINTS = [
    "locked",
    "copy:branches",
    "copy:source_person_records",
    "copy:customers",
    "copied",
    "merge:customers",
    "merge:source_job_records",
    "deleted",
    "before_commit",
    "committed",
]

Checks = dict[str, tuple[int, str]]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("crash_inputs")
    return write_processed(root / "v1", people=40), write_processed(root / "v2", people=40, version=2)


@pytest.fixture(scope="module")
def reference(
    pg_server_url: str, inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Checks, Checks]]:
    """(template database holding v1, checksums after v1, checksums after v1 then v2 uninterrupted)."""
    v1, v2 = inputs
    home = tmp_path_factory.mktemp("crash_home")
    with new_database(pg_server_url) as template:
        migrate(template)
        run_load(v1, Settings(database_url=template, home=home))
        after_v1 = checksums(template)
        with new_database(pg_server_url, template=template) as ref:
            run_load(v2, Settings(database_url=ref, home=home))
            after_v2 = checksums(ref)
        yield template, after_v1, after_v2


def _ledger(url: str) -> list[tuple[str, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT status, count(*) FROM pipeline_stages GROUP BY 1 ORDER BY 1").fetchall()


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_at_any_point_then_rerun_equals_an_uninterrupted_load(
    point: str,
    pg_server_url: str,
    inputs: tuple[Path, Path],
    reference: tuple[str, Checks, Checks],
    tmp_path: Path,
) -> None:
    _, v2 = inputs
    template, after_v1, after_v2 = reference
    with new_database(pg_server_url, template=template) as url:
        child = run_child(v2, url, point, tmp_path / "paused")
        child.kill()  # SIGKILL: no handler, no rollback from the client side
        child.wait(timeout=30)

        committed = point == "committed"
        assert checksums(url) == (after_v2 if committed else after_v1)
        assert _ledger(url) == [("succeeded", 2 if committed else 1)]  # a killed load leaves no trace

        rerun = run_load(v2, Settings(database_url=url, home=tmp_path / "home"))

        assert checksums(url) == after_v2
        if committed:
            assert (rerun.inserted, rerun.updated, rerun.deleted) == (0, 0, 0)
