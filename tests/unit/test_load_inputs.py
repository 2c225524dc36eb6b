"""The load's input side (no database): PROCESSED_DIR → one frame per table, and its checks."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

# the contract-conforming PROCESSED_DIR writer shared with the integration tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from load_support import SM_CUSTOMERS, SM_JOBS, write_processed  # noqa: E402

from crm_pipeline.errors import InputError, TerminalLoadError  # noqa: E402
from crm_pipeline.load import tables as T  # noqa: E402
from crm_pipeline.load.inputs import csv_chunks, read_inputs  # noqa: E402


def test_frames_have_the_table_columns_and_every_job_its_customer(tmp_path: Path) -> None:
    inputs = read_inputs(write_processed(tmp_path / "p"), "00000000-0000-0000-0000-000000000001")

    for spec in T.MERGE_ORDER:
        assert tuple(inputs.frame(spec).columns) == spec.staged_columns
    jobs = inputs.frame(T.SOURCE_JOB_RECORDS)
    umap = inputs.frame(T.CUSTOMER_SOURCE_MAP)
    joined = jobs.join(umap.select("uid", pl.col("customer_id").alias("mapped")), on="uid")
    assert joined.height == jobs.height and (joined["customer_id"] == joined["mapped"]).all()
    rejected = inputs.frame(T.QUARANTINE).filter(pl.col("file_name") == "notes.csv")
    assert rejected.select("line", "column_name").rows() == [(0, "*")]
    assert set(inputs.frame(T.CUSTOMERS)["source_systems"]) <= {
        "lead,legacy,smartmoving",
        "lead,smartmoving",
        "legacy,smartmoving",
        "smartmoving",
    }
    assert "New York City" in inputs.branch_names and inputs.branch_aliases["NYC"] == "New York City"


def test_empty_text_is_null(tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "p")
    persons = pl.read_parquet(processed / "persons.parquet")
    persons.with_columns(pl.lit("").alias("phone_ext")).write_parquet(processed / "persons.parquet")

    frame = read_inputs(processed, "r").frame(T.SOURCE_PERSON_RECORDS)

    assert frame["phone_ext"].null_count() == frame.height
    assert b',"",' not in b"".join(csv_chunks(frame))


def test_duplicate_key_is_refused_naming_the_key(tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "p")
    persons = pl.read_parquet(processed / "persons.parquet")
    pl.concat([persons, persons.head(1)]).write_parquet(processed / "persons.parquet")

    with pytest.raises(TerminalLoadError, match=f"duplicate key \\(uid={SM_CUSTOMERS}#2\\)") as err:
        read_inputs(processed, "r")
    assert err.value.table == "source_person_records"


def test_job_without_customer_is_refused_naming_the_uid(tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "p")
    for name in ("unification_map.parquet", "persons.parquet"):
        frame = pl.read_parquet(processed / name)
        frame.filter(pl.col("uid") != f"{SM_JOBS}#3").write_parquet(processed / name)

    with pytest.raises(TerminalLoadError, match=f"{SM_JOBS}#3"):
        read_inputs(processed, "r")


def test_missing_stage_output_is_named(tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "p")
    (processed / "match_run.json").unlink()

    with pytest.raises(InputError, match="match_run.json"):
        read_inputs(processed, "r")


def test_map_row_naming_another_file_than_its_person_row_is_refused(tmp_path: Path) -> None:
    # The database no longer checks customer_source_map.file_name (migration 0006); the load does.
    processed = write_processed(tmp_path / "p")
    umap = pl.read_parquet(processed / "unification_map.parquet")
    moved = pl.when(pl.col("uid") == f"{SM_CUSTOMERS}#2").then(pl.lit(SM_JOBS)).otherwise(pl.col("file"))
    umap.with_columns(moved.alias("file")).write_parquet(processed / "unification_map.parquet")

    with pytest.raises(TerminalLoadError, match=f"{SM_CUSTOMERS}#2") as err:
        read_inputs(processed, "r")
    assert err.value.table == "customer_source_map"
