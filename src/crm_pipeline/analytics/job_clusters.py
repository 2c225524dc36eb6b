"""Duplicate pairs → groups, without ever joining two different jobs of one system.

Plain connected components could chain two SmartMoving jobs with different numbers (a packing day
and a moving day on one route) through a legacy row that resembles both. So the pairs are merged
greedily, strongest first, and a merge is refused when the two groups would then hold two different
job numbers of the same source system (a *cannot-link* constraint). The order (confidence, then
uids) is total, so the result is deterministic.

The loop runs once per duplicate pair (a small fraction of the rows), not once per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

GROUP_SCHEMA: dict[str, pl.DataType] = {
    "uid": pl.String(),
    "group": pl.Int64(),
    "group_reason": pl.String(),
    "group_confidence": pl.Float64(),
}


@dataclass
class _Group:
    members: list[str]
    numbers: dict[str, str]  # source_system -> job_number
    reasons: set[str]
    confidence: float


def cluster_pairs(jobs: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """One row per source job (``GROUP_SCHEMA``); singletons have null reason and confidence.

    ``jobs`` needs ``uid, source_system, job_number``; ``pairs`` is ``score_pairs`` output.
    """
    in_pairs = set(pairs["uid_l"].to_list()) | set(pairs["uid_r"].to_list())
    involved = jobs.filter(pl.col("uid").is_in(list(in_pairs))).select("uid", "source_system", "job_number")
    owner: dict[str, int] = {}
    groups: dict[int, _Group] = {}
    for i, (uid, system, number) in enumerate(involved.iter_rows()):
        owner[uid] = i
        groups[i] = _Group([uid], {system: number} if number is not None else {}, set(), 1.0)

    ordered = pairs.sort(["confidence", "uid_l", "uid_r"], descending=[True, False, False])
    edges = ordered.select("uid_l", "uid_r", "confidence", "reason").iter_rows()
    for uid_l, uid_r, confidence, reason in edges:
        a, b = owner[uid_l], owner[uid_r]
        if a == b:
            continue
        ga, gb = groups[a], groups[b]
        if any(ga.numbers.get(system, number) != number for system, number in gb.numbers.items()):
            continue  # would put two different job numbers of one system together
        if len(ga.members) < len(gb.members):
            a, b, ga, gb = b, a, gb, ga
        ga.members.extend(gb.members)
        ga.numbers.update(gb.numbers)
        ga.reasons |= gb.reasons | set(reason.split("+"))
        ga.confidence = min(ga.confidence, gb.confidence, confidence)
        for uid in gb.members:
            owner[uid] = a
        del groups[b]

    rows: list[tuple[str, int, str | None, float | None]] = []
    for key, group in groups.items():
        if len(group.members) < 2:
            continue
        reason = "+".join(sorted(group.reasons))
        rows.extend((uid, key, reason, group.confidence) for uid in group.members)
    grouped = pl.DataFrame(rows, schema=GROUP_SCHEMA, orient="row")
    singles = jobs.select("uid").join(grouped.select("uid"), on="uid", how="anti")
    offset = (max(groups) + 1) if groups else 0
    singles = singles.with_row_index("group", offset=offset).select(
        "uid",
        pl.col("group").cast(pl.Int64),
        pl.lit(None, dtype=pl.String).alias("group_reason"),
        pl.lit(None, dtype=pl.Float64).alias("group_confidence"),
    )
    return pl.concat([grouped, singles])
