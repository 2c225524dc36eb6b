"""The six raw files: their layout (encoding, delimiter, line ends) and one row builder per profile.

Headers are the profiles of ``shared/spec/input-format.md``. Each file gets its own flavour of export
trouble, as real exports do: SmartMoving customers arrive UTF-8 with a BOM, CRLF and every field
quoted; the jobs report is two exports pasted together; the legacy CRM writes Windows-1252, the job
table with semicolons; the lead provider sends tab-separated text named ``.csv``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.render import Renderer, Tags, styles
from crm_pipeline.generate.sources import CustomerRecord, LeadRecord, Plan
from crm_pipeline.generate.world import LEGACY_EXPORT, SM_EXPORT_1, SM_EXPORT_2, Job, Person

SM_CUSTOMERS_HEADER = (
    "Customer Id", "Name", "Phone Number", "Phone Type", "Email Address", "Address", "Secondary Phone",
    "Branch", "Created At",
)  # fmt: skip
SM_JOBS_HEADER = (
    "Job Number", "Quote Number", "Customer Id", "Customer Name", "Email", "Phone", "Service Date",
    "Service Type", "Status", "Branch", "Move Size", "Origin Address", "Destination Address",
    "Estimated Total", "Final Total", "Sales Person", "Referral Source", "Created At",
)  # fmt: skip
LEGACY_CUSTOMERS_HEADER = (
    "customer_id", "first_name", "last_name", "email", "phone", "alt_phone", "street", "street2", "city",
    "state", "zip", "branch", "created_date",
)  # fmt: skip
LEGACY_JOBS_HEADER = (
    "job_id", "customer_id", "customer_name", "email", "phone", "move_date", "job_type", "status", "branch",
    "move_size", "origin_street", "origin_city", "origin_state", "origin_zip", "dest_street", "dest_city",
    "dest_state", "dest_zip", "estimate", "total", "created",
)  # fmt: skip
LEADS_HEADER = (
    "lead_id", "full_name", "email", "phone", "move_date", "move_size", "origin_zip", "destination_zip",
    "branch", "referral_source", "created_at",
)  # fmt: skip

_SM_SERVICE_DATE = styles(
    {"date_yyyymmdd": 20, "date_mdy": 35, "date_iso": 25, "date_month_name": 10, "date_excel_serial": 10}
)
_SM_CREATED = styles({"datetime_iso": 45, "datetime_mdy_ampm": 25, "datetime_iso_tz": 20, "date_iso": 10})
_LEGACY_MOVE_DATE = styles({"date_mdy": 50, "date_mdy_short": 20, "date_iso": 10, "date_excel_serial": 12,
                            "date_yyyymmdd": 8})  # fmt: skip
_LEGACY_CREATED = styles({"datetime_mdy_24": 50, "datetime_iso": 30, "date_mdy": 20})
_LEAD_MOVE_DATE = styles({"date_iso": 40, "date_mdy": 30, "date_month_name": 20, "date_mdy_short": 10})
_LEAD_CREATED = styles({"datetime_iso_tz": 70, "datetime_iso": 30})


@dataclass(frozen=True)
class FileSpec:
    """Layout of one raw file and the structural messes it carries."""

    name: str
    profile: str
    header: tuple[str, ...]
    encoding: str
    """Python codec: "utf-8", "utf-8-sig" (with BOM) or "cp1252"."""
    delimiter: str
    newline: str
    quote_all: bool = False
    branch_col: int = -1
    date_col: int = -1
    """The date whose unreadable spelling must get the row quarantined."""
    blank_lines: bool = False
    empty_rows: bool = False
    trailing_delimiter: bool = False
    ragged_short_cols: int = 0
    """How many trailing (optional) cells a ragged short row lacks; 0 = none in this file."""
    ragged_long_col: int = -1
    """Cell that gets an unquoted delimiter in ragged long rows; -1 = none in this file."""
    nul_col: int = -1
    long_field_col: int = -1


@dataclass
class Row:
    """One data row as cells, with its truth and the phenomena planted in it."""

    cells: list[str]
    entity: str
    job_entity: str
    tags: list[tuple[int, str, str]]
    quarantine: list[tuple[int, str]] = field(default_factory=list)
    header_before: bool = False
    """A repeated header line precedes this row."""


SM_CUSTOMERS = FileSpec(
    "sm_customers.csv", "smartmoving_customers", SM_CUSTOMERS_HEADER, "utf-8-sig", ",", "\r\n",
    quote_all=True, branch_col=7, date_col=8, blank_lines=True, nul_col=1,
)  # fmt: skip
SM_JOBS = FileSpec(
    "sm_jobs.csv", "smartmoving_jobs", SM_JOBS_HEADER, "utf-8", ",", "\n",
    branch_col=9, date_col=6, long_field_col=16,
)  # fmt: skip
SM_JOBS_2 = FileSpec(
    "sm_jobs_2.csv", "smartmoving_jobs", SM_JOBS_HEADER, "utf-8", ",", "\r\n", branch_col=9, date_col=6,
)  # fmt: skip
LEGACY_CUSTOMERS = FileSpec(
    "legacy_customers.csv", "legacy_customers", LEGACY_CUSTOMERS_HEADER, "cp1252", ",", "\r\n",
    branch_col=11, date_col=12, empty_rows=True, trailing_delimiter=True, ragged_long_col=7, blank_lines=True,
)  # fmt: skip
LEGACY_JOBS = FileSpec(
    "legacy_jobs.csv", "legacy_jobs", LEGACY_JOBS_HEADER, "cp1252", ";", "\r\n",
    branch_col=8, date_col=5, blank_lines=True, nul_col=2,
)  # fmt: skip
LEADS = FileSpec(
    "leads.csv", "leads", LEADS_HEADER, "utf-8", "\t", "\n",
    branch_col=8, date_col=4, blank_lines=True, trailing_delimiter=True, ragged_short_cols=2,
)  # fmt: skip


class RowFactory:
    """Builds the rows of every profile from the plan, through the renderer."""

    def __init__(self, renderer: Renderer, knobs: Knobs, plan: Plan) -> None:
        self.r = renderer
        self.rng: random.Random = renderer.rng
        self.k = knobs
        self.plan = plan

    # ------------------------------------------------------------------ person-level choices
    def person_tags(self, p: Person, day: int, tags: Tags) -> None:
        for name, key in p.traps:
            if name != "trap_shared_office_phone":
                tags.row(name, key)
        index = p.address_index_at(day)
        if index:
            tags.row("dup_new_address", str(index))
        systems = self.plan.systems.get(p.entity_id, "")
        if "+" in systems:
            tags.row("dup_cross_source", systems)

    def contact(self, p: Person, tags: Tags) -> tuple[str, str, str, str]:
        """(primary phone digits, phone type, extension, other phone digits) the person gave."""
        rng = self.rng
        if p.home_phone and rng.random() < self.k.home_phone_use_rate:
            tags.row("trap_home_phone", p.home_phone[-4:])
            return p.home_phone, "Home", "", p.mobile
        if p.company is not None and rng.random() < self.k.office_phone_use_rate:
            tags.row("trap_shared_office_phone", p.company.key)
            return p.company.phone, "Office", p.office_ext, p.mobile
        return p.mobile, "Mobile", "", p.home_phone or p.alt_phone

    def email_of(self, p: Person, day: int, tags: Tags, missing_rate: float | None = None) -> str:
        rng = self.rng
        if p.family_email and rng.random() < self.k.family_email_use_rate:
            tags.row("trap_family_email", p.family_email.split("@")[0])
            return self.r.email(p.family_email, tags, missing_rate=missing_rate)
        if p.work_email and rng.random() < self.k.work_email_use_rate:
            tags.add("email_work")
            return self.r.email(p.work_email, tags, missing_rate=missing_rate)
        address, changed = p.email_at(day)
        if changed:
            tags.row("dup_changed_email")
        return self.r.email(address, tags, missing_rate=missing_rate)

    def record_id(self, value: str, tags: Tags, rate: float) -> str:
        if self.rng.random() < rate:
            tags.add("record_id_blank")
            return ""
        return value

    # ------------------------------------------------------------------ SmartMoving
    def sm_customer(self, rec: CustomerRecord) -> Row:
        r, rng, k, p, day = self.r, self.rng, self.k, rec.person, rec.created_day
        t = Tags()
        cells = [""] * len(SM_CUSTOMERS_HEADER)
        cells[0] = self.record_id(rec.record_id, t, k.record_id_blank_rate)
        t.col = 1
        cells[1] = r.full_name(p, t)
        phone, ptype, ext, other = self.contact(p, t)
        t.col = 2
        cells[2] = r.phone(phone, t, ext=ext)
        cells[3] = ptype if rng.random() < 0.85 else ("", "Other")[rng.randrange(2)]
        t.col = 4
        cells[4] = self.email_of(p, day, t)
        t.col = 5
        address = p.address_at(day)
        cells[5] = r.one_line_address(address, t, lost_zero_rate=k.zip_lost_zero_rate_sm)
        t.col = 6
        if other and rng.random() < k.secondary_phone_rate:
            cells[6] = r.phone(other, t, missing_rate=0.0)
        t.col = 7
        cells[7] = r.branch(address.branch or p.base_branch, t)
        t.col = 8
        cells[8] = r.datetime(day, rec.created_sec, t, *_SM_CREATED)
        if rec.second:
            t.row("dup_within_source")
        self.person_tags(p, day, t)
        return Row(cells, p.entity_id, "", t.items)

    def sm_customer_id(self, job: Job) -> str:
        ids = job.person.sm_ids
        chosen = ids[0][1] if ids else ""
        for day, cid in ids:
            if day <= job.created_day:
                chosen = cid
        return chosen

    def sm_job(self, job: Job, export_day: int, *, in_both_exports: bool, later_copy: bool) -> Row:
        r, rng, k, p = self.r, self.rng, self.k, job.person
        t = Tags()
        cells = [""] * len(SM_JOBS_HEADER)
        cells[0] = self.record_id(f"{job.quote}-{job.seq}", t, k.record_id_blank_rate)
        cells[1] = str(job.quote)
        t.col = 2
        cells[2] = "" if rng.random() < k.job_customer_id_blank_rate else self.sm_customer_id(job)
        t.col = 3
        cells[3] = r.full_name(p, t)
        t.col = 4
        cells[4] = self.email_of(p, job.created_day, t)
        phone, _, ext, _ = self.contact(p, t)
        t.col = 5
        cells[5] = r.phone(phone, t, ext=ext)
        t.col = 6
        cells[6] = r.date(job.service_day, t, *_SM_SERVICE_DATE)
        t.col = 7
        cells[7] = r.code(job.service_type, t, "service_type_case")
        status = job.status_at(export_day)
        t.col = 8
        cells[8] = r.code(status, t, "status_case")
        t.col = 9
        cells[9] = r.branch(job.branch, t)
        cells[10] = job.move_size
        t.col = 11
        cells[11] = r.one_line_address(job.origin, t, lost_zero_rate=k.zip_lost_zero_rate_sm)
        t.col = 12
        cells[12] = r.one_line_address(job.dest, t, lost_zero_rate=k.zip_lost_zero_rate_sm)
        t.col = 13
        cells[13] = r.money(job.estimate_cents, t)
        t.col = 14
        if job.has_final(status):
            cells[14] = r.money(job.final_cents, t)
        cells[15] = job.sales_person
        cells[16] = (
            "Repeat Customer" if p.address_index_at(job.created_day) and rng.random() < 0.3 else job.referral
        )
        t.col = 17
        cells[17] = r.datetime(job.created_day, job.created_sec, t, *_SM_CREATED)
        if job.in_legacy:
            t.row("job_dup_sm_legacy", job.legacy_id)
            if job.legacy_stale and job.pre_status != status:
                t.row("job_status_progressed", job.pre_status)
        if in_both_exports:
            t.row("job_dup_sm_exports")
            earlier = job.status_at(SM_EXPORT_1)
            if later_copy and earlier != status:
                t.row("job_status_progressed", earlier)
        self.person_tags(p, job.service_day - 1, t)
        return Row(cells, p.entity_id, job.job_entity, t.items)

    # ------------------------------------------------------------------ legacy CRM
    def legacy_customer(self, rec: CustomerRecord) -> Row:
        r, rng, k, p, day = self.r, self.rng, self.k, rec.person, rec.created_day
        t = Tags()
        cells = [""] * len(LEGACY_CUSTOMERS_HEADER)
        cells[0] = self.record_id(rec.record_id, t, k.record_id_blank_rate)
        cells[1], cells[2] = r.split_name(p, t, 1, 2, curly=True)
        t.col = 3
        cells[3] = self.email_of(p, day, t, missing_rate=k.email_missing_rate * 2)
        phone, _, ext, other = self.contact(p, t)
        t.col = 4
        cells[4] = r.phone(phone, t, ext=ext)
        t.col = 5
        if other and rng.random() < k.secondary_phone_rate:
            cells[5] = r.phone(other, t, missing_rate=0.0)
        address = p.address_at(day)
        t.col = 6
        if rng.random() < k.address_missing_rate:
            t.add("address_missing")
        else:
            cells[6] = r.address_case(r.street_line(address, t, with_unit=False), t)
            cells[7] = r.unit(address, rng.random() < k.street_spelled_rate)
            t.col = 8
            cells[8] = r.address_case(address.city, t)
            t.col = 9
            cells[9] = r.state(address.state, t)
            t.col = 10
            cells[10] = r.zip(address, t, lost_zero_rate=k.zip_lost_zero_rate)
        t.col = 11
        cells[11] = r.branch(address.branch or p.base_branch, t, legacy=True)
        t.col = 12
        cells[12] = r.datetime(day, rec.created_sec, t, *_LEGACY_CREATED)
        if rec.second:
            t.row("dup_within_source")
        self.person_tags(p, day, t)
        return Row(cells, p.entity_id, "", t.items)

    def legacy_customer_id(self, job: Job) -> str:
        chosen = ""
        for day, cid in job.person.legacy_ids:
            if day <= job.created_day or not chosen:
                chosen = cid
        return chosen

    def legacy_job(self, job: Job) -> Row:
        r, rng, k, p = self.r, self.rng, self.k, job.person
        t = Tags()
        cells = [""] * len(LEGACY_JOBS_HEADER)
        cells[0] = self.record_id(job.legacy_id, t, k.record_id_blank_rate)
        cells[1] = self.legacy_customer_id(job)
        t.col = 2
        cells[2] = r.full_name(p, t, curly=True)
        t.col = 3
        cells[3] = self.email_of(p, job.created_day, t, missing_rate=k.email_missing_rate * 2)
        phone, _, ext, _ = self.contact(p, t)
        t.col = 4
        cells[4] = r.phone(phone, t, ext=ext)
        t.col = 5
        cells[5] = r.date(job.service_day, t, *_LEGACY_MOVE_DATE)
        t.col = 6
        if rng.random() < 0.5:
            cells[6] = job.service_type.lower().replace(" ", "_")
            t.add("service_type_snake")
        else:
            cells[6] = r.code(job.service_type, t, "service_type_case")
        status = job.pre_status if job.legacy_stale else job.status_at(LEGACY_EXPORT)
        t.col = 7
        cells[7] = r.code(status, t, "status_case")
        t.col = 8
        cells[8] = r.branch(job.branch, t, legacy=True)
        cells[9] = job.move_size
        for base, address in ((10, job.origin), (14, job.dest)):
            if address is None:
                continue
            t.col = base
            cells[base] = r.address_case(r.street_line(address, t, with_unit=True), t)
            cells[base + 1] = address.city
            t.col = base + 2
            cells[base + 2] = r.state(address.state, t)
            t.col = base + 3
            cells[base + 3] = r.zip(address, t, lost_zero_rate=k.zip_lost_zero_rate)
        t.col = 18
        cells[18] = r.money(job.estimate_cents, t)
        t.col = 19
        if job.has_final(status):
            cells[19] = r.money(job.final_cents, t)
        t.col = 20
        cells[20] = r.datetime(job.created_day, job.created_sec, t, *_LEGACY_CREATED)
        if job.in_sm:
            t.row("job_dup_sm_legacy", f"{job.quote}-{job.seq}")
        self.person_tags(p, job.service_day - 1, t)
        return Row(cells, p.entity_id, job.job_entity, t.items)

    # ------------------------------------------------------------------ leads
    def lead(self, lead: LeadRecord) -> Row:
        r, rng, k, p = self.r, self.rng, self.k, lead.person
        t = Tags()
        cells = [""] * len(LEADS_HEADER)
        cells[0] = self.record_id(lead.record_id, t, k.record_id_blank_rate * 5)
        t.col = 1
        cells[1] = r.full_name(p, t)
        t.col = 2
        cells[2] = self.email_of(p, lead.created_day, t, missing_rate=k.email_missing_rate / 3)
        phone, _, ext, _ = self.contact(p, t)
        t.col = 3
        cells[3] = r.phone(phone, t, ext=ext)
        t.col = 4
        if rng.random() < k.lead_move_date_missing_rate:
            t.add("date_missing")
        else:
            cells[4] = r.date(lead.move_day, t, *_LEAD_MOVE_DATE)
        cells[5] = lead.move_size
        t.col = 6
        cells[6] = r.zip(lead.origin, t, lost_zero_rate=k.zip_lost_zero_rate)
        t.col = 7
        if lead.dest is not None:
            cells[7] = r.zip(lead.dest, t, lost_zero_rate=k.zip_lost_zero_rate)
        t.col = 8
        cells[8] = r.branch(lead.branch, t)
        cells[9] = lead.provider
        t.col = 10
        cells[10] = r.datetime(lead.created_day, lead.created_sec, t, *_LEAD_CREATED)
        if lead.second:
            t.row("dup_within_source")
        self.person_tags(p, lead.created_day, t)
        return Row(cells, p.entity_id, "", t.items)

    # ------------------------------------------------------------------ rows that must be quarantined
    def plant_quarantine(self, spec: FileSpec, rows: list[Row], unknown_branches: tuple[str, ...]) -> None:
        """Unknown branches and unreadable dates on a few rows (at least ``min_rare_per_file`` each)."""
        rng, k = self.rng, self.k
        n = len(rows)
        for rate, col, phenomenon, reason in (
            (k.unknown_branch_rate, spec.branch_col, "branch_unknown", "unknown_branch"),
            (k.unreadable_date_rate, spec.date_col, "date_unreadable", "unreadable_date"),
        ):
            count = min(n, max(k.min_rare_per_file, round(rate * n)))
            for i in sorted(rng.sample(range(n), count)):
                row = rows[i]
                if col == spec.branch_col:
                    value = rng.choice(unknown_branches)
                else:
                    value = self.r.unreadable_date(rng.randint(2019, 2026))
                row.cells[col] = value
                row.tags = [tag for tag in row.tags if tag[0] != col]
                row.tags.append((col, phenomenon, ""))
                row.quarantine.append((col, reason))


FILES: tuple[FileSpec, ...] = (SM_CUSTOMERS, SM_JOBS, SM_JOBS_2, LEGACY_CUSTOMERS, LEGACY_JOBS, LEADS)
"""The raw files, in the order they are written and listed in the truth."""


def build_rows(
    spec: FileSpec, renderer: Renderer, knobs: Knobs, plan: Plan, unknown_branches: tuple[str, ...]
) -> list[Row]:
    """The rows of one raw file, rendered with the file's own generator, quarantine cases planted."""
    f = RowFactory(renderer, knobs, plan)
    if spec is SM_CUSTOMERS:
        rows = [f.sm_customer(c) for c in plan.sm_customers]
    elif spec is SM_JOBS:
        in_export_2 = {j.job_entity for j in plan.sm_jobs_2}
        rows = [
            f.sm_job(j, SM_EXPORT_1, in_both_exports=j.job_entity in in_export_2, later_copy=False)
            for j in plan.sm_jobs_a + plan.sm_jobs_b
        ]
        if plan.sm_jobs_a and plan.sm_jobs_b:  # two exports pasted together
            rows[len(plan.sm_jobs_a)].header_before = True
    elif spec is SM_JOBS_2:
        in_export_1 = {j.job_entity for j in plan.sm_jobs_a} | {j.job_entity for j in plan.sm_jobs_b}
        rows = [
            f.sm_job(j, SM_EXPORT_2, in_both_exports=j.job_entity in in_export_1, later_copy=True)
            for j in plan.sm_jobs_2
        ]
    elif spec is LEGACY_CUSTOMERS:
        rows = [f.legacy_customer(c) for c in plan.legacy_customers]
    elif spec is LEGACY_JOBS:
        rows = [f.legacy_job(j) for j in plan.legacy_jobs]
    elif spec is LEADS:
        rows = [f.lead(ld) for ld in plan.leads]
    else:
        raise ValueError(f"unknown raw file {spec.name}")
    if rows:
        f.plant_quarantine(spec, rows, unknown_branches)
    return rows
