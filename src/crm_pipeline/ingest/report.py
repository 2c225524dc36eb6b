"""Rich tables that summarise a clean run for the console (the CLI prints them)."""

from __future__ import annotations

from rich.table import Table

from crm_pipeline.ingest.stage import CleanResult


def summary_tables(result: CleanResult) -> list[Table]:
    """Per file rows in / clean / quarantined, then quarantine entries by rule."""
    files = Table(title="clean: rows per file", title_justify="left")
    for name in ("file", "profile", "encoding", "rows in", "clean", "quarantined", "status"):
        files.add_column(name, justify="right" if name in ("rows in", "clean", "quarantined") else "left")
    for f in result.files:
        status = "[green]ok[/]" if f.status == "ok" else f"[red]{f.status}[/]"
        extras = []
        if f.repeated_headers:
            extras.append(f"{f.repeated_headers} repeated header(s) skipped")
        if f.nul_bytes:
            extras.append(f"{f.nul_bytes} NUL byte(s) stripped")
        if extras:
            status += f" ({'; '.join(extras)})"
        files.add_row(
            f.file,
            f.profile or "-",
            f.encoding or "-",
            f"{f.rows_in:,}",
            f"{f.rows_clean:,}",
            f"{f.rows_quarantined:,}",
            status,
        )
    files.add_row(
        "[bold]total[/]",
        "",
        "",
        f"[bold]{result.rows_in:,}[/]",
        f"[bold]{result.rows_clean:,}[/]",
        f"[bold]{result.rows_quarantined:,}[/]",
        "",
    )
    tables = [files]
    if result.quarantine_by_rule:
        rules = Table(title="quarantine entries by rule", title_justify="left")
        rules.add_column("rule")
        rules.add_column("entries", justify="right")
        for rule, count in result.quarantine_by_rule.items():
            rules.add_row(rule, f"{count:,}")
        tables.append(rules)
    return tables
