"""Which two source job rows are the same real job: candidate pairs and their evidence.

Only rows of the same unified customer are compared (the matcher already decided who the customer
is; a customer has a handful of jobs, so the self-join is small). A pair is a duplicate when

* **job number** — both rows come from the same source system, both carry a job number, and the
  numbers are equal (two overlapping SmartMoving exports of job ``10356-2``; the status may have
  moved on, the total been filled in, even the date changed). Numbers are the system's own identity,
  so two rows of one system with *different* numbers are never the same job. Numbers are never
  compared across systems: legacy job ids and SmartMoving job numbers are unrelated.
* **attributes** — otherwise (across systems, or a number is missing): the service dates are at most
  ``date_tolerance_days`` apart, neither the origin nor the destination differs (see
  :mod:`crm_pipeline.analytics.addresses`) and, when a side has no street to compare (*unknown* or
  only the *same ZIP*), the dates are equal. Both sides without a street need the same service type
  and at least one equal ZIP.

Two exports of one job made by different systems disagree more than that (issue 11), so on the
**same service date** three weaker agreements are accepted as well: a *near* address (a typo in the
house number, or the same house number and ZIP with a badly typed street — see
:mod:`crm_pipeline.analytics.addresses`), and a row with **no address at all** (one export never
stored it) when the service types agree or one is unknown. Statuses are not compared: one export
may show the job cancelled and the other completed. A row without a service date (an unreadable
"TBD") pairs only when the whole route agrees (origin and destination, no side unknown).

So two genuinely different moves of one customer stay apart: a different date (beyond the tolerance)
or a different destination (another ZIP, house number or street) breaks the pair.

One exception to "same customer": two rows of one system with the same job number are the same job
even when the matcher put them under two customers (``job_number_other_customer``) — the number is
the system's own identity, and such a pair tells that the matcher split a person. The canonical job
then belongs to its best member's customer; :func:`score_pairs` callers count these groups.

Confidence is a simple, documented score (not a probability): 0.99 for a job-number match (0.95
when the customers differ); for an
attribute match 0.97 minus 0.03 per day of date difference, 0.05 per fuzzy address and 0.10 per
address without a street; a near address or a row without an address costs as much as an
address without a street.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from crm_pipeline.analytics.addresses import (
    AddressMatch,
    add_street_parts,
    compare_addresses,
    house_edits,
    street_similarity,
    street_zip,
)

JOB_NUMBER_CONFIDENCE = 0.99
OTHER_CUSTOMER_CONFIDENCE = 0.95
ATTRIBUTE_CONFIDENCE = 0.97
PER_DAY_PENALTY = 0.03
FUZZY_PENALTY = 0.05
UNKNOWN_PENALTY = 0.10

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "uid_l": pl.String(),
    "uid_r": pl.String(),
    "confidence": pl.Float64(),
    "reason": pl.String(),
}

# Columns compared per pair (with the parsed street parts ``o_*`` / ``d_*``).
_COMPARED = [
    "uid",
    "source_system",
    "job_number",
    "service_date",
    "service_type",
    "origin_zip",
    "o_house",
    "o_street_key",
    "dest_zip",
    "d_house",
    "d_street_key",
    "no_address",
]
_ADDRESS_COLUMNS = [f"{side}_{part}" for side in ("origin", "dest") for part in ("street", "city", "zip")]


@dataclass(frozen=True)
class JobMatchRules:
    """The knobs of job duplicate detection (from ``Settings``)."""

    date_tolerance_days: int = 3
    min_street_similarity: float = 85.0


def _candidates(jobs: pl.DataFrame, rules: JobMatchRules) -> pl.DataFrame:
    """``uid_l < uid_r`` of one customer that may be duplicates: the same job number of one system,
    or no numbers to tell them apart and service dates within the tolerance. Cheap columns only, so
    the addresses are parsed for the few rows that survive."""
    keys = jobs.filter(pl.col("customer_id").is_not_null() & (pl.len().over("customer_id") > 1)).select(
        "uid", "customer_id", "source_system", "job_number", "service_date"
    )
    pairs = keys.join(keys, on="customer_id", suffix="_r").filter(pl.col("uid") < pl.col("uid_r"))
    numbered = (
        (pl.col("source_system") == pl.col("source_system_r"))
        & pl.col("job_number").is_not_null()
        & pl.col("job_number_r").is_not_null()
    )
    days = (pl.col("service_date") - pl.col("service_date_r")).dt.total_days().abs()
    keep = (numbered & (pl.col("job_number") == pl.col("job_number_r"))) | (
        ~numbered & (days <= rules.date_tolerance_days).fill_null(True)  # a missing date: compare routes
    )
    return pairs.filter(keep).select(pl.col("uid").alias("uid_l"), "uid_r", "customer_id")


def _with_attributes(candidates: pl.DataFrame, jobs: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs with the compared columns of both rows (``<column>_l`` / ``<column>_r``)."""
    involved = pl.concat([candidates["uid_l"], candidates["uid_r"]]).unique()
    rows = jobs.filter(pl.col("uid").is_in(involved.implode()))
    parsed = add_street_parts(add_street_parts(rows, "origin_street", "o"), "dest_street", "d").with_columns(
        pl.coalesce("origin_zip", street_zip(pl.col("origin_street"))).alias("origin_zip"),
        pl.coalesce("dest_zip", street_zip(pl.col("dest_street"))).alias("dest_zip"),
        pl.all_horizontal(*(pl.col(c).is_null() for c in _ADDRESS_COLUMNS)).alias("no_address"),
    )
    base = parsed.select(_COMPARED)
    return candidates.join(base.rename(lambda c: f"{c}_l"), on="uid_l").join(
        base.rename(lambda c: f"{c}_r"), on="uid_r"
    )


def score_pairs(jobs: pl.DataFrame, rules: JobMatchRules) -> pl.DataFrame:
    """Every duplicate pair ``(uid_l < uid_r)`` with its confidence and reason (schema ``PAIR_SCHEMA``)."""
    candidates = _candidates(jobs, rules)
    other_customer = _same_number_other_customer(jobs)
    if candidates.height == 0:
        return other_customer
    pairs = _with_attributes(candidates, jobs)
    return pl.concat([_same_customer_pairs(pairs, rules), other_customer]).sort("uid_l", "uid_r")


def _same_number_other_customer(jobs: pl.DataFrame) -> pl.DataFrame:
    """Pairs of one system with the same job number whose rows sit under different customers."""
    numbered = jobs.filter(pl.col("job_number").is_not_null()).select(
        "uid", "customer_id", "source_system", "job_number"
    )
    return (
        numbered.join(numbered, on=["source_system", "job_number"], suffix="_r")
        .filter((pl.col("uid") < pl.col("uid_r")) & (pl.col("customer_id") != pl.col("customer_id_r")))
        .select(
            pl.col("uid").alias("uid_l"),
            "uid_r",
            pl.lit(OTHER_CUSTOMER_CONFIDENCE).alias("confidence"),
            pl.lit("job_number_other_customer").alias("reason"),
        )
    )


def _same_customer_pairs(pairs: pl.DataFrame, rules: JobMatchRules) -> pl.DataFrame:
    """Score the candidate pairs of one customer (``_l`` / ``_r`` columns) by the rules above."""
    pairs = pairs.with_columns(
        street_similarity(pairs["o_street_key_l"], pairs["o_street_key_r"]).alias("o_sim"),
        street_similarity(pairs["d_street_key_l"], pairs["d_street_key_r"]).alias("d_sim"),
        house_edits(pairs["o_house_l"], pairs["o_house_r"]).alias("o_edits"),
        house_edits(pairs["d_house_l"], pairs["d_house_r"]).alias("d_edits"),
    )
    min_sim = rules.min_street_similarity
    origin = compare_addresses("origin_zip", "o_house", "o_street_key", "o_sim", min_sim, "o_edits")
    dest = compare_addresses("dest_zip", "d_house", "d_street_key", "d_sim", min_sim, "d_edits")
    same_system_numbers = (
        (pl.col("source_system_l") == pl.col("source_system_r"))
        & pl.col("job_number_l").is_not_null()
        & pl.col("job_number_r").is_not_null()
    )
    scored = pairs.with_columns(
        origin.alias("origin_match"),
        dest.alias("dest_match"),
        (pl.col("service_date_l") - pl.col("service_date_r")).dt.total_days().abs().alias("days"),
        same_system_numbers.alias("numbered"),
        (same_system_numbers & (pl.col("job_number_l") == pl.col("job_number_r"))).alias("same_number"),
    )
    sides = [pl.col("origin_match"), pl.col("dest_match")]
    weak = (AddressMatch.UNKNOWN.value, AddressMatch.SAME_ZIP.value)
    n_unknown = pl.sum_horizontal(*(s.is_in(weak) for s in sides))
    n_same_zip = pl.sum_horizontal(*(s == AddressMatch.SAME_ZIP.value for s in sides))
    same_type = pl.col("service_type_l") == pl.col("service_type_r")
    unknown_type = pl.any_horizontal(
        *(pl.col(f"service_type_{s}").is_null() | (pl.col(f"service_type_{s}") == "other") for s in "lr")
    )
    n_fuzzy = pl.sum_horizontal(*(s == AddressMatch.FUZZY.value for s in sides))
    n_near = pl.sum_horizontal(*(s == AddressMatch.NEAR.value for s in sides))
    n_different = pl.sum_horizontal(*(s == AddressMatch.DIFFERENT.value for s in sides))
    same_day = (pl.col("days") == 0).fill_null(False)
    # nothing to compare on either side (one export has no address, or one only the origin and the
    # other only the destination): the same day and a service type that does not disagree
    compatible_type = same_type.fill_null(False) | unknown_type
    dated_match = (
        (pl.col("days") <= rules.date_tolerance_days).fill_null(False)
        & ((n_unknown + n_near == 0) | same_day)
        & ((n_unknown < 2) | ((n_same_zip > 0) & same_type.fill_null(False)) | (same_day & compatible_type))
    )
    # one row has no service date (an unreadable "TBD"): the whole route must agree instead
    undated_match = pl.col("days").is_null() & (n_unknown + n_near == 0) & compatible_type
    attribute_match = ~pl.col("numbered") & (n_different == 0) & (dated_match | undated_match)
    date_tag = (
        pl.when(pl.col("days").is_null())
        .then(pl.lit("no_date"))
        .when(pl.col("days") == 0)
        .then(pl.lit("same_date"))
        .otherwise(pl.lit("near_date"))
    )
    route_tag = (
        pl.when(n_unknown > 0)
        .then(pl.lit("partial_route"))
        .when(n_fuzzy + n_near > 0)
        .then(pl.lit("fuzzy_address"))
        .otherwise(pl.lit("same_route"))
    )
    attribute_confidence = (
        pl.lit(ATTRIBUTE_CONFIDENCE)
        - PER_DAY_PENALTY * pl.col("days").cast(pl.Float64).fill_null(float(rules.date_tolerance_days))
        - FUZZY_PENALTY * n_fuzzy.cast(pl.Float64)
        - UNKNOWN_PENALTY * (n_unknown + n_near).cast(pl.Float64)
    )
    return (
        scored.filter(pl.col("same_number") | attribute_match)
        .select(
            "uid_l",
            "uid_r",
            pl.when(pl.col("same_number"))
            .then(pl.lit(JOB_NUMBER_CONFIDENCE))
            .otherwise(attribute_confidence)
            .round(4)
            .alias("confidence"),
            pl.when(pl.col("same_number"))
            .then(pl.lit("job_number"))
            .otherwise(pl.concat_str([date_tag, route_tag], separator="+"))
            .alias("reason"),
        )
        .sort("uid_l", "uid_r")
    )
