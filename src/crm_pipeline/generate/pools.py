"""Pools of names, streets and words, built once and then sampled with one seeded ``random.Random``.

Faker is far too slow to call per row, so only its static word lists are used (weighted first and
last names, street suffixes). Everything is a tuple in a fixed order, so sampling is deterministic.
Accented names are limited to Windows-1252 characters because the legacy files use that encoding.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import TypeVar

from faker.providers.person.en_US import Provider as FakerPerson
from nicknames import NickNamer

T = TypeVar("T")


def pick(rng: random.Random, values: Sequence[T], cum: Sequence[float]) -> T:
    """One value drawn by cumulative weights: ``random.choices(...)[0]`` without its overhead."""
    return values[bisect_right(cum, rng.random() * cum[-1], 0, len(values) - 1)]


@dataclass(frozen=True)
class Weighted:
    """Values with cumulative weights."""

    values: tuple[str, ...]
    cum: tuple[float, ...]

    def pick(self, rng: random.Random) -> str:
        return pick(rng, self.values, self.cum)


def weighted(items: dict[str, float]) -> Weighted:
    return Weighted(tuple(items), tuple(accumulate(items.values())))


FIRST_FEMALE = weighted(dict(FakerPerson.first_names_female))
FIRST_MALE = weighted(dict(FakerPerson.first_names_male))
LAST_NAMES = weighted(dict(FakerPerson.last_names))

ACCENTED_FIRST_FEMALE = (
    "María",
    "Zoë",
    "Renée",
    "Chloé",
    "Inés",
    "Françoise",
    "Noémie",
    "Mónica",
    "Verónica",
)
ACCENTED_FIRST_MALE = (
    "José",
    "André",
    "Raúl",
    "Ramón",
    "Joaquín",
    "Adrián",
    "Héctor",
    "Rubén",
    "Jürgen",
    "Björn",
)
ACCENTED_LAST = (
    "García", "Muñoz", "Peña", "Ibáñez", "Núñez", "Müller", "Schröder", "Gómez", "Hernández", "Rodríguez",
    "Pérez", "Martínez", "Sánchez", "López", "Díaz", "Jiménez", "Álvarez", "Ramírez", "Lefèvre", "Bélanger",
    "Côté", "Gagné", "Sørensen", "Bäcker",
)  # fmt: skip
PARTICLE_LAST = (
    "O'Neil", "O'Brien", "O'Connor", "D'Angelo", "McDonald", "MacArthur", "McCarthy", "Smith-Jones",
    "Garcia-Lopez", "Van Buren", "De La Cruz", "St. John", "DeVito", "LeBlanc",
)  # fmt: skip
MIDDLE_NAMES = (
    "Ann", "Marie", "Lynn", "Elizabeth", "Rose", "Grace", "Jean", "Louise", "James", "Michael", "Lee", "Alan",
    "Edward", "Joseph", "Paul", "Ray", "Thomas", "Wayne", "Dean", "Scott",
)  # fmt: skip

COMMON_NAMES: tuple[tuple[str, str, str], ...] = (
    ("John", "Smith", "M"),
    ("Michael", "Johnson", "M"),
    ("Maria", "Garcia", "F"),
    ("James", "Williams", "M"),
    ("David", "Brown", "M"),
    ("Jennifer", "Davis", "F"),
    ("Robert", "Jones", "M"),
    ("Mary", "Miller", "F"),
)
"""Names so common that different people share them (the "John Smith" trap)."""

STREET_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("St", "Street"), ("Ave", "Avenue"), ("Rd", "Road"), ("Blvd", "Boulevard"), ("Ln", "Lane"),
    ("Dr", "Drive"), ("Ct", "Court"), ("Pl", "Place"), ("Way", "Way"), ("Ter", "Terrace"),
    ("Pkwy", "Parkway"), ("Cir", "Circle"),
)  # fmt: skip
"""(USPS abbreviation, spelled-out form)."""
STREET_SUFFIX_CUM = tuple(accumulate((30, 25, 10, 5, 6, 7, 4, 4, 3, 2, 2, 2)))
DIRECTIONS: tuple[tuple[str, str], ...] = (("N", "North"), ("S", "South"), ("E", "East"), ("W", "West"))

_STREET_WORDS = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Park", "Lake", "Hill", "Church", "Spring",
    "Highland", "Franklin", "Jefferson", "Lincoln", "Madison", "Adams", "Jackson", "Center", "Union", "River",
    "Sunset", "Ridge", "Walnut", "Chestnut", "Willow", "Prospect", "Liberty", "Market", "Broad", "Water",
    "Mill", "Forest", "Meadow", "Harbor", "Bay", "Cherry", "Magnolia", "Laurel", "Summit", "Valley",
    "Beacon", "Commonwealth", "Columbus", "Pleasant", "School", "Academy", "College", "Grove", "Orchard",
    "Locust", "Hawthorne", "Dogwood", "Sycamore", "Birch", "Ash", "Poplar", "Vine", "Bridge", "Canal",
)  # fmt: skip
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "11th", "12th", "14th")


def street_names(rng: random.Random, n: int = 2000) -> tuple[str, ...]:
    """A pool of street names: common words, numbered streets and last names ("Wilson")."""
    pool = list(_STREET_WORDS) + list(_ORDINALS)
    while len(pool) < n:
        pool.append(LAST_NAMES.pick(rng))
    return tuple(pool)


EMAIL_DOMAINS = weighted(
    {
        "gmail.com": 42, "yahoo.com": 14, "hotmail.com": 8, "outlook.com": 8, "icloud.com": 7, "aol.com": 4,
        "comcast.net": 4, "msn.com": 2, "verizon.net": 2, "att.net": 2, "me.com": 2, "protonmail.com": 1,
    }
)  # fmt: skip
EMAIL_PLACEHOLDERS = (
    "none",
    "n/a",
    "noemail@noemail.com",
    "NONE",
    "no@email.com",
    "na@na.com",
    "-",
    "declined",
)
PHONE_PLACEHOLDERS = ("000-000-0000", "555-555-5555", "1234567890", "999-999-9999", "(000) 000-0000")

COMPANY_WORDS = (
    "Acme", "Summit", "Pinnacle", "Harbor", "Keystone", "Liberty", "Atlas", "Beacon", "Cornerstone",
    "Evergreen", "Horizon", "Meridian", "Northstar", "Redwood", "Sterling", "Trident", "Vanguard", "Bluebird",
    "Ironwood",
)  # fmt: skip
COMPANY_KINDS = ("Consulting", "Dental", "Law Group", "Architects", "Labs", "Partners", "Realty", "Logistics")
COMPANY_SUFFIXES = ("LLC", "Inc", "Group", "Co", "LLP")

REFERRAL_SOURCES = weighted(
    {
        "Google": 30, "Yelp": 12, "Referral": 12, "Repeat Customer": 8, "Facebook": 6, "Angi": 5,
        "Thumbtack": 5, "Moving.com": 5, "Website": 8, "Direct Mail": 2, "": 7,
    }
)  # fmt: skip
LEAD_PROVIDERS = ("Moving.com", "Thumbtack", "Angi", "HireAHelper", "Google Ads", "MyMovingReviews", "Yelp")

MOVE_SIZES_SINGLE = weighted(
    {
        "Studio": 20,
        "1 Bedroom Apartment": 35,
        "2 Bedroom Apartment": 25,
        "Few Items": 8,
        "2 Bedroom House": 12,
    }
)
MOVE_SIZES_FAMILY = weighted(
    {"2 Bedroom Apartment": 15, "3 Bedroom Apartment": 15, "2 Bedroom House": 15, "3 Bedroom House": 35,
     "4+ Bedroom House": 20}
)  # fmt: skip
MOVE_SIZE_BASE_DOLLARS: dict[str, int] = {
    "Studio": 450, "1 Bedroom Apartment": 700, "2 Bedroom Apartment": 1100, "3 Bedroom Apartment": 1500,
    "Few Items": 300, "2 Bedroom House": 1400, "3 Bedroom House": 2200, "4+ Bedroom House": 3400,
    "Office (Small)": 2500, "Office (Large)": 7500, "Storage Unit": 400,
}  # fmt: skip

_NICKNAMER = NickNamer()


@lru_cache(maxsize=4096)
def _nickname_options(first: str) -> tuple[str, ...]:
    # sorted: the package returns sets, whose order is not stable between runs
    options = sorted(_NICKNAMER.nicknames_of(first.lower()))
    return tuple(o.capitalize() for o in options if len(o) >= 3 and o != first.lower())


def nickname_for(first: str, rng: random.Random) -> str:
    """One nickname of ``first`` (Bob for Robert) from the ``nicknames`` package, or ``""`` if none."""
    options = _nickname_options(first)
    return rng.choice(options) if options else ""


@dataclass(frozen=True)
class Pools:
    """The per-run pools (those that need the seeded generator)."""

    streets: tuple[str, ...]
    sales_people: tuple[str, ...]


def build_pools(rng: random.Random) -> Pools:
    """Draw the per-run pools once; afterwards rows only sample from them."""
    sales = tuple(
        f"{(FIRST_FEMALE if i % 2 else FIRST_MALE).pick(rng)} {LAST_NAMES.pick(rng)}" for i in range(24)
    )
    return Pools(streets=street_names(rng), sales_people=sales)
