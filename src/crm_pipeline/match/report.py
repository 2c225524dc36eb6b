"""Rich tables for the CLI: what a match run did, time per step, pairs per blocking rule."""

from __future__ import annotations

from rich.table import Table

from crm_pipeline.match.evaluate import PairwiseMetrics
from crm_pipeline.match.explain import Explanation
from crm_pipeline.match.stage import MatchResult
from crm_pipeline.match.standalone import StandaloneResult


def _timings_table(timings: dict[str, float]) -> Table:
    table = Table(title="time per step", show_header=True)
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for step, seconds in timings.items():
        label = f"  └ {step.split('.', 1)[1]}" if "." in step else step  # train.u → a sub-step of train
        table.add_row(label, f"{seconds:.2f}")
    table.add_row("[bold]total[/]", f"[bold]{sum(v for k, v in timings.items() if '.' not in k):.2f}[/]")
    return table


def _warnings_table(warnings: list[str]) -> list[Table]:
    """The columns matching left out (none: no table)."""
    if not warnings:
        return []
    table = Table(title="[yellow]warnings[/]", show_header=False)
    table.add_column("warning", style="yellow")
    for warning in warnings:
        table.add_row(warning)
    return [table]


def match_summary(result: MatchResult) -> list[Table]:
    model_note = "trained now" if result.trained else "reused"
    model = f"{result.model_path.name} ({model_note}, {result.model_sha256[:12]})"
    counts = Table(title=f"match ({result.backend}), model {model}", show_header=False)
    counts.add_column("what")
    counts.add_column("value", justify="right")
    counts.add_row("person records", f"{result.records:,}")
    counts.add_row("customers", f"{result.customers:,}")
    counts.add_row(f"scored pairs (p ≥ {result.review_band[0]:.2f})", f"{result.scored_pairs:,}")
    counts.add_row(f"links used (p ≥ {result.threshold})", f"{result.links_used:,}")
    counts.add_row("links refused (names conflict)", f"{result.links_refused:,}")
    counts.add_row("pairs for review", f"{result.review_pairs:,}")
    if result.chunks_reused:
        counts.add_row("scoring chunks from checkpoint", f"{result.chunks_reused} of {result.chunks}")
    rules = Table(title="candidate pairs per blocking rule (first rule that found the pair)")
    rules.add_column("rule")
    rules.add_column("pairs", justify="right")
    for rule, n in result.rule_counts.items():
        rules.add_row(rule, f"{n:,}")
    rules.add_row("[bold]total[/]", f"[bold]{sum(result.rule_counts.values()):,}[/]")
    return [*_warnings_table(result.warnings), counts, rules, _timings_table(result.timings)]


def standalone_summary(result: StandaloneResult) -> list[Table]:
    counts = Table(title="standalone match", show_header=False)
    counts.add_column("what")
    counts.add_column("value", justify="right")
    counts.add_row("model", f"{result.model_path} ({'trained now' if result.trained else 'reused'})")
    counts.add_row("records", f"{result.records:,}")
    counts.add_row("clusters", f"{result.clusters:,}")
    counts.add_row("links used", f"{result.links_used:,}")
    for name, path in result.outputs.items():
        counts.add_row(name, str(path))
    return [*_warnings_table(result.warnings), counts, _timings_table(result.timings)]


def explain_table(explanation: Explanation) -> Table:
    table = Table(title=f"{explanation.customer_id}: {len(explanation.records)} records")
    table.add_column("record")
    table.add_column("record")
    table.add_column("match weight", justify="right")
    table.add_column("probability", justify="right")
    table.add_column("joined them")
    for pair in explanation.pairs:
        table.add_row(
            pair.uid_l,
            pair.uid_r,
            f"{pair.match_weight:.2f}",
            f"{pair.match_probability:.6f}",
            "[green]yes[/]" if pair.link_used else "",
        )
    return table


def metrics_table(title: str, metrics: PairwiseMetrics) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("precision", f"{metrics.precision:.4f}")
    table.add_row("recall", f"{metrics.recall:.4f}")
    table.add_row("F1", f"{metrics.f1:.4f}")
    table.add_row("true-positive pairs", f"{metrics.true_positive_pairs:,}")
    table.add_row("predicted pairs", f"{metrics.predicted_pairs:,}")
    table.add_row("true pairs", f"{metrics.true_pairs:,}")
    table.add_row("records scored", f"{metrics.records_scored:,}")
    if metrics.records_missing_in_truth or metrics.records_missing_in_prediction:
        table.add_row("records only in the prediction", f"{metrics.records_missing_in_truth:,}")
        table.add_row("records only in the truth", f"{metrics.records_missing_in_prediction:,}")
    return table
