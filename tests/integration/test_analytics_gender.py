"""The gender batch processor against the real PostgreSQL: fills only empty values, keeps source
values unless forced, is idempotent (no changes, no audit rows on a rerun) and can be switched off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from analytics_support import audit_count, clear, customer, fetch, insert_rows, private_database

from crm_pipeline.analytics.gender import run_gender
from crm_pipeline.config import Settings

pytestmark = pytest.mark.integration

VERSION = "0.4.0"


@pytest.fixture(scope="module")
def url(pg_server_url: str) -> Iterator[str]:
    with private_database(pg_server_url) as db_url:
        yield db_url


@pytest.fixture
def settings(url: str, tmp_path: Path) -> Iterator[Settings]:
    clear(url)
    insert_rows(
        url,
        "customers",
        [
            customer("cus_01", first_name="Elizabeth"),
            customer("cus_02", first_name="John"),
            customer("cus_03", first_name="Elizabeth"),
            customer("cus_04", first_name="Mary-Jane"),
            customer("cus_05", first_name="Casey"),  # androgynous: stays empty
            customer("cus_06", first_name="Zyxwv"),  # unknown: stays empty
            customer("cus_07", first_name=None),
            # a value from a source system: never overwritten without --force
            customer("cus_08", first_name="John", gender="female", gender_source="smartmoving"),
            customer("cus_09", first_name="Chris"),
        ],
    )
    # batch size 2: the nine customers take several batches
    yield Settings(database_url=url, home=tmp_path / "home", gender_batch_size=2)


def genders(url: str) -> dict[str, tuple[str | None, str | None, str | None, str | None]]:
    rows = fetch(
        url, "SELECT customer_id, gender, gender_source, gender_method, gender_version FROM customers"
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def inferred(label: str) -> tuple[str, str, str, str]:
    return (label, "inferred", "gender-guesser", VERSION)


EMPTY = (None, None, None, None)


def test_fills_only_empty_values(settings: Settings, url: str) -> None:
    result = run_gender(settings)

    assert genders(url) == {
        "cus_01": inferred("female"),
        "cus_02": inferred("male"),
        "cus_03": inferred("female"),
        "cus_04": inferred("mostly_female"),
        "cus_05": EMPTY,
        "cus_06": EMPTY,
        "cus_07": EMPTY,
        "cus_08": ("female", "smartmoving", None, None),
        "cus_09": inferred("mostly_male"),
    }
    assert result.changed == 5
    assert result.changed_by_label == {"female": 2, "male": 1, "mostly_female": 1, "mostly_male": 1}
    assert result.candidates == 7  # empty gender and a first name
    assert result.distinct_names == 6  # Elizabeth is looked up once
    assert result.batches == 4
    assert result.unresolved == 2


def test_second_run_changes_nothing_and_audits_nothing(settings: Settings, url: str) -> None:
    run_gender(settings)
    before = genders(url)
    audits = audit_count(url, "customers")

    again = run_gender(settings)

    assert again.changed == 0
    assert genders(url) == before
    assert audit_count(url, "customers") == audits


def test_force_overwrites_source_values_where_the_name_tells(settings: Settings, url: str) -> None:
    run_gender(settings)

    forced = run_gender(settings, force=True)

    after = genders(url)
    assert after["cus_08"] == inferred("male")
    assert after["cus_05"] == EMPTY
    assert forced.changed == 1


def test_switched_off(settings: Settings, url: str) -> None:
    result = run_gender(settings.model_copy(update={"gender_enabled": False}))
    assert not result.enabled
    assert all(v == EMPTY for k, v in genders(url).items() if k != "cus_08")


def test_changes_are_audited_with_the_step_name(settings: Settings, url: str) -> None:
    before = audit_count(url, "customers")
    run_gender(settings)
    rows = fetch(
        url,
        "SELECT changed_columns, db_role, application_name FROM audit_log"
        " WHERE table_name = 'customers' ORDER BY audit_id DESC LIMIT 5",
    )
    assert audit_count(url, "customers") == before + 5
    assert all(sorted(r[0]) == ["gender", "gender_method", "gender_source", "gender_version"] for r in rows)
    assert {(r[1], r[2]) for r in rows} == {("crm_loader", "crm-pipeline analytics gender")}


def test_an_inferred_gender_follows_its_first_name(settings: Settings, url: str) -> None:
    run_gender(settings)
    fetch(url, "UPDATE customers SET first_name = 'Mary' WHERE customer_id = 'cus_02' RETURNING 1")
    fetch(url, "UPDATE customers SET first_name = 'Zyxwv' WHERE customer_id = 'cus_01' RETURNING 1")
    fetch(url, "UPDATE customers SET first_name = 'Zyxwv' WHERE customer_id = 'cus_08' RETURNING 1")

    result = run_gender(settings)

    after = genders(url)
    assert after["cus_02"] == inferred("mostly_female")  # John → Mary: labelled again
    assert after["cus_01"] == EMPTY  # the name no longer tells: the inference is withdrawn
    assert after["cus_08"] == ("female", "smartmoving", None, None)  # a source value stays
    assert result.changed_by_label == {"cleared": 1, "mostly_female": 1}
