"""Leaner load schema: drop foreign keys other keys imply and indexes no query uses.

Every secondary index and every foreign key costs the load per row: an index entry per insert, a
lookup in the parent table per inserted row (PostgreSQL checks foreign keys one row at a time). On
the 50k-people benchmark the schema, not the loader, was most of the load's time
(``docs/load.md``). This revision removes what buys nothing:

Foreign keys
  - ``customer_source_map.file_name → source_files``: a map row's ``uid`` already references its
    ``source_person_records`` row (``ON DELETE CASCADE``), whose ``file_name`` references
    ``source_files``; the map's ``file_name`` is a copy of that row's, kept for the unification-map
    export. The load checks the copy equals the person row's before it writes anything.
  - ``customer_source_map.match_run_id → match_runs``: lineage (which run decided the row), written
    in the same transaction as its ``match_runs`` row from the same ``match_run.json``; like the
    tables' ``run_id`` columns it is not a key.

Indexes (no statement of the pipeline, analytics, exports, health checks or views filters, joins or
sorts on them; analytics reads whole tables):
  ``quarantine (uid)``, ``quarantine (rule)``, ``source_person_records (email)``, ``(phone)``,
  ``(source_system, source_customer_id)``, ``customers (email)``, ``(phone)``, ``(branch)``,
  ``source_job_records (job_number)``.

Kept on purpose: every primary key; ``(file_name, record_id)`` (the load's replace-a-file deletes
and the exports); every ``customer_id`` index (foreign-key checks when a customer is deleted, the
orphan count); ``customers (smartmoving_customer_id)`` (the SmartMoving sync looks customers up by
it). ``downgrade`` restores everything as 0002 created it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: index name → (table, column list) as 0002 created it.
DROPPED_INDEXES: dict[str, tuple[str, str]] = {
    "quarantine_uid_idx": ("quarantine", "uid"),
    "quarantine_rule_idx": ("quarantine", "rule"),
    "source_person_records_email_idx": ("source_person_records", "email"),
    "source_person_records_phone_idx": ("source_person_records", "phone"),
    "source_person_records_source_customer_idx": (
        "source_person_records",
        "source_system, source_customer_id",
    ),
    "customers_email_idx": ("customers", "email"),
    "customers_phone_idx": ("customers", "phone"),
    "customers_branch_idx": ("customers", "branch"),
    "source_job_records_job_number_idx": ("source_job_records", "job_number"),
}

#: constraint name on customer_source_map → its definition as 0002 created it.
DROPPED_FOREIGN_KEYS: dict[str, str] = {
    "customer_source_map_file_name_fkey": "FOREIGN KEY (file_name) REFERENCES source_files",
    "customer_source_map_match_run_id_fkey": "FOREIGN KEY (match_run_id) REFERENCES match_runs",
}


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")
    for name in DROPPED_FOREIGN_KEYS:
        op.execute(f"ALTER TABLE customer_source_map DROP CONSTRAINT {name}")
    for name in DROPPED_INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.execute("SET ROLE crm_owner")
    for name, (table, columns) in DROPPED_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} ({columns})")
    for name, definition in DROPPED_FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE customer_source_map ADD CONSTRAINT {name} {definition}")
    op.execute("RESET ROLE")
