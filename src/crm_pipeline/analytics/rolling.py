"""Rolling-window job counts and repeat-customer rates: materialized views, refreshed here.

The views are defined in SQL (the Alembic migration ``analytics rollups``; documented with example
queries in ``docs/analytics.md``):

* ``customer_job_rolling`` — per customer and day with a job: jobs and revenue that day and in the
  trailing 30, 90 and 365 days (window functions ``RANGE BETWEEN INTERVAL … PRECEDING AND CURRENT
  ROW``);
* ``branch_job_rolling`` — the same per branch;
* ``branch_repeat_customers`` — per branch and month: customers served, how many had a job on an
  earlier day, and the rate.

They read the unified ``jobs`` table, so run job duplicate detection first. Refreshing uses
``REFRESH MATERIALIZED VIEW CONCURRENTLY`` (each view has a unique index): dashboards keep reading
the old rows until the new ones are in.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from crm_pipeline.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollingResult:
    rows: dict[str, int] = field(default_factory=dict)  # view -> rows after the refresh
    seconds: float = 0.0


def run_rolling(settings: Settings) -> RollingResult:
    """Refresh the rollup views and report their sizes."""
    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect

    started = time.perf_counter()
    with connect(settings, application_name="crm-pipeline analytics rolling") as conn:
        rows = analytics_sql.refresh_rollups(conn)
    result = RollingResult(rows=rows, seconds=time.perf_counter() - started)
    log.info("rolling: refreshed %s", ", ".join(f"{v} ({n} rows)" for v, n in rows.items()))
    return result
