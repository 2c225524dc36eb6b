"""The load's input side (no database): PROCESSED_DIR → one frame per table, and its checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

# the contract-conforming PROCESSED_DIR writer shared with the integration tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from load_support import SM_CUSTOMERS, SM_JOBS, write_processed  # noqa: E402

from crm_pipeline.errors import InputError, TerminalLoadError  # noqa: E402
from crm_pipeline.load import tables as T  # noqa: E402
from crm_pipeline.load.inputs import content_hash, csv_chunks, read_inputs  # noqa: E402


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


def _content_hashes(processed: Path) -> dict[str, str]:
    inputs = read_inputs(processed, "00000000-0000-0000-0000-000000000001")
    return {spec.table: content_hash(spec, inputs.frame(spec)) for spec in T.MERGE_ORDER}


def test_content_hash_moves_with_the_rows_and_only_with_them(tmp_path: Path) -> None:
    v1 = _content_hashes(write_processed(tmp_path / "v1"))
    again = _content_hashes(write_processed(tmp_path / "again"))
    changed = _content_hashes(write_processed(tmp_path / "v2", changed_email=True))

    assert again == v1  # same rows, other folder and run: same hashes
    assert {t for t in v1 if changed[t] != v1[t]} == {"customers", "source_person_records", "source_files"}


def test_content_hash_tells_null_from_empty_and_ignores_lineage() -> None:
    spec = T.CUSTOMER_SOURCE_MAP
    base = pl.DataFrame(
        {"uid": ["a#1", "a#2"], "file_name": ["a", "a"], "record_id": ["1", "2"], "customer_id": ["c1", None]}
    ).with_columns(match_run_id=pl.lit("run-1"))

    other_run = base.with_columns(match_run_id=pl.lit("run-2"))  # lineage: written, never compared
    empty = base.with_columns(customer_id=pl.Series(["c1", ""]))
    swapped = base.reverse()

    assert content_hash(spec, other_run) == content_hash(spec, base)
    assert content_hash(spec, empty) != content_hash(spec, base)
    assert content_hash(spec, swapped) != content_hash(spec, base)


def test_content_hash_is_the_same_in_another_process(tmp_path: Path) -> None:
    processed = write_processed(tmp_path / "p")
    here = _content_hashes(processed)
    script = (
        "import json, sys; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from crm_pipeline.load import tables as T;"
        "from crm_pipeline.load.inputs import read_inputs, content_hash;"
        "i = read_inputs(Path(sys.argv[1]), '00000000-0000-0000-0000-000000000001');"
        "print(json.dumps({s.table: content_hash(s, i.frame(s)) for s in T.MERGE_ORDER}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(processed), str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(out.stdout) == here
