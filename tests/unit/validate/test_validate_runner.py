"""Great Expectations suites on hand-made clean frames: severities, masked examples, result files.

Great Expectations is imported once for this module (it costs seconds): one validation run, many
assertions about it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from crm_pipeline.config import QualitySettings, Settings
from crm_pipeline.models import CleanJob, CleanLead, CleanPerson, conform
from crm_pipeline.validate import CheckResult, ValidationReport, build_checks, run_validation

TODAY = dt.date(2025, 6, 1)


def persons() -> pl.DataFrame:
    rows = [
        {
            "uid": f"p.csv#{i}",
            "file": "p.csv",
            "line": i,
            "record_id": str(i),
            "profile": "smartmoving_customers",
            "source_system": "smartmoving",
            "first_name": "Ann",
            "email": f"ann{i}@example.com",
            "phone": "+16175550100",
            "street": "1 MAIN ST",
            "state": "MA",
            "zip": "02139",
            "branch": "Boston",
            "event_date": dt.date(2024, 1, 5),
        }
        for i in range(2, 22)
    ]
    rows[0]["email"] = "Bad.Email@Example.com"  # upper case: not normalized
    rows[1]["phone"] = "617-555-0100"  # not E.164
    rows[2]["state"] = "XX"
    rows[3]["email"] = None  # completeness: 1 of 20 missing = 95 %, fine at the default threshold
    rows[4]["street"] = None
    lead = dict(
        rows[5], uid="l.csv#2", source_system="lead", street=None
    )  # leads have no street: not counted
    return conform(pl.DataFrame([*rows, lead]), CleanPerson)


def jobs() -> pl.DataFrame:
    rows = [
        {
            "uid": "j.csv#2",
            "file": "j.csv",
            "line": 2,
            "record_id": "1-1",
            "profile": "smartmoving_jobs",
            "source_system": "smartmoving",
            "service_date": dt.date(1950, 1, 5),
            "status": "completed",
            "service_type": "moving",
            "branch": "Boston",
        },
        {
            "uid": "j.csv#2",
            "file": "j.csv",
            "line": 2,
            "record_id": "1-2",
            "profile": "smartmoving_jobs",
            "source_system": "smartmoving",
            "service_date": dt.date(2024, 1, 5),
            "status": "completed",
            "service_type": "moving",
            "branch": "Gotham",
        },
    ]
    return conform(pl.DataFrame(rows), CleanJob)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    out = tmp_path_factory.mktemp("validation")
    settings = Settings(quality=QualitySettings(completeness_email=0.99))
    frames = {"persons": persons(), "jobs": jobs(), "leads": conform(pl.DataFrame(), CleanLead).clear()}
    return run_validation(frames, settings, out, today=TODAY)


def test_format_and_set_violations_are_critical_failures(report: ValidationReport) -> None:
    failed = {c.name: c.unexpected_count for c in report.critical_failures}
    assert failed == {
        "persons.email.regex": 1,
        "persons.phone.regex": 1,
        "persons.state.in_set": 1,
        "jobs.uid.unique": 2,
        "jobs.service_date.between": 1,
    }
    assert not report.success


def test_completeness_is_a_warning_with_the_configured_threshold(report: ValidationReport) -> None:
    # 1 of 21 emails missing: 95.2 % < the configured 99 %
    assert {c.name: (c.unexpected_count, c.threshold) for c in report.warnings} == {
        "persons.email.not_null": (1, 0.99)
    }
    street = next(c for c in report.checks if c.name == "persons.street.not_null")
    # address completeness counts customer and job rows only (the lead row has no street): 1 of 20
    assert (street.success, street.unexpected_count, street.element_count) == (True, 1, 20)


def test_warnings_alone_do_not_fail_the_run(tmp_path: Path) -> None:
    warning = CheckResult(
        "persons.email.not_null", "persons", "email", "not_null", "warning", False, 10, 5, 50.0
    )
    passed = CheckResult("persons.email.regex", "persons", "email", "regex", "critical", True, 10, 0, 0.0)
    report = ValidationReport([warning, passed], tmp_path / "results.json", None)
    assert report.success and report.summary() == "" and report.warnings == [warning]


def test_summary_names_column_count_and_masked_examples(report: ValidationReport) -> None:
    text = report.summary()
    assert text.startswith("5 critical data-quality check(s) failed")
    assert "persons.email regex: 1 of 21 rows" in text
    assert "B***@Example.com" in text and "Bad.Email" not in text
    assert "617-555-0100" not in text and "***00" in text
    assert "jobs.service_date between: 1 of 2 rows (50.00 %), e.g. 5 Jan 1950" in text


def test_empty_tables_are_skipped_not_failed(report: ValidationReport) -> None:
    leads = [c for c in report.checks if c.table == "leads"]
    assert leads and all(c.success and c.note == "no rows" for c in leads)


def test_results_json_and_data_docs_are_written(report: ValidationReport) -> None:
    results = json.loads(report.results_path.read_text())
    assert results["success"] is False
    assert {c["name"] for c in results["checks"]} == {c.name for c in build_checks(Settings(), TODAY)}
    assert "Bad.Email" not in report.results_path.read_text()
    assert report.data_docs_path is not None and report.data_docs_path.is_file()
    assert (report.results_path.parent / "gx_results.json").is_file()
    assert "clean_persons" in report.data_docs_path.read_text()


def test_no_artifact_keeps_a_raw_email_or_phone(report: ValidationReport) -> None:
    """GX's own result JSON and every Data Docs page show the masked examples, never the values."""
    assert report.data_docs_path is not None
    out = report.results_path.parent
    pages = [p.read_text() for p in report.data_docs_path.parent.rglob("*.html")]
    validation_pages = [page for page in pages if "Bad.Email" in page or "B***@Example.com" in page]
    assert validation_pages  # the failing check's page shows its masked example
    for text in [*pages, (out / "gx_results.json").read_text(), report.results_path.read_text()]:
        assert "Bad.Email" not in text and "617-555-0100" not in text


def test_date_range_is_the_configured_window() -> None:
    checks = [c for c in build_checks(Settings(), TODAY) if c.kind == "between"]
    assert {(c.params["min_value"], c.params["max_value"]) for c in checks} == {
        (dt.date(1990, 1, 1), dt.date(2028, 6, 1))  # defaults: from 1990, up to 3 years ahead
    }
    own = Settings(earliest_event_year=2005, future_booking_years=1)
    windows = {
        (c.params["min_value"], c.params["max_value"])
        for c in build_checks(own, TODAY)
        if c.kind == "between"
    }
    assert windows == {(dt.date(2005, 1, 1), dt.date(2026, 6, 1))}


def test_branches_are_not_checked_against_a_set() -> None:
    """An unknown branch is an unconfirmed branch of the company, not a data-quality failure."""
    assert not [c for c in build_checks(Settings(), TODAY) if c.column == "branch"]
