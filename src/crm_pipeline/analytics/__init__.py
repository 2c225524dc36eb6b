"""Phase 4 — analytics: job duplicates, rolling-window job counts, gender.

Entry point: :func:`run_analytics`. Each step is also callable alone
(:func:`~crm_pipeline.analytics.job_duplicates.run_job_duplicates`,
:func:`~crm_pipeline.analytics.rolling.run_rolling`, :func:`~crm_pipeline.analytics.gender.run_gender`).
Steps run in a fixed order whatever the order asked: job duplicates first (the rollups read the
unified ``jobs``), then the rollups, then gender.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crm_pipeline.analytics.gender import GenderResult, run_gender
from crm_pipeline.analytics.job_duplicates import JobDuplicateResult, run_job_duplicates
from crm_pipeline.analytics.rolling import RollingResult, run_rolling
from crm_pipeline.config import Settings, get_settings
from crm_pipeline.errors import ConfigError

log = logging.getLogger(__name__)


class Step(StrEnum):
    """The analytics steps, in the order they run."""

    JOB_DUPLICATES = "job-duplicates"
    ROLLING = "rolling"
    GENDER = "gender"


STEPS: tuple[str, ...] = tuple(s.value for s in Step)


@dataclass(frozen=True)
class AnalyticsResult:
    job_duplicates: JobDuplicateResult | None = None
    rolling: RollingResult | None = None
    gender: GenderResult | None = None
    seconds: float = 0.0

    def counts(self) -> dict[str, Any]:
        """Flat, JSON-ready counts for the run ledger and the pipeline summary."""
        out: dict[str, Any] = {"seconds": round(self.seconds, 3)}
        if (j := self.job_duplicates) is not None:
            out |= {
                "job_source_rows": j.source_rows,
                "jobs_unified": j.jobs,
                "job_duplicates_merged": j.source_rows - j.jobs,
                "job_duplicate_groups": j.duplicate_groups,
                "jobs_spanning_customers": j.cross_customer_groups,
                "jobs_inserted": j.jobs_inserted,
                "jobs_updated": j.jobs_updated,
                "jobs_deleted": j.jobs_deleted,
                "seconds_job_duplicates": round(j.seconds, 3),
            }
        if (r := self.rolling) is not None:
            out |= {f"rows_{view}": n for view, n in r.rows.items()}
            out["seconds_rolling"] = round(r.seconds, 3)
        if (g := self.gender) is not None:
            out |= {
                "gender_enabled": g.enabled,
                "gender_candidates": g.candidates,
                "gender_changed": g.changed,
                "gender_distinct_names": g.distinct_names,
                "seconds_gender": round(g.seconds, 3),
            }
        return out


def run_analytics(
    settings: Settings | None = None, which: Iterable[str] = STEPS, force: bool = False
) -> AnalyticsResult:
    """Run the named steps (all by default). ``force`` lets gender overwrite existing values."""
    settings = settings or get_settings()
    asked = {str(w) for w in which}
    unknown = asked - set(STEPS)
    if unknown:
        raise ConfigError(f"unknown analytics step(s) {sorted(unknown)}; choose from {', '.join(STEPS)}")
    started = time.perf_counter()
    jobs = run_job_duplicates(settings) if "job-duplicates" in asked else None
    rolling = run_rolling(settings) if "rolling" in asked else None
    gender = run_gender(settings, force=force) if "gender" in asked else None
    return AnalyticsResult(
        job_duplicates=jobs, rolling=rolling, gender=gender, seconds=time.perf_counter() - started
    )


__all__ = ["STEPS", "AnalyticsResult", "Step", "run_analytics"]
