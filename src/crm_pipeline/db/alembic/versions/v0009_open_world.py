"""Open-world data: quarantine levels, unconfirmed branches, ``other`` statuses and service types.

- ``quarantine.level`` (``file`` | ``row`` | ``value``): a ``value`` entry nulled one value of a row
  that was kept (it is in ``source_person_records`` / ``source_job_records`` / ``leads``); a
  ``row`` entry left the row out; a ``file`` entry rejected the whole file (line 0, column ``*``).
  Rows already in the table were all row- or file-level (before this revision every entry cost
  its row). The primary key ``(file_name, line, column_name, rule)`` still holds: a value entry
  names its column, and a rule fires at most once per cell.
- ``branches.confirmed``: ``false`` for a branch the data used but the branch table
  (``CRM_BRANCHES_FILE``) does not list; the load inserts those, and sets ``true`` once the table
  lists the branch.
- ``status`` / ``service_type`` may be ``other`` (a word outside the enum) in ``source_job_records``
  and ``jobs``; ``source_job_records.status_raw`` / ``service_type_raw`` keep the word as typed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_STATUSES = ("lead", "opportunity", "booked", "completed", "closed", "cancelled", "lost")
_SERVICE_TYPES = (
    "moving",
    "packing",
    "moving_and_packing",
    "load_only",
    "unload_only",
    "commercial",
    "storage_in",
    "storage_out",
)
_ENUM_TABLES = ("source_job_records", "jobs")


def _checks(with_other: bool) -> None:
    """Replace the status / service_type CHECKs of both job tables (``other`` allowed or not)."""
    extra = ("other",) if with_other else ()
    for table in _ENUM_TABLES:
        for column, values in (("status", _STATUSES), ("service_type", _SERVICE_TYPES)):
            allowed = ", ".join(f"'{v}'" for v in (*values, *extra))
            name = f"{table}_{column}_check"
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
            op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({allowed}))")


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")
    op.execute("""
    ALTER TABLE quarantine ADD COLUMN level text NOT NULL DEFAULT 'row'
      CHECK (level IN ('file', 'row', 'value'));
    UPDATE quarantine SET level = 'file' WHERE line = 0 AND column_name = '*';
    ALTER TABLE branches ADD COLUMN confirmed boolean NOT NULL DEFAULT true;
    ALTER TABLE source_job_records ADD COLUMN status_raw text, ADD COLUMN service_type_raw text;
    """)
    _checks(with_other=True)
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.execute("SET ROLE crm_owner")
    # 'other' has no meaning before this revision: the word is gone with its column, the value null
    for table in _ENUM_TABLES:
        op.execute(f"UPDATE {table} SET status = NULL WHERE status = 'other'")
        op.execute(f"UPDATE {table} SET service_type = NULL WHERE service_type = 'other'")
    _checks(with_other=False)
    op.execute("""
    ALTER TABLE source_job_records DROP COLUMN status_raw, DROP COLUMN service_type_raw;
    DELETE FROM branches WHERE NOT confirmed;
    ALTER TABLE branches DROP COLUMN confirmed;
    ALTER TABLE quarantine DROP COLUMN level;
    """)
    op.execute("RESET ROLE")
