"""Branch spellings the generator writes, taken from the cleaner's branch reference table.

The canonical names and aliases come from ``crm_pipeline/clean/branches.yaml`` so the generated data
and the cleaner agree on what a branch is. The generator adds what staff really type on top: other
cases, a few one-letter typos (the cleaner's fuzzy match must catch them) and names of places where
the company has no branch (the cleaner must quarantine those rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crm_pipeline.clean.branches import load_branch_table
from crm_pipeline.errors import ConfigError

BRANCHES_YAML = Path(__file__).resolve().parent.parent / "clean" / "branches.yaml"

_TYPOS: dict[str, tuple[str, ...]] = {
    "New York City": ("Nwe York", "New Yrok City", "New York Ctiy"),
    "Boston": ("Bostn", "Bsoton"),
    "Philadelphia": ("Philadelpia", "Philadephia"),
    "Chicago": ("Chicgo", "Chciago"),
    "Los Angeles": ("Los Angelas", "Los Angles"),
    "San Francisco": ("San Fransisco", "San Francsico"),
    "Miami": ("Maimi", "Miamii"),
    "Dallas": ("Dalas", "Dallass"),
}
"""Hand-picked typos: one edit away from the canonical name, never equal to any alias."""

_UNKNOWN_CANDIDATES = ("Atlanta", "Denver", "Head Office", "TBD", "Seattle", "Online Sales", "Test Branch")


@dataclass(frozen=True)
class BranchSpelling:
    """Everything the generator may write for one canonical branch."""

    name: str
    aliases: tuple[str, ...]
    typos: tuple[str, ...]
    code: str
    """Short code the legacy CRM used (an all-caps alias of at most 4 letters, or the name)."""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


def _auto_typo(name: str) -> str:
    """Swap two inner letters: a deterministic one-edit typo for branches without hand-picked ones."""
    if len(name) < 4:
        return name + name[-1]
    i = len(name) // 2
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


def load_branch_spellings(path: Path = BRANCHES_YAML) -> tuple[dict[str, BranchSpelling], tuple[str, ...]]:
    """Read the branch table; return spellings per canonical name and the unknown-branch names.

    Unknown names are checked against every name and alias, so adding "Atlanta" as a branch later
    cannot turn a deliberately unknown branch into a known one.
    """
    spellings: dict[str, BranchSpelling] = {}
    known: set[str] = set()
    for name, written in load_branch_table(path).entries:
        aliases = tuple(a for a in written if a != name)
        codes = [a for a in aliases if a.isupper() and a.isalpha() and len(a) <= 4]
        typos = _TYPOS.get(name, (_auto_typo(name),))
        spellings[name] = BranchSpelling(name, aliases, typos, codes[0] if codes else name)
        known.add(_norm(name))
        known.update(_norm(a) for a in aliases)
    for sp in spellings.values():
        bad = [t for t in sp.typos if _norm(t) in known]
        if bad:
            raise ConfigError(f"generator typo {bad[0]!r} of branch {sp.name!r} is a real alias")
    unknown = tuple(u for u in _UNKNOWN_CANDIDATES if _norm(u) not in known)
    if not spellings or not unknown:
        raise ConfigError(f"branch reference table {path} has no branches (or aliases every test name)")
    return spellings, unknown
