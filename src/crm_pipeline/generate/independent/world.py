"""The true world of the independent exports: people in households, and their moves.

Households share an address, often a landline and sometimes a family email; spouses and children
must stay apart. Some households hold a father and son of the same name (Sr./Jr.), some people
share a first and last name with a stranger in the same city, and business customers share an
office phone. About one in ten people moved, so their jobs and records show two addresses.

Rates (per seed, roughly): half the households are one person, the rest 2-5; 35 % of households
have a landline, 30 % of multi-person ones a family email used by one or both adults; a quarter of
households of 3+ with a man at the head name a son after him (Sr./Jr.); 4 % of single people share
their name with someone in their city; 3 % of people without a landline are business customers in
offices of 3-5 sharing one phone; 5 % changed their email. Phones and emails are otherwise unique.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from crm_pipeline.generate.independent.company import (
    BRANCH_WEIGHTS,
    BRANCHES,
    MOVE_SIZES,
    SERVICE_WEIGHTS,
    City,
)
from crm_pipeline.generate.independent.names import LOCALE_WEIGHTS, NamePool, load_pools, mailbox_part

REFERENCE_DAY = date(2026, 11, 30)
"""'Today' of the sample company: fixed, so the same seed gives the same bytes on any day."""
FIRST_DAY = date(2017, 1, 1)
_HISTORY_DAYS = (REFERENCE_DAY - FIRST_DAY).days
_STREETS = (
    "Wells",
    "Bayshore",
    "Palm",
    "Magnolia",
    "Cypress",
    "Orange Blossom",
    "Gulf",
    "Dale Mabry",
    "Fowler",
    "Kennedy",
    "Hillsborough",
    "Colonial",
    "Mills",
    "Edgewater",
    "Lake Ella",
    "Seminole",
    "Pine Island",
    "McGregor",
    "Tamiami",
    "Bee Ridge",
    "Fruitville",
    "Tennessee",
    "Monroe",
    "University",
    "Archer",
    "Beach",
    "Atlantic",
    "San Jose",
    "Baymeadows",
    "Roosevelt",
    "4th",
    "22nd",
    "Central",
    "Oak",
    "Cedar",
)
_SUFFIXES = ("St", "Ave", "Blvd", "Dr", "Rd", "Ln", "Ct", "Way", "Pl", "Ter", "Cir")
_MAIL_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "aol.com",
    "outlook.com",
    "icloud.com",
    "att.net",
    "bellsouth.net",
    "comcast.net",
)
# how past jobs ended (meaning -> weight); a job still ahead is booked
_PAST_STATUS: dict[str, int] = {"completed": 55, "cancelled": 15, "booked": 12, "lead": 12, "lost": 6}


@dataclass(slots=True)
class Address:
    number: str
    street: str  # "Wells St"
    unit: str
    city: City
    zip: str

    @property
    def line1(self) -> str:
        return f"{self.number} {self.street}"


@dataclass(slots=True)
class Person:
    pid: str
    first: str
    last: str
    female: bool
    suffix: str  # "", "Jr.", "Sr."
    branch: int  # index into BRANCHES
    address: Address
    email: str
    mobile: str
    landline: str
    previous: Address | None = None  # address before a move
    old_email: str = ""  # an email given up (the person changed it)
    business: bool = False


@dataclass(slots=True)
class Job:
    jid: str
    person: Person
    day: date
    meaning: str  # key of STATUS_WORDS
    service: str  # key of SERVICE_WORDS
    size: int  # index into MOVE_SIZES
    origin: Address
    dest: Address
    estimate: float
    created: date


@dataclass
class World:
    people: list[Person]
    jobs: list[Job]


def _address(rng: random.Random, branch: int) -> Address:
    city = rng.choice(BRANCHES[branch].cities)
    unit = f"Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.18 else ""
    street = f"{rng.choice(_STREETS)} {rng.choice(_SUFFIXES)}"
    return Address(
        str(rng.randrange(10, 9999)), street, unit, city, f"{city.zip_prefix}{rng.randrange(1, 100):02d}"
    )


class _Contacts:
    """Phones and emails, each unique in the world (no two people hold one address or number by
    chance; sharing is planted on purpose: households, family emails, office phones)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        value = make()
        while value in self.used:
            value = make()
        self.used.add(value)
        return value

    def phone(self, city: City) -> str:
        rng = self.rng
        return self._unique(
            lambda: f"{rng.choice(city.area_codes)}{rng.randrange(200, 1000)}{rng.randrange(0, 10_000):04d}"
        )

    def email(self, first: str, last: str) -> str:
        rng = self.rng
        f, la = mailbox_part(first) or "x", mailbox_part(last) or "x"
        local = rng.choice((f"{f}.{la}", f"{f[0]}{la}", f"{la}.{f}", f"{f}_{rng.randrange(1960, 2005)}"))
        value = f"{local}@{rng.choice(_MAIL_DOMAINS)}"
        while value in self.used:  # taken: people add digits
            value = f"{local}{rng.randrange(1, 999)}@{rng.choice(_MAIL_DOMAINS)}"
        self.used.add(value)
        return value

    def work_email(self, first: str, last: str, company: str) -> str:
        base = f"{mailbox_part(first)}.{mailbox_part(last)}"
        value = f"{base}@{company}.com"
        while value in self.used:
            value = f"{base}{self.rng.randrange(1, 9)}@{company}.com"
        self.used.add(value)
        return value

    def family_email(self, last: str) -> str:
        name = mailbox_part(last)
        return self._unique(lambda: f"the{name}s{self.rng.randrange(1, 99)}@{self.rng.choice(_MAIL_DOMAINS)}")


class _Namer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = load_pools()
        self.locales = [loc for loc, _ in LOCALE_WEIGHTS]
        self.weights = [w for _, w in LOCALE_WEIGHTS]

    def pool(self) -> NamePool:
        return self.pools[self.rng.choices(self.locales, self.weights)[0]]

    def first(self, pool: NamePool, female: bool) -> str:
        return self.rng.choice(pool.female if female else pool.male)


def build_world(rng: random.Random, people: int) -> World:
    namer, contacts = _Namer(rng), _Contacts(rng)
    out: list[Person] = []
    by_city_name: dict[str, list[Person]] = {}
    while len(out) < people:
        size = rng.choices((1, 2, 3, 4, 5), (50, 27, 12, 8, 3))[0]
        size = min(size, people - len(out))
        out += _household(rng, namer, contacts, size, len(out), by_city_name)
    _offices(rng, contacts, out)
    return World(out, _jobs(rng, out))


def _household(rng: random.Random, namer: _Namer, contacts: _Contacts, size: int, start: int,
               by_city: dict[str, list[Person]]) -> list[Person]:  # fmt: skip
    """One household: a shared home, maybe a landline and a family email; distinct first names
    except a father and son of one name (Sr./Jr.)."""
    pool = namer.pool()
    branch = rng.choices(range(len(BRANCHES)), BRANCH_WEIGHTS)[0]
    home = _address(rng, branch)
    landline = contacts.phone(home.city) if rng.random() < 0.35 else ""
    last = rng.choice(pool.last)
    family_email = contacts.family_email(last) if size > 1 and rng.random() < 0.3 else ""
    members: list[Person] = []
    for k in range(size):
        female = rng.random() < 0.5 if k == 0 else (not members[0].female if k == 1 else rng.random() < 0.5)
        first = namer.first(pool, female)
        for _ in range(20):  # parents do not give two children one name
            if all(m.first != first for m in members):
                break
            first = namer.first(pool, female)
        member_last = last if k != 1 or rng.random() < 0.8 else rng.choice(pool.last)
        child = k >= 2
        email = "" if child and rng.random() < 0.5 else contacts.email(first, member_last)
        if family_email and k < 2 and rng.random() < 0.6:
            email = family_email
        mobile = "" if (child and rng.random() < 0.4) or rng.random() < 0.1 else contacts.phone(home.city)
        members.append(
            Person(f"P{start + k:07d}", first, member_last, female, "", branch, home, email, mobile, landline)
        )
    if size >= 3 and not members[0].female and rng.random() < 0.25:  # father and son of one name
        son = members[2]
        son.first, son.female, son.last = members[0].first, False, members[0].last
        members[0].suffix, son.suffix = "Sr.", "Jr."
        son.email = contacts.email(son.first, son.last) if rng.random() < 0.7 else ""
    if size == 1 and rng.random() < 0.04:  # a stranger of the same name in the same city
        twins = by_city.get(home.city.name)
        if twins:
            other = rng.choice(twins)
            members[0].first, members[0].last, members[0].female = other.first, other.last, other.female
            members[0].email = contacts.email(other.first, other.last)
    for p in members:
        if rng.random() < 0.1:
            p.previous, p.address = p.address, _address(rng, p.branch)
        if p.email and p.email != family_email and rng.random() < 0.05:
            p.old_email, p.email = p.email, contacts.email(p.first, p.last)
    by_city.setdefault(home.city.name, []).extend(members)
    return members


def _offices(rng: random.Random, contacts: _Contacts, people: list[Person]) -> None:
    """About 3 % of people are business customers: groups of 3-5 share one office phone and use
    their work email."""
    singles = [p for p in people if p.landline == "" and rng.random() < 0.03]
    while len(singles) >= 3:
        group = [singles.pop() for _ in range(min(len(singles), rng.randrange(3, 6)))]
        office = contacts.phone(group[0].address.city)
        company = (
            f"{rng.choice(('acme', 'sunstate', 'gulfcoast', 'bayside', 'pinnacle'))}{rng.randrange(10, 99)}"
        )
        for p in group:
            p.business, p.landline = True, office
            if rng.random() < 0.7:
                p.mobile = office
            p.email = contacts.work_email(p.first, p.last, company)


def _jobs(rng: random.Random, people: list[Person]) -> list[Job]:
    jobs: list[Job] = []
    for p in people:
        count = rng.choices((0, 1, 2, 3), (25, 50, 18, 7))[0]
        for k in range(count):
            offset = rng.randrange(-_HISTORY_DAYS, 270)
            day = REFERENCE_DAY + timedelta(days=offset)
            meaning = (
                "booked" if offset > 0 else rng.choices(list(_PAST_STATUS), list(_PAST_STATUS.values()))[0]
            )
            if p.previous is not None and k == 0:
                origin, dest = p.previous, p.address
            else:
                origin, dest = p.address, _address(rng, p.branch)
            created = day - timedelta(days=rng.randrange(3, 60))
            estimate = round(rng.lognormvariate(7.2, 0.6), 2)
            service = rng.choices(list(SERVICE_WEIGHTS), list(SERVICE_WEIGHTS.values()))[0]
            size = rng.randrange(len(MOVE_SIZES))
            jobs.append(
                Job(f"J{len(jobs):07d}", p, day, meaning, service, size, origin, dest, estimate, created)
            )
    return jobs
