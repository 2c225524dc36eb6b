"""Rolling-window job counts and repeat-customer rates, checked against a brute-force Python count.

Random jobs (seeded) go straight into ``jobs``; after ``run_rolling`` every row of the three
materialized views must equal what a plain loop over the jobs computes from the definitions in
docs/analytics.md.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from analytics_support import clear, customer, fetch, insert_rows, private_database

from crm_pipeline.analytics.rolling import run_rolling
from crm_pipeline.config import Settings

pytestmark = pytest.mark.integration

WINDOWS = (30, 90, 365)
STATUSES = ["lead", "opportunity", "booked", "completed", "closed", "cancelled", "lost", None]
BRANCHES = ["Boston", "Chicago", "Miami", None]


@pytest.fixture(scope="module")
def url(pg_server_url: str) -> Iterator[str]:
    with private_database(pg_server_url) as db_url:
        yield db_url


@pytest.fixture
def settings(url: str, tmp_path: Path) -> Iterator[Settings]:
    clear(url)
    yield Settings(database_url=url, home=tmp_path / "home")


def random_jobs(seed: int, n_customers: int = 25, n_jobs: int = 300) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = date(2023, 1, 1)
    jobs = []
    for i in range(n_jobs):
        estimated = Decimal(rng.randint(200, 5000)) + Decimal(rng.randint(0, 99)) / 100
        jobs.append(
            {
                "job_id": f"job_{seed}_{i:04d}",
                "customer_id": f"cus_{rng.randrange(n_customers):03d}",
                # clustered dates so windows hold several jobs, a few without a date
                "service_date": None if rng.random() < 0.03 else start + timedelta(days=rng.randint(0, 800)),
                "status": rng.choice(STATUSES),
                "branch": rng.choice(BRANCHES),
                "estimated_total": None if rng.random() < 0.2 else estimated,
                "final_total": estimated + 50 if rng.random() < 0.4 else None,
            }
        )
    return jobs


def counted(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [j for j in jobs if j["service_date"] is not None and j["status"] not in ("cancelled", "lost")]


def revenue(job: dict[str, Any]) -> Decimal:
    value = job["final_total"] if job["final_total"] is not None else job["estimated_total"]
    return value if value is not None else Decimal("0")


def brute_rolling(jobs: list[dict[str, Any]], key: str) -> set[tuple[Any, ...]]:
    rows = set()
    for group, day in {(j[key], j["service_date"]) for j in jobs if j[key] is not None}:
        mine = [j for j in jobs if j[key] == group]
        row: list[Any] = [group, day]
        same_day = [j for j in mine if j["service_date"] == day]
        row += [len(same_day), sum((revenue(j) for j in same_day), Decimal("0"))]
        for n in WINDOWS:
            inside = [j for j in mine if day - timedelta(days=n - 1) <= j["service_date"] <= day]
            row += [len(inside), sum((revenue(j) for j in inside), Decimal("0"))]
        rows.add(tuple(row))
    return rows


def brute_repeat(jobs: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    first_day: dict[str, date] = {}
    for j in jobs:
        first_day[j["customer_id"]] = min(j["service_date"], first_day.get(j["customer_id"], date.max))
    cells: dict[tuple[str, date], dict[str, bool]] = {}
    for j in jobs:
        if j["branch"] is None:
            continue
        cell = cells.setdefault((j["branch"], j["service_date"].replace(day=1)), {})
        cid = j["customer_id"]
        cell[cid] = cell.get(cid, False) or j["service_date"] > first_day[cid]
    rows = set()
    for (branch, month), customers in cells.items():
        repeat = sum(customers.values())
        rate = (Decimal(repeat) / Decimal(len(customers))).quantize(Decimal("0.0001"))
        rows.add((branch, month, len(customers), repeat, rate))
    return rows


def view_rows(url: str, view: str, key: str) -> set[tuple[Any, ...]]:
    measures = ", ".join(f"jobs_{n}d, revenue_{n}d" for n in WINDOWS)
    return set(fetch(url, f"SELECT {key}, day, jobs_day, revenue_day, {measures} FROM {view}"))


def seed(url: str, jobs: list[dict[str, Any]]) -> None:
    insert_rows(url, "customers", [customer(c) for c in sorted({j["customer_id"] for j in jobs})])
    insert_rows(url, "jobs", jobs)


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_views_equal_a_brute_force_count(settings: Settings, url: str, seed_value: int) -> None:
    jobs = random_jobs(seed_value)
    seed(url, jobs)

    result = run_rolling(settings)

    expected_customer = brute_rolling(counted(jobs), "customer_id")
    expected_branch = brute_rolling(counted(jobs), "branch")
    expected_repeat = brute_repeat(counted(jobs))
    assert view_rows(url, "customer_job_rolling", "customer_id") == expected_customer
    assert view_rows(url, "branch_job_rolling", "branch") == expected_branch
    repeat_sql = "SELECT branch, month, customers, repeat_customers, repeat_rate FROM branch_repeat_customers"
    assert set(fetch(url, repeat_sql)) == expected_repeat
    assert result.rows == {
        "customer_job_rolling": len(expected_customer),
        "branch_job_rolling": len(expected_branch),
        "branch_repeat_customers": len(expected_repeat),
    }
    assert any(r[2] > 0 for r in expected_repeat), "the random data should contain repeat customers"


def test_a_refresh_follows_changed_jobs(settings: Settings, url: str) -> None:
    jobs = random_jobs(7, n_customers=5, n_jobs=40)
    seed(url, jobs)
    run_rolling(settings)
    fetch(
        url, "UPDATE jobs SET status = 'cancelled' WHERE job_id = %(j)s RETURNING 1", {"j": jobs[0]["job_id"]}
    )
    jobs[0]["status"] = "cancelled"

    run_rolling(settings)

    assert view_rows(url, "customer_job_rolling", "customer_id") == brute_rolling(
        counted(jobs), "customer_id"
    )


def test_the_reader_role_sees_branch_rollups_but_not_customer_rollups(settings: Settings, url: str) -> None:
    grants = dict(
        fetch(
            url,
            "SELECT v, has_table_privilege('crm_reader', v, 'SELECT') FROM unnest(%(v)s::text[]) AS v",
            {"v": ["branch_job_rolling", "branch_repeat_customers", "customer_job_rolling"]},
        )
    )
    assert grants == {
        "branch_job_rolling": True,
        "branch_repeat_customers": True,
        "customer_job_rolling": False,
    }
