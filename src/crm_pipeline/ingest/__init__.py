"""Phase 2 entry: read the CSV exports, recognise their profiles, clean, quarantine, validate.

``run_clean(raw_dir, processed_dir, settings) -> CleanResult`` (see :mod:`.stage`).
"""

from crm_pipeline.ingest.stage import CleanInvariantError, CleanResult, FileResult, run_clean

__all__ = ["CleanInvariantError", "CleanResult", "FileResult", "run_clean"]
