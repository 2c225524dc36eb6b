"""The five exports of the independent company, and the truth of every row.

Each file names its columns the way this company's systems do ("Cust ID", "E-mail", "Phone #",
"Zip Code", "Pickup Address"), in an order drawn from the seed, with extra columns the pipeline
does not use (tags, notes, lat/long, fax) and, in the old CRM, email columns that are present but
empty. Every row's truth is recorded as it is written: ``(file, record_id, person)`` for every row
and ``(file, record_id, job)`` for job rows, the format ``crm-pipeline evaluate`` reads.

Who appears where: about 62 % of people have a SmartMoving customer record (4 % of them twice),
42 % one in the old CRM, 20 % sent a web lead; everyone appears at least once. A job of someone
known to both systems is exported by one or both; when both, the copies may disagree (no address
on one side, a street typo, cancelled in one and completed in the other, other date formats).
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import timedelta

from crm_pipeline.generate.independent import render as r
from crm_pipeline.generate.independent.company import (
    MOVE_SIZES,
    REFERRALS,
    SALES_PEOPLE,
    SERVICE_WORDS,
    STATUS_WORDS,
)
from crm_pipeline.generate.independent.world import REFERENCE_DAY, Job, Person, World

Cells = dict[str, str]


@dataclass(frozen=True)
class Layout:
    """One export: file name, (header, cell key) per column, how it is encoded and delimited."""

    name: str
    profile: str
    columns: tuple[tuple[str, str], ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    newline: str = "\n"


SM_CUSTOMERS = Layout(
    "Customers_Export.csv",
    "smartmoving_customers",
    (
        ("Cust ID", "id"),
        ("Full Name", "name"),
        ("Phone Number", "phone"),
        ("Phone Type", "phone_type"),
        ("E-mail", "email"),
        ("Address", "address"),
        ("Secondary Phone", "phone2"),
        ("Branch", "branch"),
        ("Date Created", "created"),
        ("Tags", "tags"),
        ("Latitude", "lat"),
        ("Longitude", "lon"),
        ("Notes", "notes"),
    ),
    encoding="utf-8-sig",
    newline="\r\n",
)
SM_JOBS = Layout(
    "Jobs_Report.csv",
    "smartmoving_jobs",
    (
        ("Job #", "id"),
        ("Quote #", "quote"),
        ("Customer ID", "customer"),
        ("Customer", "name"),
        ("Email Address", "email"),
        ("Phone Number", "phone"),
        ("Move Date", "date"),
        ("Service Type", "service"),
        ("Job Status", "status"),
        ("Branch", "branch"),
        ("Size", "size"),
        ("Pickup Address", "origin"),
        ("Delivery Address", "dest"),
        ("Estimate", "estimate"),
        ("Invoice Total", "total"),
        ("Sales Rep", "sales"),
        ("Lead Source", "referral"),
        ("Booked On", "created"),
        ("Crew Notes", "notes"),
        ("Truck #", "truck"),
    ),
)
OLD_CUSTOMERS = Layout(
    "oldcrm_customers.csv",
    "legacy_customers",
    (
        ("Customer #", "id"),
        ("First", "first"),
        ("Last", "last"),
        ("Email Address", "email"),
        ("Phone #", "phone"),
        ("Other Phone", "phone2"),
        ("Street Address", "street"),
        ("Apt/Suite", "street2"),
        ("City", "city"),
        ("ST", "state"),
        ("Zip Code", "zip"),
        ("Branch Office", "branch"),
        ("Date Entered", "created"),
        ("Fax", "fax"),
        ("Notes", "notes"),
    ),
    encoding="cp1252",
)
OLD_JOBS = Layout(
    "oldcrm_jobs.csv",
    "legacy_jobs",
    (
        ("Job ID", "id"),
        ("Customer #", "customer"),
        ("Customer Name", "name"),
        ("E-mail", "email"),
        ("Phone", "phone"),
        ("Job Date", "date"),
        ("Job Type", "service"),
        ("Status", "status"),
        ("Branch", "branch"),
        ("Move Size", "size"),
        ("From Street", "o_street"),
        ("From City", "o_city"),
        ("From State", "o_state"),
        ("From Zip", "o_zip"),
        ("To Street", "d_street"),
        ("To City", "d_city"),
        ("To State", "d_state"),
        ("To Zip", "d_zip"),
        ("Quoted", "estimate"),
        ("Total", "total"),
        ("Created", "created"),
        ("Dispatcher", "dispatcher"),
    ),
    encoding="cp1252",
    delimiter=";",
)
LEADS = Layout(
    "web_leads.csv",
    "leads",
    (
        ("Lead ID", "id"),
        ("Full Name", "name"),
        ("Email", "email"),
        ("Phone", "phone"),
        ("Moving Date", "date"),
        ("Move Size", "size"),
        ("From Zip", "o_zip"),
        ("To Zip", "d_zip"),
        ("Branch", "branch"),
        ("Source", "referral"),
        ("Submitted At", "created"),
        ("UTM Campaign", "utm"),
        ("Comments", "notes"),
    ),
)
LAYOUTS: tuple[Layout, ...] = (SM_CUSTOMERS, SM_JOBS, OLD_CUSTOMERS, OLD_JOBS, LEADS)
EMPTY_COLUMNS = {("oldcrm_customers.csv", "email"), ("oldcrm_jobs.csv", "email")}
"""Columns the old CRM exports but never filled (it did not store emails)."""
FUTURE_DATE_RATE = 0.006
_NOTES = (
    "",
    "",
    "",
    "",
    "call before 9am",
    "gate code 1234",
    "stairs, 3rd floor",
    "prefers text",
    "VIP",
    "dog on premises",
    "paid deposit",
)


@dataclass
class Rows:
    """Rows of every file plus the truth, filled while rendering."""

    cells: dict[str, list[Cells]] = field(default_factory=lambda: {lay.name: [] for lay in LAYOUTS})
    customers: list[tuple[str, str, str]] = field(default_factory=list)
    jobs: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, layout: Layout, row: Cells, person: Person, job: Job | None = None) -> None:
        self.cells[layout.name].append(row)
        self.customers.append((layout.name, row["id"], person.pid))
        if job is not None:
            self.jobs.append((layout.name, row["id"], job.jid))


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _status(rng: random.Random, meaning: str) -> str:
    return r.weighted(rng, STATUS_WORDS[meaning])


def render_all(rng: random.Random, world: World) -> Rows:
    rows = Rows()
    sm_ids: dict[str, str] = {}
    old_ids: dict[str, str] = {}
    old_numbers = rng.sample(range(10_000, 10_000 + 4 * len(world.people) + 10), len(world.people))
    for i, p in enumerate(world.people):
        in_sm, in_old, leads = rng.random() < 0.62, rng.random() < 0.42, rng.random() < 0.2
        if not (in_sm or in_old or leads):
            in_sm = True
        if in_sm:
            sm_ids[p.pid] = _sm_customer(rng, rows, p)
            if rng.random() < 0.04:  # entered twice
                _sm_customer(rng, rows, p)
        if in_old:
            old_ids[p.pid] = str(old_numbers[i])
            _old_customer(rng, rows, p, old_ids[p.pid])
        if leads:
            for _ in range(rng.choices((1, 2), (80, 20))[0]):
                _lead(rng, rows, p, len(rows.cells[LEADS.name]))
    quote = 20_000
    old_job = 500_000
    for job in world.jobs:
        sm_id, old_id = sm_ids.get(job.person.pid), old_ids.get(job.person.pid)
        if sm_id is None and old_id is None:
            continue
        where = (
            "sm"
            if old_id is None
            else "old"
            if sm_id is None
            else rng.choices(("sm", "old", "both"), (45, 25, 30))[0]
        )
        conflict = where == "both" and rng.random() < 0.1  # cancelled on one side, completed on the other
        if where in ("sm", "both"):
            quote += rng.randrange(1, 4)
            meaning = "completed" if conflict else job.meaning
            _sm_job(rng, rows, job, sm_id or "", quote, meaning)
        if where in ("old", "both"):
            old_job += rng.randrange(1, 6)
            meaning = "cancelled" if conflict else job.meaning
            no_address = where == "both" and rng.random() < 0.2
            _old_job(rng, rows, job, old_id or "", str(old_job), meaning, no_address)
    return rows


def _sm_customer(rng: random.Random, rows: Rows, p: Person) -> str:
    cid = _guid(rng)
    a = p.address if p.previous is None or rng.random() < 0.7 else p.previous
    created = REFERENCE_DAY - timedelta(days=rng.randrange(30, 3000))
    lat, lon = 27.9 + rng.random(), -82.5 + rng.random()
    rows.add(
        SM_CUSTOMERS,
        {
            "id": cid,
            "name": r.full_name(rng, p),
            "phone": r.contact_phone(rng, p),
            "phone_type": rng.choice(("Mobile", "Home", "Office", "", "Other"))
            if not p.business
            else "Office",
            "email": r.email(rng, p.old_email if p.old_email and rng.random() < 0.5 else p.email),
            "address": r.one_line(rng, a),
            "phone2": r.phone(rng, p.landline) if p.landline and rng.random() < 0.3 else "",
            "branch": r.branch(rng, p.branch),
            "created": r.timestamp(rng, created, "iso"),
            "tags": rng.choice(("", "", "repeat", "vip;repeat", "commercial" if p.business else "")),
            "lat": f"{lat:.5f}" if rng.random() < 0.8 else "",
            "lon": f"{lon:.5f}" if rng.random() < 0.8 else "",
            "notes": rng.choice(_NOTES),
        },
        p,
    )
    return cid


def _old_customer(rng: random.Random, rows: Rows, p: Person, cid: str) -> None:
    a = p.previous or p.address
    last = r.last_name(rng, p)
    if p.suffix and rng.random() < 0.5:
        last = f"{last} {p.suffix.rstrip('.')}"
    created = REFERENCE_DAY - timedelta(days=rng.randrange(900, 3300))
    rows.add(
        OLD_CUSTOMERS,
        {
            "id": cid,
            "first": r.first_name(rng, p),
            "last": last,
            "email": "",
            "phone": r.contact_phone(rng, p),
            "phone2": r.phone(rng, p.landline) if p.landline and rng.random() < 0.4 else "",
            "street": r.street(rng, a),
            "street2": a.unit if rng.random() < 0.8 else "",
            "city": a.city.name.upper() if rng.random() < 0.3 else a.city.name,
            "state": r.state(rng),
            "zip": r.zip_code(rng, a),
            "branch": r.branch(rng, p.branch),
            "created": r.day(rng, created, "mixed", bad_rate=0.015),
            "fax": "",
            "notes": rng.choice(_NOTES),
        },
        p,
    )


def _lead(rng: random.Random, rows: Rows, p: Person, n: int) -> None:
    move = REFERENCE_DAY + timedelta(days=rng.randrange(-2000, 200))
    other = rng.choice(("33602", "32801", "32202", "33701", "33901", "34236", "30301", "10001", ""))
    rows.add(
        LEADS,
        {
            "id": f"WL-{100_000 + n}",
            "name": r.full_name(rng, p),
            "email": r.email(rng, p.email),
            "phone": r.contact_phone(rng, p),
            "date": r.day(rng, move, "iso", bad_rate=0.02),
            "size": rng.choice(MOVE_SIZES),
            "o_zip": r.zip_code(rng, p.address),
            "d_zip": other,
            "branch": r.branch(rng, p.branch),
            "referral": rng.choice(REFERRALS),
            "created": r.timestamp(rng, move - timedelta(days=rng.randrange(5, 90)), "iso"),
            "utm": rng.choice(("", "", "spring_promo", "g_ads_fl", "fb-retarget")),
            "notes": rng.choice(_NOTES),
        },
        p,
    )


def _job_common(rng: random.Random, job: Job, meaning: str, date_style: str) -> Cells:
    final = job.estimate * (0.85 + 0.3 * rng.random())
    return {
        "name": r.full_name(rng, job.person),
        "email": r.email(rng, job.person.email),
        "phone": r.contact_phone(rng, job.person),
        "date": r.day(rng, job.day, date_style, future_rate=FUTURE_DATE_RATE, bad_rate=0.005),
        "service": r.weighted(rng, SERVICE_WORDS),
        "status": _status(rng, meaning),
        "branch": r.branch(rng, job.person.branch),
        "size": rng.choice(MOVE_SIZES),
        "estimate": r.money(rng, job.estimate),
        "total": r.money(rng, final) if meaning == "completed" else "",
        "notes": rng.choice(_NOTES),
    }


def _sm_job(rng: random.Random, rows: Rows, job: Job, customer: str, quote: int, meaning: str) -> None:
    cells = _job_common(rng, job, meaning, "mixed")
    cells.update(
        {
            "id": f"{quote}-{rng.choices((1, 2), (90, 10))[0]}",
            "quote": str(quote),
            "customer": customer if rng.random() < 0.95 else "",
            "origin": r.one_line(rng, job.origin),
            "dest": r.one_line(rng, job.dest) if rng.random() < 0.9 else "",
            "sales": rng.choice(SALES_PEOPLE),
            "referral": rng.choice(REFERRALS),
            "created": r.timestamp(rng, job.created, "us"),
            "truck": rng.choice(("", "T-3", "T-7", "26ft", "Box 2")),
        }
    )
    rows.add(SM_JOBS, cells, job.person, job)


def _old_job(
    rng: random.Random, rows: Rows, job: Job, customer: str, jid: str, meaning: str, no_address: bool
) -> None:
    cells = _job_common(rng, job, meaning, rng.choice(("us", "mixed")))
    o, d = job.origin, job.dest
    cells.update(
        {
            "id": jid,
            "customer": customer,
            "o_street": "" if no_address else r.street(rng, o),
            "o_city": "" if no_address else o.city.name,
            "o_state": "" if no_address else r.state(rng),
            "o_zip": "" if no_address else r.zip_code(rng, o),
            "d_street": r.street(rng, d),
            "d_city": d.city.name,
            "d_state": r.state(rng),
            "d_zip": r.zip_code(rng, d),
            "created": r.day(rng, job.created, "us", bad_rate=0.01),
            "dispatcher": rng.choice(("", "KB", "RT", "JM")),
        }
    )
    rows.add(OLD_JOBS, cells, job.person, job)


def serialize(rng: random.Random, layout: Layout, rows: list[Cells]) -> tuple[bytes, tuple[str, ...]]:
    """CSV bytes of ``rows`` with the layout's columns in an order drawn from ``rng``."""
    columns = list(layout.columns)
    rng.shuffle(columns)
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=layout.delimiter, lineterminator=layout.newline)
    header = tuple(h for h, _ in columns)
    out.writerow(header)
    # a column the system never filled is written empty, whatever the row knows
    keys = ["" if (layout.name, k) in EMPTY_COLUMNS else k for _, k in columns]
    out.writerows([c.get(k, "") for k in keys] for c in rows)
    return buf.getvalue().encode(layout.encoding, errors="replace"), header
