"""crm-pipeline: one clean, deduplicated customer database from a moving company's CRM exports."""

__version__ = "0.1.0"
