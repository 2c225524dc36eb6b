"""The end-of-run summary table (``crm-pipeline run``)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from crm_pipeline.ingest.report import category_tables
from crm_pipeline.pipeline import RunResult


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def run_summary_table(result: RunResult) -> Group:
    s = result.summary
    head = Table(title=f"run {result.run_id} — {result.status}", show_header=False, title_justify="left")
    head.add_column("what", style="bold")
    head.add_column("value", justify="right")
    for label, key in (
        ("rows in", "rows_in"),
        ("rows clean", "rows_clean"),
        ("rows quarantined", "rows_quarantined"),
        ("values quarantined (row kept)", "values_quarantined"),
        ("person records", "persons"),
        ("customers (golden)", "customers"),
        ("duplicates merged", "duplicates_merged"),
        ("jobs", "jobs"),
        ("job duplicates merged", "job_duplicates"),
        ("data quality", "data_quality"),
    ):
        head.add_row(label, _fmt(s.get(key)))

    stages = Table(title="stages", title_justify="left")
    stages.add_column("stage")
    stages.add_column("status")
    stages.add_column("seconds", justify="right")
    for st in result.stages:
        color = {"succeeded": "green", "skipped": "yellow", "failed": "red"}.get(st.status, "white")
        stages.add_row(st.name, f"[{color}]{st.status}[/]", f"{st.seconds:.2f}")
    stages.add_row("[bold]total[/]", "", f"{result.seconds:.2f}")

    parts: list[Any] = [head, stages, *category_tables(s)]
    if result.problems:  # held-back and rejected input files: the operator must look (exit code 1)
        parts.append(Text("\n".join(f"warning: {p}" for p in result.problems), style="yellow"))
    lines = [f"processed data: {result.processed_dir}"]
    lines += [f"{k}: {v}" for k, v in sorted(result.paths.items())]
    if result.log_file:
        lines.append(f"log: {result.log_file}")
    parts.append(Text("\n".join(lines)))
    return Group(*parts)
