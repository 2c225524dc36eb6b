"""Person names: title, first, middle, last and suffix, in display case.

Spec mess handled: any case ("MARY-JANE O'NEIL", "john mcdonald"), extra spaces, "Last, First"
and "LAST, FIRST M", titles ("Dr.", "Mrs."), suffixes ("Jr.", "Sr.", "III" → ``JR``, ``SR``,
``III``: kept, they tell father from son), middle names and initials, accents (kept), the legacy
split form (first may carry a title or middle initial, last may carry a suffix) and nicknames
(Bob/Robert, Liz/Elizabeth) for the matcher.

Parsing is nameparser's. It is slow (~0.3-1 ms a name), so plain shapes — 1 to 4 words of
letters, apostrophes and hyphens, optionally after an everyday title (Mr, Mrs, Ms, Dr, ...) and
before a generational suffix (Jr, Sr, II-IV), or "Last, First M"; no word a particle, conjunction or
suffix known to nameparser, and no title where nameparser would read one — are split by vectorized
expressions exactly as nameparser splits them (a property test checks that). Only the rest goes
through ``HumanName``, once per distinct value: about 2 % of the distinct names of the generated
data.

Display case: a word typed all upper or all lower case is recased ("O'NEIL" → "O'Neil",
"mcdonald" → "McDonald", "MARY-JANE" → "Mary-Jane"); a word already in mixed case is kept as typed
("DeLuca", "MacArthur"), because the typist knew better than any rule. Professional suffixes
(PhD, MD, Esq) are dropped; only generational ones are identity evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import polars as pl
from nameparser import HumanName
from nameparser.config import CONSTANTS
from nicknames import NickNamer

from crm_pipeline.clean._distinct import fill_from_python, per_distinct, per_distinct_rows, squish

PARTS = ("name_title", "first_name", "middle_name", "last_name", "name_suffix")
_SCHEMA: dict[str, pl.DataType] = {p: pl.Utf8() for p in PARTS}

#: Generational suffixes, every spelling → the canonical form of the contract.
SUFFIXES: dict[str, str] = {
    "JR": "JR", "JNR": "JR", "JUNIOR": "JR",
    "SR": "SR", "SNR": "SR", "SENIOR": "SR",
    "II": "II", "2ND": "II", "2": "II",
    "III": "III", "3RD": "III", "3": "III",
    "IV": "IV", "4TH": "IV", "4": "IV",
    "V": "V", "5TH": "V",
}  # fmt: skip
#: Titles recognised in the legacy split form's first-name field (nameparser's list is too broad
#: there: it holds words like "King" and "Major" that are also first names).
_SPLIT_FORM_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "hon", "fr", "sir", "dame"}
)
#: Whole values that mean "no name given".
PLACEHOLDER_NAMES = frozenset(
    {
        "n/a",
        "na",
        "none",
        "unknown",
        "null",
        "nil",
        "test",
        "test test",
        "no name",
        "noname",
        "tbd",
        "customer",
    }
)


# Words that make nameparser do something special: names holding one take the nameparser path.
# A title only matters as the first word (nameparser reads "Ryan Prince" as first + last), so
# later words are checked against the other groups only.
def _folded(*groups: object) -> frozenset[str]:
    return frozenset(str(w).lower().replace(".", "") for group in groups for w in group)  # type: ignore[attr-defined]


_SPECIAL_LATER: frozenset[str] = _folded(
    CONSTANTS.suffix_acronyms, CONSTANTS.suffix_not_acronyms, CONSTANTS.conjunctions, CONSTANTS.prefixes
) | {s.lower() for s in SUFFIXES}
_SPECIAL_FIRST: frozenset[str] = _SPECIAL_LATER | _folded(CONSTANTS.titles)
_WORD = r"(?:\p{L}[\p{L}'-]*|\p{L}\.)"
_PLAIN = rf"^{_WORD}(?: {_WORD}){{0,3}}$"
_PLAIN_COMMA = rf"^{_WORD}(?: {_WORD})?, {_WORD}(?: {_WORD}){{0,2}}$"
# The everyday title and generational suffix, peeled off before the plain-shape test.
_LEADING_TITLE = r"(?i)^((?:mr|mrs|ms|miss|mx|dr|prof|rev)\.?) "
_TRAILING_SUFFIX = r"(?i),? ((?:jr|sr|ii|iii|iv)\.?)$"
_SEPARATORS = re.compile(r"([\s'-])")


# ----------------------------------------------------------------------------- display case
def display_case(text: str) -> str:
    """Display case of one name part: "O'NEIL" → "O'Neil", "mcdonald" → "McDonald", "DeLuca" kept."""
    out: list[str] = []
    for piece in _SEPARATORS.split(text):
        if not piece or _SEPARATORS.fullmatch(piece):
            out.append(piece)
        elif piece[0].isupper() and not piece.isupper():
            out.append(piece)  # already mixed case: trust the typist
        else:
            word = piece[:1].upper() + piece[1:].lower()
            if len(word) > 2 and word.startswith("Mc"):
                word = "Mc" + word[2].upper() + word[3:]
            out.append(word)
    return "".join(out)


def _display_words(text: str) -> str:
    """Display case of a multi-word part; single-letter initials lose their dot ("Q." → "Q")."""
    words = [w[:-1] if len(w) == 2 and w.endswith(".") else w for w in text.split(" ")]
    return display_case(" ".join(w for w in words if w))


def canonical_suffix(text: str) -> str | None:
    """The generational suffix in "Jr.", "jr, PhD", "III" → JR / III; professional ones → None."""
    for token in re.split(r"[\s,]+", text.upper().replace(".", "")):
        if token in SUFFIXES:
            return SUFFIXES[token]
    return None


def canonical_title(text: str) -> str | None:
    """ "DR." → "Dr", "mrs" → "Mrs", "Mr. and Mrs." → "Mr and Mrs"."""
    words = [w for w in text.replace(".", " ").split() if w]
    if not words:
        return None
    return " ".join(w.lower() if w.lower() in CONSTANTS.conjunctions else display_case(w) for w in words)


def _map_distinct(values: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    """Apply a str → str function once per distinct non-null value of a column."""
    uniques = values.drop_nulls().unique().to_list()
    mapping = {v: fn(v) for v in uniques}
    return values.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def _finish(table: pl.DataFrame) -> pl.DataFrame:
    """Recase / canonicalize the raw parts, once per distinct part value."""
    return table.with_columns(
        _map_distinct(table["name_title"], canonical_title).alias("name_title"),
        _map_distinct(table["first_name"], _display_words).alias("first_name"),
        _map_distinct(table["middle_name"], _display_words).alias("middle_name"),
        _map_distinct(table["last_name"], _display_words).alias("last_name"),
        _map_distinct(table["name_suffix"], canonical_suffix).alias("name_suffix"),
    )


# ----------------------------------------------------------------------------- full names
def _name_key(expr: pl.Expr) -> pl.Expr:
    """Whitespace collapsed, curly apostrophes straightened, "Smith ,John" → "Smith, John", and a
    quoted or bracketed nickname dropped ('Robert "Bob" Smith' → "Robert Smith", as nameparser
    does; the matcher gets nicknames from :func:`name_variants` instead)."""
    text = expr.str.replace_all("[’‘`]", "'").str.replace_all(r"\s*,\s*", ", ")
    text = text.str.replace_all(r"\s*(?:\"[^\"]*\"|“[^”]*”|\([^)]*\))\s*", " ")
    return squish(text.str.replace(r",\s*$", "").str.replace(r"^\s*,", ""))


def _parse_with_nameparser(value: str) -> tuple[str | None, ...]:
    """Slow path for one distinct name the vectorized shapes do not cover."""
    name = HumanName(value)
    title, suffix = name.title, name.suffix
    # nameparser files a trailing ", 2nd" under the title; it is a generational suffix.
    title_words = title.replace(".", "").split()
    if title_words and title_words[-1].upper() in SUFFIXES and not suffix:
        suffix, title = title_words[-1], " ".join(title_words[:-1])
    parts = (title, name.first, name.middle, name.last, suffix)
    return tuple(p.strip() or None for p in parts)


def _special(words: pl.Expr, *, title_first: bool = True) -> pl.Expr:
    """True when a word is special to nameparser (the first one may also be a title)."""

    def folded(e: pl.Expr) -> pl.Expr:
        return e.str.to_lowercase().str.replace_all(".", "", literal=True)

    later = words.list.eval(folded(pl.element()).is_in(list(_SPECIAL_LATER))).list.any()
    if not title_first:
        return later.fill_null(True)
    first = folded(words.list.first()).is_in(list(_SPECIAL_FIRST))
    return (first | later).fill_null(True)


def _fast_split(table: pl.DataFrame) -> pl.DataFrame:
    """Vectorized split of the plain shapes; ``fast`` marks the rows it handled.

    Plain: "First [Middle...] Last" (1-4 words) with an optional everyday title in front and
    generational suffix behind, or "Last [Last], First [Middle...]" — as nameparser splits them.
    """
    key = pl.col("key")
    table = table.with_columns(
        key.str.extract(_LEADING_TITLE, 1).alias("title_word"),
        key.str.extract(_TRAILING_SUFFIX, 1).alias("suffix_word"),
        key.str.replace(_LEADING_TITLE, "").str.replace(_TRAILING_SUFFIX, "").alias("core"),
    )
    core = pl.col("core")
    decorated = pl.col("title_word").is_not_null() | pl.col("suffix_word").is_not_null()
    table = table.with_columns(
        core.str.split(" ").alias("words"),
        core.str.split_exact(", ", 1).alias("comma_parts"),
        core.str.contains(_PLAIN).fill_null(False).alias("plain"),
        (core.str.contains(_PLAIN_COMMA) & ~decorated).fill_null(False).alias("plain_comma"),
    )
    words, n = pl.col("words"), pl.col("words").list.len()
    table = table.with_columns(pl.col("comma_parts").struct.field("field_1").str.split(" ").alias("after"))
    after = pl.col("after")
    ok_plain = (
        pl.col("plain")
        & ~_special(words)
        # nameparser: "Mr. Smith" is a last name; "Smith Jr" is left to nameparser.
        & ~(pl.col("suffix_word").is_not_null() & (n < 2))
    )
    before = pl.col("comma_parts").struct.field("field_0").str.split(" ")
    ok_comma = pl.col("plain_comma") & ~_special(after) & ~_special(before, title_first=False)
    table = table.with_columns(
        ok_plain.fill_null(False).alias("plain"), ok_comma.fill_null(False).alias("plain_comma")
    )
    plain, plain_comma = pl.col("plain"), pl.col("plain_comma")
    title_only_last = plain & pl.col("title_word").is_not_null() & (n == 1)
    comma_parts = pl.col("comma_parts")
    return table.with_columns(
        (plain | plain_comma).alias("fast"),
        pl.when(plain).then(pl.col("title_word")).alias("name_title"),
        pl.when(title_only_last)
        .then(None)
        .when(plain)
        .then(words.list.first())
        .when(plain_comma)
        .then(after.list.first())
        .alias("first_name"),
        pl.when(plain & (n > 2))
        .then(words.list.slice(1, n - 2).list.join(" "))
        .when(plain_comma & (after.list.len() > 1))
        .then(after.list.slice(1).list.join(" "))
        .alias("middle_name"),
        pl.when(plain & ((n > 1) | title_only_last))
        .then(words.list.last())
        .when(plain_comma)
        .then(comma_parts.struct.field("field_0"))
        .alias("last_name"),
        pl.when(plain).then(pl.col("suffix_word")).alias("name_suffix"),
    )


def _compute_full(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(_name_key(pl.col("raw")).alias("key"))
    key = pl.col("key")
    placeholder = key.str.to_lowercase().is_in(list(PLACEHOLDER_NAMES))
    no_letters = ~key.str.contains(r"\p{L}")
    table = table.with_columns(
        pl.when(placeholder)
        .then(pl.lit("placeholder"))
        .when(no_letters)
        .then(pl.lit("unparsed"))
        .otherwise(None)
        .alias("name_flag")
    )
    table = _fast_split(table)
    todo = key.is_not_null() & ~pl.col("fast") & pl.col("name_flag").is_null()
    table = fill_from_python(table, todo, "key", _parse_with_nameparser, _SCHEMA)
    flagged = pl.col("name_flag").is_not_null()
    table = table.with_columns([pl.when(flagged).then(None).otherwise(pl.col(p)).alias(p) for p in PARTS])
    return _finish(table).select(*PARTS, "name_flag")


def normalize_full_names(raw: pl.Series) -> pl.DataFrame:
    """One-string names → ``name_title, first_name, middle_name, last_name, name_suffix``,
    ``name_error`` (always null) and ``name_flag`` (``placeholder`` for "N/A"-like values,
    ``unparsed`` when there is no letter at all; all parts null then)."""
    out = per_distinct(raw, _compute_full)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("name_error")).select(
        *PARTS, "name_error", "name_flag"
    )


# ----------------------------------------------------------------------------- split form
def _split_name_parts(first: str | None, last: str | None) -> tuple[str | None, ...]:
    """Slow path for one distinct (first, last) pair of the legacy split form."""
    if not any(ch.isalpha() for ch in f"{first or ''}{last or ''}"):
        return None, None, None, None, None, "unparsed"
    if not last and first and " " in first:
        # The whole name was typed into the first-name field.
        return (*_parse_with_nameparser(first), None)
    title_words: list[str] = []
    suffix: str | None = None
    words = (first or "").split()
    while len(words) > 1 and words[0].lower().rstrip(".") in _SPLIT_FORM_TITLES:
        title_words.append(words.pop(0))
    if len(words) > 1 and canonical_suffix(words[-1]):
        suffix = words.pop()
    last_words = (last or "").replace(",", " ").split()
    while len(last_words) > 1:
        tail = last_words[-1].upper().replace(".", "")
        if tail in SUFFIXES:
            suffix = suffix or last_words.pop()
        elif tail.lower() in CONSTANTS.suffix_acronyms or tail.lower() in CONSTANTS.suffix_not_acronyms:
            last_words.pop()  # professional suffix (PhD, MD, Esq): not identity evidence
        else:
            break
    return (
        " ".join(title_words) or None,
        words[0] if words else None,
        " ".join(words[1:]) or None,
        " ".join(last_words) or None,
        suffix,
        None,
    )


def _split_pair(pair: dict[str, str | None]) -> tuple[str | None, ...]:
    """Unpack one distinct (first, last) struct value."""
    return _split_name_parts(pair["first"], pair["last"])


def _compute_parts(keys: pl.DataFrame) -> pl.DataFrame:
    first, last = keys.columns
    table = keys.select(
        _name_key(pl.col(first)).alias("first"),
        _name_key(pl.col(last)).alias("last"),
    ).with_columns(pl.struct("first", "last").alias("pair"))
    schema = {**_SCHEMA, "name_flag": pl.Utf8()}
    table = table.with_columns([pl.lit(None, dtype=pl.Utf8).alias(c) for c in schema])
    todo = pl.col("first").is_not_null() | pl.col("last").is_not_null()
    table = fill_from_python(table, todo, "pair", _split_pair, schema)
    return _finish(table).select(*PARTS, "name_flag")


def normalize_name_parts(first: pl.Series, last: pl.Series) -> pl.DataFrame:
    """Legacy split names (``first_name``, ``last_name`` columns) → the same columns as
    :func:`normalize_full_names`. "Dr. John Q" / "Smith Jr." → title Dr, middle Q, suffix JR."""
    if first.len() != last.len():
        raise ValueError(f"first ({first.len()}) and last ({last.len()}) differ in length")
    frame = pl.DataFrame({"first": first, "last": last})
    out = per_distinct_rows(frame, _compute_parts)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("name_error")).select(
        *PARTS, "name_error", "name_flag"
    )


# ----------------------------------------------------------------------------- nicknames
@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


def _fold(name: str) -> str:
    """Lower case without accents: "José" → "jose" (the nickname table has no accents)."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def name_variants(first_name: str) -> frozenset[str]:
    """The formal names a first name may stand for, itself included: "bob" → {bob, robert, …}.

    Two first names are nickname-equivalent when their variant sets intersect (Bill ~ William,
    Bob ~ Rob via Robert). Source: the ``nicknames`` package (carltonnorthern/nicknames).
    """
    folded = _fold(first_name)
    if not folded:
        return frozenset()
    return frozenset({folded} | set(_nicknamer().canonicals_of(folded)))


@lru_cache(maxsize=65536)
def nickname_key(first_name: str) -> str | None:
    """One blocking key per nickname group: the most "formal" variant (the one with the most
    nicknames), e.g. Bob / Rob / Robert → "robert", Liz / Beth / Elizabeth → "elizabeth".

    Lossy by nature (the nickname relation is not a partition: "Bill" is listed under both
    Robert and William); compare :func:`name_variants` for equivalence.
    """
    variants = name_variants(first_name)
    if not variants:
        return None
    nicks = _nicknamer()
    return min(variants, key=lambda v: (-len(nicks.nicknames_of(v)), v))


def nickname_keys(first_names: pl.Series) -> pl.DataFrame:
    """Frame helper for the matcher: ``first_name_key`` (Utf8) and ``first_name_variants``
    (sorted List[Utf8]) per row, computed once per distinct first name."""

    def compute(keys: pl.Series) -> pl.DataFrame:
        values = [v or "" for v in keys.to_list()]
        return pl.DataFrame(
            {
                "first_name_key": [nickname_key(v) for v in values],
                "first_name_variants": [sorted(name_variants(v)) or None for v in values],
            },
            schema={"first_name_key": pl.Utf8, "first_name_variants": pl.List(pl.Utf8)},
        )

    return per_distinct(first_names, compute)
