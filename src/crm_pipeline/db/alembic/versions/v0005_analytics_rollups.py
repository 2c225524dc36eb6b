"""Analytics rollups: rolling-window job counts per customer and branch, repeat-customer rates.

Three materialized views over the unified ``jobs`` (written by ``crm-pipeline analytics
job-duplicates``), documented with example queries in ``docs/analytics.md``:

- ``customer_job_rolling(customer_id, day, jobs_day, revenue_day, jobs_30d, revenue_30d, jobs_90d,
  revenue_90d, jobs_365d, revenue_365d)`` — one row per customer and day with a job;
- ``branch_job_rolling(branch, day, …)`` — the same per branch (jobs without a branch left out);
- ``branch_repeat_customers(branch, month, customers, repeat_customers, repeat_rate)``.

Definitions: a *counted job* is a unified job with a service date whose status is not ``cancelled``
or ``lost``; *revenue* is ``final_total``, else ``estimated_total`` (a job with neither adds 0). The
trailing N days of ``day`` are the N calendar days ending on and including ``day``
(``RANGE BETWEEN INTERVAL 'N-1 days' PRECEDING AND CURRENT ROW``). A customer is a *repeat customer*
of a branch-month when one of their counted jobs there falls on a later day than their first counted
job anywhere.

Each view has a unique index, so ``REFRESH MATERIALIZED VIEW CONCURRENTLY`` works and readers never
wait. Only an owner may refresh a materialized view, so ``refresh_job_rollups()`` (``SECURITY
DEFINER``, owned by crm_owner) does it for crm_loader. crm_reader may read the branch views (no
personal data); the customer view is for the pipeline and the owner.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_WINDOWS = {30: "29 days", 90: "89 days", 365: "364 days"}


def _rolling_view(name: str, key: str, where: str) -> str:
    """SQL of one rolling view, partitioned by ``key`` (``customer_id`` or ``branch``)."""
    measures = ",\n      ".join(
        f"sum(jobs) OVER w{n} AS jobs_{n}d, sum(revenue) OVER w{n} AS revenue_{n}d" for n in _WINDOWS
    )
    windows = ",\n      ".join(
        f"w{n} AS (PARTITION BY {key} ORDER BY day RANGE BETWEEN INTERVAL '{span}' PRECEDING AND CURRENT ROW)"
        for n, span in _WINDOWS.items()
    )
    return f"""
    CREATE MATERIALIZED VIEW {name} AS
    WITH daily AS (
      SELECT {key}, service_date AS day, count(*)::integer AS jobs,
             coalesce(sum(coalesce(final_total, estimated_total)), 0)::numeric(14, 2) AS revenue
      FROM counted_jobs
      WHERE {where}
      GROUP BY {key}, service_date
    )
    SELECT {key}, day, jobs AS jobs_day, revenue AS revenue_day,
      {measures}
    FROM daily
    WINDOW
      {windows};
    CREATE UNIQUE INDEX {name}_key_idx ON {name} ({key}, day);
    """


def upgrade() -> None:
    op.execute("SET ROLE crm_owner")
    # No extra index on jobs: the views read the whole table (a sort, not an index scan), and every
    # index costs each insert of the job step (measured in bench/analytics.py).
    op.execute("""
    -- The jobs every rollup counts (one definition, used by the three views).
    CREATE VIEW counted_jobs AS
      SELECT job_id, customer_id, branch, service_date, estimated_total, final_total
      FROM jobs
      WHERE service_date IS NOT NULL
        AND status IS DISTINCT FROM 'cancelled' AND status IS DISTINCT FROM 'lost';
    """)
    op.execute(_rolling_view("customer_job_rolling", "customer_id", "true"))
    op.execute(_rolling_view("branch_job_rolling", "branch", "branch IS NOT NULL"))
    op.execute("""
    CREATE MATERIALIZED VIEW branch_repeat_customers AS
    WITH dated AS (
      SELECT customer_id, branch, service_date,
             min(service_date) OVER (PARTITION BY customer_id) AS first_day
      FROM counted_jobs
    ), per_customer AS (
      SELECT branch, date_trunc('month', service_date)::date AS month, customer_id,
             bool_or(service_date > first_day) AS is_repeat
      FROM dated
      WHERE branch IS NOT NULL
      GROUP BY branch, month, customer_id
    )
    SELECT branch, month,
           count(*)::integer AS customers,
           (count(*) FILTER (WHERE is_repeat))::integer AS repeat_customers,
           round((count(*) FILTER (WHERE is_repeat))::numeric / count(*), 4) AS repeat_rate
    FROM per_customer
    GROUP BY branch, month;
    CREATE UNIQUE INDEX branch_repeat_customers_key_idx ON branch_repeat_customers (branch, month);

    CREATE FUNCTION refresh_job_rollups() RETURNS void
      LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog, public, pg_temp
    AS $fn$
    BEGIN
      REFRESH MATERIALIZED VIEW CONCURRENTLY public.customer_job_rolling;
      REFRESH MATERIALIZED VIEW CONCURRENTLY public.branch_job_rolling;
      REFRESH MATERIALIZED VIEW CONCURRENTLY public.branch_repeat_customers;
    END
    $fn$;
    REVOKE ALL ON FUNCTION refresh_job_rollups() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION refresh_job_rollups() TO crm_loader;

    GRANT SELECT ON counted_jobs, customer_job_rolling, branch_job_rolling, branch_repeat_customers
      TO crm_loader;
    GRANT SELECT ON branch_job_rolling, branch_repeat_customers TO crm_reader;
    """)
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.execute("""
    DROP FUNCTION refresh_job_rollups();
    DROP MATERIALIZED VIEW branch_repeat_customers;
    DROP MATERIALIZED VIEW branch_job_rolling;
    DROP MATERIALIZED VIEW customer_job_rolling;
    DROP VIEW counted_jobs;
    """)
