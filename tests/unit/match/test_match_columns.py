"""`crm-pipeline match --input` on files that lack whole columns (an old CRM that never stored
emails or phones, a lead list without addresses): the run succeeds, says which columns it left
out, merges exact duplicates and keeps different people apart — with the committed model and
with a model trained on the file itself (where an empty column used to crash EM training).

The CSVs are written here by hand: people from fixed name and street lists, every third one
exported twice, plus a household (same surname, address and landline, other first names).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from match_fixtures import COMMITTED_MODEL

COLUMNS = ["record_id", "first_name", "last_name", "email", "phone", "street", "city", "state", "zip"]
FIRSTS = (
    "Olivia Liam Emma Noah Ava Elijah Sophia Lucas Isabella Mason Mia Ethan Harper Logan Evelyn "
    "Aiden Abigail Jacob Ella Carter Scarlett Owen Grace Wyatt Chloe Gabriel Nora Julian Lily Levi"
).split()
LASTS = (
    "Anderson Brooks Castillo Dawson Ellison Fischer Gallagher Holloway Ingram Jennings Kowalski "
    "Lindqvist Montoya Nakamura Okafor Pemberton Quintero Rasmussen Sandoval Thornton"
).split()
STREETS = "OAK ST|MAPLE AVE|CEDAR LN|PINE RD|ELM DR|BIRCH CT|WALNUT WAY|SPRUCE PL".split("|")
CITIES = [
    ("DENVER", "CO", "80202"),
    ("AUSTIN", "TX", "78701"),
    ("TAMPA", "FL", "33602"),
    ("BOISE", "ID", "83702"),
]

# the columns each case leaves empty
CASES = {
    "no_email": ("email",),
    "no_phone": ("phone",),
    "no_email_no_phone": ("email", "phone"),
    "no_address": ("street", "city", "state", "zip"),
}
#: what the warning names for each emptied column group
WARNED = {"email": "email", "phone": "phone / phone2", "street": "street / city / zip"}


def _people(n: int) -> list[dict[str, str]]:
    """``n`` distinct people: a name, a personal email and mobile, an address."""
    people = []
    for i in range(n):
        first, last = FIRSTS[i % len(FIRSTS)], LASTS[(i // len(FIRSTS)) % len(LASTS)]
        city, state, zip_ = CITIES[i % len(CITIES)]
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{first[0].lower()}{last.lower()}{1000 + i}@example.net",
                "phone": f"(303) 55{i // 100 % 10}-{1000 + i:04d}",
                "street": f"{100 + 7 * i} {STREETS[i % len(STREETS)]}",
                "city": city,
                "state": state,
                "zip": zip_,
            }
        )
    return people


def write_csv(path: Path, n_people: int, empty: tuple[str, ...]) -> dict[str, str]:
    """The canonical CSV; returns record_id → person label (every third person twice)."""
    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    household = {"last_name": "Whitfield", "phone": "(720) 555-0199", "street": "12 OAK ST"}
    household |= {"city": "DENVER", "state": "CO", "zip": "80202"}
    members = [
        dict(household, first_name="Margaret", email="mwhitfield.art@example.org"),
        dict(household, first_name="Theodore", email="ted.w.golf@example.org"),
    ]
    for i, person in enumerate([*_people(n_people), *members]):
        copies = 2 if i % 3 == 0 or i >= n_people else 1
        for copy in range(copies):
            record_id = f"R{i:04d}-{copy}"
            rows.append({"record_id": record_id, **{c: "" if c in empty else person[c] for c in COLUMNS[1:]}})
            truth[record_id] = f"p{i}"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return truth


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``crm-pipeline ARGS`` as a user runs it (a subprocess with its own CRM_HOME, wide output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(home), COLUMNS="250", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "crm_pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def clusters(out: Path) -> dict[str, str]:
    with (out / "clusters.csv").open(newline="") as f:
        return {row["record_id"]: row["cluster_id"] for row in csv.DictReader(f)}


def assert_partition(found: dict[str, str], truth: dict[str, str]) -> None:
    """Each person's records in one cluster, and no cluster holding two people."""
    assert set(found) == set(truth)
    people_of: dict[str, set[str]] = {}
    clusters_of: dict[str, set[str]] = {}
    for record_id, person in truth.items():
        people_of.setdefault(found[record_id], set()).add(person)
        clusters_of.setdefault(person, set()).add(found[record_id])
    split = {p: c for p, c in clusters_of.items() if len(c) > 1}
    merged = {c: p for c, p in people_of.items() if len(p) > 1}
    assert not split, f"exact duplicates not merged: {sorted(split)[:5]}"
    assert not merged, f"different people merged: {sorted(map(sorted, merged.values()))[:5]}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_match_input_without_a_column_with_the_committed_model(case: str, tmp_path: Path) -> None:
    empty = CASES[case]
    truth = write_csv(tmp_path / "people.csv", 60, empty)
    out = tmp_path / "out"
    done = run_cli(
        tmp_path / "home",
        "match",
        "--input",
        str(tmp_path / "people.csv"),
        "--out",
        str(out),
        "--model",
        str(COMMITTED_MODEL),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert_partition(clusters(out), truth)
    for column in {WARNED[c] for c in empty if c in WARNED}:
        assert f"{column} filled on 0.0%" in done.stdout, done.stdout
    left_in = {"email", "phone / phone2", "street / city / zip"} - {WARNED[c] for c in empty if c in WARNED}
    for column in left_in:
        assert f"{column} filled on" not in done.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_match_input_without_a_column_trains_on_the_columns_it_has(case: str, tmp_path: Path) -> None:
    """No model anywhere: one is trained on the file, without the empty columns (no EM crash)."""
    empty = CASES[case]
    truth = write_csv(tmp_path / "people.csv", 450, empty)
    out = tmp_path / "out"
    done = run_cli(tmp_path / "home", "match", "--input", str(tmp_path / "people.csv"), "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "trained now" in done.stdout
    assert_partition(clusters(out), truth)
    model = (out / "person_model.json").read_text()
    for column in ("email", "phone"):
        assert (f'"{column}":' in model) == (column not in empty), f"{column} comparison in the model"
    assert ('"address":' in model) == ("street" not in empty)
    for column in {WARNED[c] for c in empty if c in WARNED}:
        assert f"{column} filled on 0.0%" in done.stdout


def test_names_alone_cannot_train_a_model_but_say_so(tmp_path: Path) -> None:
    write_csv(tmp_path / "people.csv", 30, ("email", "phone", "street", "city", "state", "zip"))
    done = run_cli(
        tmp_path / "home", "match", "--input", str(tmp_path / "people.csv"), "--out", str(tmp_path / "o")
    )
    assert done.returncode != 0
    assert "names alone" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_model_without_a_comparison_ignores_that_column_with_a_warning(tmp_path: Path) -> None:
    """A model trained on a file without email, used on a file with email: email is not used."""
    write_csv(tmp_path / "old.csv", 450, ("email",))
    first = run_cli(
        tmp_path / "home", "match", "--input", str(tmp_path / "old.csv"), "--out", str(tmp_path / "a")
    )
    assert first.returncode == 0, first.stderr[-3000:]
    truth = write_csv(tmp_path / "new.csv", 60, ())
    model = str(tmp_path / "a" / "person_model.json")
    done = run_cli(
        tmp_path / "home",
        "match",
        "--input",
        str(tmp_path / "new.csv"),
        "--out",
        str(tmp_path / "b"),
        "--model",
        model,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the model has no email comparison" in done.stdout
    assert_partition(clusters(tmp_path / "b"), truth)
