"""Alembic environment and revisions of the schema (run through ``crm_pipeline.db.migrations``)."""
