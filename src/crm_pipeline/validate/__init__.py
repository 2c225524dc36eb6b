"""Great Expectations 1.x suites over the clean frames (phase 2), with severities.

``run_validation(frames, settings, out_dir)`` -> :class:`ValidationReport`. Importing this package
does not import Great Expectations; running it does.
"""

from crm_pipeline.validate.runner import (
    CheckResult,
    ValidationReport,
    ValidationWorker,
    run_validation,
    validate_parquet,
)
from crm_pipeline.validate.suites import Check, build_checks

__all__ = [
    "Check",
    "CheckResult",
    "ValidationReport",
    "ValidationWorker",
    "build_checks",
    "run_validation",
    "validate_parquet",
]
