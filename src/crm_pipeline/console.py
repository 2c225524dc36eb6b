"""The one console object. Core code never prints; it reports through here or through logging."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

console = Console(stderr=False)
err_console = Console(stderr=True)


def is_interactive() -> bool:
    return console.is_terminal and sys.stdout.isatty()


_active: Progress | None = None


@contextmanager
def progress(transient: bool = False) -> Iterator[Progress]:
    """A Rich progress display, hidden when output is not a terminal.

    Re-entrant: a stage that asks for a progress display while the pipeline already shows one gets
    that same display, so its bars appear under the pipeline's stage bars (Rich allows only one live
    display at a time).
    """
    global _active
    if _active is not None:
        yield _active
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
        disable=not is_interactive(),
    ) as bar:
        _active = bar
        try:
            yield bar
        finally:
            _active = None
