"""Readable tables of an analytics run (the CLI prints them; core code never prints)."""

from __future__ import annotations

from rich.table import Table

from crm_pipeline.analytics import AnalyticsResult
from crm_pipeline.match.evaluate import PairwiseMetrics


def summary_table(result: AnalyticsResult) -> Table:
    table = Table(title="analytics", show_header=True, header_style="bold")
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    if (j := result.job_duplicates) is not None:
        table.add_row(
            "job-duplicates",
            f"{j.source_rows:,} source job rows → {j.jobs:,} jobs ({j.duplicate_groups:,} duplicate groups, "
            f"{j.source_rows - j.jobs:,} rows merged); written: {j.jobs_inserted:,} inserted, "
            f"{j.jobs_updated:,} updated, {j.jobs_deleted:,} deleted"
            + (
                f"; {j.cross_customer_groups:,} jobs span two customers (same job number: check the matcher)"
                if j.cross_customer_groups
                else ""
            ),
            f"{j.seconds:.2f}",
        )
    if (r := result.rolling) is not None:
        views = ", ".join(f"{view} {n:,} rows" for view, n in r.rows.items())
        table.add_row("rolling", views, f"{r.seconds:.2f}")
    if (g := result.gender) is not None:
        if not g.enabled:
            text = "switched off (CRM_GENDER_ENABLED=false)"
        else:
            labels = ", ".join(f"{label} {n:,}" for label, n in g.changed_by_label.items()) or "none"
            which = " (forced)" if g.force else " with an empty or inferred gender"
            text = (
                f"{g.candidates:,} customers{which}, "
                f"{g.distinct_names:,} distinct names; changed {g.changed:,} ({labels}); "
                f"{g.unresolved:,} names without a label (andy/unknown); gender-guesser {g.version}"
            )
        table.add_row("gender", text, f"{g.seconds:.2f}")
    return table


def job_evaluation_line(s: PairwiseMetrics | None) -> str:
    if s is None:
        return "jobs: nothing to evaluate (no unified jobs in the database)"
    return (
        f"jobs: precision {s.precision:.4f}  recall {s.recall:.4f}  F1 {s.f1:.4f}  "
        f"({s.records_scored:,} rows scored, {s.true_pairs:,} true pairs, "
        f"{s.predicted_pairs:,} predicted pairs; "
        f"{s.records_missing_in_prediction:,} truth rows without a job)"
    )
