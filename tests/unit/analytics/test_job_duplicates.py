"""Job duplicate detection on hand-made rows: each duplicate kind merges, each stay-apart kind does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from crm_pipeline.analytics.job_canonical import job_id_for
from crm_pipeline.analytics.job_duplicates import JobDuplicateFrames, detect_job_duplicates
from crm_pipeline.analytics.job_pairs import JobMatchRules

Row = dict[str, Any]
RULES = JobMatchRules(date_tolerance_days=3, min_street_similarity=85.0)


def detect(frame: Callable[[list[Row]], pl.DataFrame], rows: list[Row]) -> JobDuplicateFrames:
    return detect_job_duplicates(frame(rows), RULES)


def partition(result: JobDuplicateFrames) -> set[frozenset[str]]:
    """The grouping as a set of uid sets (independent of the ids chosen)."""
    grouped = result.source_map.group_by("job_id").agg(pl.col("uid"))
    return {frozenset(uids) for uids in grouped["uid"].to_list()}


# ------------------------------------------------------------------------------------ duplicates


def test_smartmoving_and_legacy_export_of_one_job_merge(job_row: Any, job_frame: Any) -> None:
    sm = job_row(
        "sm_jobs.csv#2",
        record_id="10356-2",
        job_number="10356-2",
        status="completed",
        final_total=Decimal("1350.00"),
    )
    legacy = job_row(
        "legacy_jobs.csv#7",
        record_id="L-88812",
        job_number="L-88812",
        status="booked",
        service_date=date(2024, 5, 11),
        origin_street="12 Elm Street",
        dest_unit=None,
    )
    result = detect(job_frame, [sm, legacy])

    assert partition(result) == {frozenset({sm["uid"], legacy["uid"]})}
    job = result.jobs.row(0, named=True)
    assert job["status"] == "completed"
    assert job["final_total"] == Decimal("1350.00")
    assert job["job_number"] == "10356-2"  # SmartMoving's number, not the legacy id
    assert job["service_date"] == date(2024, 5, 10)
    assert job["n_sources"] == 2
    group = result.groups.row(0, named=True)
    assert group["n_members"] == 2
    assert "near_date" in group["reason"]
    assert 0.5 < group["confidence"] < 1


def test_two_overlapping_smartmoving_exports_merge_on_job_number(job_row: Any, job_frame: Any) -> None:
    """Status moved on, total filled in, address spelled differently, even the date moved: same number."""
    older = job_row(
        "sm_jobs_2024-05.csv#40",
        record_id="10400-1",
        job_number="10400-1",
        status="booked",
        created_at=datetime(2024, 4, 2),
    )
    newer = job_row(
        "sm_jobs_2024-06.csv#3",
        record_id="10400-1",
        job_number="10400-1",
        status="completed",
        final_total=Decimal("980.50"),
        service_date=date(2024, 5, 20),
        dest_street="400 Beacon Street",
        created_at=datetime(2024, 4, 2),
    )
    result = detect(job_frame, [older, newer])

    assert partition(result) == {frozenset({older["uid"], newer["uid"]})}
    job = result.jobs.row(0, named=True)
    assert (job["status"], job["final_total"]) == ("completed", Decimal("980.50"))
    assert job["service_date"] == date(2024, 5, 20)  # the most advanced row's date
    assert job["estimated_total"] == Decimal("1200.00")
    assert result.groups.row(0, named=True)["reason"] == "job_number"


def test_street_typo_and_spelled_out_suffix_still_match(job_row: Any, job_frame: Any) -> None:
    sm = job_row("sm_jobs.csv#5", origin_street="12 ELM ST", dest_street="400 BEACON ST")
    legacy = job_row(
        "legacy_jobs.csv#9", origin_street="12 Elm Street", dest_street="400 BAECON ST", dest_unit=None
    )
    result = detect(job_frame, [sm, legacy])

    assert partition(result) == {frozenset({sm["uid"], legacy["uid"]})}
    assert result.groups["reason"].to_list() == ["fuzzy_address+same_date"]


def test_missing_destination_on_one_side_merges_only_on_the_same_date(job_row: Any, job_frame: Any) -> None:
    blank = {"dest_street": None, "dest_unit": None, "dest_city": None, "dest_zip": None, "dest_state": None}
    sm = job_row("sm_jobs.csv#5")
    same_day = job_row("legacy_jobs.csv#9", **blank)
    next_day = job_row("legacy_jobs.csv#10", service_date=date(2024, 5, 11), **blank)
    assert partition(detect(job_frame, [sm, same_day])) == {frozenset({sm["uid"], same_day["uid"]})}
    assert len(partition(detect(job_frame, [sm, next_day]))) == 2


def test_no_street_to_compare_needs_same_day_same_zip_and_same_service_type(
    job_row: Any, job_frame: Any
) -> None:
    """A packing job (no destination) whose origin street one export lost: only the ZIP is left."""
    no_dest = {
        "dest_street": None,
        "dest_unit": None,
        "dest_city": None,
        "dest_zip": None,
        "dest_state": None,
    }
    sm = job_row("sm_jobs.csv#5", service_type="packing", origin_street=None, **no_dest)
    legacy = job_row("legacy_jobs.csv#9", service_type="packing", **no_dest)
    other_type = job_row("legacy_jobs.csv#9", service_type="load_only", **no_dest)
    other_zip = job_row("legacy_jobs.csv#9", service_type="packing", origin_zip="02119", **no_dest)
    assert len(partition(detect(job_frame, [sm, legacy]))) == 1
    assert len(partition(detect(job_frame, [sm, other_type]))) == 2
    assert len(partition(detect(job_frame, [sm, other_zip]))) == 2


def test_canonical_job_keeps_the_destination_block_of_one_member(job_row: Any, job_frame: Any) -> None:
    """The best member has no destination: the whole block comes from the next one, never mixed."""
    best = job_row(
        "sm_jobs.csv#5",
        status="completed",
        dest_street=None,
        dest_unit=None,
        dest_city=None,
        dest_zip=None,
        dest_state=None,
    )
    other = job_row("legacy_jobs.csv#9", status="booked")
    job = detect(job_frame, [best, other]).jobs.row(0, named=True)
    assert (job["dest_street"], job["dest_unit"], job["dest_city"]) == ("400 BEACON ST", "APT 3", "BROOKLINE")


# ------------------------------------------------------------------------------ must stay apart


def test_same_route_on_a_different_date_stays_apart(job_row: Any, job_frame: Any) -> None:
    first = job_row("sm_jobs.csv#2", record_id="100-1", job_number="100-1")
    later = job_row("legacy_jobs.csv#3", service_date=date(2024, 5, 10) + timedelta(days=4))
    assert len(partition(detect(job_frame, [first, later]))) == 2


def test_same_date_to_a_different_destination_stays_apart(job_row: Any, job_frame: Any) -> None:
    first = job_row("sm_jobs.csv#2")
    elsewhere = job_row("legacy_jobs.csv#3", dest_street="77 HARVARD AVE", dest_zip="02134")
    other_house = job_row("legacy_jobs.csv#4", dest_street="402 BEACON ST")
    result = detect(job_frame, [first, elsewhere, other_house])
    assert len(partition(result)) == 3
    assert result.groups.height == 0


def test_different_customers_never_merge(job_row: Any, job_frame: Any) -> None:
    rows = [job_row("sm_jobs.csv#2", customer_id="cus_a"), job_row("legacy_jobs.csv#2", customer_id="cus_b")]
    assert len(partition(detect(job_frame, rows))) == 2


def test_two_numbered_jobs_of_one_system_are_never_joined_through_a_third_row(
    job_row: Any, job_frame: Any
) -> None:
    """Packing day and moving day of one quote: same route, one day apart, different job numbers."""
    packing = job_row(
        "sm_jobs.csv#2",
        job_number="500-1",
        record_id="500-1",
        service_type="packing",
        service_date=date(2024, 5, 9),
    )
    moving = job_row("sm_jobs.csv#3", job_number="500-2", record_id="500-2")
    legacy = job_row("legacy_jobs.csv#8", job_number="L-1", record_id="L-1")
    groups = partition(detect(job_frame, [packing, moving, legacy]))
    assert frozenset({packing["uid"], moving["uid"]}) not in groups
    assert frozenset({moving["uid"], legacy["uid"]}) in groups  # the stronger (same-date) pair wins


def test_same_job_number_joins_rows_the_matcher_put_under_two_customers(job_row: Any, job_frame: Any) -> None:
    first = job_row("sm_jobs.csv#2", record_id="10400-1", job_number="10400-1", customer_id="cus_a")
    second = job_row(
        "sm_jobs_2.csv#2", record_id="10400-1", job_number="10400-1", customer_id="cus_b", status="completed"
    )
    legacy_number_alike = job_row(
        "legacy_jobs.csv#2", job_number="10400-1", customer_id="cus_c", service_date=date(2023, 1, 1)
    )
    result = detect(job_frame, [first, second, legacy_number_alike])
    assert partition(result) == {
        frozenset({first["uid"], second["uid"]}),
        frozenset({legacy_number_alike["uid"]}),
    }
    assert result.groups["reason"].to_list() == ["job_number_other_customer"]
    assert result.cross_customer_groups == 1
    assert result.jobs.filter(pl.col("n_sources") == 2)["customer_id"].to_list() == [
        "cus_b"
    ]  # the completed row's


# ------------------------------------------------------------------------------------- identity


def test_job_ids_are_stable_and_derived_from_the_smallest_member_key(job_row: Any, job_frame: Any) -> None:
    rows = [
        job_row("sm_jobs.csv#2", record_id="10356-2", job_number="10356-2"),
        job_row("legacy_jobs.csv#7", record_id="L-1", job_number="L-1"),
        job_row("legacy_jobs.csv#8", record_id="L-2", job_number="L-2", service_date=date(2025, 1, 1)),
    ]
    first = detect(job_frame, rows)
    again = detect(job_frame, list(reversed(rows)))
    assert first.jobs.equals(again.jobs)
    assert first.source_map.equals(again.source_map)
    assert set(first.jobs["job_id"]) == {job_id_for("legacy_jobs.csv|L-1"), job_id_for("legacy_jobs.csv|L-2")}


@pytest.mark.parametrize("n_rows", [0, 1])
def test_tiny_inputs(job_row: Any, job_frame: Any, n_rows: int) -> None:
    rows = [job_row("sm_jobs.csv#2")][:n_rows]
    result = detect(job_frame, rows)
    assert (result.jobs.height, result.source_map.height, result.groups.height) == (n_rows, n_rows, 0)


# ------------------------------------------- exports of other systems (issue 11): merge on the same day
NO_ADDRESS = {
    f"{side}_{part}": None
    for side in ("origin", "dest")
    for part in ("street", "unit", "city", "state", "zip")
}


def test_address_in_one_string_matches_the_address_in_parts(job_row: Any, job_frame: Any) -> None:
    parts = job_row("sm_jobs.csv#5", dest_street="2663 WELLS ST", dest_city="TAMPA", dest_zip="33602")
    one_string = job_row(
        "legacy_jobs.csv#9",
        dest_street="2663 Wells St, Tampa, FL 33602",
        dest_unit=None,
        dest_city=None,
        dest_state=None,
        dest_zip=None,
    )
    no_commas = job_row("legacy_jobs.csv#10", dest_street="2663 WELLS ST TAMPA FL 33602", dest_zip=None)
    assert partition(detect(job_frame, [parts, one_string])) == {frozenset({parts["uid"], one_string["uid"]})}
    assert partition(detect(job_frame, [parts, no_commas])) == {frozenset({parts["uid"], no_commas["uid"]})}
    # the ZIP in the string still tells another destination apart
    elsewhere = job_row("legacy_jobs.csv#11", dest_street="2663 Wells St, Tampa, FL 33609", dest_zip=None)
    assert len(partition(detect(job_frame, [parts, elsewhere]))) == 2


def test_badly_typed_street_at_the_same_house_and_zip_merges_on_the_same_day(
    job_row: Any, job_frame: Any
) -> None:
    sm = job_row("sm_jobs.csv#5", dest_street="2663 WELLS ST", dest_zip="33602")
    typo = job_row("legacy_jobs.csv#9", dest_street="2663 WLS T", dest_zip="33602")
    next_day = job_row(
        "legacy_jobs.csv#10", dest_street="2663 WLS T", dest_zip="33602", service_date=date(2024, 5, 11)
    )
    result = detect(job_frame, [sm, typo])
    assert partition(result) == {frozenset({sm["uid"], typo["uid"]})}
    assert "fuzzy_address" in result.groups["reason"].to_list()[0]
    assert len(partition(detect(job_frame, [sm, next_day]))) == 2  # a weak match needs the same day


def test_badly_typed_street_with_the_zip_on_one_side_only_merges_on_the_same_day(
    job_row: Any, job_frame: Any
) -> None:
    """One export dropped the ZIP and garbled the street (``3386 FRTVLT ERRACE``): no contradiction."""
    sm = job_row("sm_jobs.csv#5", dest_street="3386 FRUITVILLE TER", dest_zip="32091")
    garbled = job_row("legacy_jobs.csv#9", dest_street="3386 FRTVLT ERRACE", dest_zip=None)
    next_day = job_row(
        "legacy_jobs.csv#10", dest_street="3386 FRTVLT ERRACE", dest_zip=None, service_date=date(2024, 5, 11)
    )
    other_house = job_row("legacy_jobs.csv#11", dest_street="3390 FRTVLT ERRACE", dest_zip=None)
    assert partition(detect(job_frame, [sm, garbled])) == {frozenset({sm["uid"], garbled["uid"]})}
    assert len(partition(detect(job_frame, [sm, next_day]))) == 2  # a weak match needs the same day
    assert len(partition(detect(job_frame, [sm, other_house]))) == 2


def test_slip_in_the_house_number_merges_but_a_neighbouring_house_does_not(
    job_row: Any, job_frame: Any
) -> None:
    sm = job_row("sm_jobs.csv#5", origin_street="6873 PALM AVE")
    letter_typed = job_row("legacy_jobs.csv#9", origin_street="68A3 PALM AVE")
    swapped = job_row("legacy_jobs.csv#10", origin_street="6837 PALM AVE")
    neighbour = job_row("legacy_jobs.csv#11", origin_street="6875 PALM AVE")
    assert partition(detect(job_frame, [sm, letter_typed])) == {frozenset({sm["uid"], letter_typed["uid"]})}
    assert partition(detect(job_frame, [sm, swapped])) == {frozenset({sm["uid"], swapped["uid"]})}
    assert len(partition(detect(job_frame, [sm, neighbour]))) == 2


def test_one_export_without_any_address_merges_on_the_same_day(job_row: Any, job_frame: Any) -> None:
    sm = job_row("sm_jobs.csv#5")
    bare = job_row("legacy_jobs.csv#9", **NO_ADDRESS)
    bare_other_day = job_row("legacy_jobs.csv#10", service_date=date(2024, 5, 12), **NO_ADDRESS)
    bare_unknown_type = job_row("legacy_jobs.csv#11", service_type=None, **NO_ADDRESS)
    bare_other_type = job_row("legacy_jobs.csv#12", service_type="packing", **NO_ADDRESS)
    assert partition(detect(job_frame, [sm, bare])) == {frozenset({sm["uid"], bare["uid"]})}
    assert partition(detect(job_frame, [sm, bare_unknown_type])) == {
        frozenset({sm["uid"], bare_unknown_type["uid"]})
    }
    assert len(partition(detect(job_frame, [sm, bare_other_day]))) == 2
    assert len(partition(detect(job_frame, [sm, bare_other_type]))) == 2


def test_statuses_that_disagree_do_not_keep_one_job_apart(job_row: Any, job_frame: Any) -> None:
    """The old CRM shows the job cancelled, SmartMoving completed it: one job, completed."""
    sm = job_row("sm_jobs.csv#5", status="completed", final_total=Decimal("1500.00"))
    legacy = job_row("legacy_jobs.csv#9", status="cancelled", dest_street="400 BAECON ST")
    result = detect(job_frame, [sm, legacy])
    assert partition(result) == {frozenset({sm["uid"], legacy["uid"]})}
    assert result.jobs["status"].to_list() == ["completed"]


def test_same_day_weak_matches_still_keep_another_destination_apart(job_row: Any, job_frame: Any) -> None:
    sm = job_row("sm_jobs.csv#5", dest_street="2663 WELLS ST", dest_zip="33602")
    other_street = job_row("legacy_jobs.csv#9", dest_street="2663 OAK ST", dest_zip="33602")
    other_zip = job_row("legacy_jobs.csv#10", dest_street="2663 WLS T", dest_zip="33611")
    assert len(partition(detect(job_frame, [sm, other_street]))) == 2
    assert len(partition(detect(job_frame, [sm, other_zip]))) == 2


def test_origin_only_and_destination_only_exports_merge_on_the_same_day(job_row: Any, job_frame: Any) -> None:
    """One export kept where the move started, the other where it ended: nothing contradicts."""
    no_dest = {f"dest_{p}": None for p in ("street", "unit", "city", "state", "zip")}
    no_origin = {f"origin_{p}": None for p in ("street", "unit", "city", "state", "zip")}
    origin_only = job_row("sm_jobs.csv#5", service_type="other", **no_dest)
    dest_only = job_row("legacy_jobs.csv#9", service_type="other", **no_origin)
    dest_only_later = job_row(
        "legacy_jobs.csv#10", service_type="other", service_date=date(2024, 5, 11), **no_origin
    )
    dest_only_other_type = job_row("legacy_jobs.csv#11", service_type="storage", **no_origin)
    assert len(partition(detect(job_frame, [origin_only, dest_only]))) == 1
    assert len(partition(detect(job_frame, [origin_only, dest_only_later]))) == 2
    assert len(partition(detect(job_frame, [job_row("sm_jobs.csv#6", **no_dest), dest_only_other_type]))) == 2


def test_a_row_without_a_service_date_needs_the_whole_route(job_row: Any, job_frame: Any) -> None:
    sm = job_row("sm_jobs.csv#5")
    undated = job_row("legacy_jobs.csv#9", service_date=None, dest_street="400 BAECON ST")
    undated_partial = job_row("legacy_jobs.csv#10", service_date=None, origin_street=None, origin_zip=None)
    undated_elsewhere = job_row("legacy_jobs.csv#11", service_date=None, dest_street="9 OTHER RD")
    assert partition(detect(job_frame, [sm, undated])) == {frozenset({sm["uid"], undated["uid"]})}
    assert len(partition(detect(job_frame, [sm, undated_partial]))) == 2
    assert len(partition(detect(job_frame, [sm, undated_elsewhere]))) == 2


def test_a_letter_typed_for_the_first_or_last_digit_is_a_slip(job_row: Any, job_frame: Any) -> None:
    sm = job_row("sm_jobs.csv#5", dest_street="5880 BEACH CIR", dest_zip="34298")
    first = job_row("legacy_jobs.csv#9", dest_street="S880 BEACH CIR", dest_zip="34298")
    last = job_row("legacy_jobs.csv#10", dest_street="588O BEACH CIR", dest_zip="34298")
    assert len(partition(detect(job_frame, [sm, first]))) == 1
    assert len(partition(detect(job_frame, [sm, last]))) == 1
