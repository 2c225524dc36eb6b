"""US addresses: street / unit / city / state / ZIP, USPS Publication 28 style, upper case.

Spec mess handled: one-string addresses "123 Main St, Apt 4, Springfield, IL 62704" with parts
missing, long forms ("123 North Main Street" → "123 N MAIN ST", "Suite 200" → "STE 200"),
punctuation ("St. Louis", "O'Hare Blvd."), "#4" units, PO boxes, state names and damaged ZIPs
(via :mod:`.states` and :mod:`.zips`), and the legacy split form (street, street2, city, state, zip).

How: usaddress tags the parts, usaddress-scourgify's Pub 28 tables and component normalizers
abbreviate directionals, street types and unit designators. usaddress is slow (~0.4 ms an
address), so the common shape — number, optional direction, 1-4 name words, a street type,
optional direction, optional unit, then ", CITY[,] STATE ZIP" where STATE is any spelling the state
table knows ("IL", "Ill.", "Illinois") — and a last line alone ("Boston, MA 02139") are parsed by
vectorized expressions with the same scourgify tables (a property test checks they agree with the
usaddress path; on ~0.2 % of random common shapes usaddress itself errs and the vectorized answer
is pinned by exact tests). The rest (no comma between street and city, PO boxes, rural routes,
garbage) goes through usaddress once per distinct value: about 2 % of the distinct addresses of
the generated data.

Never raises on garbage: what parses is kept, ``address_flag`` says what went wrong
(``unparsed``: nothing recognisable; ``ambiguous``: usaddress saw repeated parts and the first
ones were kept; ``unknown_state`` / ``invalid_zip`` from the state and ZIP normalizers).
All address problems are soft (``address_error`` is always null).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable

import polars as pl
import usaddress
from scourgify.address_constants import (
    CITY_ABBREVIATIONS,
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)
from scourgify.cleaning import post_clean_addr_str, pre_clean_addr_str
from scourgify.exceptions import AddressNormalizationError
from scourgify.normalize import (
    LINE1_USADDRESS_LABELS,
    LINE2_USADDRESS_LABELS,
    normalize_address_components,
)

from crm_pipeline.clean._distinct import (
    blank_tokens_to_null,
    fill_from_python,
    per_distinct,
    per_distinct_rows,
    squish,
)
from crm_pipeline.clean.states import normalize_states, state_spellings
from crm_pipeline.clean.zips import with_zip_columns

COLUMNS = ("street", "unit", "city", "state", "zip", "zip4", "address_error", "address_flag")
_RAW_SCHEMA: dict[str, pl.DataType] = {
    "street": pl.Utf8(),
    "unit": pl.Utf8(),
    "city": pl.Utf8(),
    "state_raw": pl.Utf8(),
    "zip_raw": pl.Utf8(),
    "parse_flag": pl.Utf8(),
}

# ----------------------------------------------------------------------------- the fast shape
_DIRECTIONS: dict[str, str] = {
    **DIRECTIONAL_REPLACEMENTS,
    **{v: v for v in DIRECTIONAL_REPLACEMENTS.values()},
}
_UNIT_TYPES: dict[str, str] = {
    **OCCUPANCY_TYPE_ABBREVIATIONS,
    **{v: v for v in OCCUPANCY_TYPE_ABBREVIATIONS.values()},
}
_UNIT_TYPES.pop("#", None)


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first (so "STREET" wins over "ST")."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


_DIR = _alternation(_DIRECTIONS)
_NAME_WORD = r"(?:[A-Z][A-Z0-9]*|\d+(?:ST|ND|RD|TH))"
_FAST_ADDRESS = (
    rf"^(?P<num>\d+[A-Z]?) "
    rf"(?:(?P<pre>{_DIR}) )?"
    rf"(?P<name>{_NAME_WORD}(?: {_NAME_WORD}){{0,3}}) "
    rf"(?P<sfx>{_alternation(STREET_TYPE_ABBREVIATIONS)})"
    rf"(?: (?P<post>{_DIR}))?"
    rf"(?:,? (?:(?P<utype>{_alternation(_UNIT_TYPES)}) (?P<uid>[A-Z0-9-]+)|# ?(?P<hashid>[A-Z0-9-]+)))?"
    # "CITY, ST", "CITY ST", "CITY, STATE NAME", "CITY STATE NAME": split below, after a comma only
    # (without one, where the street ends and the city begins is usaddress's call).
    r"(?:, (?P<rest>[A-Z][A-Z-]*(?:,? [A-Z][A-Z-]*){0,6}))?"
    r"(?: (?P<zip>\d{3,5}(?:-\d{4})?))?$"
)
# A last line alone ("NEW YORK NY 10019", "SANTA MONICA, CA"): no street, same tail rules.
_FAST_LAST_LINE = r"^(?P<rest>[A-Z][A-Z-]*(?:,? [A-Z][A-Z-]*){0,6})(?: (?P<zip>\d{3,5}(?:-\d{4})?))?$"
#: Every spelling of a state the tail of the fast shape may end with ("IL", "ILL", "ILLINOIS").
_STATE_SPELLINGS: frozenset[str] = frozenset(state_spellings())


def _address_key(expr: pl.Expr) -> pl.Expr:
    """Upper case; periods and apostrophes dropped (Pub 28); a line break is a comma (street line /
    last line); commas as ", "; whitespace collapsed."""
    text = expr.str.to_uppercase().str.replace_all(r"[.'’]", "").str.replace_all(r"\s*[\r\n]+\s*", ", ")
    text = text.str.replace_all(r"\s*,[\s,]*", ", ")
    return blank_tokens_to_null(squish(text.str.replace(r"^, ", "").str.replace(r",$", "")))


def _split_city_state(table: pl.DataFrame) -> pl.DataFrame:
    """Split ``rest`` ("SPRINGFIELD, IL", "KING OF PRUSSIA PENNSYLVANIA") into city and state.

    After a comma the state is the last part; without one it is the longest ending of 1-3 words
    that spells a state and leaves at least one word for the city. No state found → not fast.
    """
    rest = pl.col("rest")
    spelled = list(_STATE_SPELLINGS)
    table = table.with_columns(
        rest.str.extract_groups(r"^(.*), ([^,]*)$").alias("comma"),
        rest.str.split(" ").alias("words"),
    )
    words, n = pl.col("words"), pl.col("words").list.len()

    def ending(k: int) -> pl.Expr:
        return pl.when(n > k).then(words.list.slice(-k, k).list.join(" "))

    def leading(k: int) -> pl.Expr:
        return words.list.slice(0, n - k).list.join(" ")

    comma_city = pl.col("comma").struct.field("1")
    comma_state = pl.col("comma").struct.field("2")
    city = (
        pl.when(comma_state.is_in(spelled))
        .then(comma_city)
        .when(comma_city.is_null() & ending(3).is_in(spelled))
        .then(leading(3))
        .when(comma_city.is_null() & ending(2).is_in(spelled))
        .then(leading(2))
        .when(comma_city.is_null() & ending(1).is_in(spelled))
        .then(leading(1))
    )
    state = pl.coalesce(
        pl.when(comma_state.is_in(spelled)).then(comma_state),
        pl.when(comma_city.is_null()).then(
            pl.coalesce(
                *[pl.when(ending(k).is_in(spelled)).then(ending(k)) for k in (3, 2, 1)],
            )
        ),
    )
    return table.with_columns(city.alias("rest_city"), state.alias("rest_state")).drop("comma", "words")


def _fast_parse(table: pl.DataFrame) -> pl.DataFrame:
    """Vectorized parse of the common shape; ``fast`` marks the rows it handled."""
    table = table.with_columns(pl.col("key").str.extract_groups(_FAST_ADDRESS).alias("groups"))

    def field(name: str) -> pl.Expr:
        return pl.col("groups").struct.field(name)

    def abbreviate(name: str, table_: dict[str, str]) -> pl.Expr:
        return field(name).replace_strict(table_, default=None, return_dtype=pl.Utf8)

    street = pl.concat_str(
        [
            field("num"),
            abbreviate("pre", _DIRECTIONS),
            field("name"),
            abbreviate("sfx", STREET_TYPE_ABBREVIATIONS),
            abbreviate("post", _DIRECTIONS),
        ],
        separator=" ",
        ignore_nulls=True,
    )
    unit = pl.coalesce(
        pl.concat_str([abbreviate("utype", _UNIT_TYPES), field("uid")], separator=" "),
        pl.lit("# ") + field("hashid"),
    )
    table = table.with_columns(pl.col("key").str.extract_groups(_FAST_LAST_LINE).alias("last_line"))
    last_line = pl.col("last_line").struct
    matched = field("num").is_not_null()
    table = table.with_columns(
        pl.when(matched).then(field("rest")).otherwise(last_line.field("rest")).alias("rest"),
        pl.when(matched).then(field("zip")).otherwise(last_line.field("zip")).alias("zip_part"),
    )
    table = _split_city_state(table)
    tail_ok = (
        pl.when(matched).then(pl.col("rest").is_null()).otherwise(False) | pl.col("rest_state").is_not_null()
    )
    table = table.with_columns(tail_ok.fill_null(False).alias("fast"))
    fast = pl.col("fast")
    return table.with_columns(
        pl.when(fast & matched).then(street).alias("street"),
        pl.when(fast & matched).then(unit).alias("unit"),
        pl.when(fast).then(pl.col("rest_city")).alias("city"),
        pl.when(fast).then(pl.col("rest_state")).alias("state_raw"),
        pl.when(fast).then(pl.col("zip_part")).alias("zip_raw"),
        pl.lit(None, dtype=pl.Utf8).alias("parse_flag"),
    ).drop("groups", "last_line", "rest", "zip_part", "rest_city", "rest_state")


# ----------------------------------------------------------------------------- the usaddress path
_BOX = re.compile(r"^(?:P\s*O|POST\s*OFFICE)?\s*BOX$")


def _first_occurrences(tokens: list[tuple[str, str]]) -> OrderedDict[str, str]:
    """Labels of a RepeatedLabelError's token list, keeping each label's first run only."""
    tagged: OrderedDict[str, str] = OrderedDict()
    previous = None
    for token, label in tokens:
        if label in tagged and label != previous:
            previous = label
            continue
        tagged[label] = f"{tagged[label]} {token}" if label in tagged else token
        previous = label
    return tagged


def _tag(cleaned: str) -> tuple[OrderedDict[str, str], str | None]:
    """usaddress tags of one cleaned address, and a flag when usaddress was unsure."""
    try:
        tagged, _kind = usaddress.tag(cleaned)
        return OrderedDict((k, v.strip(" ,")) for k, v in tagged.items()), None
    except usaddress.RepeatedLabelError as exc:
        tokens = [(t.strip(" ,"), label) for t, label in exc.parsed_string]
        return _first_occurrences(tokens), "ambiguous"


def _parse_with_usaddress(value: str) -> tuple[str | None, ...]:
    """Slow path for one distinct address: usaddress tags + scourgify's Pub 28 normalization."""
    cleaned = pre_clean_addr_str(value)
    tagged, flag = _tag(cleaned)
    try:
        parts = normalize_address_components(OrderedDict(tagged))
    except AddressNormalizationError:  # a unit type without a unit number: drop the type
        tagged.pop("OccupancyType", None)
        parts = normalize_address_components(OrderedDict(tagged))
    line1 = [v for k, v in parts.items() if k in LINE1_USADDRESS_LABELS]
    line2 = [v for k, v in parts.items() if k in LINE2_USADDRESS_LABELS]
    box_type, box_id = parts.get("USPSBoxType"), parts.get("USPSBoxID")
    if box_id:
        box = "PO BOX" if box_type is None or _BOX.match(box_type) else box_type
        line1 = [*line1, box, box_id] if not line1 else line1
    street = post_clean_addr_str(" ".join(line1)) or None
    unit = post_clean_addr_str(" ".join(line2)) or None
    city = post_clean_addr_str(parts.get("PlaceName", "")) or None
    state = parts.get("StateName")
    zip_raw = parts.get("ZipCode")
    if not any((street, unit, city, state, zip_raw)):
        return None, None, None, None, None, "unparsed"
    return street, unit, city, state, zip_raw, flag


def normalize_city(city: str) -> str:
    """Pub 28 city: upper case, no punctuation, "ST LOUIS" → "SAINT LOUIS", "E ORANGE" → "EAST ORANGE"."""
    words = re.sub(r"[^\w\s-]", "", city.upper()).split()
    return " ".join(CITY_ABBREVIATIONS.get(w, w) for w in words)


def _map_cities(cities: pl.Series) -> pl.Series:
    uniques = cities.drop_nulls().unique().to_list()
    return cities.replace_strict(
        {c: normalize_city(c) or None for c in uniques}, default=None, return_dtype=pl.Utf8
    )


def _finish(table: pl.DataFrame) -> pl.DataFrame:
    """State and ZIP through their own normalizers, city per Pub 28, flags combined."""
    states = normalize_states(table["state_raw"])
    table = table.with_columns(
        _map_cities(table["city"]).alias("city"), states["state"], states["state_flag"]
    )
    return with_zip_columns(table, "zip_raw").with_columns(
        pl.lit(None, dtype=pl.Utf8).alias("address_error"),
        pl.coalesce("parse_flag", "state_flag", "zip_flag").alias("address_flag"),
    )


def _compute_one_string(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(_address_key(pl.col("raw")).alias("key"))
    table = _fast_parse(table)
    todo = pl.col("key").is_not_null() & ~pl.col("fast")
    table = fill_from_python(table, todo, "key", _parse_with_usaddress, _RAW_SCHEMA)
    return _finish(table).select(COLUMNS)


def normalize_addresses(raw: pl.Series) -> pl.DataFrame:
    """One-string addresses → ``street, unit, city, state, zip, zip4, address_error, address_flag``."""
    return per_distinct(raw, _compute_one_string)


# ----------------------------------------------------------------------------- split form
def _compute_parts(keys: pl.DataFrame) -> pl.DataFrame:
    street, street2, city, state, zip_ = keys.columns
    line = pl.concat_str([squish(pl.col(street)), squish(pl.col(street2))], separator=", ", ignore_nulls=True)
    lines = keys.select(pl.when(line == "").then(None).otherwise(line).alias("line"))["line"]
    parsed = per_distinct(lines, _compute_one_string)
    # The dedicated columns win; what the street line itself held (a whole address typed into
    # "street") fills the gaps.
    table = pl.DataFrame(
        {
            "street": parsed["street"],
            "unit": parsed["unit"],
            "city": keys[city],
            "state_raw": keys[state],
            "zip_raw": keys[zip_],
        }
    ).with_columns(
        pl.coalesce(squish(pl.col("city")), parsed["city"]).alias("city"),
        pl.coalesce(squish(pl.col("state_raw")), parsed["state"]).alias("state_raw"),
        pl.coalesce(
            squish(pl.col("zip_raw")),
            pl.concat_str([parsed["zip"], parsed["zip4"]], separator="-", ignore_nulls=True),
        ).alias("zip_raw"),
        pl.when(parsed["address_flag"].is_in(["unparsed", "ambiguous"]))
        .then(parsed["address_flag"])
        .otherwise(None)
        .alias("parse_flag"),
    )
    return _finish(table).select(COLUMNS)


def normalize_address_parts(
    street: pl.Series, street2: pl.Series, city: pl.Series, state: pl.Series, zip_: pl.Series
) -> pl.DataFrame:
    """Legacy split addresses → the same columns as :func:`normalize_addresses`.

    ``street2`` (apartment, suite) is read as the unit; pass a null series when the source has none.
    """
    frame = pl.DataFrame({"street": street, "street2": street2, "city": city, "state": state, "zip": zip_})
    return per_distinct_rows(frame, _compute_parts)
