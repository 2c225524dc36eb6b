"""Emails and phones: exact clean values and flags for every mess kind of the spec."""

from __future__ import annotations

import polars as pl
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crm_pipeline.clean import phones
from crm_pipeline.clean.emails import _FAST_EMAIL, PLACEHOLDER_LOCALS, normalize_emails
from crm_pipeline.clean.phones import normalize_phones


def email(raw: str | None) -> tuple[str | None, str | None]:
    row = normalize_emails(pl.Series([raw], dtype=pl.Utf8)).row(0, named=True)
    assert row["email_error"] is None  # email problems are never a quarantine
    return row["email"], row["email_flag"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("John.Smith@Gmail.COM", ("john.smith@gmail.com", None)),  # any case
        ("  john.smith@gmail.com  ", ("john.smith@gmail.com", None)),  # stray spaces
        ("john smith@ gmail.com", ("johnsmith@gmail.com", None)),  # inner spaces
        ("mary+moving@Bücher.de", ("mary+moving@xn--bcher-kva.de", None)),  # IDNA domain (slow path)
        ("josé@gmail.com", ("josé@gmail.com", None)),  # non-ASCII mailbox name (SMTPUTF8)
        # a word processor's apostrophe in "d'Alia" (found in exports not made by our generator)
        ("Frado.D\u2019Alia@gmail.com", ("frado.d'alia@gmail.com", None)),
        # a symbol email-validator allows in an SMTPUTF8 mailbox but the clean contract does not
        ("x\u00aby@gmail.com", (None, "invalid_syntax")),
        ("john@x.c", (None, "invalid_syntax")),  # no one-letter top-level domain exists
        ("none", (None, "placeholder")),
        ("NONE", (None, "placeholder")),
        ("n/a", (None, "placeholder")),
        ("-", (None, "placeholder")),
        ("declined", (None, "placeholder")),
        ("noemail@noemail.com", (None, "placeholder")),
        ("no@email.com", (None, "placeholder")),
        ("na@na.com", (None, "placeholder")),
        ("test@test.com", (None, "placeholder")),
        ("no email", (None, "placeholder")),
        ("john@", (None, "invalid_syntax")),
        ("john.smith.gmail.com", (None, "invalid_syntax")),
        ("john@@gmail.com", (None, "invalid_syntax")),
        ("a..b@gmail.com", (None, "invalid_syntax")),
        ("john@localhost", (None, "invalid_syntax")),
        ("john@site.test", (None, "invalid_syntax")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_email(raw: str | None, expected: tuple[str | None, str | None]) -> None:
    assert email(raw) == expected


_local = st.from_regex(r"[a-z0-9_%+-]{1,12}(\.[a-z0-9_%+-]{1,8}){0,2}", fullmatch=True)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_tld = st.from_regex(r"[a-z]{2,8}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(local=_local, labels=st.lists(_label, min_size=1, max_size=3), tld=_tld)
def test_fast_email_shape_is_accepted_by_email_validator(local: str, labels: list[str], tld: str) -> None:
    """What the vectorized regex accepts without asking email-validator, email-validator accepts."""
    address = f"{local}@{'.'.join(labels)}.{tld}"
    assume(tld not in {"test", "local", "invalid", "onion", "arpa", "localhost"})
    assume(local != labels[0] and local not in PLACEHOLDER_LOCALS)  # those are placeholders
    assert pl.Series([address]).str.contains(_FAST_EMAIL)[0]
    try:
        normalized = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"fast path accepts {address!r} but email-validator says: {exc}")
    assert normalized.lower() == address
    assert email(address) == (address, None)


# ----------------------------------------------------------------------------- phones
def phone(raw: str | None) -> tuple[str | None, str | None, str | None]:
    row = normalize_phones(pl.Series([raw], dtype=pl.Utf8)).row(0, named=True)
    assert row["phone_error"] is None
    return row["phone"], row["phone_ext"], row["phone_flag"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(555) 123-4567", ("+15551234567", None, None)),
        ("555.123.4567", ("+15551234567", None, None)),
        ("+1 555 123 4567", ("+15551234567", None, None)),
        ("5551234567", ("+15551234567", None, None)),
        ("1-555-123-4567", ("+15551234567", None, None)),
        ("555-123-4567 x12", ("+15551234567", "12", None)),
        ("(212) 555-0101 ext. 204", ("+12125550101", "204", None)),
        ("212-555-0101 Ext 9", ("+12125550101", "9", None)),
        ("001-212-555-0101", ("+12125550101", None, None)),  # international prefix typed as 00
        ("+44 20 7946 0958", ("+442079460958", None, None)),  # a valid foreign number
        ("000-000-0000", (None, None, "placeholder")),
        ("555-555-5555", (None, None, "placeholder")),
        ("1234567890", (None, None, "placeholder")),
        ("999-999-9999", (None, None, "placeholder")),
        ("(000) 000-0000", (None, None, "placeholder")),
        ("n/a", (None, None, "placeholder")),
        ("123-4567", (None, None, "too_short")),
        ("555-1234", (None, None, "too_short")),
        ("12345678901234", (None, None, "invalid")),
        ("call me", (None, None, "invalid")),
        ("+44 20 7946", (None, None, "invalid")),
        ("(123) 555-0101", (None, None, "invalid")),  # no area code starts with 1 or 0
        ("(023) 555-0101", (None, None, "invalid")),
        ("", (None, None, None)),
    ],
)
def test_phone(raw: str, expected: tuple[str | None, str | None, str | None]) -> None:
    assert phone(raw) == expected


_digit = st.sampled_from("0123456789")


@settings(max_examples=150, deadline=None)
@given(
    digits=st.tuples(st.sampled_from("23456789"), st.lists(_digit, min_size=9, max_size=9)).map(
        lambda t: t[0] + "".join(t[1])
    ),
    style=st.sampled_from(
        ["({a}) {b}-{c}", "{a}.{b}.{c}", "{a}-{b}-{c}", "{a}{b}{c}", "+1 {a} {b} {c}", "1-{a}-{b}-{c}"]
    ),
    ext=st.sampled_from(["", " x12", " ext. 7"]),
)
def test_vectorized_phones_equal_phonenumbers_path(digits: str, style: str, ext: str) -> None:
    """The common North American shapes skip phonenumbers; the answer must be the same."""
    raw = style.format(a=digits[:3], b=digits[3:6], c=digits[6:]) + ext
    assert phone(raw) == phones._parse_with_phonenumbers(raw)
