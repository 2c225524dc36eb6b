"""The invented company: a Florida mover with its own branches, status words and service words.

Nothing here is taken from the tuned generator or the shipped branch table: the branch list, the
staff's spellings of it (case, state suffix, airport codes, typos), the job statuses and service
types are this company's own, as a new user's exports would be. ``branches_yaml`` writes the
company's configuration in the shape of ``clean/branches.yaml``: canonical names plus the obvious
aliases an administrator would list, not every typo staff make.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class City:
    name: str
    zip_prefix: str  # first three ZIP digits; the last two are drawn
    area_codes: tuple[str, ...]


@dataclass(frozen=True)
class Branch:
    name: str
    config_aliases: tuple[str, ...]
    """What the company's admin writes into branches.yaml."""
    spellings: tuple[tuple[str, int], ...]
    """What staff type into the CRMs, with relative weights (the canonical name included)."""
    cities: tuple[City, ...]


BRANCHES: tuple[Branch, ...] = (
    Branch(
        "Tampa",
        ("Tampa FL", "TPA"),
        (
            ("Tampa", 60),
            ("tampa fl", 10),
            ("TAMPA", 8),
            ("TPA", 8),
            ("Tampa, FL", 6),
            ("Tmapa", 3),
            ("Tampa Bay", 5),
        ),
        (
            City("Tampa", "336", ("813",)),
            City("Brandon", "335", ("813",)),
            City("Plant City", "335", ("813",)),
        ),
    ),
    Branch(
        "Orlando",
        ("Orlando FL", "ORL"),
        (
            ("Orlando", 60),
            ("orlando", 10),
            ("ORL", 8),
            ("MCO", 6),
            ("Orlando - FL", 8),
            ("Orlnado", 3),
            ("Central FL", 5),
        ),
        (
            City("Orlando", "328", ("407", "321")),
            City("Kissimmee", "347", ("407",)),
            City("Winter Park", "327", ("407",)),
        ),
    ),
    Branch(
        "Jacksonville",
        ("Jacksonville FL", "JAX"),
        (
            ("Jacksonville", 55),
            ("JAX", 15),
            ("Jax", 10),
            ("jacksonville fl", 10),
            ("Jacksonvile", 4),
            ("Jaxonville", 2),
        ),
        (City("Jacksonville", "322", ("904",)), City("Orange Park", "320", ("904",))),
    ),
    Branch(
        "St. Petersburg",
        ("St Petersburg", "Saint Petersburg"),
        (
            ("St. Petersburg", 40),
            ("St Pete", 20),
            ("St. Petersburg FL", 10),
            ("Saint Pete", 8),
            ("st petersburg", 10),
            ("St Petersberg", 4),
            ("Clearwater/St Pete", 4),
        ),
        (
            City("St. Petersburg", "337", ("727",)),
            City("Clearwater", "337", ("727",)),
            City("Largo", "337", ("727",)),
        ),
    ),
    Branch(
        "Fort Myers",
        ("Ft Myers", "Fort Myers FL"),
        (
            ("Fort Myers", 45),
            ("Ft. Myers", 20),
            ("FT MYERS", 10),
            ("RSW", 5),
            ("Fort Meyers", 8),
            ("Cape Coral", 5),
        ),
        (City("Fort Myers", "339", ("239",)), City("Cape Coral", "339", ("239",))),
    ),
    Branch(
        "Sarasota",
        ("Sarasota FL", "SRQ"),
        (("Sarasota", 60), ("SRQ", 10), ("sarasota", 12), ("Sarasota/Bradenton", 8), ("Sarasto", 3)),
        (City("Sarasota", "342", ("941",)), City("Bradenton", "342", ("941",))),
    ),
    Branch(
        "Gainesville",
        ("Gainesville FL", "GNV"),
        (("Gainesville", 70), ("GNV", 10), ("gainesville fl", 10), ("Gainsville", 6)),
        (City("Gainesville", "326", ("352",)),),
    ),
    Branch(
        "Tallahassee",
        ("Tallahassee FL", "TLH"),
        (("Tallahassee", 60), ("TLH", 12), ("Tally", 8), ("Tallahasee", 8), ("tallahassee", 8)),
        (City("Tallahassee", "323", ("850",)),),
    ),
)
BRANCH_WEIGHTS: tuple[int, ...] = (26, 22, 16, 12, 8, 7, 5, 4)

# job status: (word as the company writes it, what it means) — meaning decides duplicate disagreement
STATUS_WORDS: dict[str, tuple[tuple[str, int], ...]] = {
    "completed": (
        ("done", 30),
        ("Done", 10),
        ("finished", 15),
        ("Completed", 20),
        ("complete", 10),
        ("Closed - Paid", 5),
    ),
    "cancelled": (("Canceled", 30), ("cancelled", 15), ("cxl", 20), ("CXL", 10), ("cust cancelled", 5)),
    "booked": (("Booked", 30), ("confirmed", 20), ("scheduled", 20), ("in progress", 10)),
    "lead": (("pending", 40), ("tentative", 25), ("Estimate Sent", 20), ("new", 15)),
    "lost": (("lost", 30), ("went w/ competitor", 20), ("no answer", 20)),
}
SERVICE_WORDS: tuple[tuple[str, int], ...] = (
    ("Local Move", 40),
    ("local", 10),
    ("Long Distance", 15),
    ("LD", 5),
    ("Packing Only", 8),
    ("Labor Only", 8),
    ("load/unload", 5),
    ("Office Move", 4),
    ("Piano", 2),
    ("Junk Removal", 2),
    ("Storage", 3),
)
MOVE_SIZES: tuple[str, ...] = (
    "Studio",
    "1 BR",
    "1 bed apt",
    "2 BR",
    "2 Bedroom",
    "3BR House",
    "3 bedroom house",
    "4+ BR",
    "Office",
    "Room or less",
    "Few items",
)
SALES_PEOPLE: tuple[str, ...] = ("Mike R.", "Dana", "Luis G", "Tasha", "Kevin O'Hara", "Front Desk")
REFERRALS: tuple[str, ...] = (
    "Google",
    "Yelp",
    "Repeat",
    "Referral - friend",
    "Angi",
    "Thumbtack",
    "Facebook",
    "Drive-by",
    "",
)


def branches_yaml() -> str:
    """The company's branch configuration (shape of ``crm_pipeline/clean/branches.yaml``)."""
    doc = {"branches": [{"name": b.name, "aliases": [b.name, *b.config_aliases]} for b in BRANCHES]}
    header = (
        "# Branches of the independent sample company (crm-pipeline generate --style independent).\n"
        "# Canonical names and the obvious aliases only; staff typos are left for the pipeline.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
