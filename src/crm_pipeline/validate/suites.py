"""The expectation suites of the clean stage, as plain data.

A :class:`Check` names one expectation on one column of one clean output and its severity:
``critical`` (a format or set violation: the run stops) or ``warning`` (completeness below its
threshold: reported, the run goes on). The clean stage already turns every row-level violation
(an unreadable or out-of-window value, an unknown word) into a value-level quarantine entry, so a
critical failure here means the contract itself broke. Branches are not checked against a set: a
branch the table does not know is kept as an unconfirmed branch (crm_pipeline.clean.branches).

Keeping them as data, apart from Great Expectations, makes
the suites readable in one screen and keeps the slow GX import out of everything but the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from crm_pipeline.clean.dates import add_years
from crm_pipeline.clean.states import USPS_CODES
from crm_pipeline.config import Settings
from crm_pipeline.models import EMAIL_PATTERN, PHONE_PATTERN, SERVICE_TYPES, STATUSES, ZIP_PATTERN

Severity = Literal["critical", "warning"]
Kind = Literal["regex", "in_set", "not_null", "unique", "between"]


@dataclass(frozen=True)
class Check:
    """One expectation: ``kind`` on ``column`` of ``table`` with its parameters."""

    table: str
    kind: Kind
    column: str
    severity: Severity = "critical"
    params: dict[str, Any] = field(default_factory=dict)
    row_condition: str | None = None  # pandas query syntax, e.g. 'source_system != "lead"'

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}.{self.kind}"


def date_window(settings: Settings, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dates an event may have: from ``CRM_EARLIEST_EVENT_YEAR`` to ``CRM_FUTURE_BOOKING_YEARS``
    ahead (the clean stage quarantines values outside it, so this check guards the stage)."""
    today = today or dt.datetime.now(dt.UTC).date()  # the clean stage's window is in UTC too
    return dt.date(settings.earliest_event_year, 1, 1), add_years(today, settings.future_booking_years)


def build_checks(settings: Settings, today: dt.date | None = None) -> list[Check]:
    """Every check of the clean stage, for persons, jobs and leads."""
    quality = settings.quality
    states = sorted(USPS_CODES)
    earliest, latest = date_window(settings, today)
    dates: dict[str, Any] = {"min_value": earliest, "max_value": latest}
    checks: list[Check] = []

    def add(
        table: str,
        kind: Kind,
        column: str,
        severity: Severity = "critical",
        row_condition: str | None = None,
        **params: Any,
    ) -> None:
        checks.append(Check(table, kind, column, severity, params, row_condition))

    for table in ("persons", "jobs", "leads"):
        add(table, "unique", "uid")

    add("persons", "regex", "email", regex=EMAIL_PATTERN)
    add("persons", "regex", "phone", regex=PHONE_PATTERN)
    add("persons", "regex", "phone2", regex=PHONE_PATTERN)
    add("persons", "in_set", "state", value_set=states)
    add("persons", "in_set", "dest_state", value_set=states)
    add("persons", "regex", "zip", regex=ZIP_PATTERN)
    add("persons", "between", "event_date", **dates)
    add("persons", "not_null", "email", "warning", mostly=quality.completeness_email)
    add("persons", "not_null", "phone", "warning", mostly=quality.completeness_phone)
    # leads carry a ZIP only, so address completeness is measured on customer and job rows
    add(
        "persons",
        "not_null",
        "street",
        "warning",
        mostly=quality.completeness_address,
        row_condition='source_system != "lead"',
    )

    add("jobs", "between", "service_date", **dates)
    add("jobs", "in_set", "status", value_set=list(STATUSES))
    add("jobs", "in_set", "service_type", value_set=list(SERVICE_TYPES))
    for side in ("origin", "dest"):
        add("jobs", "in_set", f"{side}_state", value_set=states)
        add("jobs", "regex", f"{side}_zip", regex=ZIP_PATTERN)

    add("leads", "between", "move_date", **dates)
    add("leads", "regex", "origin_zip", regex=ZIP_PATTERN)
    add("leads", "regex", "destination_zip", regex=ZIP_PATTERN)
    return checks
