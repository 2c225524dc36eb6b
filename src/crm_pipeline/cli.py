"""The command line: a thin Typer app. Each command calls one stage entry point.

One error handler (``main``) turns a ``PipelineError`` into a one-line red message and its exit
code (1 = data problem, 2 = usage); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from crm_pipeline import logs
from crm_pipeline.console import console, err_console
from crm_pipeline.errors import PipelineError

app = typer.Typer(
    name="crm-pipeline",
    help=(
        "Consolidate SmartMoving, legacy-CRM and lead-provider exports into one clean, "
        "deduplicated PostgreSQL database.\n\n"
        "Uses DATABASE_URL when set, otherwise an embedded PostgreSQL 16 under CRM_HOME "
        "(default ./.crm_pipeline), started on demand."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Control the embedded PostgreSQL 16 and the schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
export_app = typer.Typer(
    help="Write lineage maps as CSV (the keys other tools join on).", no_args_is_help=True
)
app.add_typer(export_app, name="export")


class AnalyticsStep(StrEnum):
    """``crm-pipeline analytics STEP`` (the same names as ``crm_pipeline.analytics.STEPS``)."""

    JOB_DUPLICATES = "job-duplicates"
    ROLLING = "rolling"
    GENDER = "gender"


_state: dict[str, object] = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks and debug logs.")] = False,
) -> None:
    _state["debug"] = debug
    logs.configure(logging.DEBUG if debug else logging.INFO)


# --------------------------------------------------------------------------- db


@db_app.command("start")
def db_start() -> None:
    """Start the embedded server (no-op when DATABASE_URL is set or it already runs).

    Example: crm-pipeline db start
    """
    from crm_pipeline.db import server

    if not server.is_embedded():
        console.print("DATABASE_URL is set: using that server, nothing to start.")
        return
    server.embedded_url()
    st = server.status()
    console.print(f"[green]embedded PostgreSQL running[/] (pid {st.pid}) at {st.url}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded server.

    Example: crm-pipeline db stop
    """
    from crm_pipeline.db import server

    if not server.is_embedded():
        console.print("DATABASE_URL is set: the pipeline does not stop external servers.")
        return
    stopped = server.stop_embedded()
    console.print("[green]stopped[/]" if stopped else "embedded PostgreSQL was not running")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (password hidden), starting the embedded server if needed.

    Example: psql "$(crm-pipeline db url)"
    """
    from crm_pipeline.db import server

    print(server.redact(server.admin_url()))  # noqa: T201 - machine-readable output


@db_app.command("status")
def db_status() -> None:
    """Server, PostgreSQL version, schema revision, roles and audit triggers; exit 1 on a problem.

    Example: crm-pipeline db status
    """
    from rich.table import Table

    from crm_pipeline.db import health

    report = health.check()
    table = Table(show_header=False, box=None)
    for label, value in health.summary_rows(report):
        table.add_row(f"[bold]{label}[/]", value)
    console.print(table)
    if report.problems:
        raise PipelineError("database not healthy: " + "; ".join(report.problems))


@db_app.command("migrate")
def db_migrate() -> None:
    """Upgrade the schema to the newest revision (alembic upgrade head) and print it.

    Example: DATABASE_URL=postgresql://postgres@db.example/crm crm-pipeline db migrate
    """
    from crm_pipeline import db
    from crm_pipeline.config import get_settings

    revision = db.migrate(get_settings())
    console.print(f"[green]schema at revision {revision}[/] (head {db.head_revision()})")


@app.command("generate")
def generate(
    people: Annotated[int, typer.Option("--people", min=1, help="How many people to invent.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write raw/ and truth/ into.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 42,
) -> None:
    """Write realistic, messy sample exports (OUT/raw/*.csv) and their ground truth (OUT/truth/).

    Example: crm-pipeline generate --people 5000 --seed 42 --out data/demo
    """
    from crm_pipeline.generate import generate as run_generate

    result = run_generate(people, out, seed)
    for f in result.files:
        console.print(f"  {result.raw_dir / f.name}: {f.rows:,} rows")
    console.print(
        f"[green]generated[/] {result.people:,} people, {result.jobs:,} jobs, {result.rows:,} rows "
        f"in {result.seconds:.1f} s; truth in {result.truth_dir}"
    )


@app.command("load")
def load(
    processed_dir: Annotated[
        Path, typer.Argument(help="Output of `clean` + `match` (Parquet files, match_run.json).")
    ] = Path("data/processed"),
) -> None:
    """Phase 3: load PROCESSED_DIR into PostgreSQL (COPY → staging → merge, one transaction).

    A rerun of the same input changes nothing; prints rows inserted / updated / unchanged per table.

    Example: crm-pipeline load data/processed
    """
    from crm_pipeline.config import get_settings
    from crm_pipeline.load import run_load
    from crm_pipeline.load.result import summary_tables

    result = run_load(processed_dir, get_settings())
    for table in summary_tables(result):
        console.print(table)


@app.command("run")
def run_all(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of CSV exports.")] = Path("data/raw"),
    processed_dir: Annotated[
        Path | None,
        typer.Option("--processed", help="Where stage outputs go (default: RAW_DIR/../processed)."),
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start a new run instead of resuming the last one.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Every phase in order: clean → match/unify → load → analytics. Resumable.

    After a crash or Ctrl-C, running it again resumes at the first unfinished stage; on unchanged
    input it does nothing and says so. One log file per run under CRM_HOME/logs/.

    Example: crm-pipeline run data/raw
    """
    import json

    from crm_pipeline import pipeline
    from crm_pipeline.config import get_settings
    from crm_pipeline.console import progress
    from crm_pipeline.summary import run_summary_table

    settings = get_settings()

    def open_log(run_id: str) -> None:
        log_file = settings.logs_dir / f"{run_id}.log"
        logs.configure(logging.DEBUG if _state["debug"] else logging.INFO, log_file=log_file)
        logs.set_run_id(run_id[:8])
        _state["log_file"] = str(log_file)

    with progress() as bar:
        tasks = {name: bar.add_task(name, total=1, start=False) for name in pipeline.STAGES}

        def on_stage(name: str, event: str) -> None:
            if event == "start":
                bar.start_task(tasks[name])
            else:
                bar.update(tasks[name], completed=1, description=f"{name} ({event})")

        result = pipeline.run(
            raw_dir,
            settings,
            processed_dir=processed_dir,
            restart=restart,
            on_stage=on_stage,
            on_run_id=open_log,
        )
    if _state.get("log_file"):
        result.log_file = Path(str(_state["log_file"]))
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, default=str))  # noqa: T201 - machine-readable
        return
    if result.status == "unchanged":
        console.print(f"[green]input unchanged since run {result.run_id}: nothing to do[/]")
    console.print(run_summary_table(result))


# --------------------------------------------------------------------------- analytics


@app.command("analytics")
def analytics(
    step: Annotated[
        AnalyticsStep | None,
        typer.Argument(help="One step: job-duplicates, rolling or gender (all three when omitted)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="gender: re-infer every customer, overwriting source-system values."),
    ] = False,
) -> None:
    """Phase 4: job duplicates → rolling-window job counts → gender, in PostgreSQL.

    job-duplicates: one unified job per real job (jobs, job_source_map, job_duplicate_groups).
    rolling: refresh the 30/90/365-day rollup views (docs/analytics.md).
    gender: fill empty customer genders from first names (gender-guesser).
    A rerun on unchanged data changes nothing.

    Example: crm-pipeline analytics job-duplicates
    """
    from crm_pipeline.analytics import STEPS, run_analytics
    from crm_pipeline.analytics.summary import summary_table
    from crm_pipeline.config import get_settings

    result = run_analytics(get_settings(), which=STEPS if step is None else (step.value,), force=force)
    console.print(summary_table(result))


@export_app.command("job-map")
def export_job_map(
    out: Annotated[Path, typer.Option("--out", help="CSV to write (file, record_id, job_id).")],
) -> None:
    """Every source job row → its unified job: columns file, record_id, job_id.

    Example: crm-pipeline export job-map --out job_map.csv
    """
    from crm_pipeline.analytics.job_duplicates import export_job_map as write_job_map
    from crm_pipeline.config import get_settings

    rows = write_job_map(get_settings(), out)
    console.print(f"[green]wrote {rows:,} rows[/] to {out}")


def main() -> None:
    """Console-script entry point with the one error handler."""
    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except PipelineError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {logs.mask_pii(str(exc))}")
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]aborted[/]")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {logs.mask_pii(str(exc))}")
        err_console.print("run again with --debug for the traceback")
        sys.exit(1)


if __name__ == "__main__":
    main()
