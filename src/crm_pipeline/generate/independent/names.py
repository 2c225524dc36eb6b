"""People's names: Faker's per-locale name lists, a nickname list of our own, and a typo model.

Name pools come from Faker's locale data (en_US, es_MX, en_GB, en_IN, pt_BR and romanized
vi_VN), read once as plain lists; no Faker call per row. The nicknames are written here by hand
and deliberately include pairs a standard English nickname table lacks ("Chuy"/"Jesus",
"Lupe"/"Guadalupe", "Trish"/"Patricia"). Typos follow how people mistype: a neighbouring key, a
dropped letter (short names lose a vowel: "John" -> "Jhn"), two letters swapped.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

LOCALE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("en_US", 58),
    ("es_MX", 20),
    ("en_GB", 6),
    ("vi_VN", 5),
    ("en_IN", 6),
    ("pt_BR", 5),
)

# first name -> nicknames people go by (our own list; several are outside common nickname tables)
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Catherine": ("Cat", "Cathy", "Kate"),
    "Katherine": ("Kate", "Kathy", "Kat"),
    "Kathryn": ("Kate", "Katie"),
    "Susan": ("Suzy", "Sue"),
    "Patricia": ("Trish", "Patty", "Tricia"),
    "Manuel": ("Manny", "Manolo"),
    "Alberto": ("Beto",),
    "Jesus": ("Chuy",),
    "Jesús": ("Chuy",),
    "Ignacio": ("Nacho",),
    "Guadalupe": ("Lupe",),
    "Francisco": ("Paco", "Pancho", "Frank"),
    "José": ("Pepe",),
    "Jose": ("Pepe",),
    "Roberto": ("Beto", "Rob"),
    "Eduardo": ("Lalo", "Eddie"),
    "Enrique": ("Kike", "Henry"),
    "Guillermo": ("Memo", "Willy"),
    "Rafael": ("Rafa",),
    "Alejandro": ("Alex", "Jano"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Elizabeth": ("Liz", "Beth", "Betsy"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Deborah": ("Deb", "Debbie"),
    "Victoria": ("Tori", "Vicky"),
    "Christopher": ("Chris", "Topher"),
    "Nicholas": ("Nick", "Nico"),
    "Anthony": ("Tony",),
    "William": ("Bill", "Will", "Liam"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Rich"),
    "Michael": ("Mike", "Mikey"),
    "Daniel": ("Dan", "Danny"),
    "Donald": ("Don", "Donnie"),
    "Jonathan": ("Jon", "Jonny"),
    "Benjamin": ("Ben", "Benji"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Xander"),
    "Matthew": ("Matt",),
    "Joseph": ("Joe", "Joey"),
    "Theodore": ("Ted", "Teddy", "Theo"),
    "Gregory": ("Greg",),
    "Timothy": ("Tim",),
    "Thomas": ("Tom", "Tommy"),
    "Andrew": ("Drew", "Andy"),
    "Stephanie": ("Steph",),
    "Samantha": ("Sam", "Sammi"),
    "Alexandra": ("Lexi", "Sasha", "Alex"),
    "Christina": ("Tina", "Chrissy"),
    "Jacqueline": ("Jackie",),
    "Natalie": ("Nat",),
    "Abigail": ("Abby",),
    "Madison": ("Maddie",),
    "Kimberly": ("Kim",),
    "Pamela": ("Pam",),
    "Cynthia": ("Cindy",),
    "Dorothy": ("Dot", "Dottie"),
    "Frances": ("Fran",),
    "Veronica": ("Ronnie",),
    "Gabriela": ("Gaby",),
    "Mercedes": ("Meche",),
    "Dolores": ("Lola",),
    "Concepción": ("Concha",),
    "Rosario": ("Chayo",),
    "Consuelo": ("Chelo",),
}

_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row in _KEYBOARD_ROWS:
    for _i, _c in enumerate(_row):
        _NEIGHBOURS[_c] = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]
_VOWELS = frozenset("aeiouy")


def ascii_fold(name: str) -> str:
    """Romanized without diacritics, as a US CRM's staff would type a Vietnamese name."""
    name = name.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def _names(values: Iterable[str], romanize: bool) -> list[str]:
    out = [(ascii_fold(v) if romanize else v).strip() for v in values]
    return sorted({v for v in out if v and " " not in v})


@dataclass(frozen=True)
class NamePool:
    locale: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    last: tuple[str, ...]


def load_pools() -> dict[str, NamePool]:
    """One pool per locale of ``LOCALE_WEIGHTS``, read from Faker's person providers."""
    pools: dict[str, NamePool] = {}
    for locale, _ in LOCALE_WEIGHTS:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        romanize = locale == "vi_VN"
        pools[locale] = NamePool(
            locale,
            tuple(_names(provider.first_names_male, romanize)),
            tuple(_names(provider.first_names_female, romanize)),
            tuple(_names(provider.last_names, romanize)),
        )
    return pools


def mailbox_part(name: str) -> str:
    """A name as it appears in an email address: ASCII letters and digits only ("D’Alia" -> "dalia",
    "Chacón" -> "chacon")."""
    return "".join(c for c in ascii_fold(name).lower() if c.isascii() and c.isalnum())


def typo(rng: random.Random, word: str) -> str:
    """One human typo. Short words (<= 4 letters) mostly lose a vowel or get a neighbour key
    ("John" -> "Jhn", "Deb" -> "Dtb"); longer ones also get two letters swapped."""
    if len(word) < 2:
        return word
    lower = word.lower()
    kind = rng.random()
    if len(word) <= 4:
        vowels = [i for i in range(1, len(word)) if lower[i] in _VOWELS]
        if vowels and kind < 0.55:
            i = rng.choice(vowels)
            return word[:i] + word[i + 1 :]
        i = rng.randrange(1, len(word))
        return word[:i] + _neighbour(rng, word[i]) + word[i + 1 :]
    i = rng.randrange(1, len(word) - 1)
    if kind < 0.35:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.65:
        return word[:i] + word[i + 1 :]
    return word[:i] + _neighbour(rng, word[i]) + word[i + 1 :]


def _neighbour(rng: random.Random, char: str) -> str:
    options = _NEIGHBOURS.get(char.lower())
    if not options:
        return char
    out = rng.choice(options)
    return out.upper() if char.isupper() else out


def nickname(rng: random.Random, first: str) -> str | None:
    """A nickname of ``first`` from our own list, or None when it has none."""
    options = NICKNAMES.get(first)
    return rng.choice(options) if options else None
