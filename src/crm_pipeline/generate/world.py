"""The true world behind the exports: people, households, where they lived, and the jobs they booked.

Nothing here is messy. Every person is one entity of the ground truth; every job one job entity.
People come in groups: singles, family households (the family trap), father/son pairs with the same
name (the Jr./Sr. trap), colleagues sharing an office phone (the office trap) and a few people with a
very common name in different cities. A group's jobs happen over 2019–2026; a moving job's destination
becomes the group's next address, so the origin of the next job is where the previous one ended.

Days are ``date.toordinal()`` integers: cheap to compare and to draw.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from crm_pipeline.errors import ConfigError
from crm_pipeline.generate import pools as P
from crm_pipeline.generate.geography import BRANCH_REGIONS, OTHER_CITIES, City, Region
from crm_pipeline.generate.knobs import Knobs

DAY0 = date(2019, 1, 1).toordinal()
"""First service date of the history."""
LAST_SERVICE = date(2026, 6, 30).toordinal()
"""Last service date (jobs booked ahead of the last export)."""
SM_START = date(2021, 9, 1).toordinal()
"""SmartMoving went live; jobs created from here on are entered there."""
LEGACY_CUTOVER = date(2022, 7, 1).toordinal()
"""The legacy CRM stopped taking new jobs."""
LEGACY_EXPORT = date(2022, 7, 15).toordinal()
SM_EXPORT_1 = date(2026, 1, 15).toordinal()
"""Date of the first SmartMoving jobs export (sm_jobs.csv)."""
SM_PASTE_SPLIT = date(2024, 1, 1).toordinal()
"""sm_jobs.csv is two exports pasted together: service dates before / from this day."""
SM_EXPORT_2_FROM = date(2025, 7, 1).toordinal()
"""sm_jobs_2.csv, the second (overlapping) export, covers service dates from this day."""
SM_EXPORT_2 = date(2026, 3, 31).toordinal()
"""Date of the second jobs export, of the customers export and of the lead list."""

MOVING_TYPES = ("Moving", "Moving And Packing", "Load Only", "Unload Only")
"""Service types after which the customer lives at the destination."""
_SERVICE_TYPES = P.weighted(
    {
        "Moving": 55, "Moving And Packing": 20, "Packing": 7, "Load Only": 5, "Unload Only": 4,
        "Storage In": 5,
    }
)  # fmt: skip
_OUTCOMES = P.weighted({"Completed": 74, "Closed": 10, "Cancelled": 8, "Lost": 8})


class Address(NamedTuple):
    """A true address; the renderer decides how it is spelled in each record.

    A named tuple rather than a frozen dataclass: tens of thousands are made, and a frozen
    dataclass is several times slower to construct.
    """

    number: str
    predir: int
    """Index into ``pools.DIRECTIONS`` or -1."""
    street: str
    suffix: int
    """Index into ``pools.STREET_SUFFIXES``."""
    unit_kind: str
    """"Apt", "Unit", "Suite" or "" (no unit)."""
    unit: str
    city: str
    state: str
    zip5: str
    zip4: str
    branch: str | None
    """Branch whose region the address is in (None: a city without a branch)."""


@dataclass
class Company:
    """An employer whose office phone several customers give (the office trap)."""

    key: str
    name: str
    domain: str
    phone: str
    office: Address


@dataclass
class Person:
    """One real person = one entity of the ground truth."""

    entity_id: str
    gender: str
    first: str
    middle: str
    last: str
    suffix: str
    nickname: str
    base_branch: str
    mobile: str
    home: list[tuple[int, Address]]
    """Where the person lived from which day on (shared by reference within a household)."""
    emails: list[tuple[int, str]]
    """Personal email from which day on (a second entry = changed email)."""
    home_phone: str = ""
    alt_phone: str = ""
    """A second number of the person's own (work or old landline), given on some records."""
    family_email: str = ""
    company: Company | None = None
    office_ext: str = ""
    work_email: str = ""
    group_kind: str = "single"
    """single | family | father_son | office."""
    traps: list[tuple[str, str]] = field(default_factory=list)
    """(phenomenon, group key) for every trap the person is part of."""
    sm_ids: list[tuple[int, str]] = field(default_factory=list)
    """SmartMoving customer records: (created day, Customer Id)."""
    legacy_ids: list[tuple[int, str]] = field(default_factory=list)
    """Legacy customer records: (created day, customer_id)."""
    n_records: int = 0

    def address_at(self, day: int) -> Address:
        current = self.home[0][1]
        for start, address in self.home:
            if start > day:
                break
            current = address
        return current

    def address_index_at(self, day: int) -> int:
        index = 0
        for i, (start, _) in enumerate(self.home):
            if start > day:
                break
            index = i
        return index

    def email_at(self, day: int) -> tuple[str, bool]:
        """The personal email on ``day`` and whether it is a changed (later) one."""
        if len(self.emails) > 1 and day >= self.emails[1][0]:
            return self.emails[1][1], True
        return self.emails[0][1], False


@dataclass
class Job:
    """One real job = one job entity of the ground truth."""

    job_entity: str
    person: Person
    service_day: int
    created_day: int
    created_sec: int
    service_type: str
    outcome: str
    """Status once the service date has passed."""
    pre_status: str
    """Status before the service date."""
    move_size: str
    origin: Address
    dest: Address | None
    branch: str
    estimate_cents: int
    final_cents: int
    sales_person: str
    referral: str
    quote_parent: Job | None = None
    in_legacy: bool = False
    in_sm: bool = False
    legacy_stale: bool = False
    quote: int = 0
    seq: int = 1
    legacy_id: str = ""

    def status_at(self, day: int) -> str:
        return self.outcome if self.service_day < day else self.pre_status

    def has_final(self, status: str) -> bool:
        return status in ("Completed", "Closed")


@dataclass
class World:
    persons: list[Person]
    jobs: list[Job]
    regions: dict[str, Region]
    warehouses: dict[str, Address]


class _Builder:
    """Draws the world; holds the sets that keep phones and emails unique across people."""

    def __init__(self, rng: random.Random, knobs: Knobs, pools: P.Pools, branch_names: set[str]) -> None:
        self.rng = rng
        self.k = knobs
        self.pools = pools
        regions = [r for r in BRANCH_REGIONS if r.branch in branch_names]
        missing = [r.branch for r in BRANCH_REGIONS if r.branch not in branch_names]
        if missing:
            raise ConfigError(f"generator regions {missing} are not branches of clean/branches.yaml")
        self.regions = {r.branch: r for r in regions if r.branch is not None}
        self.region_names = tuple(self.regions)
        self.region_cum = tuple(_cumsum([r.weight for r in regions]))
        self.jobs_cum = tuple(_cumsum(list(knobs.jobs_per_person_weights)))
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.persons: list[Person] = []
        self.jobs: list[Job] = []
        self.warehouses = {
            name: self.address(region, unit=False, street="Industrial", number=str(1000 + 10 * i))
            for i, (name, region) in enumerate(self.regions.items())
        }

    # ------------------------------------------------------------------ small draws
    def pick_region(self) -> Region:
        return self.regions[P.pick(self.rng, self.region_names, self.region_cum)]

    def phone(self, region: Region) -> str:
        rng = self.rng
        while True:
            exchange = rng.randint(201, 989)
            if exchange % 100 == 11 or exchange == 555 or exchange in (950, 958, 959, 976):
                continue
            number = f"{rng.choice(region.area_codes)}{exchange}{rng.randint(0, 9999):04d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def email(self, first: str, last: str, domain: str | None = None) -> str:
        rng = self.rng
        f = _ascii_lower(first)
        lst = _ascii_lower(last)
        pattern = rng.random()
        if pattern < 0.35:
            local = f"{f}.{lst}"
        elif pattern < 0.55:
            local = f"{f}{lst}"
        elif pattern < 0.7:
            local = f"{f[:1]}{lst}"
        elif pattern < 0.8:
            local = f"{f}_{lst}"
        else:
            local = f"{f}{lst[:1]}{rng.randint(1, 99)}"
        dom = domain or P.EMAIL_DOMAINS.pick(rng)
        address = f"{local}@{dom}"
        while address in self.emails:
            address = f"{local}{rng.randint(1, 9999)}@{dom}"
        self.emails.add(address)
        return address

    def address(
        self,
        region: Region,
        *,
        unit: bool | None = None,
        street: str | None = None,
        number: str | None = None,
    ) -> Address:
        rng = self.rng
        city: City = rng.choice(region.cities)
        has_unit = rng.random() < 0.45 if unit is None else unit
        unit_kind = ""
        unit_no = ""
        if has_unit:
            unit_kind = "Apt" if rng.random() < 0.8 else "Unit"
            unit_no = (
                str(rng.randint(1, 40))
                if rng.random() < 0.6
                else f"{rng.randint(1, 9)}{rng.choice('ABCDEF')}"
            )
        return Address(
            number=number or str(rng.choice((rng.randint(1, 299), rng.randint(1, 9999)))),
            predir=rng.randrange(4) if rng.random() < 0.12 else -1,
            street=street or rng.choice(self.pools.streets),
            suffix=P.pick(rng, range(len(P.STREET_SUFFIXES)), P.STREET_SUFFIX_CUM),
            unit_kind=unit_kind,
            unit=unit_no,
            city=city.name,
            state=city.state,
            zip5=rng.choice(city.zips),
            zip4=f"{rng.randint(1, 9999):04d}",
            branch=region.branch,
        )

    def new_person(
        self, gender: str, first: str, last: str, region: Region, home: list[tuple[int, Address]]
    ) -> Person:
        rng = self.rng
        k = self.k
        middle = rng.choice(P.MIDDLE_NAMES) if rng.random() < k.middle_name_rate else ""
        person = Person(
            entity_id=f"E{len(self.persons) + 1:07d}",
            gender=gender,
            first=first,
            middle=middle,
            last=last,
            suffix="",
            nickname=P.nickname_for(first, rng),
            base_branch=region.branch or self.region_names[0],
            mobile=self.phone(region),
            home=home,
            emails=[],
        )
        if rng.random() < 0.25:
            person.alt_phone = self.phone(region)
        person.emails.append((DAY0 - 5000, self.email(first, last)))
        if rng.random() < k.email_change_rate:
            change_day = rng.randint(DAY0 + 200, SM_EXPORT_2 - 200)
            person.emails.append((change_day, self.email(first, last)))
        self.persons.append(person)
        return person

    def random_name(self, gender: str) -> tuple[str, str]:
        rng = self.rng
        k = self.k
        first = (P.FIRST_FEMALE if gender == "F" else P.FIRST_MALE).pick(rng)
        last = self.random_last()
        if rng.random() < k.accented_name_rate:
            if rng.random() < 0.4:
                first = rng.choice(P.ACCENTED_FIRST_FEMALE if gender == "F" else P.ACCENTED_FIRST_MALE)
            else:
                last = rng.choice(P.ACCENTED_LAST)
        return first, last

    def random_last(self) -> str:
        if self.rng.random() < self.k.particle_name_rate:
            return self.rng.choice(P.PARTICLE_LAST)
        return P.LAST_NAMES.pick(self.rng)

    # ------------------------------------------------------------------ groups
    def single(self, name: tuple[str, str, str] | None = None, region: Region | None = None) -> list[Person]:
        region = region or self.pick_region()
        home = [(DAY0 - 3000, self.address(region))]
        if name is None:
            gender = "F" if self.rng.random() < 0.5 else "M"
            first, last = self.random_name(gender)
        else:
            first, last, gender = name
        return [self.new_person(gender, first, last, region, home)]

    def family(self, key: str) -> list[Person]:
        rng = self.rng
        region = self.pick_region()
        home = [(DAY0 - 3000, self.address(region, unit=rng.random() < 0.2))]
        last = self.random_last()
        size = rng.choice((2, 2, 2, 3, 3, 4))
        landline = self.phone(region)
        family_email = ""
        if rng.random() < self.k.family_email_rate:
            family_email = self.email("the", f"{last}s") if rng.random() < 0.5 else self.email(last, "family")
        members = []
        for i in range(size):
            gender = ("F", "M")[i % 2] if i < 2 else rng.choice("FM")
            first, _ = self.random_name(gender)
            person = self.new_person(gender, first, last, region, home)
            person.home_phone = landline
            person.family_email = family_email
            person.group_kind = "family"
            person.traps.append(("trap_family", key))
            members.append(person)
        return members

    def father_son(self, key: str) -> list[Person]:
        rng = self.rng
        region = self.pick_region()
        home = [(DAY0 - 3000, self.address(region, unit=False))]
        first, last = self.random_name("M")
        landline = self.phone(region)
        father = self.new_person("M", first, last, region, home)
        son = self.new_person("M", first, last, region, home)
        son.middle = father.middle if rng.random() < 0.5 else rng.choice(P.MIDDLE_NAMES)
        son.nickname = father.nickname
        father.suffix, son.suffix = "Sr.", "Jr."
        for person in (father, son):
            person.home_phone = landline
            person.group_kind = "father_son"
            person.traps.append(("trap_father_son", key))
        return [father, son]

    def office(self, key: str) -> list[Person]:
        rng = self.rng
        region = self.pick_region()
        word = rng.choice(P.COMPANY_WORDS)
        kind = rng.choice(P.COMPANY_KINDS)
        name = f"{word} {kind} {rng.choice(P.COMPANY_SUFFIXES)}"
        domain = f"{word}{kind.split()[0]}{rng.randint(1, 999)}.com".lower()
        company = Company(key, name, domain, self.phone(region), self.address(region, unit=False))
        members = []
        for _ in range(rng.randint(3, 5)):
            person = self.single(region=region)[0]
            person.company = company
            person.office_ext = str(rng.choice((rng.randint(10, 99), rng.randint(100, 999))))
            person.work_email = self.email(person.first, person.last, company.domain)
            person.group_kind = "office"
            person.traps.append(("trap_shared_office_phone", key))
            members.append(person)
        return members

    # ------------------------------------------------------------------ jobs
    def job_days(self, n: int) -> list[int]:
        rng = self.rng
        days = sorted(rng.randint(DAY0, LAST_SERVICE) for _ in range(n))
        for i in range(1, len(days)):
            days[i] = max(days[i], days[i - 1] + 120)
        return [d for d in days if d <= LAST_SERVICE]

    def destination(self, origin: Address) -> Address:
        rng = self.rng
        if origin.branch is None:
            return self.address(self.pick_region())
        if rng.random() < self.k.long_distance_rate:
            if rng.random() < 0.35:
                return self.address(OTHER_CITIES)
            return self.address(self.pick_region())
        return self.address(self.regions[origin.branch])

    def group_jobs(self, members: list[Person]) -> None:
        rng = self.rng
        k = self.k
        n = P.pick(rng, range(5), self.jobs_cum)
        if members[0].group_kind == "office":
            n = max(n, 1)
        home = members[0].home
        storage_ins: list[Job] = []
        for day in self.job_days(n):
            booker = rng.choice(members)
            origin = home[-1][1]
            company = booker.company
            if company is not None and rng.random() < 0.25:
                service_type = "Commercial"
            else:
                service_type = _SERVICE_TYPES.pick(rng)
            dest: Address | None
            if service_type in MOVING_TYPES:
                dest = self.destination(origin)
                home.append((day, dest))
            elif service_type == "Commercial" and company is not None:
                origin = company.office
                office_region = self.regions[origin.branch] if origin.branch else self.pick_region()
                dest = self.address(office_region, unit=False)
                company.office = dest
            elif service_type == "Storage In":
                dest = self.warehouses[origin.branch or booker.base_branch]
            else:
                dest = None
            job = self.make_job(booker, day, service_type, origin, dest, len(members) > 1)
            if service_type == "Storage In":
                storage_ins.append(job)
        for parent in storage_ins:
            if rng.random() >= k.storage_out_rate:
                continue
            day = parent.service_day + rng.randint(30, 240)
            if day > LAST_SERVICE:
                continue
            back_home = parent.person.address_at(day)
            assert parent.dest is not None
            job = self.make_job(parent.person, day, "Storage Out", parent.dest, back_home, len(members) > 1)
            # booked together with the storage-in job, under its quote
            job.quote_parent = parent
            job.created_day = parent.created_day
            job.created_sec = parent.created_sec + 60

    def make_job(
        self, person: Person, day: int, service_type: str, origin: Address, dest: Address | None, family: bool
    ) -> Job:
        rng = self.rng
        if service_type == "Commercial":
            size = rng.choice(("Office (Small)", "Office (Large)"))
        elif service_type.startswith("Storage"):
            size = "Storage Unit"
        else:
            size = (P.MOVE_SIZES_FAMILY if family else P.MOVE_SIZES_SINGLE).pick(rng)
        dollars = P.MOVE_SIZE_BASE_DOLLARS[size] * rng.uniform(0.8, 1.4)
        if dest is not None and dest.branch != origin.branch:
            dollars *= 2.5
        estimate = int(dollars) * 100 if rng.random() < 0.6 else int(dollars * 100)
        outcome = _OUTCOMES.pick(rng)
        pre = "Booked" if outcome != "Lost" else ("Opportunity" if rng.random() < 0.6 else "Lead")
        branch = origin.branch or (dest.branch if dest is not None else None) or person.base_branch
        job = Job(
            job_entity=f"J{len(self.jobs) + 1:07d}",
            person=person,
            service_day=day,
            created_day=day - rng.randint(5, 75),
            created_sec=rng.randint(8 * 3600, 20 * 3600),
            service_type=service_type,
            outcome=outcome,
            pre_status=pre,
            move_size=size,
            origin=origin,
            dest=dest,
            branch=branch,
            estimate_cents=estimate,
            final_cents=int(estimate * rng.uniform(0.85, 1.25)),
            sales_person=rng.choice(self.pools.sales_people),
            referral=P.REFERRAL_SOURCES.pick(rng),
        )
        self.jobs.append(job)
        return job


def build_world(
    rng: random.Random, knobs: Knobs, n_people: int, pools: P.Pools, branch_names: set[str]
) -> World:
    """Draw ``n_people`` people in groups, then each group's jobs over 2019–2026."""
    b = _Builder(rng, knobs, pools, branch_names)
    groups: list[list[Person]] = []

    def target(rate: float) -> int:
        # at least one trap group once the run is big enough to hold one
        return max(1 if n_people >= 200 else 0, round(n_people * rate))

    made = 0
    for kind, rate, make in (
        ("H", knobs.family_people_rate, b.family),
        ("FS", knobs.father_son_people_rate, b.father_son),
        ("C", knobs.office_people_rate, b.office),
    ):
        goal = target(rate)
        count = 0
        while count < goal and made < n_people:
            group = make(f"{kind}{len(groups) + 1}")
            groups.append(group)
            count += len(group)
            made += len(group)
    goal = target(knobs.common_name_people_rate)
    regions = list(b.regions.values())
    for i in range(goal):
        if made >= n_people:
            break
        # three people per common name, each in another branch region
        name = P.COMMON_NAMES[(i // 3) % len(P.COMMON_NAMES)]
        group = b.single(name, regions[i % len(regions)])
        group[0].traps.append(("trap_common_name", f"{name[0]} {name[1]}"))
        groups.append(group)
        made += 1
    while made < n_people:
        groups.append(b.single())
        made += 1
    for group in groups:
        b.group_jobs(group)
    return World(b.persons, b.jobs, b.regions, b.warehouses)


def _cumsum(values: list[float]) -> list[float]:
    out: list[float] = []
    total = 0.0
    for v in values:
        total += v
        out.append(total)
    return out


@lru_cache(maxsize=8192)
def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, for email local parts (García → garcia, O'Neil → oneil)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())
