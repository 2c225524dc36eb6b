"""Who may read what the pipeline writes: by default only the user who runs it.

The processed folder (Parquet files, ``review_pairs.csv``, validation results and Data Docs), the
run logs and the exports hold names, emails, phones and addresses. A usual shell umask (022) would
create them world-readable (0644), so the command line narrows the process umask to 077 at start:
every folder it creates is 0700 and every file 0600, in this process and in the ones it starts
(Great Expectations, DuckDB). ``CRM_PRIVATE_FILES=false`` keeps the caller's umask (for a team that
shares the folder through a group, with its own umask). Files that already exist keep their mode.
"""

from __future__ import annotations

import os

from crm_pipeline.config import Settings

PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700


def restrict_new_files(settings: Settings) -> None:
    """Narrow the process umask to owner-only (keeping any stricter bits the caller set)."""
    if settings.private_files:
        previous = os.umask(PRIVATE_UMASK)
        os.umask(previous | PRIVATE_UMASK)
