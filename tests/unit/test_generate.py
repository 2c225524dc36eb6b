"""The sample-data generator: same seed → same bytes; truth that matches the raw files line by line;
every mess, duplicate and trap of the input spec present at 5,000 people.

The raw files are read back with Python's csv module (each file with its own encoding and delimiter),
independently of the generator's writer, so a wrong line number or a missing truth row shows up.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crm_pipeline.cli import app
from crm_pipeline.generate import generate
from crm_pipeline.generate.branch_spellings import load_branch_spellings
from crm_pipeline.generate.fastrandom import FastRandom
from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.phenomena import PHENOMENA
from crm_pipeline.generate.pools import build_pools
from crm_pipeline.generate.world import DAY0, LAST_SERVICE, MOVING_TYPES, Job, build_world

PEOPLE = 5000
SEED = 7

# file -> (encoding, delimiter, id header, is a job file); written down here, not imported, so the
# test states what the files must look like
FILES: dict[str, tuple[str, str, bool]] = {
    "sm_customers.csv": ("utf-8-sig", ",", False),
    "sm_jobs.csv": ("utf-8", ",", True),
    "sm_jobs_2.csv": ("utf-8", ",", True),
    "legacy_customers.csv": ("cp1252", ",", False),
    "legacy_jobs.csv": ("cp1252", ";", True),
    "leads.csv": ("utf-8", "\t", False),
}
QUARANTINE_REASONS = {"unknown_branch", "unreadable_date", "ragged_row", "field_too_long"}


@contextmanager
def _big_fields() -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(10_000_000)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def parse(path: Path) -> tuple[list[str], dict[int, list[str]]]:
    """Header and data rows keyed by the physical line each row starts on (header = line 1).

    Blank lines, rows of only delimiters and repeated header rows are not data rows.
    """
    encoding, delimiter, _ = FILES[path.name]
    rows: dict[int, list[str]] = {}
    with _big_fields(), path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader)
        previous = reader.line_num
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells) or cells == header:
                continue
            rows[start] = cells
    return header, rows


def read_truth(path: Path) -> list[dict[str, str]]:
    with _big_fields(), path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def record_id(line: int, cells: list[str]) -> str:
    return cells[0].strip() or f"line:{line}"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("gen") / "a"
    generate(PEOPLE, target, seed=SEED)
    return target


@pytest.fixture(scope="module")
def parsed(out: Path) -> dict[str, tuple[list[str], dict[int, list[str]]]]:
    return {name: parse(out / "raw" / name) for name in FILES}


@pytest.fixture(scope="module")
def truth(out: Path) -> dict[str, list[dict[str, str]]]:
    return {
        name: read_truth(out / "truth" / f"{name}.csv")
        for name in ("customers", "jobs", "phenomena", "expected_quarantine")
    }


def test_same_seed_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    # the second run is another process with another string-hash seed: set or dict order that
    # depended on hashing would change the bytes
    again = tmp_path / "b"
    code = (
        "from pathlib import Path; from crm_pipeline.generate import generate; "
        f"generate({PEOPLE}, Path({str(again)!r}), seed={SEED})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*.csv"))
    assert len(names) == len(FILES) + 4
    for name in names:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    generate(200, tmp_path / "s1", seed=1)
    generate(200, tmp_path / "s2", seed=2)
    for name in FILES:
        assert (tmp_path / "s1" / "raw" / name).read_bytes() != (tmp_path / "s2" / "raw" / name).read_bytes()


def test_files_have_their_encoding_delimiter_and_line_ends(out: Path) -> None:
    raw = {name: (out / "raw" / name).read_bytes() for name in FILES}
    assert raw["sm_customers.csv"].startswith(b"\xef\xbb\xbf")
    assert not any(
        data.startswith(b"\xef\xbb\xbf") for name, data in raw.items() if name != "sm_customers.csv"
    )
    accented = raw["legacy_customers.csv"] + raw["legacy_jobs.csv"]
    with pytest.raises(UnicodeDecodeError):
        accented.decode("utf-8")
    assert re.search(rb"[\xe0-\xfc]", accented), "Windows-1252 files should hold accented letters"
    assert b"\r\n" in raw["sm_customers.csv"] and b"\r\n" not in raw["leads.csv"]
    assert raw["legacy_jobs.csv"].split(b"\r\n", 1)[0].count(b";") == 20
    assert raw["leads.csv"].split(b"\n", 1)[0].count(b"\t") == 10


def test_truth_lists_every_data_row_of_every_file_once(
    parsed: dict[str, tuple[list[str], dict[int, list[str]]]], truth: dict[str, list[dict[str, str]]]
) -> None:
    listed: dict[str, Counter[str]] = defaultdict(Counter)
    for row in truth["customers"]:
        assert row["entity_id"], row
        listed[row["file"]][row["record_id"]] += 1
    assert set(listed) == set(FILES)
    for name, (_, rows) in parsed.items():
        ids = Counter(record_id(line, cells) for line, cells in rows.items())
        assert ids == listed[name], name
        assert max(ids.values()) == 1, f"record_id not unique in {name}"
        assert len(rows) > 100
    assert any(r["record_id"].startswith("line:") for r in truth["customers"])


def test_every_person_appears_in_some_file(truth: dict[str, list[dict[str, str]]]) -> None:
    assert len({r["entity_id"] for r in truth["customers"]}) == PEOPLE


def test_job_truth_lists_every_job_row(
    parsed: dict[str, tuple[list[str], dict[int, list[str]]]], truth: dict[str, list[dict[str, str]]]
) -> None:
    listed: dict[str, set[str]] = defaultdict(set)
    for row in truth["jobs"]:
        assert row["job_entity"], row
        listed[row["file"]].add(row["record_id"])
    for name, (_, rows) in parsed.items():
        is_job_file = FILES[name][2]
        expected = {record_id(line, cells) for line, cells in rows.items()} if is_job_file else set()
        assert listed.get(name, set()) == expected, name


def test_the_same_job_exported_twice_shares_a_job_entity(truth: dict[str, list[dict[str, str]]]) -> None:
    files_of: dict[str, set[str]] = defaultdict(set)
    for row in truth["jobs"]:
        files_of[row["job_entity"]].add(row["file"])
    pairs = Counter(tuple(sorted(files)) for files in files_of.values() if len(files) > 1)
    assert pairs[("legacy_jobs.csv", "sm_jobs.csv")] > 10
    assert pairs[("sm_jobs.csv", "sm_jobs_2.csv")] > 10


def test_people_recur_across_and_within_sources(truth: dict[str, list[dict[str, str]]]) -> None:
    files_of: dict[str, Counter[str]] = defaultdict(Counter)
    for row in truth["customers"]:
        files_of[row["entity_id"]][row["file"]] += 1
    assert sum(1 for c in files_of.values() if len(c) >= 3) > PEOPLE / 10
    assert any(c["sm_customers.csv"] >= 2 for c in files_of.values())
    assert any(c["legacy_customers.csv"] >= 2 for c in files_of.values())
    assert any(c["leads.csv"] >= 2 for c in files_of.values())


def test_every_phenomenon_occurs(truth: dict[str, list[dict[str, str]]]) -> None:
    seen = Counter(r["phenomenon"] for r in truth["phenomena"])
    missing = sorted(set(PHENOMENA) - set(seen))
    assert not missing, f"never planted: {missing}"
    assert set(seen) <= set(PHENOMENA), "phenomena.csv uses names the registry does not document"


_ONE_STRING_ADDRESS = {"Address", "Origin Address", "Destination Address"}
_LOOKS_LIKE: dict[str, str] = {
    # phenomenon -> regex the raw cell must match (fullmatch)
    "date_yyyymmdd": r"20[12]\d[01]\d[0-3]\d",
    "date_mdy": r"[01]\d/[0-3]\d/20[12]\d",
    "date_iso": r"20[12]\d-[01]\d-[0-3]\d",
    "date_month_name": r"[A-Z][a-z]{2} \d{1,2}, 20[12]\d",
    "date_excel_serial": r"4[3-6]\d{3}",
    "datetime_iso_tz": r"20[12]\d-[01]\d-[0-3]\dT\d\d:\d\d:\d\dZ",
    "datetime_mdy_ampm": r"[01]\d/[0-3]\d/20[12]\d \d{1,2}:\d\d [AP]M",
    "zip_lost_zero": r"[1-9]\d{3}",
    "zip_float": r"\d{4,5}\.0",
    "zip_plus4": r"\d{5}-\d{4}",
    "phone_paren": r"\(\d{3}\) \d{3}-\d{4}.*",
    "phone_dots": r"\d{3}\.\d{3}\.\d{4}.*",
    "phone_plus1": r"\+1 \d{3} \d{3} \d{4}.*",
    "phone_digits": r"\d{10}.*",
    "phone_ext": r".*\d (x|ext\.? |x\.)\d+",
    "phone_placeholder": r"[\d() -]+",
    "money_dollar_commas": r"\$\d{1,3}(,\d{3})*\.\d\d",
    "money_usd": r"USD \d{1,3}(,\d{3})*(\.\d\d)?",
    "name_last_first": r"[^,]+, .+",
    "name_quoted_nickname": r'.*"[A-Za-z]+".*',
    "email_spaces": r"\s+\S+\s*|\S+\s+",
    "nul_byte": r".*\\x00.*",
    "quoted_newline": r"(?s).*\n.*",
    "long_field": r"<\d{6} chars>",
}


def test_listed_phenomena_are_in_the_raw_cells(
    parsed: dict[str, tuple[list[str], dict[int, list[str]]]], truth: dict[str, list[dict[str, str]]]
) -> None:
    shifted = {
        (r["file"], r["line"])
        for r in truth["phenomena"]
        if r["phenomenon"] in ("ragged_long", "ragged_short")
    }
    checked = Counter[str]()
    for r in truth["phenomena"]:
        if not r["column"] or (r["file"], r["line"]) in shifted:
            continue
        header, rows = parsed[r["file"]]
        cells = rows[int(r["line"])]
        assert record_id(int(r["line"]), cells) == r["record_id"]
        cell = cells[header.index(r["column"])]
        if r["phenomenon"] == "long_field":
            assert len(cell) > 100_000
        else:
            assert cell.replace("\x00", "\\x00") == r["value"], r
        pattern = _LOOKS_LIKE.get(r["phenomenon"])
        if pattern:
            inside = r["column"] in _ONE_STRING_ADDRESS  # the ZIP is a part of the whole address
            assert (re.search if inside else re.fullmatch)(pattern, r["value"]), r
            checked[r["phenomenon"]] += 1
    assert set(checked) == set(_LOOKS_LIKE)


def test_state_and_placeholder_spellings(truth: dict[str, list[dict[str, str]]]) -> None:
    values = defaultdict(set)
    for r in truth["phenomena"]:
        values[r["phenomenon"]].add(r["value"])
    assert {"California", "Calif.", "ca"} & values["state_variant"]
    assert all(not re.fullmatch(r"[A-Z]{2}", v) for v in values["state_variant"])
    assert {"none", "n/a", "noemail@noemail.com"} & values["email_placeholder"]
    assert {"000-000-0000", "555-555-5555", "1234567890"} & values["phone_placeholder"]
    assert any(re.search(r"[áéíóúñüöçè]", v) for v in values["name_accent"])


def test_traps_are_different_people_sharing_what_the_spec_says(
    parsed: dict[str, tuple[list[str], dict[int, list[str]]]], truth: dict[str, list[dict[str, str]]]
) -> None:
    entity = {(r["file"], r["record_id"]): r["entity_id"] for r in truth["customers"]}
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    phones: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in truth["phenomena"]:
        if not r["phenomenon"].startswith("trap_"):
            continue
        key = (r["phenomenon"], r["value"])
        members[key].add(entity[(r["file"], r["record_id"])])
        if r["phenomenon"] in ("trap_home_phone", "trap_shared_office_phone"):
            header, rows = parsed[r["file"]]
            phone_col = next(i for i, h in enumerate(header) if "phone" in h.lower())
            digits = re.sub(r"\D", "", rows[int(r["line"])][phone_col].split("x")[0])[-10:]
            if len(digits) == 10:
                phones[key].add(digits)
    for trap in ("trap_family", "trap_father_son", "trap_common_name", "trap_shared_office_phone",
                 "trap_home_phone", "trap_family_email"):  # fmt: skip
        groups = [people for (name, _), people in members.items() if name == trap]
        assert any(len(people) >= 2 for people in groups), f"{trap}: no group of two different people"
    # a shared phone really is one number across different people
    assert any(
        len(members[k]) >= 2 and len(phones[k]) == 1 for k in phones if k[0] == "trap_shared_office_phone"
    )
    assert any(len(members[k]) >= 2 and len(phones[k]) == 1 for k in phones if k[0] == "trap_home_phone")


def test_expected_quarantine_points_at_rows_made_unreadable(
    out: Path,
    parsed: dict[str, tuple[list[str], dict[int, list[str]]]],
    truth: dict[str, list[dict[str, str]]],
) -> None:
    rows = truth["expected_quarantine"]
    assert {r["reason"] for r in rows} == QUARANTINE_REASONS
    branches = yaml.safe_load(
        (Path(__file__).parents[2] / "src/crm_pipeline/clean/branches.yaml").read_text()
    )
    known = {_norm(b["name"]) for b in branches["branches"]}
    known |= {_norm(a) for b in branches["branches"] for a in b.get("aliases", [])}
    listed = {(r["file"], r["record_id"]) for r in truth["customers"]}
    for r in rows:
        assert (r["file"], r["record_id"]) in listed
        header, data = parsed[r["file"]]
        cells = data[int(r["line"])]
        if r["reason"] == "unknown_branch":
            assert _norm(cells[header.index(r["column"])]) not in known
        elif r["reason"] == "ragged_row":
            if len(cells) > len(header):  # an unquoted delimiter split a value: a non-empty extra cell
                assert any(c.strip() for c in cells[len(header) :])
            else:
                assert len(cells) < len(header)
        elif r["reason"] == "field_too_long":
            assert len(cells[header.index(r["column"])]) > 100_000
    # a few per cent messy at most: most rows stay clean
    assert len(rows) < 0.01 * len(truth["customers"])


def test_a_move_ends_where_the_next_job_starts() -> None:
    rng = FastRandom(3)
    spellings, _ = load_branch_spellings()
    world = build_world(rng, Knobs(), 2000, build_pools(rng), set(spellings))
    households: dict[int, list[Job]] = defaultdict(list)
    for job in world.jobs:
        assert DAY0 <= job.service_day <= LAST_SERVICE
        if job.service_type not in ("Storage Out", "Commercial"):  # from the warehouse / the office
            households[id(job.person.home)].append(job)
    checked = 0
    for jobs in households.values():
        assert len(jobs) <= 4
        jobs.sort(key=lambda j: j.service_day)
        for before, after in zip(jobs, jobs[1:], strict=False):
            if before.service_type in MOVING_TYPES:
                assert after.origin == before.dest
                checked += 1
    assert checked > 200
    assert sum(1 for jobs in households.values() if len({j.origin.branch for j in jobs}) > 1) > 20


def test_cli_generate_writes_raw_and_truth(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--people", "60", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "generated 60 people" in result.output
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted(FILES)
    assert (tmp_path / "truth" / "customers.csv").stat().st_size > 100
