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


@contextmanager
def progress(transient: bool = False) -> Iterator[Progress]:
    """A Rich progress display, hidden when output is not a terminal."""
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
        yield bar
