"""The person-matching model, declared once and free of any SQL dialect.

Everything here is a Splink *creator* (comparison levels, blocking rules): a description that
Splink renders into DuckDB or Spark SQL on demand. The trained numbers (m and u per level, the
prior) live in the model JSON (`model.py`); this module only says *what* is compared. Changing a
level here changes the model's shape, so bump ``SPEC_VERSION``: a saved model records the version
and the level labels it was trained with and refuses to load into a different shape.

Why the levels look the way they do (the full argument is in docs/matching.md):
- A different first name that is neither a nickname, a typo of the same gender, nor a swap with
  the last name is near-proof of two people — household members share everything else (surname,
  address, landline, family email). Its m is fixed very low so EM cannot learn it away.
- Different name suffixes (JR vs SR) likewise: a father and son with the same name at one address.
- The history level links a job's destination to a record at that address (people who moved).
- Exact matches on names, email, phone, city and ZIP are term-frequency adjusted: a shared office
  phone or a common surname says less than a rare one.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

SPEC_VERSION = 1

#: m of the levels that mean "two different people": a -40 match weight, enough to outweigh everything
#: a household shares (surname, address, landline, family email). Fixed so EM cannot learn it away.
M_DIFFERENT_PERSON = 2.0**-40

_GENDER_COMPATIBLE = (
    "NOT (coalesce(first_gender_l, 'u') = 'm' AND coalesce(first_gender_r, 'u') = 'f') "
    "AND NOT (coalesce(first_gender_l, 'u') = 'f' AND coalesce(first_gender_r, 'u') = 'm')"
)
_BOTH_LONG = "length(first_name_l) >= 4 AND length(first_name_r) >= 4"


def _custom(sql: str, label: str) -> cll.CustomLevel:
    """A hand-written level; written in DuckDB SQL and translated by sqlglot for other backends."""
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


def first_name_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="first_name",
        comparison_description="First name: exact, swapped with last name, nickname, typo, initial",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
            cll.ColumnsReversedLevel("first_name", "last_name", symmetrical=True).configure(
                label_for_charts="First and last name swapped"
            ),
            cll.ArrayIntersectLevel("first_variants", 1).configure(label_for_charts="Nickname of each other"),
            _custom(
                f"{_BOTH_LONG} AND {_GENDER_COMPATIBLE} "
                "AND damerau_levenshtein(first_name_l, first_name_r) <= 1",
                "Typo: one edit, same gender",
            ),
            _custom(
                f"{_BOTH_LONG} AND {_GENDER_COMPATIBLE} "
                "AND jaro_winkler_similarity(first_name_l, first_name_r) >= 0.92",
                "Similar: Jaro-Winkler >= 0.92, same gender",
            ),
            _custom(
                "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
                "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                "Initial agrees",
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
        comparison_description="Last name: exact, swapped with first name, typo",
        comparison_levels=[
            cll.NullLevel("last_name"),
            cll.ExactMatchLevel("last_name", term_frequency_adjustments=True),
            cll.ColumnsReversedLevel("first_name", "last_name", symmetrical=True).configure(
                label_for_charts="First and last name swapped"
            ),
            cll.DamerauLevenshteinLevel("last_name", 1),
            cll.JaroWinklerLevel("last_name", 0.9),
            cll.ElseLevel(),
        ],
    )


def middle_name_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_description="Middle name or initial",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            cll.ExactMatchLevel("middle_name"),
            _custom("substr(middle_name_l, 1, 1) = substr(middle_name_r, 1, 1)", "Middle initial agrees"),
            cll.ElseLevel(),
        ],
    )


def name_suffix_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="name_suffix",
        comparison_description="Name suffix (JR, SR, III): different suffixes mean different people",
        comparison_levels=[
            _custom("name_suffix_l IS NULL AND name_suffix_r IS NULL", "Neither has a suffix").configure(
                is_null_level=True
            ),
            cll.ExactMatchLevel("name_suffix"),
            _custom("name_suffix_l IS NULL OR name_suffix_r IS NULL", "Only one has a suffix"),
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
        comparison_description="Email: exact, or the local part equal or one edit apart",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email", term_frequency_adjustments=True),
            _custom(
                "email_local_l = email_local_r OR (abs(length(email_local_l) - length(email_local_r)) <= 1 "
                "AND substr(email_local_l, 1, 1) = substr(email_local_r, 1, 1) "
                "AND damerau_levenshtein(email_local_l, email_local_r) <= 1)",
                "Local part equal or one edit apart",
            ),
            cll.ElseLevel(),
        ],
    )


def phone_comparison() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_description="Phone: exact E.164, the other's second phone, same last 7 digits",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone", term_frequency_adjustments=True),
            _custom(
                "phone_l = phone2_r OR phone2_l = phone_r OR phone2_l = phone2_r",
                "One's phone is the other's second phone",
            ),
            cll.ExactMatchLevel("phone_last7").configure(label_for_charts="Same last 7 digits"),
            cll.ElseLevel(),
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
            _custom(f"({no_address.format(s='l')}) OR ({no_address.format(s='r')})", "No address").configure(
                is_null_level=True
            ),
            _custom(
                "addr_key_l = addr_key_r AND (unit_l IS NULL OR unit_r IS NULL OR unit_l = unit_r)",
                "Same street address",
            ),
            _custom(
                "dest_key_l = addr_key_r OR addr_key_l = dest_key_r",
                "One moved to the other's address (job destination = later origin)",
            ),
            _custom(
                "house_number_l = house_number_r AND (zip_l = zip_r OR city_l = city_r) "
                "AND jaro_winkler_similarity(street_name_l, street_name_r) >= 0.88",
                "Same house number, similar street name",
            ),
            _custom("addr_key_l = addr_key_r", "Same building, different unit"),
            _custom("zip_l = zip_r AND (street_l IS NULL OR street_r IS NULL)", "Same ZIP, street unknown"),
            _custom("zip_l = zip_r", "Same ZIP, different street"),
            _custom(
                "dest_zip_l = zip_r OR zip_l = dest_zip_r OR dest_city_l = city_r OR city_l = dest_city_r",
                "One moved to the other's ZIP or city",
            ),
            _custom(
                "city_l = city_r AND (state_l = state_r OR state_l IS NULL OR state_r IS NULL)", "Same city"
            ),
            _custom("substr(zip_l, 1, 3) = substr(zip_r, 1, 3)", "Same 3-digit ZIP area"),
            cll.ExactMatchLevel("state").configure(label_for_charts="Same state"),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list[ComparisonCreator]:
    return [
        first_name_comparison(),
        last_name_comparison(),
        middle_name_comparison(),
        name_suffix_comparison(),
        email_comparison(),
        phone_comparison(),
        address_comparison(),
    ]


def prediction_blocking_rules() -> list[BlockingRuleCreator]:
    """Candidate pairs: any one shared strong key. Each rule targets one kind of true duplicate."""
    return [
        block_on("email_blk"),  # same email (typos, nicknames, movers who kept their email)
        block_on("phone_blk"),  # same last 7 phone digits (changed email, moved, area code)
        block_on("last_name", "first_variants", arrays_to_explode=["first_variants"]),  # name or nickname
        block_on("addr_blk"),  # same address (changed email and phone)
        _rule("l.dest_blk = r.addr_blk"),  # l moved to r's address
        _rule("l.addr_blk = r.dest_blk"),  # r moved to l's address
        _rule("l.first_name = r.last_name AND l.last_name = r.first_name"),  # first/last swapped
        block_on("last_name", "zip"),  # first-name typo, same area, no shared contact
    ]


def training_blocking_rules() -> list[BlockingRuleCreator]:
    """EM sessions: each one leaves some comparisons free to estimate."""
    return [
        block_on("first_name", "last_name"),  # trains email, phone, address, city, zip, state, suffix
        block_on("email_blk"),  # trains names, phone, address
        block_on("phone_blk"),  # trains names, email, address
    ]


def deterministic_rules() -> list[str]:
    """Near-certain links, used only to estimate the prior (share of pairs that match)."""
    return [
        "l.email = r.email AND l.first_name = r.first_name",
        "l.phone = r.phone AND l.first_name = r.first_name AND l.last_name = r.last_name",
        "l.first_name = r.first_name AND l.last_name = r.last_name AND l.addr_key = r.addr_key",
    ]


def _rule(sql: str) -> BlockingRuleCreator:
    return CustomRule(sql, sql_dialect="duckdb")


def settings_creator(**overrides: Any) -> SettingsCreator:
    """The untrained model: comparisons, prediction blocking rules, and Splink's defaults."""
    options: dict[str, Any] = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": prediction_blocking_rules(),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "max_iterations": 20,
        "em_convergence": 1e-4,
    }
    options.update(overrides)
    return SettingsCreator(**options)
