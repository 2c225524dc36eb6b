"""The person-matching model, declared once and free of any SQL dialect.

Everything here is a Splink *creator* (comparison levels, blocking rules): a description that
Splink renders into DuckDB or Spark SQL on demand. Hand-written levels use ``PortableLevel``,
whose SQL names the few functions that differ between backends as placeholders. The trained
numbers (m and u per level, the prior) live in the model JSON (``model.py``); this module only says
*what* is compared. Changing a level changes the model's shape, so bump ``SPEC_VERSION``: a saved
model records the version and the level labels it was trained with and refuses to load into
a different shape.

Why the levels look the way they do (the full argument is in docs/matching.md):
- A different first name that is neither a nickname, a same-gender typo, nor a swap with the last
  name means two people — household members share everything else (surname, address, landline,
  family email). Its m is fixed so low (weight −40) that no amount of shared household data wins.
- Different name suffixes (JR vs SR) likewise: a father and son with the same name at one address.
- Street, city, ZIP and state are one comparison: nested facts must not count four times.
- The history levels link a job's destination to a later record at that address (people move).
- An email mailbox name that is just the person's name ("john.young@…") is no evidence beyond the
  name; only distinctive mailbox names count when the domains differ (see features.py).
- Exact names, email and phone are term-frequency adjusted: a shared office phone or a common
  surname says less than a rare one.

The model adapts to the columns a file has: ``email``, ``phone`` and ``address`` are *optional
evidence* (``OPTIONAL``). Every function below takes the set of those that carry data and leaves
the others out — their comparison, the blocking rules keyed on them, the EM session blocked on
them and the deterministic rule for the prior — so an old CRM export without email or phone is
matched (and trained) on what it has. Names are always compared; middle name and suffix are too,
because a comparison with no data adds nothing and the Jr./Sr. veto must hold on any file.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

SPEC_VERSION = 8

#: Evidence a file may lack entirely (an old CRM that never stored emails): each is one comparison
#: of that name, and is left out of the model when its columns carry no data (features.py decides).
OPTIONAL: tuple[str, ...] = ("email", "phone", "address")
ALL_OPTIONAL: frozenset[str] = frozenset(OPTIONAL)

#: m of the levels that mean "two different people": a −40 match weight, more than everything a
#: household shares (surname, address, landline, family email). Fixed, so EM cannot learn it away.
M_DIFFERENT_PERSON = 2.0**-40

_ARRAY_OVERLAP = {"duckdb": "list_has_any", "spark": "arrays_overlap"}
_ARRAY_CONTAINS = {"duckdb": "list_contains", "spark": "array_contains"}


class PortableLevel(ComparisonLevelCreator):
    """A hand-written level whose SQL works on every backend.

    The condition may use ``{dl}`` (Damerau-Levenshtein), ``{jw}`` (Jaro-Winkler similarity),
    ``{overlap}`` (do two arrays share an element) and ``{contains}`` (is a value in an array);
    each is replaced by the backend's function.
    Everything else must be plain SQL common to DuckDB and Spark (=, AND, OR, substr, length,
    coalesce, abs).
    """

    def __init__(self, sql_template: str, label: str) -> None:
        self.sql_template = sql_template
        self.label = label

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        dialect = sql_dialect.sql_dialect_str
        if dialect not in _ARRAY_OVERLAP:
            raise ValueError(f"the person model supports duckdb and spark, not {dialect}")
        return self.sql_template.format(
            dl=sql_dialect.damerau_levenshtein_function_name,
            jw=sql_dialect.jaro_winkler_function_name,
            overlap=_ARRAY_OVERLAP[dialect],
            contains=_ARRAY_CONTAINS[dialect],
        )

    def create_label_for_charts(self) -> str:
        return self.label


_GENDER_COMPATIBLE = (
    "NOT (coalesce(first_gender_l, 'u') = 'm' AND coalesce(first_gender_r, 'u') = 'f') "
    "AND NOT (coalesce(first_gender_l, 'u') = 'f' AND coalesce(first_gender_r, 'u') = 'm')"
)
_STRICT_GENDER_COMPATIBLE = (
    "NOT (coalesce(first_gender_strict_l, 'u') = 'm' AND coalesce(first_gender_strict_r, 'u') = 'f') "
    "AND NOT (coalesce(first_gender_strict_l, 'u') = 'f' AND coalesce(first_gender_strict_r, 'u') = 'm')"
)
_BOTH_LONG = "length(first_name_l) >= 4 AND length(first_name_r) >= 4"
#: the same email or phone, used by no other (clearly different) first name: not a family's or an
#: office's (features.py, ``email_personal`` / ``phone_personal``)
_PERSONAL_ID_SHARED = (
    "((email_l = email_r AND email_personal_l AND email_personal_r) "
    "OR (phone_l = phone_r AND phone_personal_l AND phone_personal_r))"
)
_SAME_LAST_NAME = (
    "(last_name_l = last_name_r OR (abs(length(last_name_l) - length(last_name_r)) <= 1 "
    "AND {dl}(last_name_l, last_name_r) <= 1))"
)
#: one record has first and last name swapped (its "last name" is a nickname-equivalent first name)
_SWAPPED = (
    "(first_name_l = last_name_r AND {overlap}(last_variants_l, first_variants_r)) "
    "OR (first_name_r = last_name_l AND {overlap}(last_variants_r, first_variants_l))"
)


def first_name_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="first_name",
        comparison_description="First name: exact, swapped with last name, nickname, typo, initial",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            PortableLevel(_SWAPPED, "First and last name swapped"),
            # (cheap guards first: most names have no nicknames, most pairs differ in length)
            PortableLevel(
                "(first_nicknamed_l OR first_nicknamed_r) AND "
                "({contains}(first_variants_l, first_name_r) OR {contains}(first_variants_r, first_name_l))",
                "Nickname of each other",
            ),
            PortableLevel(
                f"first_nicknamed_l AND first_nicknamed_r AND {_STRICT_GENDER_COMPATIBLE} "
                "AND {overlap}(first_variants_l, first_variants_r)",
                "Nicknames of one formal name, not of opposite genders",
            ),
            PortableLevel(
                f"{_BOTH_LONG} AND abs(length(first_name_l) - length(first_name_r)) <= 1 "
                f"AND {_GENDER_COMPATIBLE} AND {{dl}}(first_name_l, first_name_r) <= 1",
                "Typo: one edit, same gender",
            ),
            PortableLevel(
                f"{_BOTH_LONG} AND {_GENDER_COMPATIBLE} AND {{jw}}(first_name_l, first_name_r) >= 0.92",
                "Similar: Jaro-Winkler >= 0.92, same gender",
            ),
            PortableLevel(
                "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
                "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                "Initial agrees",
            ),
            PortableLevel(
                f"{_PERSONAL_ID_SHARED} AND {_SAME_LAST_NAME} AND {_GENDER_COMPATIBLE} "
                "AND length(first_name_l) >= 2 AND length(first_name_r) >= 2 "
                "AND {dl}(first_name_l, first_name_r) <= 1",
                "Short-name typo, with a personal email or phone in common",
            ),
            cll.ElseLevel().configure(
                m_probability=M_DIFFERENT_PERSON,
                fix_m_probability=True,
                label_for_charts="Different first names",
            ),
        ],
    )


def last_name_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="last_name",
        comparison_description="Last name: exact, one-edit typo (a swap is counted under first name)",
        comparison_levels=[
            cll.NullLevel("last_name"),
            cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
            # counted once, under first name; here it only avoids a "different last name" penalty
            PortableLevel(_SWAPPED, "First and last name swapped (counted under first name)").configure(
                is_null_level=True
            ),
            PortableLevel(
                "abs(length(last_name_l) - length(last_name_r)) <= 1 AND {dl}(last_name_l, last_name_r) <= 1",
                "Typo: one edit",
            ),
            cll.ElseLevel().configure(label_for_charts="Different last names"),
        ],
    )


def middle_name_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_description="Middle name or initial",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            PortableLevel(
                "substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)", "Middle initial agrees"
            ),
            cll.ElseLevel().configure(label_for_charts="Different middle names"),
        ],
    )


def name_suffix_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="name_suffix",
        comparison_description="Name suffix (JR, SR, III): different suffixes mean different people",
        comparison_levels=[
            PortableLevel(
                "name_suffix_l IS NULL AND name_suffix_r IS NULL", "Neither has a suffix"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("name_suffix"),
            PortableLevel("name_suffix_l IS NULL OR name_suffix_r IS NULL", "Only one has a suffix"),
            cll.ElseLevel().configure(
                m_probability=M_DIFFERENT_PERSON,
                fix_m_probability=True,
                label_for_charts="Different suffixes",
            ),
        ],
    )


def email_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="email",
        comparison_description="Email: exact, or the same distinctive mailbox name (or a letter typo of it)",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email", term_frequency_adjustments=True),
            PortableLevel(
                "email_user_l = email_user_r OR (abs(length(email_user_l) - length(email_user_r)) <= 1 "
                "AND substr(email_user_l, 1, 1) = substr(email_user_r, 1, 1) "
                "AND coalesce(email_user_digits_l, '') = coalesce(email_user_digits_r, '') "
                "AND {dl}(email_user_l, email_user_r) <= 1)",
                "Same mailbox name (not just the person's name), or a one-letter typo of it",
            ),
            cll.ElseLevel().configure(label_for_charts="Different emails"),
        ],
    )


def phone_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_description="Phone: exact E.164, the other's second phone, same last 7 digits",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone", term_frequency_adjustments=True),
            PortableLevel(
                "phone_l = phone2_r OR phone2_l = phone_r OR phone2_l = phone2_r",
                "One's phone is the other's second phone",
            ),
            cll.ExactMatchLevel("phone_last7").configure(label_for_charts="Same last 7 digits"),
            cll.ElseLevel().configure(label_for_charts="Different phones"),
        ],
    )


def address_comparison() -> ComparisonCreator:
    """Street, city, ZIP and state as *one* comparison, most specific level first.

    They are nested facts (the same street address implies the same ZIP, city and state); as four
    comparisons a shared address would count four times, which is how households look like one
    person. The history levels compare one record's job destination with the other's address.
    """
    no_address = "street_{s} IS NULL AND city_{s} IS NULL AND zip_{s} IS NULL"
    return cl.CustomComparison(
        output_column_name="address",
        comparison_description="Address: street (house number + name), moving history, ZIP, city, state",
        comparison_levels=[
            PortableLevel(
                f"({no_address.format(s='l')}) OR ({no_address.format(s='r')})", "No address"
            ).configure(is_null_level=True),
            PortableLevel(
                "addr_key_l = addr_key_r AND (unit_l IS NULL OR unit_r IS NULL OR unit_l = unit_r)",
                "Same street address",
            ),
            PortableLevel(
                "street_l = street_r "
                "AND ((zip_l IS NULL AND city_l IS NULL) OR (zip_r IS NULL AND city_r IS NULL))",
                "Same street, one side without ZIP and city",
            ),
            PortableLevel(
                "dest_key_l = addr_key_r OR addr_key_l = dest_key_r",
                "One moved to the other's address (job destination = later origin)",
            ),
            PortableLevel(
                "house_number_l = house_number_r AND (zip_l = zip_r OR city_l = city_r) "
                "AND {jw}(street_name_l, street_name_r) >= 0.88",
                "Same house number, similar street name",
            ),
            PortableLevel("addr_key_l = addr_key_r", "Same building, different unit"),
            PortableLevel(
                "zip_l = zip_r AND (street_l IS NULL OR street_r IS NULL)", "Same ZIP, street unknown"
            ),
            PortableLevel("zip_l = zip_r", "Same ZIP, different street"),
            PortableLevel(
                "dest_zip_l = zip_r OR zip_l = dest_zip_r OR dest_city_l = city_r OR city_l = dest_city_r",
                "One moved to the other's ZIP or city",
            ),
            PortableLevel(
                "city_l = city_r AND (state_l = state_r OR state_l IS NULL OR state_r IS NULL)", "Same city"
            ),
            PortableLevel("substr(zip_l, 1, 3) = substr(zip_r, 1, 3)", "Same 3-digit ZIP area"),
            cll.ExactMatchLevel("state").configure(label_for_charts="Same state"),
            cll.ElseLevel().configure(label_for_charts="Different places"),
        ],
    )


def comparisons(present: frozenset[str] = ALL_OPTIONAL) -> list[ComparisonCreator]:
    """The comparisons, leaving out the optional evidence not in ``present``."""
    optional = {"email": email_comparison, "phone": phone_comparison, "address": address_comparison}
    return [
        first_name_comparison(),
        last_name_comparison(),
        middle_name_comparison(),
        name_suffix_comparison(),
        *(optional[name]() for name in OPTIONAL if name in present),
    ]


def _keep(rules: list[tuple[str | None, Any]], present: frozenset[str]) -> list[Any]:
    """The rules whose evidence (None: names, always there) is in ``present``."""
    return [rule for needs, rule in rules if needs is None or needs in present]


def prediction_blocking_rules(present: frozenset[str] = ALL_OPTIONAL) -> list[BlockingRuleCreator]:
    """Candidate pairs: any one shared strong key. Each rule targets one kind of true duplicate."""
    rules: list[tuple[str | None, BlockingRuleCreator]] = [
        ("email", block_on("email_blk")),  # same email (typos, nicknames, movers who kept their email)
        ("phone", block_on("phone_blk")),  # same last 7 phone digits (changed email, moved, area code)
        (None, block_on("last_name", "first_variants_blk", arrays_to_explode=["first_variants_blk"])),
        ("address", block_on("addr_blk")),  # same address (changed email and phone)
        ("address", CustomRule("l.dest_blk = r.addr_blk")),  # l moved to r's address
        ("address", CustomRule("l.addr_blk = r.dest_blk")),  # r moved to l's address
        (None, CustomRule("l.first_name = r.last_name AND l.last_name = r.first_name")),  # swapped
        ("address", block_on("last_name", "zip")),  # first-name typo, same area, no shared contact
    ]
    return _keep(rules, present)


def training_blocking_rules(present: frozenset[str] = ALL_OPTIONAL) -> list[BlockingRuleCreator]:
    """EM sessions: each one leaves some comparisons free to estimate.

    The names must be estimated in a session blocked on something else: email or phone, or — when
    a file has neither — the address.
    """
    rules: list[tuple[str | None, BlockingRuleCreator]] = [
        (None, block_on("first_name", "last_name")),  # trains email, phone, address, middle, suffix
        ("email", block_on("email_blk")),  # trains names, phone, address
        ("phone", block_on("phone_blk")),  # trains names, email, address
    ]
    if not {"email", "phone"} & present:
        rules.append(("address", block_on("addr_blk")))  # trains names
    return _keep(rules, present)


def deterministic_rules(present: frozenset[str] = ALL_OPTIONAL) -> list[str]:
    """Near-certain links, used only to estimate the prior (share of pairs that match)."""
    rules: list[tuple[str | None, str]] = [
        ("email", "l.email = r.email AND l.first_name = r.first_name"),
        ("phone", "l.phone = r.phone AND l.first_name = r.first_name AND l.last_name = r.last_name"),
        ("address", "l.first_name = r.first_name AND l.last_name = r.last_name AND l.addr_key = r.addr_key"),
    ]
    return _keep(rules, present)


def trainable(present: frozenset[str]) -> bool:
    """Can a model be trained without labels on these columns? The names need another key."""
    return bool(present)


def settings_creator(present: frozenset[str] = ALL_OPTIONAL, **overrides: Any) -> SettingsCreator:
    """The untrained model: comparisons, prediction blocking rules, and Splink's defaults."""
    options: dict[str, Any] = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(present),
        "blocking_rules_to_generate_predictions": prediction_blocking_rules(present),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "max_iterations": 20,
        "em_convergence": 1e-4,
    }
    options.update(overrides)
    return SettingsCreator(**options)
