"""Phones: E.164 (default region US), extension apart, placeholders and junk flagged.

Spec mess handled: "(555) 123-4567", "555.123.4567", "+1 555 123 4567", "5551234567",
"555-123-4567 x12" (extension → ``phone_ext``), placeholders ("000-000-0000", "555-555-5555",
"1234567890", any all-same-digit run), too short ("123-4567"). All problems are soft: the phone
becomes null, the row is kept, ``phone_flag`` says ``placeholder``, ``too_short`` or ``invalid``.

North American numbers are accepted when they have exactly 10 national digits and an area code
that starts with 2-9 (a 0 or 1 there is a trunk or country prefix, never an area code: ``invalid``).
The finer area-code / exchange rules of ``phonenumbers.is_valid_number`` are NOT applied to them,
because exports (and the spec's own examples) are full of fictional 555 numbers that still identify
a customer. Numbers of other countries must pass ``is_valid_number``.

Speed: the common North American shapes (digits, spaces, ``()+.-`` and an optional extension)
are handled by vectorized expressions; every other distinct value goes once through
``phonenumbers.parse``.
"""

from __future__ import annotations

import re

import phonenumbers
import polars as pl

from crm_pipeline.clean._distinct import NULL_TOKENS, fill_from_python, per_distinct, squish

#: National numbers used to fill a required field (all-same-digit runs are caught separately).
PLACEHOLDER_NUMBERS: frozenset[str] = frozenset({"1234567890", "0123456789", "9876543210", "1231231234"})

_IDD = re.compile(r"^(?:011|00)[\s.-]*(?=[1-9])")
_EXTENSION = r"(?i)^(.*?)\s*(?:x|ext\.?|extn\.?|extension|#)\s*(\d{1,7})$"
_SCHEMA: dict[str, pl.DataType] = {"phone": pl.Utf8(), "phone_ext": pl.Utf8(), "phone_flag": pl.Utf8()}


def _all_same_digit_expr(digits: pl.Expr) -> pl.Expr:
    """True when a 10-digit national number is one digit repeated (000-000-0000, 555-555-5555)."""
    return pl.any_horizontal([digits.str.contains(rf"^{d}+$") for d in "0123456789"])


def _is_placeholder_digits(digits: str) -> bool:
    """Python twin of the vectorized placeholder test (7+ same digits, or a known filler)."""
    return (len(digits) >= 7 and len(set(digits)) == 1) or digits in PLACEHOLDER_NUMBERS


def _parse_with_phonenumbers(value: str) -> tuple[str | None, str | None, str | None]:
    """Slow path for one distinct value the vectorized shapes did not cover."""
    with_ext = re.match(_EXTENSION, value)
    main = with_ext.group(1) if with_ext else value
    digits = "".join(ch for ch in main if ch.isdigit())
    if not digits:
        placeholder = value.lower().replace(" ", "") in NULL_TOKENS | {"nophone", "unknown", "none"}
        return None, None, "placeholder" if placeholder else "invalid"
    if _is_placeholder_digits(digits) or _is_placeholder_digits(digits[1:] if digits[0] == "1" else digits):
        return None, None, "placeholder"
    # "001-212-…" / "011 44 …": an international dialing prefix typed instead of "+".
    value = _IDD.sub("+", value, count=1)
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None, None, "too_short" if len(digits) < 10 else "invalid"
    ext = number.extension or None
    national = phonenumbers.national_significant_number(number)
    if number.country_code == 1:
        if len(national) < 10:
            return None, None, "too_short"
        if len(national) > 10 or national[0] in "01":
            return None, None, "invalid"
        if _is_placeholder_digits(national):
            return None, None, "placeholder"
        return f"+1{national}", ext, None
    if not phonenumbers.is_valid_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        too_short = reason == phonenumbers.ValidationResult.TOO_SHORT
        return None, None, "too_short" if too_short else "invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ext, None


def _compute(keys: pl.Series) -> pl.DataFrame:
    # Each step is a materialized column: an eager expression used twice is evaluated twice.
    table = keys.to_frame("raw").with_columns(squish(pl.col("raw")).alias("key"))
    table = table.with_columns(pl.col("key").str.extract_groups(_EXTENSION).alias("parts"))
    table = table.with_columns(
        pl.coalesce(pl.col("parts").struct.field("1"), pl.col("key")).alias("main"),
        pl.col("parts").struct.field("2").alias("ext"),
    )
    main = pl.col("main")
    table = table.with_columns(main.str.replace_all(r"\D", "").alias("digits"))
    digits, n_digits = pl.col("digits"), pl.col("digits").str.len_chars()
    simple = main.str.contains(r"^\+?[\d\s().-]+$").fill_null(False)
    national = (
        pl.when(~main.str.starts_with("+") & (n_digits == 10))
        .then(digits)
        .when((n_digits == 11) & digits.str.starts_with("1"))
        .then(digits.str.slice(1))
        .otherwise(None)
    )
    table = table.with_columns(pl.when(simple).then(national).otherwise(None).alias("national"))
    nat = pl.col("national")
    table = table.with_columns(
        (_all_same_digit_expr(nat) | nat.is_in(list(PLACEHOLDER_NUMBERS)))
        .fill_null(False)
        .alias("placeholder")
    )
    placeholder = pl.col("placeholder")
    # No NANP area code starts with 0 or 1 (those digits are trunk / country prefixes).
    table = table.with_columns(nat.str.contains("^[01]").fill_null(False).alias("bad_area"))
    rejected = placeholder | pl.col("bad_area")
    table = table.with_columns(
        pl.when(rejected).then(None).otherwise(pl.lit("+1") + nat).alias("phone"),
        pl.when(rejected | nat.is_null()).then(None).otherwise(pl.col("ext")).alias("phone_ext"),
        pl.when(placeholder)
        .then(pl.lit("placeholder"))
        .when(pl.col("bad_area"))
        .then(pl.lit("invalid"))
        .otherwise(None)
        .alias("phone_flag"),
    )
    todo = pl.col("key").is_not_null() & nat.is_null()
    table = fill_from_python(table, todo, "key", _parse_with_phonenumbers, _SCHEMA)
    return table.select(list(_SCHEMA))


def normalize_phones(raw: pl.Series) -> pl.DataFrame:
    """Raw phones → ``phone`` (E.164), ``phone_ext``, ``phone_error`` (always null), ``phone_flag``."""
    out = per_distinct(raw, _compute)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("phone_error")).select(
        "phone", "phone_ext", "phone_error", "phone_flag"
    )
