"""Emails: trimmed, lowercased, inner spaces removed, syntax-checked, placeholders dropped.

Spec mess handled: any case ("John.Smith@Gmail.COM"), spaces ("john smith@ gmail.com"),
placeholders ("none", "n/a", "noemail@noemail.com", "test@test.com"), invalid syntax ("john@",
"john@@x.com", "a..b@x.com"), typographic apostrophes ("d’alia@x.com" → "d'alia@x.com"). Both
problems are soft: the email becomes null, the row is kept and ``email_flag`` says
``placeholder`` or ``invalid_syntax``.

Internationalized domains are stored in their ASCII (IDNA) form ("bücher.de" → "xn--bcher-kva.de"),
so every stored email has an ASCII hostname and an alphabetic top-level domain of 2-24 letters
(the shape the validation stage checks; an internationalized TLD such as ".рф" is not accepted).

Speed: a strict regex accepts the common shape vectorized (it only accepts what email-validator
accepts too — a property test checks that); every other distinct value goes through
``email_validator.validate_email(check_deliverability=False)`` once (no DNS).
"""

from __future__ import annotations

import re

import polars as pl
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from crm_pipeline.clean._distinct import NULL_TOKENS, fill_from_python, per_distinct, squish
from crm_pipeline.models import EMAIL_PATTERN

#: Whole values that mean "no email" (after lowercasing and removing spaces).
PLACEHOLDER_VALUES: frozenset[str] = NULL_TOKENS | {
    "noemail",
    "nomail",
    "noemailaddress",
    "unknown",
    "notprovided",
    "declined",
    "refused",
    "no",
    "x",
    "xx",
    "xxx",
    "0",
    ".",
    "@",
}
#: Local parts that are never a real customer's mailbox.
PLACEHOLDER_LOCALS: frozenset[str] = frozenset(
    {
        "none",
        "no",
        "noemail",
        "nomail",
        "no-email",
        "no.email",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "test",
        "unknown",
        "null",
        "na",
        "n/a",
        "fake",
        "notprovided",
        "declined",
    }
)
#: Domains that exist only to fill a required field.
PLACEHOLDER_DOMAINS: frozenset[str] = frozenset(
    {
        "noemail.com",
        "nomail.com",
        "none.com",
        "noemail.net",
        "test.com",
        "fake.com",
        "na.com",
        "unknown.com",
        "invalid.com",
        "notprovided.com",
        "donotreply.com",
    }
)

# The common shape, accepted without calling email-validator: dot-atoms of [a-z0-9_%+-] before
# the @, hostname labels (no leading/trailing hyphen) and an alphabetic TLD after it.
_FAST_EMAIL = (
    r"^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)

_SCHEMA: dict[str, pl.DataType] = {"email": pl.Utf8(), "email_flag": pl.Utf8()}
_CONTRACT_EMAIL = re.compile(EMAIL_PATTERN)
#: Typographic apostrophes a word processor puts into "d'Alia" → the ASCII one the address has.
_APOSTROPHES = "[\u2018\u2019\u02bc]"


def _validate_email_value(value: str) -> tuple[str | None, str | None]:
    """Slow path for one distinct value that the fast regex did not accept."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None, "invalid_syntax"
    domain = checked.ascii_domain.lower()  # IDNA: "bücher.de" → "xn--bcher-kva.de", as SMTP sends it
    if not re.fullmatch(r"[a-z]{2,24}", domain.rsplit(".", 1)[-1]):
        return None, "invalid_syntax"  # no one-letter TLD exists; IDNA TLDs ("xn--p1ai") are not taken
    email = f"{checked.local_part.lower()}@{domain}"
    if not _CONTRACT_EMAIL.fullmatch(email):
        return None, "invalid_syntax"  # e.g. a symbol email-validator allows in an SMTPUTF8 local part
    return email, None


def _compute(keys: pl.Series) -> pl.DataFrame:
    # Each step is a materialized column: an eager expression used twice is evaluated twice.
    text = (
        squish(pl.col("raw")).str.to_lowercase().str.replace_all(r"\s", "").str.replace_all(_APOSTROPHES, "'")
    )
    table = keys.to_frame("raw").with_columns(text.alias("key"))
    key = pl.col("key")
    table = table.with_columns(
        key.str.extract(r"^(.*)@[^@]*$", 1).alias("local"),
        key.str.extract(r"@([^@]*)$", 1).alias("domain"),
    )
    local, domain = pl.col("local"), pl.col("domain")
    placeholder = (
        key.is_in(list(PLACEHOLDER_VALUES))
        | local.is_in(list(PLACEHOLDER_LOCALS))
        | domain.is_in(list(PLACEHOLDER_DOMAINS))
        | (local == domain.str.extract(r"^([^.]*)\.", 1))  # x@x.com, email@email.com
    ).fill_null(False)
    fast_ok = (
        key.str.contains(_FAST_EMAIL)
        & (local.str.len_chars() <= 64)
        & (key.str.len_chars() <= 254)
        & ~domain.str.extract(r"\.([a-z]+)$", 1).is_in(list(SPECIAL_USE_DOMAIN_NAMES))
    ).fill_null(False)
    table = table.with_columns(placeholder.alias("placeholder"), fast_ok.alias("fast_ok"))
    table = table.with_columns(
        pl.when(pl.col("fast_ok") & ~pl.col("placeholder")).then(key).otherwise(None).alias("email"),
        pl.when(pl.col("placeholder")).then(pl.lit("placeholder")).otherwise(None).alias("email_flag"),
    )
    todo = key.is_not_null() & ~pl.col("placeholder") & ~pl.col("fast_ok")
    table = fill_from_python(table, todo, "key", _validate_email_value, _SCHEMA)
    return table.select(list(_SCHEMA))


def normalize_emails(raw: pl.Series) -> pl.DataFrame:
    """Raw emails → ``email``, ``email_error`` (always null: email problems are soft), ``email_flag``."""
    out = per_distinct(raw, _compute)
    return out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("email_error")).select(
        "email", "email_error", "email_flag"
    )
