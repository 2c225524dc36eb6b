"""The first-load bulk path (migration 0007): keys and indexes set aside, then put back exactly."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from load_support import checksums, keys_and_indexes, run_child, write_processed

from crm_pipeline.config import Settings
from crm_pipeline.db.connection import connect
from crm_pipeline.load import run_load
from crm_pipeline.load import tables as T

pytestmark = pytest.mark.integration

LOAD_TABLES = [spec.table for spec in T.MERGE_ORDER]


def test_first_load_puts_every_index_and_foreign_key_back(db_url: str, tmp_path: Path) -> None:
    migrated = keys_and_indexes(db_url, LOAD_TABLES)
    assert any(name == "source_person_records_file_name_fkey" for name, _ in migrated)

    result = run_load(write_processed(tmp_path / "v1"), Settings(database_url=db_url, home=tmp_path / "h"))

    assert "rebuild" in result.timings  # the bulk path was taken
    assert keys_and_indexes(db_url, LOAD_TABLES) == migrated
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM crm_private.load_bulk_ddl").fetchone() == (0,)


def test_a_transaction_that_does_not_put_them_back_cannot_commit(db_url: str, tmp_path: Path) -> None:
    migrated = keys_and_indexes(db_url, LOAD_TABLES)
    settings = Settings(database_url=db_url, home=tmp_path / "h")

    with pytest.raises(psycopg.errors.RaiseException, match="refusing to commit"):
        with connect(settings, "loader") as conn:
            assert conn.execute("SELECT load_bulk_begin()").fetchone() == (True,)
            conn.commit()

    assert keys_and_indexes(db_url, LOAD_TABLES) == migrated


def test_bulk_path_is_refused_on_a_loaded_database_and_for_direct_use(db_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=db_url, home=tmp_path / "h")
    run_load(write_processed(tmp_path / "v1"), settings)
    loaded = keys_and_indexes(db_url, LOAD_TABLES)

    again = run_load(write_processed(tmp_path / "v1"), settings)

    assert "rebuild" not in again.timings
    with connect(settings, "loader") as conn:
        assert conn.execute("SELECT load_bulk_begin()").fetchone() == (False,)  # tables not empty
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM crm_private.load_bulk_ddl")
    assert keys_and_indexes(db_url, LOAD_TABLES) == loaded


@pytest.mark.parametrize("point", ["copy:customer_source_map", "merge:leads"])
def test_first_load_killed_mid_way_leaves_the_schema_whole_and_reruns(
    point: str, db_url: str, tmp_path: Path
) -> None:
    migrated, empty = keys_and_indexes(db_url, LOAD_TABLES), checksums(db_url)
    processed = write_processed(tmp_path / "v1")

    child = run_child(processed, db_url, point, tmp_path / "paused")
    child.kill()  # SIGKILL with every foreign key and secondary index dropped, uncommitted
    child.wait(timeout=30)

    assert keys_and_indexes(db_url, LOAD_TABLES) == migrated
    assert checksums(db_url) == empty
    result = run_load(processed, Settings(database_url=db_url, home=tmp_path / "h"))
    assert "rebuild" in result.timings
    assert keys_and_indexes(db_url, LOAD_TABLES) == migrated
