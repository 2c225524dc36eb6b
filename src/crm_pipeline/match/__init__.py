"""Phase 2B: entity resolution of person rows with Splink 5 (see docs/matching.md)."""

from crm_pipeline.match.stage import MatchResult, run_match

__all__ = ["MatchResult", "run_match"]
