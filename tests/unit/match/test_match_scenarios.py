"""End to end on hand-made records: traps stay apart, true duplicates merge, outputs follow the contract."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from match_fixtures import Persons, settings_for

from crm_pipeline.match import MatchResult, run_match
from crm_pipeline.unify import CUSTOMER_COLUMNS, MAP_COLUMNS


@pytest.fixture(scope="module")
def matched(
    scenarios: Persons, committed_model: Path, match_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Matched:
    processed = tmp_path_factory.mktemp("processed")
    scenarios.write(processed)
    result = run_match(processed, settings_for(match_home), model_path=committed_model)
    umap = pl.read_parquet(processed / "unification_map.parquet")
    return result, dict(zip(umap["uid"], umap["customer_id"], strict=True))


Matched = tuple[MatchResult, dict[str, str]]


def _customers_by_person(
    scenarios: Persons, customer_of: dict[str, str], scenario: str
) -> dict[str, set[str]]:
    found: defaultdict[str, set[str]] = defaultdict(set)
    for uid, person in scenarios.truth.items():
        if scenarios.scenario[uid] == scenario:
            found[person].add(customer_of[uid])
    return found


@pytest.mark.parametrize(
    "trap",
    [
        "household",
        "father_son",
        "common_name",
        "office",
        "household_short",
        "namesake_same_town",
        "father_son_no_jr",
        "nickname_household",
    ],
)
def test_trap_people_stay_apart(trap: str, scenarios: Persons, matched: Matched) -> None:
    _, customer_of = matched
    by_person = _customers_by_person(scenarios, customer_of, trap)
    assert len(by_person) >= 2
    people = sorted(by_person)
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            assert not by_person[a] & by_person[b], f"{trap}: {a} and {b} were merged into one customer"


@pytest.mark.parametrize(
    "kind",
    [
        "typo",
        "nickname",
        "moved",
        "changed_email",
        "swapped",
        "short_typo",
        "nickname_extra",
        "street_no_town",
    ],
)
def test_true_duplicates_merge(kind: str, scenarios: Persons, matched: Matched) -> None:
    _, customer_of = matched
    by_person = _customers_by_person(scenarios, customer_of, kind)
    for person, customers in by_person.items():
        assert len(customers) == 1, f"{kind}: the records of {person} were split over {sorted(customers)}"


def test_trap_records_of_one_person_still_merge(scenarios: Persons, matched: Matched) -> None:
    """Keeping household members apart must not split each member's own records."""
    _, customer_of = matched
    for trap in ("household", "father_son", "common_name", "household_short"):
        for person, customers in _customers_by_person(scenarios, customer_of, trap).items():
            assert len(customers) == 1, f"{trap}: {person} split over {sorted(customers)}"


def test_unification_map_covers_every_person_row(scenarios: Persons, matched: Matched) -> None:
    result, customer_of = matched
    umap = pl.read_parquet(result.outputs["unification_map"])
    assert umap.columns == list(MAP_COLUMNS)
    assert umap.height == len(scenarios.rows) == umap["uid"].n_unique()
    assert set(customer_of) == set(scenarios.truth)
    assert umap["customer_id"].str.contains(r"^cus_[0-9a-f]{16}$").all()


def test_golden_records_and_run_file(scenarios: Persons, matched: Matched) -> None:
    result, customer_of = matched
    customers = pl.read_parquet(result.outputs["customers"])
    assert customers.columns == list(CUSTOMER_COLUMNS)
    assert set(customers["customer_id"]) == set(customer_of.values())
    assert customers["n_records"].sum() == len(scenarios.rows)
    run = json.loads(result.outputs["run"].read_text())
    assert run["model_sha256"] == result.model_sha256
    assert run["counts"]["n_customers"] == customers.height
    assert run["threshold"] == result.threshold
    assert sum(run["blocking_rule_pairs"].values()) > 0
    pairs = pl.read_parquet(result.outputs["pairs"])
    assert {"uid_l", "uid_r", "match_weight", "match_probability", "clustered"} <= set(pairs.columns)
    assert (pairs["match_probability"] >= result.review_band[0]).all()


def test_customer_ids_are_stable_across_runs_and_row_order(
    scenarios: Persons,
    committed_model: Path,
    match_home: Path,
    matched: Matched,
    tmp_path: Path,
) -> None:
    _, first_run = matched
    processed = tmp_path / "processed"
    processed.mkdir()
    scenarios.frame().reverse().write_parquet(processed / "persons.parquet")  # same rows, another order
    run_match(processed, settings_for(match_home), model_path=committed_model)
    umap = pl.read_parquet(processed / "unification_map.parquet")
    assert dict(zip(umap["uid"], umap["customer_id"], strict=True)) == first_run


def test_unchanged_input_is_not_scored_again(
    scenarios: Persons, committed_model: Path, match_home: Path, matched: Matched
) -> None:
    result, _ = matched
    again = run_match(result.processed_dir, settings_for(match_home), model_path=committed_model)
    assert again.chunks_reused == again.chunks
    assert again.customers == result.customers
