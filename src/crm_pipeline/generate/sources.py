"""Which records of the true world end up in which export, and under which ids.

The company ran a legacy CRM until mid-2022 and SmartMoving from September 2021: jobs created in the
overlap were often typed into both (the same job twice, the legacy copy sometimes never updated).
SmartMoving customer records are created with a person's first SmartMoving job; some people were
entered twice. Lead providers send inquiries before some jobs, and people who never booked appear
only as a lead or a customer record. Every person of the world appears in at least one file.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from crm_pipeline.generate import pools as P
from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.world import (
    DAY0,
    LEGACY_CUTOVER,
    LEGACY_EXPORT,
    MOVING_TYPES,
    SM_EXPORT_1,
    SM_EXPORT_2,
    SM_EXPORT_2_FROM,
    SM_PASTE_SPLIT,
    SM_START,
    Address,
    Job,
    Person,
    World,
)


@dataclass
class CustomerRecord:
    """A customer row of SmartMoving or of the legacy CRM."""

    person: Person
    created_day: int
    created_sec: int
    second: bool
    """The person's second record in the same source (a within-source duplicate)."""
    record_id: str = ""


@dataclass
class LeadRecord:
    """One inquiry on the lead list."""

    person: Person
    created_day: int
    created_sec: int
    move_day: int
    move_size: str
    origin: Address
    dest: Address | None
    branch: str
    provider: str
    second: bool
    record_id: str = ""


@dataclass
class Plan:
    """The records of every export, in file order."""

    sm_customers: list[CustomerRecord]
    legacy_customers: list[CustomerRecord]
    leads: list[LeadRecord]
    sm_jobs_a: list[Job]
    """First export pasted into sm_jobs.csv (service dates before 2024)."""
    sm_jobs_b: list[Job]
    """Second export pasted into sm_jobs.csv, after a repeated header."""
    sm_jobs_2: list[Job]
    """The overlapping later export, sm_jobs_2.csv."""
    legacy_jobs: list[Job]
    systems: dict[str, str] = field(default_factory=dict)
    """entity_id -> "+"-joined source systems the person appears in."""


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _key(day: int, sec: int, tie: str) -> tuple[int, int, str]:
    return (day, sec, tie)


class _Planner:
    def __init__(self, rng: random.Random, knobs: Knobs, world: World) -> None:
        self.rng = rng
        self.k = knobs
        self.world = world
        self.sm_customers: list[CustomerRecord] = []
        self.legacy_customers: list[CustomerRecord] = []
        self.leads: list[LeadRecord] = []

    def customer(self, person: Person, day: int, *, sm: bool, second: bool) -> None:
        rec = CustomerRecord(person, day, self.rng.randint(8 * 3600, 20 * 3600), second)
        person.n_records += 1
        if sm:
            rec.record_id = _guid(self.rng)
            person.sm_ids.append((day, rec.record_id))
            self.sm_customers.append(rec)
        else:
            self.legacy_customers.append(rec)

    def lead(
        self,
        person: Person,
        day: int,
        move_day: int,
        size: str,
        origin: Address,
        dest: Address | None,
        branch: str,
        second: bool = False,
    ) -> None:
        provider = self.rng.choice(P.LEAD_PROVIDERS)
        person.n_records += 1
        self.leads.append(
            LeadRecord(
                person,
                day,
                self.rng.randint(0, 86399),
                move_day,
                size,
                origin,
                dest,
                branch,
                provider,
                second,
            )
        )

    # ------------------------------------------------------------------ jobs
    def assign_job_sources(self) -> None:
        rng = self.rng
        k = self.k
        for job in self.world.jobs:
            parent = job.quote_parent
            if parent is not None:
                job.in_legacy, job.in_sm, job.legacy_stale = (
                    parent.in_legacy,
                    parent.in_sm,
                    parent.legacy_stale,
                )
                continue
            day = job.created_day
            if day < SM_START:
                job.in_legacy = True
            elif day < LEGACY_CUTOVER:
                r = rng.random()
                if r < k.sm_legacy_overlap_rate:
                    job.in_legacy = job.in_sm = True
                    job.legacy_stale = rng.random() < k.legacy_stale_rate
                elif r < k.sm_legacy_overlap_rate + (1 - k.sm_legacy_overlap_rate) * 0.6:
                    job.in_legacy = True
                else:
                    job.in_sm = True
            else:
                job.in_sm = True
        for job in self.world.jobs:
            if job.in_legacy or (job.in_sm and job.created_day <= SM_EXPORT_2):
                job.person.n_records += 1

    def number_jobs(self) -> tuple[list[Job], list[Job]]:
        """Quote numbers (SmartMoving) and job ids (legacy) in order of creation."""
        rng = self.rng
        jobs = sorted(self.world.jobs, key=lambda j: (j.created_day, j.created_sec, j.job_entity))
        sm = [j for j in jobs if j.in_sm and j.created_day <= SM_EXPORT_2]
        next_quote = 10001
        for job in sm:
            parent = job.quote_parent
            if parent is not None and parent.quote:
                job.quote, job.seq = parent.quote, 2
            else:
                job.quote = next_quote
                next_quote += rng.randint(1, 3)
        legacy = [j for j in jobs if j.in_legacy]
        for i, job in enumerate(legacy):
            job.legacy_id = str(40001 + i)
        return sm, legacy

    # ------------------------------------------------------------------ customers and leads
    def customers_from_jobs(self, sm_jobs: list[Job], legacy_jobs: list[Job]) -> None:
        rng = self.rng
        k = self.k
        for jobs, sm, dup_rate, last_day in (
            (sm_jobs, True, k.sm_customer_dup_rate, SM_EXPORT_2),
            (legacy_jobs, False, k.legacy_customer_dup_rate, LEGACY_EXPORT),
        ):
            by_person: dict[str, list[Job]] = defaultdict(list)
            for job in jobs:
                by_person[job.person.entity_id].append(job)
            for person in self.world.persons:
                own = by_person.get(person.entity_id)
                if not own:
                    continue
                first_day = own[0].created_day - rng.randint(0, 2)
                self.customer(person, first_day, sm=sm, second=False)
                if rng.random() < dup_rate:
                    later = [j.created_day for j in own[1:] if j.created_day > first_day + 10]
                    second_day = later[0] if later else first_day + rng.randint(20, 400)
                    if second_day <= last_day:
                        self.customer(person, second_day, sm=sm, second=True)

    def leads_from_jobs(self) -> None:
        rng = self.rng
        k = self.k
        for job in self.world.jobs:
            if job.service_type not in MOVING_TYPES or rng.random() >= k.lead_per_job_rate:
                continue
            day = job.created_day - rng.randint(1, 21)
            if day > SM_EXPORT_2:
                continue
            move_day = job.service_day if rng.random() < 0.8 else job.service_day + rng.randint(-14, 14)
            self.lead(job.person, day, move_day, job.move_size, job.origin, job.dest, job.branch)
            if rng.random() < k.lead_dup_rate:
                again = min(day + rng.randint(0, 4), SM_EXPORT_2)
                self.lead(job.person, again, move_day, job.move_size, job.origin, job.dest, job.branch, True)

    def side_records(self) -> None:
        """Give every person without any record one: a lead, or a customer record that never booked."""
        rng = self.rng
        regions = self.world.regions
        for person in self.world.persons:
            if person.n_records:
                continue
            r = rng.random()
            family = person.group_kind in ("family", "father_son")
            if (family and r < 0.7) or (not family and 0.55 <= r < 0.85):
                self.customer(person, rng.randint(SM_START, SM_EXPORT_2), sm=True, second=False)
            elif not family and r >= 0.85:
                self.customer(person, rng.randint(DAY0 - 200, LEGACY_CUTOVER - 1), sm=False, second=False)
            else:
                day = rng.randint(DAY0, SM_EXPORT_2)
                origin = person.address_at(day)
                region = regions.get(origin.branch or person.base_branch) or regions[person.base_branch]
                city = rng.choice(region.cities)
                dest = Address(
                    "", -1, "", 0, "", "", city.name, city.state, rng.choice(city.zips), "0001", None
                )
                size = P.MOVE_SIZES_SINGLE.pick(rng)
                self.lead(person, day, day + rng.randint(14, 120), size, origin, dest, region.branch or "")

    def finish(self, sm_jobs: list[Job], legacy_jobs: list[Job]) -> Plan:
        self.sm_customers.sort(key=lambda c: _key(c.created_day, c.created_sec, c.record_id))
        for person in self.world.persons:
            person.sm_ids.sort()
        self.legacy_customers.sort(key=lambda c: _key(c.created_day, c.created_sec, c.person.entity_id))
        for i, rec in enumerate(self.legacy_customers):
            rec.record_id = str(1001 + i)
            rec.person.legacy_ids.append((rec.created_day, rec.record_id))
        self.leads.sort(key=lambda ld: _key(ld.created_day, ld.created_sec, ld.person.entity_id))
        for i, lead in enumerate(self.leads):
            lead.record_id = f"LD{100001 + i}"
        systems: dict[str, set[str]] = defaultdict(set)
        for rec in self.sm_customers:
            systems[rec.person.entity_id].add("smartmoving")
        for rec in self.legacy_customers:
            systems[rec.person.entity_id].add("legacy")
        for lead in self.leads:
            systems[lead.person.entity_id].add("lead")
        for job in legacy_jobs:
            systems[job.person.entity_id].add("legacy")
        for job in sm_jobs:
            systems[job.person.entity_id].add("smartmoving")
        sm_1 = [j for j in sm_jobs if j.created_day <= SM_EXPORT_1]
        return Plan(
            sm_customers=self.sm_customers,
            legacy_customers=self.legacy_customers,
            leads=self.leads,
            sm_jobs_a=[j for j in sm_1 if j.service_day < SM_PASTE_SPLIT],
            sm_jobs_b=[j for j in sm_1 if j.service_day >= SM_PASTE_SPLIT],
            sm_jobs_2=[j for j in sm_jobs if j.service_day >= SM_EXPORT_2_FROM],
            legacy_jobs=legacy_jobs,
            systems={e: "+".join(sorted(s)) for e, s in systems.items()},
        )


def plan_sources(rng: random.Random, knobs: Knobs, world: World) -> Plan:
    """Decide every record of every export (ids included); the rendering comes later."""
    planner = _Planner(rng, knobs, world)
    planner.assign_job_sources()
    sm_jobs, legacy_jobs = planner.number_jobs()
    planner.customers_from_jobs(sm_jobs, legacy_jobs)
    planner.leads_from_jobs()
    planner.side_records()
    return planner.finish(sm_jobs, legacy_jobs)
