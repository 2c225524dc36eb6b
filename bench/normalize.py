"""The normalizers of phase 2 on 500,000 rows each, against a naive per-row Python loop.

Input: the columns of a real ``generate --people 50000 --seed 42`` run (cached under
/tmp/crm-bench-normalize, ~45 s the first time), pooled per concern (every name column of every file,
every phone column, ...) and sampled with replacement up to 500k rows — the issue's scale: 50k people
make about 500k rows, so each distinct value repeats the way it does in a real export.

For each normalizer it prints:
- vectorized: wall and CPU seconds for all 500k rows, rows/s, distinct values, and how many distinct
  values went through the Python fallback (the library call);
- naive: the same per-value Python function applied row by row (no distinct step, no vectorized
  path — what a straightforward loop would do) on the first 20,000 rows, extrapolated to 500k; for
  dates a plain strptime loop over the spec's formats (the module's own fallback tries many more
  formats and would flatter the ratio);
- the speed-up (naive time / vectorized time, both for 500k rows), by wall time and by CPU time
  (the CPU time of the vectorized run counts all Polars threads, so its speed-up is the lower,
  steadier number on a shared machine).

The CSV files are read here with a minimal reader (encoding and delimiter sniffing); the real
reading is the ingest stage's job. Wall time depends on what else the machine runs.

Run: .venv/bin/python bench/normalize.py [ROWS] [PEOPLE]
"""

from __future__ import annotations

import datetime as dt
import io
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from crm_pipeline import clean
from crm_pipeline.clean import addresses, branches, dates, emails, enums, money, names, phones, states
from crm_pipeline.generate import generate

CACHE = Path("/tmp/crm-bench-normalize")
SAMPLE = 20_000


# ----------------------------------------------------------------------------- input
def read_raw(path: Path) -> pl.DataFrame:
    """Every column as text; UTF-8 (with or without BOM) or Windows-1252; , ; or tab."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    header = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    return pl.read_csv(
        io.BytesIO(text.encode()), separator=delimiter, infer_schema=False, truncate_ragged_lines=True
    )


def load_inputs(people: int, rows: int) -> tuple[dict[str, pl.Series], pl.DataFrame, pl.DataFrame]:
    """500k-row columns per concern, plus the legacy split names and addresses (rows kept whole)."""
    raw_dir = CACHE / f"{people}-42" / "raw"
    if not raw_dir.is_dir():
        print(f"generating {people:,} people into {raw_dir.parent} (once) ...", flush=True)
        generate(people, raw_dir.parent, seed=42)
    frames = [read_raw(p) for p in sorted(raw_dir.glob("*.csv"))]

    def folded(header: str) -> str:
        return re.sub(r"[\s_-]", "", header.lower())

    def pooled(*headers: str) -> pl.Series:
        wanted = {folded(h) for h in headers}
        cols = [f[c] for f in frames for c in f.columns if folded(c) in wanted]
        return pl.concat(cols).alias(headers[0])

    def split_rows(*groups: tuple[str, ...]) -> pl.DataFrame:
        """Rows of every file that has all columns of a group, renamed to the first group's names."""
        parts = []
        for f in frames:
            by_folded = {folded(c): c for c in f.columns}
            for group in groups:
                if all(folded(c) in by_folded for c in group):
                    renamed = zip(group, groups[0], strict=True)
                    parts.append(f.select([pl.col(by_folded[folded(c)]).alias(n) for c, n in renamed]))
        return pl.concat(parts)

    singles = {
        "name": pooled("name", "customer_name", "full_name"),
        "email": pooled("email", "email_address"),
        "phone": pooled("phone", "phone_number", "secondary_phone", "alt_phone"),
        "address": pooled("address", "origin_address", "destination_address"),
        "state": pooled("state", "origin_state", "dest_state"),
        "zip": pooled("zip", "origin_zip", "dest_zip", "destination_zip"),
        "branch": pooled("branch"),
        "date": pooled("service_date", "move_date"),
        "datetime": pooled("created_at", "created_date", "created"),
        "money": pooled("estimated_total", "final_total", "estimate", "total"),
        "status": pooled("status"),
        "service_type": pooled("service_type", "job_type"),
    }
    split_names = split_rows(("first_name", "last_name"))
    split_addresses = split_rows(
        ("street", "street2", "city", "state", "zip"),
        ("origin_street", "origin_street2", "origin_city", "origin_state", "origin_zip"),
        ("dest_street", "dest_street2", "dest_city", "dest_state", "dest_zip"),
    )
    if "street2" not in split_addresses.columns:
        split_addresses = split_addresses.with_columns(pl.lit(None, dtype=pl.Utf8).alias("street2"))
    columns = {k: v.sample(rows, with_replacement=True, seed=i) for i, (k, v) in enumerate(singles.items())}
    return (
        columns,
        split_names.sample(rows, with_replacement=True, seed=100),
        split_addresses.sample(rows, with_replacement=True, seed=101),
    )


# ----------------------------------------------------------------------------- naive per-row versions
def _squish(value: str | None) -> str | None:
    text = " ".join(value.split()) if value else ""
    return text or None


def naive_name(value: str | None) -> Any:
    text = _squish(value)
    if text is None:
        return None
    title, first, middle, last, suffix = names._parse_with_nameparser(text)
    return (
        title and names.canonical_title(title),
        first and names._display_words(first),
        middle and names._display_words(middle),
        last and names._display_words(last),
        suffix and names.canonical_suffix(suffix),
    )


def naive_split_name(pair: Any) -> Any:
    parts = names._split_name_parts(_squish(pair["first_name"]), _squish(pair["last_name"]))
    return tuple(p and names._display_words(p) for p in parts[1:4])


def naive_email(value: str | None) -> Any:
    text = re.sub(r"\s", "", value or "").lower()
    if not text:
        return None
    local, _, domain = text.rpartition("@")
    if text in emails.PLACEHOLDER_VALUES or local in emails.PLACEHOLDER_LOCALS:
        return None, "placeholder"
    if domain in emails.PLACEHOLDER_DOMAINS:
        return None, "placeholder"
    return emails._validate_email_value(text)


def naive_phone(value: str | None) -> Any:
    text = _squish(value)
    return phones._parse_with_phonenumbers(text) if text else None


def naive_address(value: str | None) -> Any:
    text = _squish(value)
    if text is None:
        return None
    street, unit, city, state, zip_raw, flag = addresses._parse_with_usaddress(text.upper())
    state_code = states.lookup_state.__wrapped__(state.upper().replace(".", "")) if state else None
    zip5 = re.sub(r"\.0+$", "", zip_raw).split("-")[0].zfill(5) if zip_raw else None
    return street, unit, city and addresses.normalize_city(city), state_code, zip5, flag


def naive_state(value: str | None) -> Any:
    text = _squish(value)
    return states.lookup_state.__wrapped__(text.upper().replace(".", "")) if text else None


def naive_zip(value: str | None) -> Any:
    text = re.sub(r"\.0+$", "", (value or "").strip())
    match = re.fullmatch(r"(\d{3,5})(?:-?(\d{4}))?", text)
    return (match.group(1).zfill(5), match.group(2)) if match else None


_TABLE = branches.load_branch_table()


def naive_branch(value: str | None) -> Any:
    text = _squish(value)
    return _TABLE.match(branches.branch_key(text)) if text else None


# A sensible per-row date parser: the spec's formats in turn with datetime.strptime, then Excel serials.
_NAIVE_DATE_FORMATS = ("%Y%m%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y-%m-%d", "%Y/%m/%d", "%b %d %Y",
                       "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y")  # fmt: skip
_NAIVE_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                           "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", *_NAIVE_DATE_FORMATS)  # fmt: skip


def _naive_parse(value: str | None, formats: tuple[str, ...]) -> Any:
    text = _squish(value)
    if text is None:
        return None
    text = re.sub(r"\.0+$", "", text.replace(",", ""))
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    if text.isdigit() and 20000 <= int(text) <= 60000:
        return dt.datetime(1899, 12, 30) + dt.timedelta(days=int(text))
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def naive_date(value: str | None) -> Any:
    return _naive_parse(value, _NAIVE_DATE_FORMATS)


def naive_datetime(value: str | None) -> Any:
    return _naive_parse(value, _NAIVE_DATETIME_FORMATS)


def naive_money(value: str | None) -> Any:
    text = _squish(value)
    return money._parse_money_value(text) if text else None


def naive_nickname(value: str | None) -> Any:
    return names.name_variants.__wrapped__(value) if value else None


def naive_enum(spellings: dict[str, str]) -> Callable[[str | None], Any]:
    def lookup(value: str | None) -> Any:
        key = re.sub(r"[^a-z0-9]+", "_", (value or "").lower().replace("&", " and ")).strip("_")
        return spellings.get(key) if key else None

    return lookup


# ----------------------------------------------------------------------------- measuring
@contextmanager
def counting(fallback: tuple[Any, str] | None) -> Iterator[list[int]]:
    """Count the calls of the module's Python per-value function during the vectorized run."""
    calls = [0]
    if fallback is None:
        yield calls
        return
    module, attr = fallback
    original = getattr(module, attr)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(module, attr, wrapper)
    try:
        yield calls
    finally:
        setattr(module, attr, original)


@dataclass(frozen=True)
class Case:
    """One normalizer: the vectorized call, the values a naive loop sees, the naive per-value function,
    and the module attribute of the Python fallback (to count its calls)."""

    label: str
    run: Callable[[], pl.DataFrame]
    values: pl.Series
    naive: Callable[[Any], Any]
    fallback: tuple[Any, str] | None = None


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    people = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
    cols, split_names, split_addresses = load_inputs(people, rows)
    first, last = split_names["first_name"], split_names["last_name"]
    street_line = split_addresses.select(
        pl.concat_str([pl.col("street"), pl.col("street2")], separator=", ", ignore_nulls=True)
    ).to_series()
    cases = [
        Case("full names", lambda: clean.normalize_full_names(cols["name"]), cols["name"], naive_name,
             (names, "_parse_with_nameparser")),
        Case("split names", lambda: clean.normalize_name_parts(first, last), split_names.to_struct(),
             naive_split_name, (names, "_split_name_parts")),
        Case("nickname keys", lambda: clean.nickname_keys(first), first, naive_nickname),
        Case("emails", lambda: clean.normalize_emails(cols["email"]), cols["email"], naive_email,
             (emails, "_validate_email_value")),
        Case("phones", lambda: clean.normalize_phones(cols["phone"]), cols["phone"], naive_phone,
             (phones, "_parse_with_phonenumbers")),
        Case("addresses", lambda: clean.normalize_addresses(cols["address"]), cols["address"], naive_address,
             (addresses, "_parse_with_usaddress")),
        Case("split addresses", lambda: clean.normalize_address_parts(*split_addresses.get_columns()),
             street_line, naive_address, (addresses, "_parse_with_usaddress")),
        Case("states", lambda: clean.normalize_states(cols["state"]), cols["state"], naive_state,
             (states, "_state_from_python")),
        Case("zips", lambda: clean.normalize_zips(cols["zip"]), cols["zip"], naive_zip),
        Case("branches", lambda: clean.normalize_branches(cols["branch"]), cols["branch"], naive_branch,
             (branches, "_match_branch_value")),
        Case("dates", lambda: clean.parse_dates(cols["date"]), cols["date"], naive_date,
             (dates, "_parse_date_value")),
        Case("datetimes", lambda: clean.parse_datetimes(cols["datetime"]), cols["datetime"], naive_datetime,
             (dates, "_parse_datetime_value")),
        Case("money", lambda: clean.parse_money(cols["money"]), cols["money"], naive_money,
             (money, "_parse_money_value")),
        Case("status", lambda: clean.normalize_status(cols["status"]), cols["status"],
             naive_enum(enums.STATUS_SPELLINGS)),
        Case("service type", lambda: clean.normalize_service_type(cols["service_type"]), cols["service_type"],
             naive_enum(enums.SERVICE_TYPE_SPELLINGS)),
    ]  # fmt: skip

    print(f"normalizers on {rows:,} rows each (values of a {people:,}-people generate run, resampled)")
    print(
        f"naive = the same per-value Python function row by row, timed on {SAMPLE:,} rows, x{rows / SAMPLE:g}"
    )
    head = f"  {'normalizer':<16}{'distinct':>9}{'python':>8}{'wall s':>8}{'cpu s':>7}{'rows/s':>12}"
    print(head + f"{'naive wall*':>12}{'naive cpu*':>11}{'x wall':>8}{'x cpu':>7}")
    totals = [0.0, 0.0, 0.0, 0.0]
    for case in cases:
        label, values = case.label, case.values
        wall, cpu = time.perf_counter(), time.process_time()
        with counting(case.fallback) as calls:
            out = case.run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert out.height == rows, label
        sample = values.head(SAMPLE).to_list()
        naive_wall, naive_cpu = time.perf_counter(), time.process_time()
        for value in sample:
            case.naive(value)
        scale = rows / len(sample)
        naive_wall = (time.perf_counter() - naive_wall) * scale
        naive_cpu = (time.process_time() - naive_cpu) * scale
        for i, v in enumerate((wall, cpu, naive_wall, naive_cpu)):
            totals[i] += v
        print(
            f"  {label:<16}{values.n_unique():>9,}{calls[0]:>8,}{wall:>8.2f}{cpu:>7.2f}{rows / wall:>12,.0f}"
            f"{naive_wall:>12.1f}{naive_cpu:>11.1f}{naive_wall / wall:>7.0f}x{naive_cpu / cpu:>6.0f}x"
        )
    wall, cpu, naive_wall, naive_cpu = totals
    print(
        f"  {'all':<16}{'':>17}{wall:>8.2f}{cpu:>7.2f}{'':>12}{naive_wall:>12.1f}{naive_cpu:>11.1f}"
        f"{naive_wall / wall:>7.0f}x{naive_cpu / cpu:>6.0f}x"
    )
    print("  * naive seconds for all rows, extrapolated from the sample; python = distinct values that went")
    print(
        "    through the library fallback; cpu counts every Polars thread (the fairer speed-up on a busy box)"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
