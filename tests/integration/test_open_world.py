"""Open-world exports through the real CLI against a real PostgreSQL (issue 11).

The exports here are written by hand, not by ``crm-pipeline generate``: another moving company
(Florida) with its own branch spellings ("Tampa", "tampa fl", "Tmapa", "TAMPA", "TPA", "Orlando",
"orlando, fl", "Sarasota"), its own status and service words ("done", "Scheduled", "On Hold",
"Full Service", "Labor Only"), and 1 % of the rows with a date five years ahead and 1 % with
"TBD" in a date. What a user relies on:

- ``crm-pipeline run`` succeeds; no row is quarantined for a branch, a status or a date;
- every bad date is in the quarantine (file, line, column, rule, raw value, level ``value``) and
  every such row is in the database with the date null;
- the summary lists every unknown branch spelling grouped, with counts, and the ``other`` words,
  and prints a YAML snippet that parses into the branch table's shape;
- feeding that snippet back as ``CRM_BRANCHES_FILE`` confirms the branches.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from load_support import new_database, run_cli

from crm_pipeline.clean.branches import DEFAULT_TABLE_PATH

pytestmark = pytest.mark.integration

PEOPLE = 400
BRANCH_SPELLINGS = (
    "Tampa",
    "tampa fl",
    "Tampa",
    "TAMPA",
    "Tmapa",
    "TPA",
    "Orlando",
    "orlando, fl",
    "Sarasota",
)
STATUS_WORDS = ("done", "Scheduled", "done", "On Hold")
SERVICE_WORDS = ("Full Service", "Labor Only")
FIRST = ("Maria", "James", "Keisha", "Tran", "Olu", "Priya", "Dmitri", "Fatima", "Carlos", "Ingrid")
LAST = (
    "Alvarez",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "Haddad",
    "Brennan",
    "Suzuki",
    "Moreau",
    "Patel",
    "Lindqvist",
)
CUSTOMER_HEADER = (
    "customer_id,first_name,last_name,email,phone,alt_phone,street,street2,city,state,zip,branch,created_date"
)
JOB_HEADER = (
    "Job Number,Quote Number,Customer Id,Customer Name,Email,Phone,Service Date,Service Type,Status,Branch,"
    "Move Size,Origin Address,Destination Address,Estimated Total,Final Total,Sales Person,Referral Source,"
    "Created At"
)


def _in_five_years() -> str:
    day = dt.date.today() + dt.timedelta(days=5 * 365 + 2)
    return day.strftime("%m/%d/%Y")


def write_exports(raw: Path, people: int = PEOPLE) -> dict[str, Any]:
    """Two exports of the same people (customers, one job each); returns what was written where."""
    rng = random.Random(7)
    future = _in_five_years()
    customers: list[list[str]] = []
    jobs: list[list[str]] = []
    bad: list[tuple[str, int, str, str, str]] = []  # file, line, column, rule, raw value
    branches: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    services: Counter[str] = Counter()
    for i in range(people):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        email = f"{first.lower()}.{last.lower()}{i}@example.org"
        phone = f"(813) {200 + i // 100:03d}-{1000 + i:04d}"
        street = f"{100 + i} {rng.choice(('Palm Ave', 'Bayshore Blvd', 'Dale Mabry Hwy'))}"
        line = i + 2  # the header is line 1

        created = f"20{15 + i % 9:02d}-{1 + i % 12:02d}-{1 + i % 27:02d}"
        if i % 100 == 13:
            created = "TBD"
            bad.append(("customers.csv", line, "created_date", "unreadable_date", created))
        elif i % 100 == 77:
            created = future
            bad.append(("customers.csv", line, "created_date", "date_out_of_range", created))
        branch = BRANCH_SPELLINGS[i % len(BRANCH_SPELLINGS)]
        branches[branch] += 1
        customers.append(
            [
                f"C{i:05d}",
                first,
                last,
                email,
                phone,
                "",
                street,
                "",
                "Tampa",
                "FL",
                f"336{i % 30:02d}",
                branch,
                created,
            ]
        )

        service_date = f"{1 + i % 12:02d}/{1 + i % 28:02d}/2024"
        if i % 100 == 7:
            service_date = future
            bad.append(("jobs.csv", line, "Service Date", "date_out_of_range", service_date))
        elif i % 100 == 42:
            service_date = "TBD"
            bad.append(("jobs.csv", line, "Service Date", "unreadable_date", service_date))
        job_branch = BRANCH_SPELLINGS[(i + 4) % len(BRANCH_SPELLINGS)]
        branches[job_branch] += 1
        status, service = STATUS_WORDS[i % len(STATUS_WORDS)], SERVICE_WORDS[i % len(SERVICE_WORDS)]
        statuses[status] += 1
        services[service] += 1
        jobs.append(
            [
                f"J{i:05d}", f"Q{i:05d}", "", f"{first} {last}", email, phone, service_date, service, status,
                job_branch, "2 Bedroom", f"{street}, Tampa, FL 336{i % 30:02d}", "", f"${900 + i}.00",
                "", "", "", f"2024-01-0{1 + i % 9} 10:00",
            ]
        )  # fmt: skip
    _write_csv(raw / "customers.csv", CUSTOMER_HEADER, customers)
    _write_csv(raw / "jobs.csv", JOB_HEADER, jobs)
    return {"bad": bad, "branches": branches, "statuses": statuses, "services": services}


def _write_csv(path: Path, header: str, records: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        csv.writer(fh, lineterminator="\n").writerows(records)


def run_json(url: str, home: Path, raw: Path, env_extra: dict[str, str] | None = None) -> dict[str, Any]:
    proc = run_cli(
        url, home, "run", str(raw), "--processed", str(home / "processed"), "--json",
        timeout=900, env_extra=env_extra,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def rows(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def first_run(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("open_world")
    raw = base / "raw"
    raw.mkdir()
    written = write_exports(raw)
    with new_database(pg_server_url) as url:
        summary = run_json(url, base / "home", raw)
        yield url, base, written, summary


def test_the_run_succeeds_and_no_row_is_quarantined(first_run: Any) -> None:
    url, _, _, result = first_run
    assert result["status"] == "succeeded"
    s = result["summary"]
    assert (s["rows_in"], s["rows_clean"], s["rows_quarantined"]) == (2 * PEOPLE, 2 * PEOPLE, 0)
    assert rows(url, "SELECT count(*) FROM quarantine WHERE level <> 'value'") == [(0,)]
    assert rows(url, "SELECT count(*) FROM source_person_records") == [(2 * PEOPLE,)]
    assert rows(url, "SELECT count(*) FROM source_job_records") == [(PEOPLE,)]


def test_every_bad_date_is_a_value_in_the_quarantine_and_its_row_is_loaded(first_run: Any) -> None:
    url, _, written, result = first_run
    bad = written["bad"]
    assert len(bad) == 4 * PEOPLE // 100  # 1 % future + 1 % TBD, in each of the two files
    entries = rows(
        url,
        "SELECT file_name, line, column_name, rule, raw_value FROM quarantine WHERE level = 'value'"
        " ORDER BY file_name, line",
    )
    assert entries == sorted(bad)
    assert result["summary"]["values_quarantined"] == len(bad)
    uids = [f"{file}#{line}" for file, line, *_ in bad]
    loaded = rows(
        url,
        "SELECT uid, created_at, event_date FROM source_person_records WHERE uid = ANY(%s) ORDER BY uid",
        uids,
    )
    assert [u for u, *_ in loaded] == sorted(uids)  # every such row is in the database
    job_uids = [u for u in uids if u.startswith("jobs.csv")]
    jobs = rows(url, "SELECT uid, service_date FROM source_job_records WHERE uid = ANY(%s)", job_uids)
    assert sorted(jobs) == [(u, None) for u in sorted(job_uids)]  # the date is null, the job is there
    customers = [(u, c) for u, c, _ in loaded if u.startswith("customers.csv")]
    assert customers and all(created is None for _, created in customers)


def test_the_summary_lists_every_unknown_branch_spelling_grouped_with_counts(first_run: Any) -> None:
    url, _, written, result = first_run
    spellings: Counter[str] = written["branches"]
    listed = {b["name"]: b for b in result["summary"]["unconfirmed_branches"]}
    tampa = ("Tampa", "tampa fl", "TAMPA", "Tmapa")
    assert set(listed) == {"Tampa", "TPA", "Orlando", "Sarasota"}
    assert listed["Tampa"]["spellings"] == {s: spellings[s] for s in tampa}
    assert listed["Tampa"]["rows"] == sum(spellings[s] for s in tampa)
    assert listed["TPA"]["spellings"] == {"TPA": spellings["TPA"]}  # an abbreviation is never guessed
    assert listed["Orlando"]["spellings"] == {s: spellings[s] for s in ("Orlando", "orlando, fl")}
    assert sum(b["rows"] for b in listed.values()) == sum(spellings.values())
    # the database holds them as unconfirmed branches, and every row names its group
    assert rows(url, "SELECT name FROM branches WHERE NOT confirmed ORDER BY name") == [
        ("Orlando",),
        ("Sarasota",),
        ("TPA",),
        ("Tampa",),
    ]
    assert rows(url, "SELECT count(*) FROM source_person_records WHERE branch = 'Tampa'") == [
        (listed["Tampa"]["rows"],)
    ]


def test_other_statuses_and_service_types_are_kept_and_counted(first_run: Any) -> None:
    url, _, written, result = first_run
    other = result["summary"]["other_categories"]
    assert other["status"] == dict(written["statuses"])
    assert other["service_type"] == dict(written["services"])
    assert rows(
        url, "SELECT status, status_raw, count(*) FROM source_job_records GROUP BY 1, 2 ORDER BY 2"
    ) == [("other", word, n) for word, n in sorted(written["statuses"].items())]


def test_the_yaml_snippet_fed_back_confirms_the_branches(first_run: Any) -> None:
    url, base, written, result = first_run
    snippet = result["summary"]["branches_yaml"]
    doc = yaml.safe_load(snippet)
    assert {b["name"] for b in doc["branches"]} == {"Tampa", "TPA", "Orlando", "Sarasota"}
    tampa = next(b for b in doc["branches"] if b["name"] == "Tampa")
    assert set(tampa["aliases"]) == {"tampa fl", "Tmapa"}

    own = base / "our_branches.yaml"
    packaged = yaml.safe_load(DEFAULT_TABLE_PATH.read_text(encoding="utf-8"))
    own.write_text(yaml.safe_dump({"branches": packaged["branches"] + doc["branches"]}), encoding="utf-8")
    raw2 = base / "raw2"
    raw2.mkdir()
    write_exports(raw2, PEOPLE + 1)  # one more customer: new input, so the run does the work again
    again = run_json(url, base / "home", raw2, env_extra={"CRM_BRANCHES_FILE": str(own)})
    assert again["status"] == "succeeded"
    assert again["summary"]["unconfirmed_branches"] == []
    assert rows(url, "SELECT count(*) FROM branches WHERE NOT confirmed") == [(0,)]
    assert rows(
        url, "SELECT b.name FROM branch_aliases a JOIN branches b USING (branch_id) WHERE a.alias = 'Tmapa'"
    ) == [("Tampa",)]
    assert rows(url, "SELECT count(*) FROM source_person_records WHERE branch = 'Tampa'")[0][0] > 0
