"""Unification: clusters of person rows → golden customers with stable ids and a lineage map."""

from crm_pipeline.unify.golden import CUSTOMER_COLUMNS, build_golden_records
from crm_pipeline.unify.lineage import MAP_COLUMNS, build_lineage, customer_id_sql

__all__ = ["CUSTOMER_COLUMNS", "MAP_COLUMNS", "build_golden_records", "build_lineage", "customer_id_sql"]
