"""A load in a child process, for the crash and server-restart tests.

    python load_child.py PROCESSED_DIR DATABASE_URL PAUSE_POINT SIGNAL_FILE [ATTEMPTS]

Runs ``run_load`` with a checkpoint that, at ``PAUSE_POINT`` (one of ``crm_pipeline.load.CHECKPOINTS``,
e.g. ``copy:customers``), creates ``SIGNAL_FILE`` and then waits (up to 60 s) until the test deletes
it. So the test knows the load is exactly there: it may SIGKILL the process, or stop the database
server and then delete the file to let the load go on. Exit code 0 on success; 1 with the error on
stderr otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from crm_pipeline.config import Settings
from crm_pipeline.errors import PipelineError
from crm_pipeline.load import LoadOptions, run_load


def main() -> int:
    processed, url, pause_at, signal_file = sys.argv[1:5]
    attempts = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    flag = Path(signal_file)

    paused = False

    def checkpoint(point: str) -> None:
        nonlocal paused
        if point != pause_at or paused:  # once: a retry passes the same point again
            return
        paused = True
        flag.touch()
        deadline = time.monotonic() + 60
        while flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    settings = Settings(database_url=url, home=flag.parent / "crm_home")
    # small COPY chunks so that "during COPY" really is between two chunks of one COPY
    options = LoadOptions(attempts=attempts, backoff_initial_s=0.2, backoff_max_s=0.5, chunk_rows=5)
    try:
        result = run_load(Path(processed), settings, options=options, checkpoint=checkpoint)
    except PipelineError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"ok attempts={result.attempts} inserted={result.inserted} updated={result.updated}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
