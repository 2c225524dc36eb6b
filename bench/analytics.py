"""Phase 4 on the 50k-people set: job duplicates, rollups and gender, each timed (target ≤ 10 s total).

The input is made once by the real stages and cached under /tmp (CRM_BENCH_ANALYTICS_DIR):
``generate --people 50000 --seed 42`` → ``clean`` → ``match`` → ``load`` into the database
``crm_bench_analytics_50k`` (DATABASE_URL / TEST_DATABASE_URL when set, else an embedded PostgreSQL
16 of its own under the cache folder, so other benches on the machine do not share its server).
Each run then empties the analytics outputs (jobs, maps, groups, inferred genders) so the first
pass does all the work, and measures:

1. cold: job-duplicates, rolling, gender — the numbers that count;
2. rerun: the same three on unchanged data (must write nothing);
3. baselines in the same run: gender-guesser once per row instead of once per distinct name, and a
   plain (blocking) REFRESH instead of CONCURRENTLY;
4. job pairwise precision / recall / F1 against truth/jobs.csv.

Each step prints its wall time; each pass also its CPU time with the embedded server (this process
plus every server process, autovacuum included — per step it would land on the wrong step): on a
shared machine the wall time grows with the load, the CPU time much less.

Run: .venv/bin/python bench/analytics.py [PEOPLE]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from crm_pipeline import db
from crm_pipeline.analytics.evaluate import evaluate_jobs
from crm_pipeline.analytics.gender import GenderGuesser, run_gender
from crm_pipeline.analytics.job_duplicates import run_job_duplicates
from crm_pipeline.analytics.rolling import run_rolling
from crm_pipeline.analytics.summary import job_evaluation_line
from crm_pipeline.config import Settings
from crm_pipeline.db.server import embedded_url

T = TypeVar("T")
TARGET_SECONDS = 10.0
PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
CACHE = Path(os.environ.get("CRM_BENCH_ANALYTICS_DIR", "/tmp/crm-bench-analytics")) / f"{PEOPLE // 1000}k"
DB_NAME = f"crm_bench_analytics_{PEOPLE // 1000}k"
SERVER_HOME = CACHE.parent / "server"
_TICKS = os.sysconf("SC_CLK_TCK")


def server_url() -> str:
    for key in ("DATABASE_URL", "TEST_DATABASE_URL"):
        if os.environ.get(key):
            return os.environ[key]
    return embedded_url(Settings(home=SERVER_HOME, database_url=None))


def _proc_cpu(pid: int, children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: backends that have exited
    return ticks / _TICKS


def cpu_seconds() -> float | None:
    """CPU seconds used so far by this process and the embedded server (None with an external one)."""
    if os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"):
        return None
    postmaster = int((SERVER_HOME / "pg" / "postmaster.pid").read_text().split()[0])
    total = time.process_time() + _proc_cpu(postmaster, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += _proc_cpu(int(stat.parent.name), children=False)
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
    return total


def measure(fn: Callable[[], T]) -> tuple[T, float, float | None]:
    """``(result, wall seconds, CPU seconds or None)``."""
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    result = fn()
    wall, cpu1 = time.perf_counter() - wall0, cpu_seconds()
    return result, wall, (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else None


def fmt(wall: float, cpu: float | None) -> str:
    return f"{wall:6.2f} s" + (f" (CPU {cpu:5.2f} s)" if cpu is not None else "")


def prepared_database() -> str:
    """URL of the bench database holding the loaded input (built on first use, then reused)."""
    server = server_url()
    url = make_url(server).set(database=DB_NAME).render_as_string(hide_password=False)
    marker = CACHE / f"loaded.{DB_NAME}"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and marker.exists():
            db.migrate(url)  # picks up newer revisions; no-op otherwise
            return url
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    settings = Settings(database_url=url, home=CACHE / "home")
    raw, processed = CACHE / "raw", CACHE / "processed"
    if not (CACHE / "truth" / "jobs.csv").exists():
        from crm_pipeline.generate.main import generate

        step("generate", lambda: generate(PEOPLE, CACHE, seed=42))
    if not (processed / "jobs.parquet").exists():
        from crm_pipeline.ingest import run_clean

        step("clean", lambda: run_clean(raw, processed, settings, raise_on_failure=False))
    if not (processed / "unification_map.parquet").exists():
        from crm_pipeline.match.stage import run_match

        step("match", lambda: run_match(processed, settings))
    from crm_pipeline.load import run_load

    db.migrate(url)
    step("load", lambda: run_load(processed, settings))
    marker.touch()
    return url


def step(name: str, fn: object) -> None:
    print(f"  preparing: {name} …", flush=True)
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    print(f"  preparing: {name} done in {time.perf_counter() - started:.1f} s", flush=True)


def reset_outputs(url: str) -> None:
    """Empty what analytics writes, so the next pass starts cold (bench database only)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM job_duplicate_groups; DELETE FROM job_source_map; DELETE FROM jobs")
        conn.execute(
            "UPDATE customers SET gender = NULL, gender_source = NULL, gender_method = NULL,"
            " gender_version = NULL WHERE gender_source = 'inferred'"
        )
        conn.execute("SELECT refresh_job_rollups()")
        # leave no autovacuum work behind to land in the measured pass
        conn.execute("VACUUM ANALYZE jobs, job_source_map, job_duplicate_groups, customers, audit_log")


def timed_passes(settings: Settings) -> tuple[float, float | None]:
    """Run the three steps; print each step's wall time and the pass's CPU time; return both."""
    cpu0 = cpu_seconds()
    jobs, jobs_wall, _ = measure(lambda: run_job_duplicates(settings))
    rolling, rolling_wall, _ = measure(lambda: run_rolling(settings))
    gender, gender_wall, _ = measure(lambda: run_gender(settings))
    cpu1 = cpu_seconds()
    print(
        f"    job-duplicates {jobs_wall:6.2f} s  {jobs.source_rows:,} rows → {jobs.jobs:,} jobs "
        f"({jobs.duplicate_groups:,} groups; read {jobs.seconds_read:.2f} / detect "
        f"{jobs.seconds_detect:.2f} / write {jobs.seconds_write:.2f}; {jobs.jobs_inserted:,} inserted, "
        f"{jobs.jobs_updated:,} updated, {jobs.jobs_deleted:,} deleted)"
    )
    print(f"    rolling        {rolling_wall:6.2f} s  {rolling.rows}")
    print(
        f"    gender         {gender_wall:6.2f} s  {gender.candidates:,} candidates, "
        f"{gender.distinct_names:,} distinct names, {gender.changed:,} filled in {gender.batches} batches"
    )
    wall = jobs_wall + rolling_wall + gender_wall
    cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    print(f"    total          {fmt(wall, cpu)}")
    return wall, cpu


def gender_baseline(url: str) -> tuple[float, float]:
    """Seconds to label every customer's first name: once per row vs once per distinct name."""
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT first_name FROM customers WHERE first_name IS NOT NULL")]
    started = time.perf_counter()
    fresh = GenderGuesser()
    for name in names:  # no cache: what a per-row loop costs
        fresh._guess(name)
    per_row = time.perf_counter() - started
    started = time.perf_counter()
    GenderGuesser().labels(names)
    per_distinct = time.perf_counter() - started
    return per_row, per_distinct


def refresh_baseline(url: str) -> tuple[float, float]:
    """Seconds of the three refreshes: plain vs CONCURRENTLY."""
    views = ("customer_job_rolling", "branch_job_rolling", "branch_repeat_customers")
    timings = []
    for how in ("", " CONCURRENTLY"):
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            for view in views:
                conn.execute(sql.SQL("REFRESH MATERIALIZED VIEW" + how + " {}").format(sql.Identifier(view)))
            timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def main() -> int:
    print(f"analytics bench: {PEOPLE:,} people (cache {CACHE}); load average {os.getloadavg()[0]:.1f}")
    url = prepared_database()
    settings = Settings(database_url=url, home=CACHE / "home")
    reset_outputs(url)

    print("  cold run:")
    wall, _cpu = timed_passes(settings)
    verdict = "ok" if wall <= TARGET_SECONDS else "MISSED"
    load = os.getloadavg()[0]
    print(f"    target ≤ {TARGET_SECONDS:.0f} s wall on 2 cores: {verdict} (load average {load:.1f})")
    print("  rerun on unchanged data:")
    timed_passes(settings)

    per_row, per_distinct = gender_baseline(url)
    print(
        f"  baseline gender-guesser: per row {per_row:.2f} s vs per distinct name {per_distinct:.2f} s "
        f"({per_row / per_distinct:.1f}x)"
    )
    plain, concurrent = refresh_baseline(url)
    print(
        f"  baseline refresh: plain {plain:.2f} s vs CONCURRENTLY {concurrent:.2f} s "
        f"({concurrent / plain:.1f}x the time; readers are never blocked)"
    )
    print("  " + job_evaluation_line(evaluate_jobs(settings, CACHE / "truth")))
    return 0 if wall <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
