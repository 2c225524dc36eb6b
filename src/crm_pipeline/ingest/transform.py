"""Raw fields of one file -> clean columns and hard errors, driven by the profile's fields.

Each concern is delegated to its normalizer in ``crm_pipeline.clean`` (they work once per distinct
value); this module only wires the profile's fields to them, names the output columns, and turns
every ``<x>_error`` into quarantine entries pointing at the source column. Soft ``<x>_flag``
values keep the row (the value is null and the flag is counted in the summary).

A value never costs a row: an error entry is ``level`` ``value`` (the value is null in the output,
the row goes on) unless the row cannot stand for anything — ``missing_identity``: no name, no
email and no phone — which is ``level`` ``row`` (the stage quarantines the row whole). Dates outside
the window of :class:`CleanRules` (before ``CRM_EARLIEST_EVENT_YEAR``; service/move dates more than
``CRM_FUTURE_BOOKING_YEARS`` ahead; ``created_at`` in the future) are value errors
``date_out_of_range``.

The wide frame returned has one row per input row and these columns, whichever exist:
``source_customer_id, job_number, quote_number, lead_id``, the five name parts, ``email, phone,
phone_ext, phone_type, phone2``, the address of a customer row (``street, unit, city, state,
zip, zip4``), ``origin_*`` and ``dest_*`` (jobs; leads have ``origin_zip, dest_zip``),
``branch, created_at, service_date, move_date, service_type, status, estimated_total,
final_total, move_size, sales_person, referral_source``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from crm_pipeline.clean import addresses, branches, dates, emails, enums, money, names, phones, zips
from crm_pipeline.config import Settings
from crm_pipeline.ingest.profiles import Profile

ADDRESS_PARTS = ("street", "unit", "city", "state", "zip", "zip4")
NAME_PARTS = ("name_title", "first_name", "middle_name", "last_name", "name_suffix")
TEXT_FIELDS = (
    ("customer_id", "source_customer_id"),
    ("job_number", "job_number"),
    ("quote_number", "quote_number"),
    ("lead_id", "lead_id"),
    ("move_size", "move_size"),
    ("sales_person", "sales_person"),
    ("referral_source", "referral_source"),
)
IDENTITY = ("first_name", "last_name", "email", "phone", "phone2")
ERROR_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "field": pl.String(),
    "rule": pl.String(),
    "raw_value": pl.String(),
    "level": pl.String(),
}
ROW_RULES = frozenset({"missing_identity"})
"""Rules that quarantine the whole row; every other rule nulls one value."""
OUT_OF_RANGE = "date_out_of_range"


@dataclass(frozen=True)
class CleanRules:
    """What the company configured for cleaning: its branch table and the date windows."""

    branches: branches.BranchTable
    earliest: dt.date
    latest_booking: dt.date
    latest_created: dt.datetime
    max_file_failure_share: float = 0.05
    max_column_failure_share: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings, now: dt.datetime | None = None) -> CleanRules:
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return cls(
            branches=branches.load_branch_table(settings.branches_file),
            earliest=dt.date(settings.earliest_event_year, 1, 1),
            latest_booking=dates.add_years(now.date(), settings.future_booking_years),
            latest_created=now + dt.timedelta(hours=settings.created_at_future_tolerance_hours),
            max_file_failure_share=settings.max_file_failure_share,
            max_column_failure_share=settings.max_column_failure_share,
        )


def text(expr: pl.Expr) -> pl.Expr:
    """Free text as stored: inner whitespace collapsed, trimmed, empty -> null."""
    squished = expr.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(squished != "").then(squished)


@dataclass
class Transformed:
    """``values``: ``line`` + clean columns; ``errors``: ``line, field, rule, raw_value, level``."""

    values: pl.DataFrame
    errors: pl.DataFrame
    flags: Counter[str] = field(default_factory=Counter)


class _Builder:
    """Collects normalizer outputs (row-aligned with ``rows``) and their hard errors."""

    def __init__(self, rows: pl.DataFrame):
        self.rows = rows
        self.columns: dict[str, pl.Series] = {}
        self.errors: list[pl.DataFrame] = []
        self.flags: Counter[str] = Counter()

    def has(self, *fields: str) -> bool:
        return all(f in self.rows.columns for f in fields)

    def raw(self, name: str) -> pl.Series:
        if name in self.rows.columns:
            return self.rows[name]
        return pl.Series(name, [None] * self.rows.height, dtype=pl.String)

    def take(self, out: pl.DataFrame, rename: dict[str, str], *, source: str | tuple[str, ...]) -> None:
        """Keep ``out``'s columns under new names; turn ``*_error`` into errors, count ``*_flag``."""
        sources = (source,) if isinstance(source, str) else source
        for col, new in rename.items():
            self.columns[new] = out[col].alias(new)
        for col in out.columns:
            if col.endswith("_flag"):
                counts = out[col].drop_nulls().value_counts()
                for flag, n in counts.iter_rows():
                    self.flags[f"{sources[0]}:{flag}"] += int(n)
            elif col.endswith("_error") and out[col].null_count() < out.height:
                self.error(out[col], sources[0])

    def error(self, rule: pl.Series, field: str) -> None:
        frame = pl.DataFrame(
            {"line": self.rows["line"], "rule": rule.cast(pl.String), "raw_value": self.raw(field)}
        )
        level = pl.when(pl.col("rule").is_in(list(ROW_RULES))).then(pl.lit("row")).otherwise(pl.lit("value"))
        self.errors.append(
            frame.filter(pl.col("rule").is_not_null()).select(
                "line", pl.lit(field).alias("field"), "rule", "raw_value", level.alias("level")
            )
        )

    def window(self, name: str, source: str, low: dt.date | dt.datetime, high: dt.date | dt.datetime) -> None:
        """A date column outside ``[low, high]``: the value is null and a ``date_out_of_range`` error."""
        frame = (
            self.columns[name]
            .to_frame("v")
            .with_columns((~pl.col("v").is_between(pl.lit(low), pl.lit(high))).fill_null(False).alias("out"))
        )
        if not frame["out"].any():
            return
        self.columns[name] = frame.select(pl.when(~pl.col("out")).then(pl.col("v")).alias(name)).to_series()
        self.error(frame.select(pl.when(pl.col("out")).then(pl.lit(OUT_OF_RANGE))).to_series(), source)


def transform(rows: pl.DataFrame, profile: Profile, rules: CleanRules | None = None) -> Transformed:
    """Clean the fields of ``rows`` (``line`` + one raw string column per profile field).

    ``rules``: the branch table and date windows (default: from the default settings).
    """
    rules = rules or CleanRules.from_settings(Settings())
    b = _Builder(rows)
    for src, dst in TEXT_FIELDS:
        if b.has(src):
            b.columns[dst] = rows.select(text(pl.col(src)).alias(dst)).to_series()
    if b.has("phone_type"):
        b.columns["phone_type"] = rows.select(text(pl.col("phone_type")).str.to_lowercase()).to_series()

    _names(b)
    if b.has("email"):
        b.take(emails.normalize_emails(rows["email"]), {"email": "email"}, source="email")
    if b.has("phone"):
        b.take(
            phones.normalize_phones(rows["phone"]),
            {"phone": "phone", "phone_ext": "phone_ext"},
            source="phone",
        )
    if b.has("phone2"):
        b.take(phones.normalize_phones(rows["phone2"]), {"phone": "phone2"}, source="phone2")
    _address(b, "", "address")
    _address(b, "origin_", "origin_address")
    _address(b, "dest_", "dest_address")
    for prefix in ("origin", "dest"):  # leads: ZIPs only
        key = f"{prefix}_zip"
        if b.has(key) and f"{prefix}_street" not in rows.columns and f"{prefix}_address" not in rows.columns:
            b.take(zips.normalize_zips(rows[key]), {"zip": key}, source=key)

    if b.has("branch"):
        out = branches.normalize_branches(rows["branch"], rules.branches)
        b.take(out, {"branch": "branch"}, source="branch")
    for key in ("service_date", "move_date"):
        if b.has(key):
            b.take(dates.parse_dates(rows[key]), {"value": key}, source=key)
            b.window(key, key, rules.earliest, rules.latest_booking)
    if b.has("created_at"):
        b.take(dates.parse_datetimes(rows["created_at"]), {"value": "created_at"}, source="created_at")
        earliest = dt.datetime.combine(rules.earliest, dt.time())
        b.window("created_at", "created_at", earliest, rules.latest_created)
    if b.has("status"):
        out = enums.normalize_status(rows["status"])
        b.take(out, {"status": "status", "status_raw": "status_raw"}, source="status")
    if b.has("service_type"):
        out = enums.normalize_service_type(rows["service_type"])
        b.take(
            out,
            {"service_type": "service_type", "service_type_raw": "service_type_raw"},
            source="service_type",
        )
    for key in ("estimated_total", "final_total"):
        if b.has(key):
            b.take(money.parse_money(rows[key]), {"amount": key}, source=key)

    _identity(b)
    values = pl.DataFrame([rows["line"], *b.columns.values()])
    errors = pl.concat(b.errors) if b.errors else pl.DataFrame(schema=ERROR_SCHEMA)
    return Transformed(values, errors.cast(ERROR_SCHEMA), b.flags)  # type: ignore[arg-type]


def _names(b: _Builder) -> None:
    rename = {p: p for p in NAME_PARTS}
    if b.has("full_name"):
        b.take(names.normalize_full_names(b.rows["full_name"]), rename, source="full_name")
    elif b.has("first_name") or b.has("last_name"):
        out = names.normalize_name_parts(b.raw("first_name"), b.raw("last_name"))
        b.take(out, rename, source=("first_name", "last_name"))


def _address(b: _Builder, prefix: str, one_string: str) -> None:
    """One-string address or parts -> ``<prefix>street, unit, city, state, zip, zip4``."""
    rename = {p: f"{prefix}{p}" for p in ADDRESS_PARTS}
    if b.has(one_string):
        b.take(addresses.normalize_addresses(b.rows[one_string]), rename, source=one_string)
    elif b.has(f"{prefix}street") or b.has(f"{prefix}city"):
        parts = [b.raw(f"{prefix}{p}") for p in ("street", "street2", "city", "state", "zip")]
        b.take(addresses.normalize_address_parts(*parts), rename, source=f"{prefix}street")


def _identity(b: _Builder) -> None:
    """No name, no email and no phone: nothing identifies the person -> ``missing_identity``."""
    present = [b.columns[c].is_not_null() for c in IDENTITY if c in b.columns]
    if not present:
        return
    known = present[0]
    for p in present[1:]:
        known = known | p
    if known.all():
        return
    rule = pl.select(pl.when(~known).then(pl.lit("missing_identity"))).to_series()
    sources = [f for f in ("full_name", "first_name", "last_name", "email", "phone") if b.has(f)]
    for source in sources:
        b.error(rule, source)
