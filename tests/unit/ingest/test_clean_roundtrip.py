"""Round trip on generated data: every truth row is in the clean output or in the quarantine.

No database: the generator writes messy exports plus their truth, the clean stage reads them, and
the two are joined on ``file + record_id`` (clean rows) and ``file + line`` (quarantined rows).
The generator's truth names why a row is messy; since a value never costs a row, only its
unreadable lines are expected to be quarantined whole, the rest as values of kept rows.
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


ROW_REASONS = ("ragged_row", "missing_identity")
"""The generator's reasons that leave a row out; every other reason costs one value (or, for an
unknown branch, nothing: the spelling is kept as an unconfirmed branch)."""


def _expected(truth_dir: Path) -> pl.DataFrame:
    return pl.read_csv(truth_dir / "expected_quarantine.csv", infer_schema=False).with_columns(
        pl.col("line").cast(pl.Int64)
    )


def test_every_truth_row_is_clean_or_quarantined(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, _ = run
    persons = pl.read_parquet(processed / "persons.parquet")
    quarantine = pl.read_parquet(processed / "quarantine.parquet")
    expected = _expected(truth_dir)
    whole = expected.filter(pl.col("reason").is_in(ROW_REASONS))
    assert whole.height > 0 and expected.height > whole.height  # both kinds are generated
    # rows are quarantined whole exactly where the generator made the line unreadable, for that reason
    got = (
        quarantine.filter(pl.col("level") == "row")
        .group_by("file", "line")
        .agg(pl.col("rule").unique())
        .sort("file", "line")
    )
    assert got.select("file", "line").rows() == whole.select("file", "line").sort("file", "line").rows()
    reasons = whole.join(got, on=["file", "line"]).filter(~pl.col("reason").is_in(pl.col("rule")))
    assert reasons.height == 0, reasons.rows()[:5]

    truth = pl.read_csv(truth_dir / "customers.csv", infer_schema=False).select("file", "record_id")
    quarantined_ids = whole.select("file", "record_id")
    placed = pl.concat([persons.select("file", "record_id"), quarantined_ids])
    missing = truth.join(placed, on=["file", "record_id"], how="anti")
    assert missing.height == 0, missing.rows()[:5]
    # and nothing appears twice
    assert persons.join(quarantined_ids, on=["file", "record_id"]).height == 0
    assert persons.height + whole.height == truth.height


def test_a_bad_value_costs_the_value_not_the_row(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, _ = run
    persons = pl.read_parquet(processed / "persons.parquet")
    quarantine = pl.read_parquet(processed / "quarantine.parquet")
    values = _expected(truth_dir).filter(
        ~pl.col("reason").is_in(ROW_REASONS) & (pl.col("reason") != "unknown_branch")
    )
    assert values.height > 0
    entries = quarantine.filter(pl.col("level") == "value").select("file", "line", "rule", "raw_value")
    hit = values.join(entries, left_on=["file", "line", "reason"], right_on=["file", "line", "rule"])
    assert hit.height == values.height, values.join(hit, on=["file", "line"], how="anti").rows()[:5]
    kept = values.join(persons.select("file", "line"), on=["file", "line"])
    assert kept.height == values.height  # every such row is still a clean row


def test_an_unknown_branch_is_kept_as_an_unconfirmed_branch(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, result = run
    persons = pl.read_parquet(processed / "persons.parquet")
    unknown = _expected(truth_dir).filter(pl.col("reason") == "unknown_branch")
    assert unknown.height > 0
    rows = unknown.join(persons.select("file", "line", "branch"), on=["file", "line"])
    assert rows.height == unknown.height
    names = {b.name for b in result.unconfirmed_branches}
    placeholder = rows["raw_value"].str.strip_chars().str.to_lowercase().is_in(["tbd", "unknown"])
    assert set(rows.filter(~placeholder)["branch"].to_list()) <= names
    assert rows.filter(placeholder)["branch"].null_count() == placeholder.sum()  # "TBD": no branch yet
    quarantine = pl.read_parquet(processed / "quarantine.parquet")
    assert quarantine.join(unknown.select("file", "line"), on=["file", "line"]).height == 0


def test_every_truth_job_row_is_a_clean_job_or_quarantined(run: tuple[Path, Path, CleanResult]) -> None:
    truth_dir, processed, _ = run
    jobs = pl.read_parquet(processed / "jobs.parquet").select("file", "record_id")
    quarantined = _expected(truth_dir).filter(pl.col("reason").is_in(ROW_REASONS)).select("file", "record_id")
    truth = pl.read_csv(truth_dir / "jobs.csv", infer_schema=False).select("file", "record_id")
    assert truth.join(pl.concat([jobs, quarantined]), on=["file", "record_id"], how="anti").height == 0


def test_per_file_accounting(run: tuple[Path, Path, CleanResult]) -> None:
    _, processed, result = run
    files = pl.read_parquet(processed / "files.parquet")
    assert files["status"].unique().to_list() == ["ok"]
    assert (files["rows_in"] == files["rows_clean"] + files["rows_quarantined"]).all()
    quarantined = (
        pl.read_parquet(processed / "quarantine.parquet")
        .filter(pl.col("level") == "row")
        .group_by("file")
        .agg(pl.col("line").n_unique())
    )
    counts = files.join(quarantined, on="file", how="left").with_columns(pl.col("line").fill_null(0))
    assert (counts["line"] == counts["rows_quarantined"]).all()
    assert result.rows_in == files["rows_in"].sum()
