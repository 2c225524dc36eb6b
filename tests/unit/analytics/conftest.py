"""Builders for source job rows (the ``source_job_records`` columns) used by the analytics unit tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from crm_pipeline.analytics.job_duplicates import SOURCE_JOB_COLUMNS

JobRow = dict[str, Any]


def _base(uid: str) -> JobRow:
    file_name, line = uid.split("#")
    return {
        "uid": uid,
        "file_name": file_name,
        "record_id": f"line:{line}",
        "source_system": "smartmoving" if file_name.startswith("sm") else "legacy",
        "job_number": None,
        "customer_id": "cus_a",
        "service_date": date(2024, 5, 10),
        "service_type": "moving",
        "status": "booked",
        "branch": "Boston",
        "move_size": "2 Bedroom Apartment",
        "origin_street": "12 ELM ST",
        "origin_unit": None,
        "origin_city": "BOSTON",
        "origin_state": "MA",
        "origin_zip": "02118",
        "dest_street": "400 BEACON ST",
        "dest_unit": "APT 3",
        "dest_city": "BROOKLINE",
        "dest_state": "MA",
        "dest_zip": "02446",
        "estimated_total": Decimal("1200.00"),
        "final_total": None,
        "created_at": datetime(2024, 4, 1, 9, 0),
    }


@pytest.fixture
def job_row() -> Callable[..., JobRow]:
    """``job_row("sm_jobs.csv#2", status="completed")`` → one row with sensible defaults."""

    def build(uid: str, **overrides: Any) -> JobRow:
        row = _base(uid)
        unknown = set(overrides) - set(row)
        assert not unknown, f"not a source_job_records column: {unknown}"
        row.update(overrides)
        return row

    return build


@pytest.fixture
def job_frame() -> Callable[[list[JobRow]], pl.DataFrame]:
    def build(rows: list[JobRow]) -> pl.DataFrame:
        return pl.DataFrame(rows, schema=SOURCE_JOB_COLUMNS, orient="row")

    return build
