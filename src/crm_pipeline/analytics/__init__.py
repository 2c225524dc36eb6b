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
from typing import Literal, get_args

from crm_pipeline.analytics.gender import GenderResult, run_gender
from crm_pipeline.analytics.job_duplicates import JobDuplicateResult, run_job_duplicates
from crm_pipeline.analytics.rolling import RollingResult, run_rolling
from crm_pipeline.config import Settings, get_settings
from crm_pipeline.errors import ConfigError

log = logging.getLogger(__name__)

Step = Literal["job-duplicates", "rolling", "gender"]
STEPS: tuple[Step, ...] = get_args(Step)


@dataclass(frozen=True)
class AnalyticsResult:
    job_duplicates: JobDuplicateResult | None = None
    rolling: RollingResult | None = None
    gender: GenderResult | None = None
    seconds: float = 0.0


def run_analytics(
    settings: Settings | None = None, which: Iterable[str] = STEPS, force: bool = False
) -> AnalyticsResult:
    """Run the named steps (all by default). ``force`` lets gender overwrite existing values."""
    settings = settings or get_settings()
    asked = set(which)
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
