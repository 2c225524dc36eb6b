"""Job duplicate detection against the real PostgreSQL: each duplicate kind and each stay-apart kind,
the three tables, the job-map export, and reruns that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from analytics_support import (
    audit_count,
    clear,
    customer,
    fetch,
    insert_rows,
    job_record,
    private_database,
    source_file,
)
from load_support import keys_and_indexes

from crm_pipeline.analytics.job_duplicates import export_job_map, run_job_duplicates
from crm_pipeline.config import Settings

pytestmark = pytest.mark.integration

SM, SM_JUNE, LEGACY = "sm_jobs.csv", "sm_jobs_june.csv", "legacy_jobs.csv"


@pytest.fixture(scope="module")
def url(pg_server_url: str) -> Iterator[str]:
    with private_database(pg_server_url) as db_url:
        yield db_url


@pytest.fixture
def settings(url: str, tmp_path: Path) -> Iterator[Settings]:
    clear(url)
    yield Settings(database_url=url, home=tmp_path / "home")


def seed(url: str) -> None:
    insert_rows(
        url,
        "source_files",
        [
            source_file(SM, "smartmoving_jobs"),
            source_file(SM_JUNE, "smartmoving_jobs"),
            source_file(LEGACY, "legacy_jobs"),
        ],
    )
    insert_rows(url, "customers", [customer(f"cus_{i}") for i in range(1, 6)])
    insert_rows(
        url,
        "source_job_records",
        [
            # cus_1: SmartMoving and the legacy CRM export the same job (legacy a day off, street spelled out)
            job_record(
                f"{SM}#2",
                "cus_1",
                record_id="10356-2",
                job_number="10356-2",
                status="completed",
                final_total=Decimal("1350.00"),
            ),
            job_record(
                f"{LEGACY}#2",
                "cus_1",
                record_id="L-100",
                job_number="L-100",
                service_date=date(2024, 5, 11),
                origin_street="12 Elm Street",
            ),
            # cus_2: two overlapping SmartMoving exports; status moved on, total filled in
            job_record(f"{SM}#3", "cus_2", record_id="10400-1", job_number="10400-1"),
            job_record(
                f"{SM_JUNE}#2",
                "cus_2",
                record_id="10400-1",
                job_number="10400-1",
                status="completed",
                final_total=Decimal("980.50"),
                dest_street="400 Beacon Street",
            ),
            # cus_3: addresses spelled differently across systems
            job_record(f"{SM}#4", "cus_3", record_id="10500-1", job_number="10500-1"),
            job_record(
                f"{LEGACY}#3",
                "cus_3",
                record_id="L-300",
                job_number="L-300",
                origin_street="12 ELM STREET",
                dest_street="400 BAECON ST",
            ),
            # cus_4: the same route again months later — a second move
            job_record(f"{SM}#5", "cus_4", record_id="10600-1", job_number="10600-1"),
            job_record(
                f"{LEGACY}#4", "cus_4", record_id="L-400", job_number="L-400", service_date=date(2024, 8, 1)
            ),
            # cus_5: same day, another destination
            job_record(f"{SM}#6", "cus_5", record_id="10700-1", job_number="10700-1"),
            job_record(
                f"{LEGACY}#5",
                "cus_5",
                record_id="L-500",
                job_number="L-500",
                dest_street="77 HARVARD AVE",
                dest_zip="02134",
            ),
        ],
    )


def groups_by_customer(url: str) -> dict[str, list[int]]:
    """customer → sorted sizes of its unified jobs, from job_source_map."""
    rows = fetch(
        url,
        "SELECT j.customer_id, count(*) FROM job_source_map m JOIN jobs j USING (job_id)"
        " GROUP BY j.job_id, j.customer_id",
    )
    sizes: dict[str, list[int]] = {}
    for customer_id, n in rows:
        sizes.setdefault(customer_id, []).append(n)
    return {c: sorted(v) for c, v in sorted(sizes.items())}


def test_duplicates_merge_and_different_moves_stay_apart(
    settings: Settings, url: str, tmp_path: Path
) -> None:
    seed(url)
    result = run_job_duplicates(settings)

    assert groups_by_customer(url) == {
        "cus_1": [2],
        "cus_2": [2],
        "cus_3": [2],
        "cus_4": [1, 1],
        "cus_5": [1, 1],
    }
    assert (result.source_rows, result.jobs, result.duplicate_groups, result.jobs_inserted) == (10, 7, 3, 7)

    cus_1 = fetch(
        url, "SELECT status, final_total, job_number, n_sources FROM jobs WHERE customer_id = 'cus_1'"
    )
    assert cus_1 == [("completed", Decimal("1350.00"), "10356-2", 2)]
    cus_2 = fetch(url, "SELECT status, final_total, estimated_total FROM jobs WHERE customer_id = 'cus_2'")
    assert cus_2 == [("completed", Decimal("980.50"), Decimal("1200.00"))]

    groups = dict(
        fetch(
            url,
            "SELECT j.customer_id, g.reason FROM job_duplicate_groups g JOIN jobs j USING (job_id)"
            " WHERE g.n_members = 2 AND g.confidence > 0.5 AND g.confidence <= 1",
        )
    )
    assert groups == {
        "cus_1": "near_date+same_route",  # "12 Elm Street" reads as 12 ELM ST
        "cus_2": "job_number",
        "cus_3": "fuzzy_address+same_date",
    }

    out = tmp_path / "job_map.csv"
    assert export_job_map(settings, out) == 10
    job_map = pl.read_csv(out, infer_schema=False)
    assert job_map.columns == ["file", "record_id", "job_id"]
    same_job = job_map.filter(pl.col("record_id").is_in(["10400-1"]))
    assert same_job.height == 2 and same_job["job_id"].n_unique() == 1


def test_rerun_changes_nothing_and_writes_no_audit_rows(settings: Settings, url: str) -> None:
    seed(url)
    run_job_duplicates(settings)
    before = fetch(url, "SELECT * FROM jobs ORDER BY job_id")
    audits = audit_count(url, "jobs")

    again = run_job_duplicates(settings)

    assert (again.jobs_inserted, again.jobs_updated, again.jobs_deleted) == (0, 0, 0)
    assert (again.map_changed, again.groups_changed) == (0, 0)
    assert fetch(url, "SELECT * FROM jobs ORDER BY job_id") == before
    assert audit_count(url, "jobs") == audits


def test_a_changed_source_row_splits_its_group(settings: Settings, url: str) -> None:
    seed(url)
    run_job_duplicates(settings)
    fetch(
        url,
        "UPDATE source_job_records SET service_date = '2025-01-15' WHERE uid = %(u)s RETURNING 1",
        {"u": f"{LEGACY}#2"},
    )

    result = run_job_duplicates(settings)

    assert groups_by_customer(url)["cus_1"] == [1, 1]
    assert (result.jobs_inserted, result.jobs_updated, result.jobs_deleted) == (1, 1, 0)
    assert result.duplicate_groups == 2
    assert fetch(url, "SELECT count(*) FROM job_duplicate_groups") == [(2,)]
    assert fetch(url, "SELECT count(*) FROM job_source_map") == [(10,)]


def test_cli_runs_the_steps_and_exports_the_job_map(
    settings: Settings, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from crm_pipeline.cli import app
    from crm_pipeline.config import get_settings

    seed(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()

    ran = runner.invoke(app, ["analytics"])
    assert ran.exit_code == 0, ran.output
    assert "10 source job rows → 7 jobs" in ran.output
    out = tmp_path / "map.csv"
    exported = runner.invoke(app, ["export", "job-map", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert pl.read_csv(out).height == 10
    assert runner.invoke(app, ["analytics", "no-such-step"]).exit_code == 2


def test_evaluate_jobs_scores_the_database_against_truth(
    settings: Settings, url: str, tmp_path: Path
) -> None:
    from crm_pipeline.analytics.evaluate import evaluate_jobs

    seed(url)
    truth = tmp_path / "truth"
    truth.mkdir()
    query = "SELECT file_name, record_id, customer_id, service_date, dest_zip FROM source_job_records"
    # the truth: one real job per customer, date and destination ZIP (what the seed means)
    rows = ["file,record_id,job_entity"] + [f"{f},{r},{c}-{d}-{z}" for f, r, c, d, z in fetch(url, query)]
    (truth / "jobs.csv").write_text("\n".join(rows) + "\n")
    # cus_1's legacy copy is a day off but the same job
    text = (truth / "jobs.csv").read_text().replace("cus_1-2024-05-11", "cus_1-2024-05-10")
    (truth / "jobs.csv").write_text(text)

    assert evaluate_jobs(settings, truth) is None  # nothing unified yet
    run_job_duplicates(settings)
    metrics = evaluate_jobs(settings, truth)

    assert metrics is not None
    assert (metrics.precision, metrics.recall, metrics.true_pairs, metrics.records_scored) == (
        1.0,
        1.0,
        3,
        10,
    )


JOB_TABLES = ["jobs", "job_source_map", "job_duplicate_groups"]


def test_first_write_into_empty_job_tables_builds_keys_and_audit_in_bulk(
    settings: Settings, url: str
) -> None:
    seed(url)
    schema = keys_and_indexes(url, JOB_TABLES)
    audits = audit_count(url, "jobs")
    ((last_audit_id,),) = fetch(url, "SELECT coalesce(max(audit_id), 0) FROM audit_log")

    first = run_job_duplicates(settings)  # the job tables are empty: the bulk path

    assert first.jobs_inserted == len(fetch(url, "SELECT job_id FROM jobs")) > 0
    assert keys_and_indexes(url, JOB_TABLES) == schema  # every key, index and foreign key is back
    assert fetch(url, "SELECT count(*) FROM crm_private.load_bulk_ddl") == [(0,)]
    # one audit row per new job, the row as the trigger would have written it, as the loader
    assert audit_count(url, "jobs") == audits + first.jobs_inserted
    assert fetch(
        url,
        "SELECT count(*) FROM audit_log a JOIN jobs j ON j.job_id = a.row_pk"
        " WHERE a.table_name = 'jobs' AND a.operation = 'INSERT' AND a.new_row = to_jsonb(j)"
        " AND a.db_role = 'crm_loader' AND a.audit_id > %(last)s",
        {"last": last_audit_id},
    ) == [(first.jobs_inserted,)]
    assert {r[0] for r in fetch(url, "SELECT tgenabled FROM pg_trigger WHERE tgname LIKE 'jobs_audit%'")} == {
        "A"
    }
