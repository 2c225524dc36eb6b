"""Seed ``branches`` and ``branch_aliases`` from ``crm_pipeline/clean/branches.yaml``.

The YAML is the branch reference the clean stage matches against (``branches: [{name, aliases}]``).
Seeding it here lets a fresh database answer "which branches exist" before the first load; the load
stage upserts the same table afterwards, so later edits of the YAML arrive with the next load.
Without the file (or with an empty one) nothing is seeded. Downgrade removes exactly the seeded
names (their aliases go with them, ``ON DELETE CASCADE``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from alembic import op
from sqlalchemy import text

import crm_pipeline

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

BRANCHES_YAML = Path(crm_pipeline.__file__).parent / "clean" / "branches.yaml"


def _branches() -> dict[str, list[str]]:
    """Canonical name → aliases (the name itself included), as the YAML lists them."""
    if not BRANCHES_YAML.exists():
        return {}
    doc: Any = yaml.safe_load(BRANCHES_YAML.read_text(encoding="utf-8")) or {}
    result: dict[str, list[str]] = {}
    for entry in doc.get("branches") or []:
        name = str(entry["name"]).strip()
        aliases = [str(a).strip() for a in entry.get("aliases") or []]
        result[name] = [name, *[a for a in aliases if a and a != name]]
    return result


def upgrade() -> None:
    branches = _branches()
    if not branches:
        return
    bind = op.get_bind()
    bind.execute(text("SET ROLE crm_owner"))
    bind.execute(
        text("INSERT INTO branches (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"),
        [{"name": name} for name in branches],
    )
    bind.execute(
        text(
            "INSERT INTO branch_aliases (alias, branch_id)"
            " SELECT :alias, branch_id FROM branches WHERE name = :name"
            " ON CONFLICT (alias) DO NOTHING"
        ),
        [{"alias": alias, "name": name} for name, aliases in branches.items() for alias in aliases],
    )
    bind.execute(text("RESET ROLE"))


def downgrade() -> None:
    names = list(_branches())
    if names:
        op.get_bind().execute(text("DELETE FROM branches WHERE name = ANY(:names)"), {"names": names})
