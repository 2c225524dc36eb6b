"""How a true value gets written into an export: the messes of real CRM data, one method per kind.

Each method takes the true value and returns the text a clerk, a web form or a spreadsheet would have
produced, recording every mess it applied on the row's ``Tags`` (the phenomenon names of
``phenomena.py``) so the ground truth can say which cell carries what.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import accumulate

from crm_pipeline.generate import pools as P
from crm_pipeline.generate.branch_spellings import BranchSpelling
from crm_pipeline.generate.geography import STATE_SPELLINGS
from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.world import Address, Person


class Tags:
    """Phenomena planted in one row: (cell index or -1 for the row, phenomenon, detail)."""

    __slots__ = ("col", "items")

    def __init__(self) -> None:
        self.items: list[tuple[int, str, str]] = []
        self.col = -1

    def add(self, name: str) -> None:
        """A phenomenon of the current cell (its value in the truth is the cell as written)."""
        self.items.append((self.col, name, ""))

    def row(self, name: str, detail: str = "") -> None:
        """A phenomenon of the whole row; ``detail`` is its group key or note."""
        self.items.append((-1, name, detail))


_KEYBOARD_NEIGHBOURS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo",
    "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et",
    "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}  # fmt: skip
_SUFFIX_VARIANTS = {"Jr.": ("Jr.", "Jr", "JR", "jr."), "Sr.": ("Sr.", "Sr", "SR")}
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNREADABLE_DATES = (
    "{y}-02-30",
    "13/45/{y}",
    "next spring",
    "TBD",
    "00/00/0000",
    "{y}-13-01",
    "31/31/{y}",
    "??",
)
_PHONE_FORMATS = ("dashes", "paren", "digits", "dots", "plus1", "one_dash", "e164")
_PHONE_CUM = tuple(accumulate((30, 28, 15, 10, 8, 5, 4)))


def strip_accents(text: str) -> str:
    text = text.replace("ø", "o").replace("Ø", "O")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def has_accent(text: str) -> bool:
    return not text.isascii()


@dataclass
class _NameParts:
    first: str
    quoted: str
    middle: str
    last: str
    suffix: str
    title: str
    notes: list[tuple[str, str]]
    """(part, phenomenon): which part of the name carries which mess."""


class Renderer:
    """Renders true values as messy text with one seeded generator and the knobs."""

    def __init__(self, rng: random.Random, knobs: Knobs, branches: dict[str, BranchSpelling]) -> None:
        self.rng = rng
        self.k = knobs
        self.branches = branches

    # ------------------------------------------------------------------ names
    def typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word + word[-1:]
        i = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            return word[:i] + word[i + 1 :]
        if kind == 1:
            return word[:i] + word[i] + word[i:]
        if kind == 2:
            return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        c = word[i].lower()
        sub = rng.choice(_KEYBOARD_NEIGHBOURS.get(c, "e"))
        return word[:i] + sub + word[i + 1 :]

    def _name_parts(self, p: Person, curly: bool) -> _NameParts:
        """Choices shared by full and split names; ``notes`` say which part carries which phenomenon."""
        rng = self.rng
        k = self.k
        n = _NameParts(p.first, "", "", p.last, "", "", [])
        if p.nickname:
            r = rng.random()
            if r < k.name_nickname_rate:
                n.first = p.nickname
                n.notes.append(("first", "name_nickname"))
            elif r < k.name_nickname_rate + k.name_quoted_nickname_rate:
                n.quoted = f'"{p.nickname}"'
                n.notes.append(("quoted", "name_quoted_nickname"))
        if p.middle:
            r = rng.random()
            if r < k.name_middle_initial_rate:
                n.middle = p.middle[0] + (".", "")[rng.randrange(2)]
                n.notes.append(("middle", "name_middle_initial"))
            elif r < k.name_middle_initial_rate + k.name_middle_full_rate:
                n.middle = p.middle
                n.notes.append(("middle", "name_middle_name"))
        if not (n.first.isascii() and n.last.isascii()):
            accented = [part for part in ("first", "last") if has_accent(getattr(n, part))]
            stripped = rng.random() < k.accent_stripped_rate
            for part in accented:
                if stripped:
                    setattr(n, part, strip_accents(getattr(n, part)))
                n.notes.append((part, "name_accent_stripped" if stripped else "name_accent"))
        if not n.last.isalpha():
            n.notes.append(("last", "name_particle"))
            if curly and "'" in n.last and rng.random() < k.curly_apostrophe_rate:
                n.last = n.last.replace("'", "\u2019")
                n.notes.append(("last", "name_curly_apostrophe"))
        if rng.random() < k.name_typo_rate:
            part = ("first", "last")[rng.randrange(2)]
            setattr(n, part, self.typo(getattr(n, part)))
            n.notes.append((part, "name_typo"))
        if p.suffix and rng.random() < k.name_suffix_shown_rate:
            n.suffix = rng.choice(_SUFFIX_VARIANTS.get(p.suffix, (p.suffix,)))
            n.notes.append(("suffix", "name_suffix"))
        if rng.random() < k.name_title_rate:
            titles = ("Mr.", "Dr.", "Mr") if p.gender == "M" else ("Mrs.", "Ms.", "Dr.", "Ms")
            n.title = rng.choice(titles)
            n.notes.append(("title", "name_title"))
        return n

    def _case_and_spaces(self, text: str, tags: Tags) -> str:
        rng = self.rng
        k = self.k
        r = rng.random()
        if r < k.name_upper_rate:
            text = text.upper()
            tags.add("name_upper")
        elif r < k.name_upper_rate + k.name_lower_rate:
            text = text.lower()
            tags.add("name_lower")
        if rng.random() < k.name_extra_spaces_rate:
            text = (
                (" ", "  ", "")[rng.randrange(3)] + text.replace(" ", "  ", 1) + (" ", "")[rng.randrange(2)]
            )
            tags.add("name_extra_spaces")
        return text

    def full_name(self, p: Person, tags: Tags, *, curly: bool = False) -> str:
        """One-string name: "Dr. Robert J. Smith Jr.", "SMITH, BOB", "smith robert", ..."""
        k = self.k
        n = self._name_parts(p, curly)
        r = self.rng.random()
        if r < k.name_last_first_rate:
            rest = " ".join(x for x in (n.title, n.first, n.middle, n.suffix) if x)
            text = f"{n.last}, {rest}"
            shown = {"title", "first", "middle", "suffix", "last"}
            tags.add("name_last_first")
        elif r < k.name_last_first_rate + k.name_swapped_rate:
            text = f"{n.last} {n.first}"
            shown = {"first", "last"}
            tags.add("name_swapped")
        else:
            text = " ".join(x for x in (n.title, n.first, n.quoted, n.middle, n.last, n.suffix) if x)
            shown = {"title", "first", "quoted", "middle", "last", "suffix"}
        for name in dict.fromkeys(phen for part, phen in n.notes if part in shown):
            tags.add(name)
        return self._case_and_spaces(text, tags)

    def split_name(
        self, p: Person, tags: Tags, first_col: int, last_col: int, *, curly: bool
    ) -> tuple[str, str]:
        """(first_name, last_name) cells of the legacy CRM; a middle initial rides in first_name."""
        n = self._name_parts(p, curly)
        cells = [" ".join(x for x in (n.title, n.first, n.middle) if x), f"{n.last} {n.suffix}".strip()]
        col_of = {"title": 0, "first": 0, "middle": 0, "quoted": -1, "last": 1, "suffix": 1}
        swapped = self.rng.random() < self.k.name_swapped_rate
        cols = (last_col, first_col) if swapped else (first_col, last_col)
        for part, phen in n.notes:
            if col_of[part] >= 0:
                tags.col = cols[col_of[part]]
                tags.add(phen)
        if swapped:
            tags.col = first_col
            tags.add("name_swapped")
        out = []
        for i in (0, 1):
            tags.col = cols[i]
            out.append(self._case_and_spaces(cells[i], tags))
        return (out[1], out[0]) if swapped else (out[0], out[1])

    # ------------------------------------------------------------------ emails
    def email(self, address: str, tags: Tags, *, missing_rate: float | None = None) -> str:
        rng = self.rng
        k = self.k
        r = rng.random()
        missing = k.email_missing_rate if missing_rate is None else missing_rate
        if r < missing:
            tags.add("email_missing")
            return ""
        r -= missing
        if r < k.email_placeholder_rate:
            tags.add("email_placeholder")
            return rng.choice(P.EMAIL_PLACEHOLDERS)
        r -= k.email_placeholder_rate
        if r < k.email_invalid_rate:
            tags.add("email_invalid")
            local, domain = address.split("@", 1)
            kind = rng.randrange(5)
            if kind == 0:
                return local + domain
            if kind == 1:
                return f"{local}@{domain.rsplit('.', 1)[0]}"
            if kind == 2:
                return f"{local[:2]} {local[2:]}@{domain}"
            if kind == 3:
                return f"{local}@@{domain}"
            return f"{local}@{domain},"
        if rng.random() < k.email_case_rate:
            local, domain = address.split("@", 1)
            address = address.upper() if rng.random() < 0.3 else f"{local.title()}@{domain.capitalize()}"
            tags.add("email_case")
        if rng.random() < k.email_spaces_rate:
            address = (" ", "", "  ")[rng.randrange(3)] + address + (" ", " ")[rng.randrange(2)]
            tags.add("email_spaces")
        return address

    # ------------------------------------------------------------------ phones
    def phone(self, digits: str, tags: Tags, *, ext: str = "", missing_rate: float | None = None) -> str:
        rng = self.rng
        k = self.k
        r = rng.random()
        missing = k.phone_missing_rate if missing_rate is None else missing_rate
        if r < missing:
            tags.add("phone_missing")
            return ""
        r -= missing
        if r < k.phone_placeholder_rate:
            tags.add("phone_placeholder")
            return rng.choice(P.PHONE_PLACEHOLDERS)
        r -= k.phone_placeholder_rate
        if r < k.phone_too_short_rate:
            tags.add("phone_too_short")
            if rng.random() < 0.6:
                return f"{digits[3:6]}-{digits[6:]}"
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]}"
        fmt = P.pick(rng, _PHONE_FORMATS, _PHONE_CUM)
        a, b, c = digits[:3], digits[3:6], digits[6:]
        if fmt == "dashes":
            text = f"{a}-{b}-{c}"
        elif fmt == "paren":
            text = f"({a}) {b}-{c}"
        elif fmt == "digits":
            text = digits
        elif fmt == "dots":
            text = f"{a}.{b}.{c}"
        elif fmt == "plus1":
            text = f"+1 {a} {b} {c}"
        elif fmt == "one_dash":
            text = f"1-{a}-{b}-{c}"
        else:
            text = f"+1{digits}"
        tags.add("phone_" + fmt)
        if ext and rng.random() < k.phone_ext_rate:
            text += rng.choice((" x", " ext. ", " ext ", " x.")) + ext
            tags.add("phone_ext")
        return text

    # ------------------------------------------------------------------ addresses
    def street_line(self, a: Address, tags: Tags, *, with_unit: bool) -> str:
        rng = self.rng
        k = self.k
        spelled = rng.random() < k.street_spelled_rate
        street = a.street
        if rng.random() < k.street_typo_rate and len(street) > 3:
            street = self.typo(street)
            tags.add("street_typo")
        abbr, full = P.STREET_SUFFIXES[a.suffix]
        parts = [a.number]
        if a.predir >= 0:
            d_abbr, d_full = P.DIRECTIONS[a.predir]
            parts.append(d_full if spelled and rng.random() < 0.5 else d_abbr)
        parts.append(street)
        if spelled:
            parts.append(full if rng.random() < 0.6 else abbr + ".")
            tags.add("street_spelled")
        else:
            parts.append(abbr)
        line = " ".join(parts)
        if with_unit and a.unit:
            line += " " + self.unit(a, spelled)
        return line

    def unit(self, a: Address, spelled: bool) -> str:
        if not a.unit:
            return ""
        if spelled:
            form = self.rng.randrange(3)
            if form == 0:
                return "#" + a.unit
            if form == 1:
                return ("Apartment " if a.unit_kind == "Apt" else "Unit ") + a.unit
            return a.unit_kind + ". " + a.unit
        return f"{a.unit_kind} {a.unit}"

    def state(self, code: str, tags: Tags, *, case_only: bool = True) -> str:
        """The state as typed; ``case_only=False`` leaves out spellings that differ only by case."""
        if self.rng.random() < self.k.state_variant_rate:
            options = STATE_SPELLINGS.get(code, (code.lower(),))
            if not case_only:
                options = tuple(o for o in options if o.upper() != code) or options
            tags.add("state_variant")
            return self.rng.choice(options)
        return code

    def zip(self, a: Address, tags: Tags, *, lost_zero_rate: float, spreadsheet: bool = True) -> str:
        """The ZIP as typed; ``spreadsheet=False`` (inside a one-line address) never gives "2139.0"."""
        rng = self.rng
        k = self.k
        r = rng.random()
        if r < k.zip_missing_rate:
            tags.add("zip_missing")
            return ""
        r -= k.zip_missing_rate
        if r < k.zip_float_rate and spreadsheet:
            tags.add("zip_float")
            return f"{int(a.zip5)}.0"
        r -= k.zip_float_rate
        if a.zip5.startswith("0") and rng.random() < lost_zero_rate:
            tags.add("zip_lost_zero")
            return a.zip5.lstrip("0")
        if r < k.zip4_rate:
            tags.add("zip_plus4")
            return f"{a.zip5}-{a.zip4}"
        return a.zip5

    def one_line_address(self, a: Address | None, tags: Tags, *, lost_zero_rate: float) -> str:
        """SmartMoving style: "123 Main St, Apt 4, Boston, MA 02139", parts may be missing."""
        rng = self.rng
        k = self.k
        if a is None:
            return ""
        r = rng.random()
        if r < k.address_missing_rate:
            tags.add("address_missing")
            return ""
        partial = ""
        if r < k.address_missing_rate + k.address_partial_rate:
            partial = ("street", "city")[rng.randrange(2)]
            tags.add("address_partial")
        unit_inline = rng.random() < 0.5
        street = ""
        if partial != "city":
            street = self.street_line(a, tags, with_unit=unit_inline or partial == "street")
        if partial == "street":
            return self.address_case(street, tags)
        # whole-address case changes come later, so no state spelling that differs only by case here
        state = self.state(a.state, tags, case_only=False)
        city_state = f"{a.city}, {state}" if rng.random() < 0.85 else f"{a.city} {state}"
        zip_text = self.zip(a, tags, lost_zero_rate=lost_zero_rate, spreadsheet=False)
        tail = f"{city_state} {zip_text}" if zip_text else city_state
        if partial == "city":
            text = tail
        else:
            head = street if unit_inline or not a.unit else f"{street}, {self.unit(a, False)}"
            if rng.random() < k.address_newline_rate:
                text = f"{head}\n{tail}"
                tags.add("address_newline")
            else:
                text = f"{head}, {tail}"
        return self.address_case(text, tags)

    def address_case(self, text: str, tags: Tags) -> str:
        if self.rng.random() < self.k.address_case_rate:
            tags.add("address_case")
            return text.upper() if self.rng.random() < 0.7 else text.lower()
        return text

    # ------------------------------------------------------------------ codes
    def branch(self, name: str, tags: Tags, *, legacy: bool = False) -> str:
        rng = self.rng
        k = self.k
        sp = self.branches[name]
        if legacy and rng.random() < 0.6:
            if sp.code != sp.name:
                tags.add("branch_alias")
            return sp.code
        r = rng.random()
        if r < k.branch_alias_rate and sp.aliases:
            tags.add("branch_alias")
            alias = rng.choice(sp.aliases)
            return alias if rng.random() < 0.8 else alias.lower()
        if r < k.branch_alias_rate + k.branch_typo_rate:
            tags.add("branch_typo")
            return rng.choice(sp.typos)
        if rng.random() < 0.05:
            tags.add("branch_case")
            return name.upper() if rng.random() < 0.5 else name.lower()
        return name

    def code(self, value: str, tags: Tags, phenomenon: str) -> str:
        """Status or service type in "any case" (COMPLETED, completed, " Completed ")."""
        rng = self.rng
        if rng.random() >= self.k.code_case_rate:
            return value
        tags.add(phenomenon)
        form = rng.randrange(3)
        if form == 0:
            return value.upper()
        if form == 1:
            return value.lower()
        return f" {value} "

    # ------------------------------------------------------------------ dates and money
    def date(self, day: int, tags: Tags, styles: tuple[str, ...], cum: tuple[float, ...]) -> str:
        style = P.pick(self.rng, styles, cum)
        tags.add(style)
        return _day_part(day, style)

    def datetime(
        self, day: int, seconds: int, tags: Tags, styles: tuple[str, ...], cum: tuple[float, ...]
    ) -> str:
        style = P.pick(self.rng, styles, cum)
        tags.add(style)
        return format_day(day, style, seconds)

    def unreadable_date(self, year: int) -> str:
        """A date no parser should accept ("2023-02-30", "next spring")."""
        return self.rng.choice(_UNREADABLE_DATES).format(y=year)

    def money(self, cents: int, tags: Tags) -> str:
        style = self.rng.randrange(5)
        dollars, rest = divmod(cents, 100)
        if style == 0:
            tags.add("money_dollar_commas")
            return f"${dollars:,}.{rest:02d}"
        if style == 1:
            tags.add("money_plain_short")
            return f"{dollars}.{rest:02d}".rstrip("0").rstrip(".")
        if style == 2:
            tags.add("money_usd")
            return f"USD {dollars:,}" if rest == 0 else f"USD {dollars:,}.{rest:02d}"
        if style == 3:
            tags.add("money_plain")
            return f"{dollars}.{rest:02d}"
        tags.add("money_dollar_plain")
        return f"${dollars}.{rest:02d}"


def format_day(day: int, style: str, seconds: int) -> str:
    """Write a day (and time of day) in one of the export formats named by its phenomenon."""
    text = _day_part(day, style)
    if not style.startswith("datetime_"):
        return text
    hh, rem = divmod(seconds, 3600)
    mm, ss = divmod(rem, 60)
    if style == "datetime_iso":
        return f"{text} {hh:02d}:{mm:02d}:{ss:02d}"
    if style == "datetime_iso_tz":
        return f"{text}T{hh:02d}:{mm:02d}:{ss:02d}Z"
    if style == "datetime_mdy_ampm":
        return f"{text} {hh % 12 or 12}:{mm:02d} {'AM' if hh < 12 else 'PM'}"
    return f"{text} {hh}:{mm:02d}"  # datetime_mdy_24


@lru_cache(maxsize=65536)
def _day_part(day: int, style: str) -> str:
    """The date part of ``style`` (cached: a few thousand distinct days recur across rows)."""
    d = date.fromordinal(day)
    if style == "date_yyyymmdd":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if style in ("date_mdy", "datetime_mdy_ampm"):
        return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"
    if style in ("date_mdy_short", "datetime_mdy_24"):
        return f"{d.month}/{d.day}/{d.year:04d}"
    if style in ("date_iso", "datetime_iso", "datetime_iso_tz"):
        return d.isoformat()
    if style == "date_month_name":
        return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"
    if style == "date_excel_serial":
        return str(day - _EXCEL_EPOCH)
    raise ValueError(f"unknown date style {style!r}")


def styles(weights: dict[str, float]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """(styles, cumulative weights) for ``Renderer.date`` / ``Renderer.datetime``."""
    return tuple(weights), tuple(accumulate(weights.values()))
