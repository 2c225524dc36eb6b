"""Rich renderables that summarise a clean run for the console (the CLI prints them)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crm_pipeline.ingest.stage import CleanResult
from crm_pipeline.logs import escape_controls


def summary_tables(result: CleanResult) -> list[RenderableType]:
    """Per file rows in / clean / quarantined, notes on skipped lines, files not read and rejects,
    entries by rule."""
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
            _shown(f.file),
            f.profile or "-",
            _encoding(f.encoding, f.encoding_confidence),
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
        if skipped:
            notes.append(f"{_shown(f.file)}: {', '.join(skipped)}")
        if f.encoding_note:
            notes.append(f"[yellow]{_shown(f.file)}: {_shown(f.encoding_note)}[/]")
        if f.error:
            notes.append(f"[red]{_shown(f.error)}[/]")
    notes.extend(f"{_shown(name)}: not read: {_shown(reason)}" for name, reason in result.skipped)
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


def _shown(text: str) -> str:
    """A file name or message as printed: on one line (control characters escaped), no markup."""
    return escape(escape_controls(text))


def _encoding(name: str | None, confidence: float | None) -> str:
    """``cp1252 (0.93)``: the confidence shown only when it is not certain."""
    if name is None:
        return "-"
    return name if confidence is None or confidence >= 1.0 else f"{name} ({confidence:.2f})"
