"""Round trip on generated data: every truth row is in the clean output or in the quarantine.

No database: the generator writes messy exports plus their truth, the clean stage reads them, and
the two are joined on ``file + record_id`` (clean rows) and ``file + line`` (quarantined rows).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crm_pipeline.config import Settings
from crm_pipeline.generate import generate
from crm_pipeline.ingest import CleanResult, run_clean

PEOPLE = 2_000


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, CleanResult]:
    base = tmp_path_factory.mktemp("roundtrip")
    generated = generate(PEOPLE, base / "data", seed=11)
    result = run_clean(generated.raw_dir, base / "processed", Settings(), validate=False)
    return generated.truth_dir, base / "processed", result


def test_every_truth_row_is_clean_or_quarantined(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, _ = run
    persons = pl.read_parquet(processed / "persons.parquet").select("file", "record_id")
    quarantine = pl.read_parquet(processed / "quarantine.parquet")
    expected = pl.read_csv(truth_dir / "expected_quarantine.csv", infer_schema=False).with_columns(
        pl.col("line").cast(pl.Int64)
    )
    # the quarantine holds exactly the rows the generator made unreadable, for the same reason
    got = quarantine.group_by("file", "line").agg(pl.col("rule").unique()).sort("file", "line")
    assert got.select("file", "line").rows() == expected.select("file", "line").sort("file", "line").rows()
    reasons = expected.join(got, on=["file", "line"]).filter(~pl.col("reason").is_in(pl.col("rule")))
    assert reasons.height == 0, reasons.rows()[:5]

    truth = pl.read_csv(truth_dir / "customers.csv", infer_schema=False).select("file", "record_id")
    quarantined_ids = expected.select("file", "record_id")
    placed = pl.concat([persons, quarantined_ids])
    missing = truth.join(placed, on=["file", "record_id"], how="anti")
    assert missing.height == 0, missing.rows()[:5]
    # and nothing appears twice
    assert persons.join(quarantined_ids, on=["file", "record_id"]).height == 0
    assert persons.height + expected.height == truth.height


def test_every_truth_job_row_is_a_clean_job_or_quarantined(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, _ = run
    jobs = pl.read_parquet(processed / "jobs.parquet").select("file", "record_id")
    quarantined = pl.read_csv(truth_dir / "expected_quarantine.csv", infer_schema=False).select(
        "file", "record_id"
    )
    truth = pl.read_csv(truth_dir / "jobs.csv", infer_schema=False).select("file", "record_id")
    assert truth.join(pl.concat([jobs, quarantined]), on=["file", "record_id"], how="anti").height == 0


def test_per_file_accounting(run: tuple[Path, Path, CleanResult]) -> None:
    _, processed, result = run
    files = pl.read_parquet(processed / "files.parquet")
    assert files["status"].unique().to_list() == ["ok"]
    assert (files["rows_in"] == files["rows_clean"] + files["rows_quarantined"]).all()
    quarantined = (
        pl.read_parquet(processed / "quarantine.parquet").group_by("file").agg(pl.col("line").n_unique())
    )
    counts = files.join(quarantined, on="file", how="left").with_columns(pl.col("line").fill_null(0))
    assert (counts["line"] == counts["rows_quarantined"]).all()
    assert result.rows_in == files["rows_in"].sum()
