"""Phase 3: load the clean and unified data into PostgreSQL (staging + merge, one transaction)."""

from crm_pipeline.load.result import LoadResult, TableCounts
from crm_pipeline.load.runner import CHECKPOINTS, LoadOptions, run_load

__all__ = ["CHECKPOINTS", "LoadOptions", "LoadResult", "TableCounts", "run_load"]
