"""States: any spelling of a US state → its USPS 2-letter code.

Spec mess handled: "CA", "ca", "Calif.", "California", "calif", " N. Dak ", "District of Columbia".
Two-letter codes are checked vectorized; other spellings go once per distinct value through the
old-style abbreviation table of usaddress-scourgify (``CALIF``, ``MASS``, ``PENN`` …) and then
``us.states.lookup`` (full names, FIPS codes). Unknown → null state + soft flag ``unknown_state``.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
import us
from scourgify.address_constants import STATE_ABBREVIATIONS

from crm_pipeline.clean._distinct import blank_tokens_to_null, fill_from_python, per_distinct, squish

#: Every USPS state/territory code: 50 states, DC, territories, freely associated states, military.
USPS_CODES: frozenset[str] = frozenset(
    {s.abbr for s in us.STATES_AND_TERRITORIES} | {"DC", "FM", "MH", "PW", "AA", "AE", "AP"}
)

#: Common spellings missing from scourgify's table (AP / GPO style and everyday shorthand).
_EXTRA_SPELLINGS: dict[str, str] = {
    "PENNA": "PA",
    "PA": "PA",
    "WASH DC": "DC",
    "WASHINGTON DC": "DC",
    "D C": "DC",
    "N CAROLINA": "NC",
    "S CAROLINA": "SC",
    "N C": "NC",
    "S C": "SC",
    "N DAKOTA": "ND",
    "S DAKOTA": "SD",
    "N D": "ND",
    "S D": "SD",
    "N H": "NH",
    "N J": "NJ",
    "N M": "NM",
    "N Y": "NY",
    "R I": "RI",
    "W VIRGINIA": "WV",
    "CALI": "CA",
    "TENNESEE": "TN",
    "MASSACHUSETTES": "MA",
}

_SCHEMA: dict[str, pl.DataType] = {"state": pl.Utf8(), "state_flag": pl.Utf8()}


def state_spellings() -> set[str]:
    """Every spelling the state lookup knows without fuzziness: codes, old abbreviations, names
    (upper case, no dots) — what an address tail may end with."""
    names = {s.name.upper() for s in us.STATES_AND_TERRITORIES}
    return set(USPS_CODES) | set(STATE_ABBREVIATIONS) | set(_EXTRA_SPELLINGS) | names


def state_key(expr: pl.Expr) -> pl.Expr:
    """Upper case, dots and commas dropped, dashes as spaces, whitespace collapsed."""
    return squish(expr.str.to_uppercase().str.replace_all(r"[.,]", "").str.replace_all("-", " "))


@lru_cache(maxsize=4096)
def lookup_state(key: str) -> str | None:
    """USPS code for one upper-cased spelling, or None. Cached: addresses reuse it."""
    if key in USPS_CODES:
        return key
    code = STATE_ABBREVIATIONS.get(key) or _EXTRA_SPELLINGS.get(key)
    if code is not None:
        return code
    found = us.states.lookup(key.title())
    return found.abbr if found is not None else None


def _state_from_python(key: str) -> tuple[str | None, str | None]:
    """Slow path for one distinct non-code spelling."""
    code = lookup_state(key)
    return code, None if code is not None else "unknown_state"


def _compute(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(blank_tokens_to_null(state_key(pl.col("raw"))).alias("key"))
    is_code = pl.col("key").is_in(list(USPS_CODES))
    table = table.with_columns(
        pl.when(is_code).then(pl.col("key")).otherwise(None).alias("state"),
        pl.lit(None, dtype=pl.Utf8).alias("state_flag"),
    )
    todo = pl.col("key").is_not_null() & ~is_code
    table = fill_from_python(table, todo, "key", _state_from_python, _SCHEMA)
    return table.select(list(_SCHEMA))


def normalize_states(raw: pl.Series) -> pl.DataFrame:
    """Raw state spellings → ``state`` (USPS code), ``state_error`` (always null), ``state_flag``.

    An unknown spelling is soft: the state becomes null, the row is kept, ``state_flag`` says
    ``unknown_state``. Blank → null without a flag.
    """
    out = per_distinct(raw, _compute)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("state_error")).select(
        "state", "state_error", "state_flag"
    )
