"""How the company's staff and systems write one value: names, phones, emails, addresses, dates.

Each function takes the true value and returns a cell as some export would hold it, with the
mess of real data at modest rates: other cases and formats, placeholders ("TBD", "N/A",
"noemail@noemail.com", "000-000-0000"), typos in names and streets ("2663 WELLS ST" -> "2663 WLS T",
"6873" -> "68A3"), dates in ISO, US, d-Mon-yy and Excel-serial form, ancient defaults
(1900-01-01, 0001-01-01) and a few dates years in the future.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from crm_pipeline.generate.independent.company import BRANCHES
from crm_pipeline.generate.independent.names import nickname, typo
from crm_pipeline.generate.independent.world import Address, Person

EMAIL_PLACEHOLDERS = ("N/A", "none", "noemail@noemail.com", "unknown", "no email", "na@na.com")
PHONE_PLACEHOLDERS = ("000-000-0000", "N/A", "unknown", "(000) 000-0000", "none")
DATE_PLACEHOLDERS = ("TBD", "N/A", "unknown", "1900-01-01", "0001-01-01")
_EXCEL_EPOCH = date(1899, 12, 30)
_STATE_SPELLINGS = (("FL", 80), ("Fl", 6), ("fl", 4), ("Florida", 8), ("Fla.", 2))
_SUFFIX_LONG = {
    "St": "Street",
    "Ave": "Avenue",
    "Blvd": "Boulevard",
    "Dr": "Drive",
    "Rd": "Road",
    "Ln": "Lane",
    "Ct": "Court",
    "Way": "Way",
    "Pl": "Place",
    "Ter": "Terrace",
    "Cir": "Circle",
}


def weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def first_name(rng: random.Random, p: Person) -> str:
    """The first name as typed on one record: mostly right, else a nickname or a typo."""
    roll = rng.random()
    if roll < 0.10:
        nick = nickname(rng, p.first)
        if nick:
            return nick
    short = len(p.first) <= 4
    if roll > (0.93 if short else 0.96):
        return typo(rng, p.first)
    return p.first


def last_name(rng: random.Random, p: Person) -> str:
    return typo(rng, p.last) if rng.random() < 0.02 else p.last


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.08:
        return text.upper()
    if roll < 0.12:
        return text.lower()
    return text


def full_name(rng: random.Random, p: Person) -> str:
    first, last = first_name(rng, p), last_name(rng, p)
    suffix = f" {p.suffix}" if p.suffix and rng.random() < 0.8 else ""
    roll = rng.random()
    if roll < 0.12:
        text = f"{last}{suffix}, {first}"
    elif roll < 0.17:
        text = f"{first} {rng.choice('ABCDEJLMRST')}. {last}{suffix}"
    else:
        text = f"{first} {last}{suffix}"
    if rng.random() < 0.03:
        text = f"  {text} "
    return _case(rng, text)


def email(rng: random.Random, value: str) -> str:
    roll = rng.random()
    if not value or roll < 0.07:
        return rng.choice(EMAIL_PLACEHOLDERS) if rng.random() < 0.25 else ""
    if roll < 0.15:
        return value.upper() if roll < 0.11 else f" {value} "
    return value


def phone(rng: random.Random, digits: str) -> str:
    roll = rng.random()
    if not digits or roll < 0.06:
        return rng.choice(PHONE_PLACEHOLDERS) if rng.random() < 0.3 else ""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    fmt = rng.choices(range(7), (30, 20, 12, 10, 15, 5, 8))[0]
    return (
        f"({a}) {b}-{c}",
        f"{a}-{b}-{c}",
        f"{a}.{b}.{c}",
        f"+1 {a} {b} {c}",
        digits,
        f"{a}-{b}-{c} x{rng.randrange(10, 99)}",
        f"1{digits}",
    )[fmt]


def contact_phone(rng: random.Random, p: Person) -> str:
    """The person's mobile, else the household's landline or the office phone."""
    if p.mobile and (not p.landline or rng.random() < 0.75):
        return phone(rng, p.mobile)
    return phone(rng, p.landline or p.mobile)


def branch(rng: random.Random, index: int) -> str:
    return weighted(rng, BRANCHES[index].spellings)


def street(rng: random.Random, a: Address) -> str:
    """Line 1 of an address: suffix short or long, some upper case, 3 % with a typo."""
    name, _, suffix = a.street.rpartition(" ")
    if rng.random() < 0.3:
        suffix = _SUFFIX_LONG.get(suffix, suffix)
    text = f"{a.number} {name} {suffix}"
    roll = rng.random()
    if roll < 0.015:  # a digit misread as a letter: "6873" -> "68A3"
        i = rng.randrange(len(a.number))
        text = f"{a.number[:i]}{rng.choice('AOSBIl')}{a.number[i + 1 :]} {name} {suffix}"
    elif roll < 0.03:  # vowels dropped, the space slipped: "2663 WELLS ST" -> "2663 WLS T"
        squeezed = name[0] + "".join(c for c in name[1:] if c.lower() not in "aeiou")
        squeezed = squeezed[:-1] if len(squeezed) > 3 and squeezed[-1] == squeezed[-2] else squeezed
        text = (
            f"{a.number} {squeezed}{suffix[0]} {suffix[1:]}" if len(suffix) > 1 else f"{a.number} {squeezed}"
        )
    elif roll < 0.05:
        text = f"{a.number} {typo(rng, name)} {suffix}"
    return text.upper() if rng.random() < 0.2 else text


def state(rng: random.Random) -> str:
    return weighted(rng, _STATE_SPELLINGS)


def zip_code(rng: random.Random, a: Address) -> str:
    roll = rng.random()
    if roll < 0.04:
        return ""
    if roll < 0.08:
        return f"{a.zip}-{rng.randrange(1000, 10000)}"
    if roll < 0.10:
        return f"{a.zip}.0"
    return a.zip


def one_line(rng: random.Random, a: Address) -> str:
    """The whole address in one string, as SmartMoving exports it (parts may be missing)."""
    parts = [street(rng, a)]
    if a.unit and rng.random() < 0.85:
        parts.append(a.unit)
    parts.append(a.city.name if rng.random() < 0.95 else "")
    text = ", ".join(p for p in parts if p)
    z = zip_code(rng, a)
    return f"{text}, {state(rng)} {z}".rstrip()


def day(rng: random.Random, d: date, style: str, *, future_rate: float = 0.0, bad_rate: float = 0.01) -> str:
    """A date in ``style`` (iso | us | mon | excel | mixed), sometimes a placeholder or years ahead."""
    roll = rng.random()
    if roll < bad_rate:
        return rng.choice(DATE_PLACEHOLDERS)
    if roll < bad_rate + future_rate:
        d = d.replace(year=d.year + rng.randrange(2, 6)) if not (d.month == 2 and d.day == 29) else d
        d = max(d, date(2029, 1, 1) + timedelta(days=rng.randrange(0, 900)))
    if style == "mixed":
        style = rng.choices(("iso", "us", "mon", "excel"), (35, 35, 15, 15))[0]
    if style == "iso":
        return d.isoformat()
    if style == "us":
        return f"{d.month}/{d.day}/{d.year}"
    if style == "mon":
        return f"{d.day}-{d.strftime('%b')}-{d.strftime('%y')}"
    return str((d - _EXCEL_EPOCH).days)


def timestamp(rng: random.Random, d: date, style: str) -> str:
    """A created-at date-time: ISO with seconds, or US with a 12-hour clock."""
    if rng.random() < 0.008:
        return rng.choice(DATE_PLACEHOLDERS)
    h, m = rng.randrange(7, 20), rng.randrange(60)
    if style == "iso":
        return f"{d.isoformat()} {h:02d}:{m:02d}:{rng.randrange(60):02d}"
    return f"{d.month}/{d.day}/{d.year} {(h - 1) % 12 + 1}:{m:02d} {'AM' if h < 12 else 'PM'}"


def money(rng: random.Random, amount: float) -> str:
    roll = rng.random()
    if roll < 0.5:
        return f"${amount:,.2f}"
    if roll < 0.8:
        return f"{amount:.2f}"
    return f"{amount:.0f}"
