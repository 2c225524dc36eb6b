"""Money: exact ``Decimal(12, 2)`` amounts from the spellings the exports use.

Spec mess handled: "$1,234.50", "1234.5", "USD 1,234", "1,234.50 USD", "$ 1 234.50", negatives as
"-12.00", "$-12.00", "-$12.00" or "(12.00)". Blank, "N/A", "-" → null without an error (a job's
final total is blank until it is completed).

Decisions (documented because they are ambiguous):
- A comma followed by exactly three digits is a thousands separator ("1,234" = 1234); a dot is
  the decimal point ("1.234" = 1.234 → 1.23).
- European decimal commas are accepted only where they cannot be read the US way:
  "1.234,50" (dot thousands + comma decimals) and "12,5" / "12,50" (one or two digits after a
  lone comma) → 1234.50 / 12.50.
- More than two decimals are rounded half-up to cents ("12.345" → 12.35).
- Anything else (letters, two decimal points, more than 10 integer digits) → null amount and
  ``money_error`` = ``unreadable_money`` (a value-level quarantine entry; the row is kept).

Speed: the US and European shapes are vectorized (a string → Decimal cast); the rest (rounding,
odd spacing) goes through ``decimal.Decimal`` once per distinct value.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

from crm_pipeline.clean._distinct import blank_tokens_to_null, fill_from_python, per_distinct, squish

ERROR = "unreadable_money"
DTYPE = pl.Decimal(12, 2)
_MAX = Decimal("9999999999.99")
_CENT = Decimal("0.01")

_US = r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$"
_EU = r"^(?:\d{1,3}(?:\.\d{3})+,\d{1,2}|\d+,\d{1,2})$"
_CURRENCY = r"(?i)\s*(?:us\s*\$|usd|\$|dollars?)\s*"


def _strip_sign_and_currency(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(text without currency, sign and spaces; True when the amount is negative)."""
    text = expr.str.replace_all(_CURRENCY, "")
    negative = text.str.contains(r"^\(.*\)$|^-|-$")
    body = text.str.replace(r"^\((.*)\)$", "${1}").str.strip_chars("-+ ").str.replace_all(" ", "")
    return body, negative


def _parse_money_value(text: str) -> tuple[Decimal | None, str | None]:
    """Slow path for one distinct amount: rounding to cents and the leftover shapes."""
    body = re.sub(_CURRENCY, "", text)
    negative = bool(re.search(r"^\(.*\)$|^-|-$", body))
    body = re.sub(r"^\((.*)\)$", r"\1", body).strip("-+ ").replace(" ", "")
    if re.fullmatch(_EU, body):
        body = body.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+", body):
        body = body.replace(",", "")
    else:
        return None, ERROR
    try:
        amount = Decimal(body).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None, ERROR
    if amount > _MAX:
        return None, ERROR
    return (-amount if negative else amount), None


def _compute(keys: pl.Series) -> pl.DataFrame:
    table = keys.to_frame("raw").with_columns(blank_tokens_to_null(squish(pl.col("raw"))).alias("text"))
    body, negative = _strip_sign_and_currency(pl.col("text"))
    table = table.with_columns(body.alias("body"), negative.alias("negative"))
    b = pl.col("body")
    digits = (
        pl.when(b.str.contains(_US))
        .then(b.str.replace_all(",", ""))
        .when(b.str.contains(_EU))
        .then(b.str.replace_all(".", "", literal=True).str.replace(",", "."))
    )
    table = table.with_columns(digits.cast(DTYPE, strict=False).alias("amount"))
    amount = pl.col("amount")
    table = table.with_columns(
        pl.when(pl.col("negative")).then(-amount).otherwise(amount).alias("amount"),
        pl.lit(None, dtype=pl.Utf8).alias("money_error"),
    )
    todo = pl.col("text").is_not_null() & amount.is_null()
    schema: dict[str, pl.DataType] = {"amount": DTYPE, "money_error": pl.Utf8()}
    return fill_from_python(table, todo, "text", _parse_money_value, schema).select("amount", "money_error")


def parse_money(raw: pl.Series) -> pl.DataFrame:
    """Raw amounts → ``amount`` (pl.Decimal(12, 2)) and ``money_error`` (``unreadable_money``)."""
    return per_distinct(raw, _compute)
