"""What the load writes: one ``MergeSpec`` per final table, in foreign-key order.

Column names follow ``docs/contracts.md``. Three kinds of columns:

- ``key``: the primary key, the ``ON CONFLICT`` target;
- ``columns``: the data; a difference in any of them makes an update, an equal row is left alone
  (so a rerun of the same input writes nothing, and the audit triggers see nothing);
- ``lineage``: who wrote the row (``run_id``, ``match_run_id``). Written with the row on insert and
  on a real update, never compared: an unchanged row keeps the run that last changed it.
"""

from __future__ import annotations

from crm_pipeline.db.merge import MergeSpec
from crm_pipeline.models import MOVE_COLUMNS
from crm_pipeline.unify.golden import CUSTOMER_COLUMNS

# ``confirmed``: the branch table lists it (false: only the data used it; see clean/branches.py)
BRANCHES = MergeSpec(table="branches", key=("name",), columns=("confirmed",))
BRANCH_ALIASES = MergeSpec(table="branch_aliases", key=("alias",), columns=("branch_id",))

SOURCE_FILES = MergeSpec(
    table="source_files",
    key=("file_name",),
    columns=(
        "sha256",
        "profile",
        "encoding",
        "delimiter",
        "rows_in",
        "rows_clean",
        "rows_quarantined",
        "status",
        "error",
    ),
    lineage=("run_id",),
    stamps=(("loaded_at", "now"),),
)

QUARANTINE = MergeSpec(
    table="quarantine",
    key=("file_name", "line", "column_name", "rule"),
    columns=("uid", "raw_value", "profile", "level"),
    lineage=("run_id",),
    replace_within="file_name",
)

SOURCE_PERSON_RECORDS = MergeSpec(
    table="source_person_records",
    key=("uid",),
    columns=(
        "file_name",
        "line",
        "record_id",
        "profile",
        "source_system",
        "source_customer_id",
        "name_title",
        "first_name",
        "middle_name",
        "last_name",
        "name_suffix",
        "email",
        "phone",
        "phone_ext",
        "phone_type",
        "phone2",
        "street",
        "unit",
        "city",
        "state",
        "zip",
        "zip4",
        "branch",
        "created_at",
        "event_date",
    ),
    replace_within="file_name",
)

CUSTOMERS = MergeSpec(
    table="customers",
    key=("customer_id",),
    columns=tuple(c for c in CUSTOMER_COLUMNS if c != "customer_id"),  # the golden record, as unify writes it
    stamps=(("updated_at", "now"),),
)

CUSTOMER_SOURCE_MAP = MergeSpec(
    table="customer_source_map",
    key=("uid",),
    columns=("file_name", "record_id", "customer_id"),
    lineage=("match_run_id",),
    replace_within="file_name",
)

SOURCE_JOB_RECORDS = MergeSpec(
    table="source_job_records",
    key=("uid",),
    columns=(
        "file_name",
        "line",
        "record_id",
        "profile",
        "source_system",
        "job_number",
        "quote_number",
        "source_customer_id",
        "customer_id",
        *MOVE_COLUMNS,
        "sales_person",
        "referral_source",
        "created_at",
        "status_raw",
        "service_type_raw",
    ),
    # analytics' job_source_map rows of a replaced job record go with it (ON DELETE CASCADE);
    # analytics rebuilds the map after every load.
    replace_within="file_name",
)

LEADS = MergeSpec(
    table="leads",
    key=("uid",),
    columns=(
        "file_name",
        "record_id",
        "lead_id",
        "customer_id",
        "move_date",
        "move_size",
        "origin_zip",
        "destination_zip",
        "branch",
        "referral_source",
        "created_at",
    ),
    replace_within="file_name",
)

MATCH_RUNS = MergeSpec(
    table="match_runs",
    key=("match_run_id",),
    columns=("model_sha256", "threshold", "n_records", "n_pairs", "n_customers", "metrics", "created_at"),
)

# Merge order: parents before children (foreign keys hold at every statement).
MERGE_ORDER: tuple[MergeSpec, ...] = (
    SOURCE_FILES,
    QUARANTINE,
    SOURCE_PERSON_RECORDS,
    MATCH_RUNS,
    CUSTOMERS,
    CUSTOMER_SOURCE_MAP,
    SOURCE_JOB_RECORDS,
    LEADS,
)

# Tables whose rows of a reloaded file are replaced: children first, so deletes never break a key.
DELETE_ORDER: tuple[MergeSpec, ...] = (
    CUSTOMER_SOURCE_MAP,
    LEADS,
    SOURCE_JOB_RECORDS,
    SOURCE_PERSON_RECORDS,
    QUARANTINE,
)

ALL_TABLES: tuple[str, ...] = (
    "branches",
    "branch_aliases",
    *(spec.table for spec in MERGE_ORDER),
)
