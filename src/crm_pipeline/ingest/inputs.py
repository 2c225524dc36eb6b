"""Which files of the raw folder are input: one answer for the clean stage and the run's fingerprint.

Both must agree, or a file is read without changing the input's identity (a new ``.hidden.csv`` was
cleaned but ``run`` said "input unchanged") or changes it without being read. The rule:

* regular files (or links to them) directly in the folder, not in sub-folders;
* whose extension is ``.csv``, ``.tsv`` or ``.txt`` in any case (``LEADS.CSV`` is an export);
* whose name does not start with ``.``: hidden files are editor and OS debris (``.~lock.x.csv#``,
  macOS ``._x.csv`` resource forks, ``.x.csv.swp``), never an export someone meant to load.

Everything else in the folder is skipped *and listed* with the reason, so the clean summary shows
what was not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crm_pipeline.errors import InputError

EXTENSIONS = (".csv", ".tsv", ".txt")
HIDDEN = "hidden file (name starts with '.')"
NOT_AN_EXPORT = f"not a CSV export ({', '.join(EXTENSIONS)})"
FOLDER = "folder (sub-folders are not read)"
NOT_A_FILE = "not a regular file"
NO_INPUT = "no CSV files (*.csv, *.tsv, *.txt, any case, not hidden) in the raw data folder"


@dataclass(frozen=True)
class InputSelection:
    """The files to read, sorted by name, and every other entry with why it is not read."""

    files: list[Path]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason), sorted by name

    def require_files(self, raw_dir: Path) -> list[Path]:
        """The files, or InputError naming the folder and what was skipped in it."""
        if not self.files:
            seen = "; ".join(f"{name}: {reason}" for name, reason in self.skipped[:5])
            raise InputError(NO_INPUT + (f" (not read: {seen})" if seen else ""), file=raw_dir)
        return self.files


def skip_reason(path: Path) -> str | None:
    """Why ``path`` (an entry of the raw folder) is not input, or None when it is."""
    if path.name.startswith("."):
        return HIDDEN
    if path.is_dir():
        return FOLDER
    if not path.is_file():
        return NOT_A_FILE
    if path.suffix.lower() not in EXTENSIONS:
        return NOT_AN_EXPORT
    return None


def select_inputs(raw_dir: Path) -> InputSelection:
    """The input files of ``raw_dir``; raises InputError when the folder does not exist."""
    if not raw_dir.is_dir():
        raise InputError("raw data folder not found", file=raw_dir)
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(raw_dir.iterdir(), key=lambda p: p.name):
        reason = skip_reason(path)
        if reason is None:
            files.append(path)
        else:
            skipped.append((path.name, reason))
    return InputSelection(files, skipped)
