"""Rich renderables that summarise a clean run for the console (the CLI prints them)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crm_pipeline.ingest.stage import CleanResult


def summary_tables(result: CleanResult) -> list[RenderableType]:
    """Per file rows in / clean / quarantined, notes on skipped lines and rejects, entries by rule."""
    files = Table(title="clean: rows per file", title_justify="left")
    files.add_column("file", no_wrap=True)
    files.add_column("profile")
    files.add_column("encoding")
    for name in ("rows in", "clean", "quarantined"):
        files.add_column(name, justify="right", min_width=len(name))
    files.add_column("status")
    notes: list[str] = []
    for f in result.files:
        files.add_row(
            f.file,
            f.profile or "-",
            f.encoding or "-",
            f"{f.rows_in:,}",
            f"{f.rows_clean:,}",
            f"{f.rows_quarantined:,}",
            "[green]ok[/]" if f.status == "ok" else f"[red]{f.status}[/]",
        )
        skipped = [
            f"{n:,} {what}"
            for n, what in (
                (f.repeated_headers, "repeated header row(s) skipped"),
                (f.blank_lines, "blank line(s) skipped"),
                (f.nul_bytes, "NUL byte(s) stripped"),
            )
            if n
        ]
        if f.ignored_columns:
            skipped.append(f"column(s) not used by {f.profile}: {', '.join(f.ignored_columns)}")
        if skipped:
            notes.append(f"{escape(f.file)}: {', '.join(skipped)}")
        if f.error:
            notes.append(f"[red]{escape(f.error)}[/]")
    files.add_row(
        "[bold]total[/]",
        "",
        "",
        f"[bold]{result.rows_in:,}[/]",
        f"[bold]{result.rows_clean:,}[/]",
        f"[bold]{result.rows_quarantined:,}[/]",
        "",
    )
    out: list[RenderableType] = [files]
    if notes:
        out.append(Group(*(Text.from_markup(f"  {n}") for n in notes)))
    if result.quarantine_by_rule:
        rules = Table(
            title="quarantine by rule", caption="a row may fail several rules", title_justify="left"
        )
        rules.add_column("rule", no_wrap=True)
        rules.add_column("entries", justify="right")
        for rule, count in result.quarantine_by_rule.items():
            rules.add_row(rule, f"{count:,}")
        out.append(rules)
    return out
