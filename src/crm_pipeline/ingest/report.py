"""Rich renderables that summarise a clean run for the console (the CLI prints them)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crm_pipeline.ingest.stage import CleanResult
from crm_pipeline.logs import escape_controls


def summary_tables(result: CleanResult) -> list[RenderableType]:
    """Per file rows in / clean / quarantined / values nulled, notes on skipped lines, files not
    read and rejects, entries by level and rule, unconfirmed branches and ``other`` words."""
    files = Table(title="clean: rows per file", title_justify="left")
    files.add_column("file", no_wrap=True)
    files.add_column("profile")
    files.add_column("encoding")
    for name in ("rows in", "clean", "quarantined", "values nulled"):
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
            f"{f.values_quarantined:,}",
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
            notes.append(f"{_shown(f.file)}: {', '.join(skipped)}")
        if f.encoding_note:
            notes.append(f"[yellow]{_shown(f.file)}: {_shown(f.encoding_note)}[/]")
        if f.error:
            notes.append(f"[red]{_shown(f.error)}[/]")
        notes.extend(f"[red]systemic failure: {_shown(m)}[/]" for m in f.systemic if m != f.error)
    notes.extend(f"{_shown(name)}: not read: {_shown(reason)}" for name, reason in result.skipped)
    files.add_row(
        "[bold]total[/]",
        "",
        "",
        f"[bold]{result.rows_in:,}[/]",
        f"[bold]{result.rows_clean:,}[/]",
        f"[bold]{result.rows_quarantined:,}[/]",
        f"[bold]{result.values_quarantined:,}[/]",
        "",
    )
    out: list[RenderableType] = [files]
    if notes:
        out.append(Group(*(Text.from_markup(f"  {n}") for n in notes)))
    if result.quarantine_by_level:
        out.append(quarantine_table(result.quarantine_by_level))
    out.extend(category_tables(result.categories_summary()))
    return out


def quarantine_table(by_level: dict[str, dict[str, int]]) -> Table:
    """Entries per level and rule: ``row`` / ``file`` entries cost rows, ``value`` entries a value."""
    rules = Table(
        title="quarantine by rule",
        caption="row/file: the row is left out; value: the value is null, the row kept",
        title_justify="left",
    )
    rules.add_column("level")
    rules.add_column("rule", no_wrap=True)
    rules.add_column("entries", justify="right")
    for level, counts in by_level.items():
        for rule, count in counts.items():
            rules.add_row(level, rule, f"{count:,}")
    return rules


def category_tables(categories: dict[str, Any]) -> list[RenderableType]:
    """Unconfirmed branches and ``other`` words with counts, and the YAML snippet to paste into
    the branch table (``CRM_BRANCHES_FILE``); ``categories`` is ``CleanResult.categories_summary()``."""
    out: list[RenderableType] = []
    branches = categories.get("unconfirmed_branches") or []
    if branches:
        table = Table(title="unconfirmed branches (kept)", title_justify="left")
        table.add_column("branch")
        table.add_column("rows", justify="right")
        table.add_column("spellings (rows)")
        for b in branches:
            spellings = ", ".join(f"{_shown(s)} ({n:,})" for s, n in b["spellings"].items())
            table.add_row(_shown(b["name"]), f"{b['rows']:,}", spellings)
        out.append(table)
        snippet = str(categories.get("branches_yaml") or "")
        out.append(Text("branch table snippet (add to CRM_BRANCHES_FILE):\n" + snippet))
    for column, words in (categories.get("other_categories") or {}).items():
        table = Table(title=f"{column}: kept as other", title_justify="left", min_width=40)
        table.add_column("word")
        table.add_column("rows", justify="right")
        for word, n in words.items():
            table.add_row(_shown(word), f"{n:,}")
        out.append(table)
    return out


def _shown(text: str) -> str:
    """A file name or message as printed: on one line (control characters escaped), no markup."""
    return escape(escape_controls(text))


def _encoding(name: str | None, confidence: float | None) -> str:
    """``cp1252 (0.93)``: the confidence shown only when it is not certain."""
    if name is None:
        return "-"
    return name if confidence is None or confidence >= 1.0 else f"{name} ({confidence:.2f})"
