"""First-name knowledge the matcher needs: nickname variants and the usual gender of a name.

Why a variant *set* and not one canonical key: nicknames are many-to-many ("Chris" is short for
Christopher, Christina and Christian), so a single key either misses true pairs or joins
different people. Each name gets the set {itself} ∪ {the formal names it is a short form of};
two first names are nickname-equivalent when their sets intersect. That makes Bob ~ Robert
(robert ∈ both), Bob ~ Rob (both short for robert), Chris ~ Christina, but *not*
Christopher ~ Christina and *not* Robert ~ William.

The `nicknames` package lists relations in both directions and with some noise ("bill
has_nickname robert"); we orient every relation from the shorter name (the nickname) to the longer
one (the formal name). Equal-length relations are kept only when both names start with the same
letter (John ~ Jack), which drops the noisy ones (Bill ~ Fred).

The package misses many common diminutives, most of them Spanish (Chuy/Jesus, Nacho/Ignacio,
Lupe/Guadalupe, Beto/Alberto) and some English spellings (Cat/Catherine, Suzy/Susan,
Trish/Patricia). ``nicknames_extra.csv`` next to this module adds them: a curated data file,
one ``nickname,formal`` pair a line, read like the package's relations (short → long).

Gender keeps apart names that look alike but belong to different people: a one-letter difference
is a typo only when the names are not of opposite genders (Mary/Mark, Paul/Paula, Daniel/Danielle
are different people, Jonh/John is a typo), and two nicknames of one formal name are not the same
person when they are strictly of opposite genders (Ron and Erin are both listed under Aaron).
It comes from `gender_guesser`, looked up once per distinct name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_NOT_LETTER = re.compile(r"[^a-z]")
#: Curated diminutives the ``nicknames`` package lacks (see the module docstring).
EXTRA_NICKNAMES = Path(__file__).with_name("nicknames_extra.csv")


def name_key(value: str | None) -> str | None:
    """Lowercase ASCII letters only: "Mary-Jane" → "maryjane", "O'Néil" → "oneil"; empty → None."""
    if value is None:
        return None
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    key = _NOT_LETTER.sub("", ascii_text.lower())
    return key or None


@lru_cache(maxsize=1)
def _formal_names() -> dict[str, frozenset[str]]:
    """nickname → the formal names it shortens (oriented as the module docstring explains)."""
    from nicknames import name_triplets

    formal: defaultdict[str, set[str]] = defaultdict(set)
    for triplet in name_triplets():
        a, b = name_key(triplet.name1), name_key(triplet.name2)
        if a is None or b is None or a == b:
            continue
        if len(a) == len(b):
            if a[0] == b[0]:
                formal[a].add(b)
                formal[b].add(a)
            continue
        short, long_ = (a, b) if len(a) < len(b) else (b, a)
        formal[short].add(long_)
    for nickname, formal_name in _extra_pairs():
        formal[nickname].add(formal_name)
    return {k: frozenset(v) for k, v in formal.items()}


def _extra_pairs() -> list[tuple[str, str]]:
    """``(nickname, formal)`` keys from ``nicknames_extra.csv``."""
    with EXTRA_NICKNAMES.open(newline="", encoding="utf-8") as f:
        rows = [(name_key(r["nickname"]), name_key(r["formal"])) for r in csv.DictReader(f)]
    return [(a, b) for a, b in rows if a is not None and b is not None and a != b]


def name_variants(key: str | None) -> list[str] | None:
    """The sorted variant set of one first-name key (see the module docstring); None for None."""
    if key is None:
        return None
    return sorted({key} | _formal_names().get(key, frozenset()))


def are_nickname_equivalent(a: str | None, b: str | None) -> bool:
    """True when two first-name keys share a variant (Bob/Robert, Bob/Rob, Liz/Elizabeth)."""
    va, vb = name_variants(a), name_variants(b)
    if va is None or vb is None:
        return False
    return bool(set(va) & set(vb))


@lru_cache(maxsize=1)
def _gender_detector() -> object:
    import gender_guesser.detector as gender_detector

    return gender_detector.Detector(case_sensitive=False)


def name_gender(key: str | None, strict: bool = False) -> str | None:
    """'m', 'f' or None (unknown, androgynous, too short) for a first-name key.

    ``strict`` counts only names that are (almost) always one gender: "Jamie" is mostly female
    but also short for James, so it has a gender, but not a strict one.
    """
    if key is None or len(key) < 2:
        return None
    answer = _gender_detector().get_gender(key)  # type: ignore[attr-defined]
    male, female = (
        ("male",) if strict else ("male", "mostly_male"),
        ("female",) if strict else ("female", "mostly_female"),
    )
    if answer in male:
        return "m"
    if answer in female:
        return "f"
    return None


def opposite_genders(a: str | None, b: str | None) -> bool:
    return {a, b} == {"m", "f"}


@dataclass(frozen=True)
class FirstNameTable:
    """Per distinct first-name key: its variant set, its gender and its strict gender."""

    keys: list[str]
    variants: list[list[str]]
    genders: list[str | None]
    strict_genders: list[str | None]


def first_name_table(keys: Iterable[str]) -> FirstNameTable:
    """Variants and genders for each distinct first-name key (called once per distinct value)."""
    distinct = sorted(set(keys))
    return FirstNameTable(
        keys=distinct,
        variants=[name_variants(k) or [k] for k in distinct],
        genders=[name_gender(k) for k in distinct],
        strict_genders=[name_gender(k, strict=True) for k in distinct],
    )
