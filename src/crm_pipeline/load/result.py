"""The load's typed result: rows inserted / updated / unchanged / deleted per table, time per step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

if TYPE_CHECKING:
    from crm_pipeline.load.holdback import HeldBack

#: Tables with audit triggers (customers; jobs is written by analytics).
AUDITED_TABLES = frozenset({"customers", "jobs"})


@dataclass(frozen=True)
class TableCounts:
    """What the load did to one final table.

    ``staged``: rows in this load's input; ``unchanged`` = staged − inserted − updated;
    ``deleted``: rows of reloaded files that the input no longer has; ``skipped``: the staged rows
    hash as the last load's and nobody wrote the table since, so it was not compared at all.
    """

    table: str
    staged: int
    inserted: int
    updated: int
    deleted: int = 0
    copy_seconds: float = 0.0
    merge_seconds: float = 0.0
    skipped: bool = False

    @property
    def unchanged(self) -> int:
        return self.staged - self.inserted - self.updated


@dataclass(frozen=True)
class LoadResult:
    run_id: str
    processed_dir: Path
    tables: list[TableCounts]
    timings: dict[str, float]  # step → seconds, in the order the steps ran
    attempts: int
    orphan_customers: int  # customers no source row maps to any more (kept; see docs/load.md)
    input_fingerprint: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)  # input files not applied (exit 1)

    @property
    def inserted(self) -> int:
        return sum(t.inserted for t in self.tables)

    @property
    def updated(self) -> int:
        return sum(t.updated for t in self.tables)

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables)

    @property
    def audited_changes(self) -> int:
        """Rows of audited tables this load changed: the audit trigger wrote one audit row each."""
        return sum(t.inserted + t.updated + t.deleted for t in self.tables if t.table in AUDITED_TABLES)

    def table(self, name: str) -> TableCounts:
        return next(t for t in self.tables if t.table == name)

    def counts_json(self) -> dict[str, Any]:
        """What the ledger (``pipeline_stages.counts``) holds for this load."""
        return ledger_counts_json(
            self.tables, self.timings, orphan_customers=self.orphan_customers, held_back=self.held_back
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["processed_dir"] = str(self.processed_dir)
        return out


def ledger_counts_json(
    tables: list[TableCounts],
    timings: dict[str, float],
    *,
    orphan_customers: int,
    held_back: list[HeldBack] | None = None,
) -> dict[str, Any]:
    """Per table counts, step timings and audited changes, as JSON for the ledger."""
    return {
        "tables": {
            t.table: {
                "staged": t.staged,
                "inserted": t.inserted,
                "updated": t.updated,
                "unchanged": t.unchanged,
                "deleted": t.deleted,
                "skipped": t.skipped,
            }
            for t in tables
        },
        "timings": {step: round(seconds, 3) for step, seconds in timings.items()},
        "audited_changes": sum(
            t.inserted + t.updated + t.deleted for t in tables if t.table in AUDITED_TABLES
        ),
        "orphan_customers": orphan_customers,
        "held_back": [h.as_dict() for h in held_back or []],
    }


def summary_tables(result: LoadResult) -> tuple[Table, Table]:
    """Two Rich tables for the CLI: rows per table, and seconds per step."""
    caption = f"{result.audited_changes:,} audited customer change(s)"
    if result.orphan_customers:
        caption += f"; {result.orphan_customers:,} customer(s) no source row maps to any more (kept)"
    skipped = sum(t.skipped for t in result.tables)
    if skipped:
        caption += f"; {skipped} table(s) unchanged since the last load (not compared)"
    if result.attempts > 1:
        caption += f"; committed on attempt {result.attempts}"
    rows = Table(
        title=f"load {result.run_id}",
        title_justify="left",
        caption=caption,
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    rows.add_column("table", no_wrap=True)
    # staged rows = inserted + updated + unchanged (left out: the table must fit 80 columns)
    for col in ("inserted", "updated", "unchanged", "deleted", "seconds"):
        rows.add_column(col, justify="right", no_wrap=True)
    for t in result.tables:
        rows.add_row(
            t.table,
            f"{t.inserted:,}",
            f"{t.updated:,}",
            f"{t.unchanged:,}",
            f"{t.deleted:,}",
            f"{t.copy_seconds + t.merge_seconds:.2f}",
        )
    rows.add_row(
        "[bold]total",
        f"{result.inserted:,}",
        f"{result.updated:,}",
        f"{sum(t.unchanged for t in result.tables):,}",
        f"{result.deleted:,}",
        f"{sum(t.copy_seconds + t.merge_seconds for t in result.tables):.2f}",
    )
    steps = Table(title="time per step", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    steps.add_column("step")
    steps.add_column("seconds", justify="right")
    for step, seconds in result.timings.items():
        steps.add_row(step, f"{seconds:.2f}")
    steps.add_row("[bold]total", f"{result.seconds:.2f}")
    return rows, steps
