"""The command line: a thin Typer app. Each command calls one stage entry point.

One error handler (``main``) turns a ``PipelineError`` into a one-line red message and its exit
code (``shared/spec/cli.md``: 0 ok, 1 data problem reported — input rejected or held back, failed
SLA —, 2 usage, 3 another run holds the lock); ``--debug`` shows the traceback instead. A command
that finished its work but must report a problem prints its summary first, then raises.
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
from crm_pipeline.errors import InputRejected, PipelineError

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


ACCEPT_SHRINK_HELP = (
    "Confirm that this input file really shrank (or became empty): apply it although it has "
    "fewer rows than it loaded before. Repeatable. Example: --accept-shrink sm_customers.csv"
)


class AnalyticsStep(StrEnum):
    """``crm-pipeline analytics STEP`` (the same names as ``crm_pipeline.analytics.STEPS``)."""

    JOB_DUPLICATES = "job-duplicates"
    ROLLING = "rolling"
    GENDER = "gender"


_state: dict[str, object] = {"debug": False}


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"crm-pipeline {version('crm-pipeline')}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks and debug logs.")] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
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


class GenerateStyle(StrEnum):
    """``crm-pipeline generate --style``: which sample-data builder writes the exports."""

    TUNED = "tuned"
    INDEPENDENT = "independent"


@app.command("generate")
def generate(
    people: Annotated[int, typer.Option("--people", min=1, help="How many people to invent.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write raw/ and truth/ into.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 42,
    style: Annotated[
        GenerateStyle,
        typer.Option(
            "--style",
            help="tuned: the generator matching is tuned on; independent: another "
            "company's exports, built differently (also writes OUT/config/branches.yaml).",
        ),
    ] = GenerateStyle.TUNED,
) -> None:
    """Write realistic, messy sample exports (OUT/raw/*.csv) and their ground truth (OUT/truth/).

    Example: crm-pipeline generate --people 5000 --seed 42 --out data/demo [--style independent]
    """
    if style is GenerateStyle.INDEPENDENT:
        from crm_pipeline.generate.independent import build_independent as run_generate
    else:
        from crm_pipeline.generate import generate as run_generate

    result = run_generate(people, out, seed)
    for f in result.files:
        console.print(f"  {result.raw_dir / f.name}: {f.rows:,} rows")
    console.print(
        f"[green]generated[/] {result.people:,} people, {result.jobs:,} jobs, {result.rows:,} rows "
        f"in {result.seconds:.1f} s; truth in {result.truth_dir}"
    )


@app.command("clean")
def clean(
    raw_dir: Annotated[Path, typer.Argument(help="Folder of CSV exports (*.csv, *.tsv, *.txt).")],
    processed_dir: Annotated[Path, typer.Argument(help="Where the Parquet outputs and reports go.")],
) -> None:
    """Read, clean, quarantine and validate the exports into Parquet files.

    Every input row ends up in persons/jobs/leads.parquet or in quarantine.parquet (with the
    rule); an unreadable value is nulled and quarantined, its row kept. Unknown branches are kept
    as unconfirmed (a snippet for CRM_BRANCHES_FILE is printed). Exit code 1 when a file was
    rejected (its header matches no profile, it is empty or unreadable: the other files are still
    written) and for a systemic failure (too many rows or a whole column failing) or a broken
    contract; validation results and Data Docs go to PROCESSED_DIR/validation/.

    Example: crm-pipeline clean data/demo/raw data/demo/processed
    """
    from crm_pipeline import runlock
    from crm_pipeline.config import get_settings
    from crm_pipeline.ingest import run_clean
    from crm_pipeline.ingest.report import summary_tables

    settings = get_settings()
    with runlock.exclusive(settings, processed_dir=processed_dir, database=False):
        result = run_clean(raw_dir, processed_dir, settings, raise_on_failure=False)
    for table in summary_tables(result):
        console.print(table)
    for check in result.validation.warnings if result.validation else []:
        console.print(f"[yellow]warning:[/] {check.line()}")
    result.raise_for_validation()
    console.print(f"[green]clean[/] in {result.timings['total']:.1f} s → {processed_dir}")
    rejected = [f for f in result.files if f.status != "ok"]
    if rejected:
        raise InputRejected("rejected input file(s): " + "; ".join(f"{f.file}: {f.error}" for f in rejected))


class MatchBackend(StrEnum):
    """``crm-pipeline match --backend``: where candidate pairs are scored."""

    DUCKDB = "duckdb"
    SPARK = "spark"


@app.command("match")
def match(
    processed_dir: Annotated[
        Path, typer.Argument(help="Output of `clean` (persons.parquet); the match outputs go here too.")
    ] = Path("data/processed"),
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Trained model JSON (default: CRM_HOME/models/person_model.json)."),
    ] = None,
    backend: Annotated[MatchBackend, typer.Option("--backend", help="duckdb, or spark (needs .[spark]).")] = (
        MatchBackend.DUCKDB
    ),
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Train the model again (saved to --model).")
    ] = False,
    input_csv: Annotated[
        Path | None, typer.Option("--input", help="Standalone: dedupe this CSV of canonical person columns.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Standalone: output folder. With --explain: the HTML file.")
    ] = None,
    explain: Annotated[
        str | None,
        typer.Option("--explain", metavar="CUSTOMER_ID", help="Chart why these records were joined."),
    ] = None,
) -> None:
    """Find the person rows that are one customer (Splink 5) and build golden customer records.

    Writes unification_map, customers and match_pairs (Parquet), match_run.json and
    review_pairs.csv (borderline pairs for clerical review) into PROCESSED_DIR. The model is
    trained on the first run and reused after (--retrain to train again). --explain CUSTOMER_ID
    writes a waterfall chart (HTML) of the pairs that joined the customer's records.

    Example: crm-pipeline match data/demo/processed

    Example: crm-pipeline match --input people.csv --out deduped/

    Example: crm-pipeline match --explain cus_0123456789abcdef data/demo/processed
    """
    from crm_pipeline.config import get_settings
    from crm_pipeline.match import report

    if explain is not None:
        from crm_pipeline.match.explain import explain_customer

        explanation = explain_customer(processed_dir, explain, out)
        console.print(report.explain_table(explanation))
        console.print(f"[green]waterfall chart[/] → {explanation.chart}")
        console.print(f"[green]model weights chart[/] → {explanation.weights_chart}")
        return
    if input_csv is not None or out is not None:
        if input_csv is None or out is None:
            raise typer.BadParameter("standalone mode needs both --input CANONICAL.csv and --out DIR")
        from crm_pipeline.match.standalone import match_canonical_csv

        standalone = match_canonical_csv(input_csv, out, get_settings(), model, backend.value, retrain)
        for table in report.standalone_summary(standalone):
            console.print(table)
        return
    from crm_pipeline import runlock
    from crm_pipeline.match import run_match

    settings = get_settings()
    with runlock.exclusive(settings, processed_dir=processed_dir, database=False):
        result = run_match(processed_dir, settings, model, backend.value, retrain)
    for table in report.match_summary(result):
        console.print(table)
    console.print(f"[green]matched[/] {result.records:,} person rows → {result.customers:,} customers")


@app.command("load")
def load(
    processed_dir: Annotated[
        Path, typer.Argument(help="Output of `clean` + `match` (Parquet files, match_run.json).")
    ] = Path("data/processed"),
    full_compare: Annotated[
        bool,
        typer.Option(
            "--full-compare",
            help="Compare every row, also of tables unchanged and untouched since the last load "
            "(those are skipped by default).",
        ),
    ] = False,
    accept_shrink: Annotated[
        list[str] | None, typer.Option("--accept-shrink", metavar="FILE", help=ACCEPT_SHRINK_HELP)
    ] = None,
) -> None:
    """Load PROCESSED_DIR into PostgreSQL (COPY → staging → merge, one transaction).

    A rerun of the same input changes nothing; prints rows inserted / updated / unchanged per table.
    An input file that came back empty, rejected or more than CRM_MAX_SHRINK_SHARE (20 %) smaller
    than what it loaded before is held back (its rows stay; exit code 1) unless --accept-shrink
    names it. Checks the schema first and migrates it when it is behind and DATABASE_URL is the
    owner's (as `run` does).

    Example: crm-pipeline load data/processed

    Example: crm-pipeline load data/processed --accept-shrink sm_customers.csv
    """
    from crm_pipeline import runlock
    from crm_pipeline.config import get_settings
    from crm_pipeline.db import ensure_migrated
    from crm_pipeline.load import LoadOptions, run_load
    from crm_pipeline.load.result import summary_tables

    settings = get_settings()
    ensure_migrated(settings)
    options = LoadOptions(skip_unchanged=not full_compare, accept_shrink=frozenset(accept_shrink or ()))
    with runlock.exclusive(settings, processed_dir=processed_dir):
        result = run_load(processed_dir, settings, options=options)
    for table in summary_tables(result):
        console.print(table)
    if result.held_back:
        raise InputRejected("; ".join(h.message() for h in result.held_back))


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
    accept_shrink: Annotated[
        list[str] | None, typer.Option("--accept-shrink", metavar="FILE", help=ACCEPT_SHRINK_HELP)
    ] = None,
) -> None:
    """Every stage in order: clean → match/unify → load → analytics. Resumable.

    After a crash or Ctrl-C, running it again resumes at the first unfinished stage; on unchanged
    input it does nothing and says so. One log file per run under CRM_HOME/logs/. One run at a
    time per database and processed folder: a second one exits with code 3 naming the holder.
    Exit code 1 when an input file was rejected or held back: a file that came back empty,
    rejected or more than CRM_MAX_SHRINK_SHARE (20 %) smaller than what it loaded before keeps
    its earlier rows until --accept-shrink names it.

    Example: crm-pipeline run data/raw

    Example: crm-pipeline run data/raw --accept-shrink sm_customers.csv
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
            accept_shrink=frozenset(accept_shrink or ()),
            on_stage=on_stage,
            on_run_id=open_log,
        )
    if _state.get("log_file"):
        result.log_file = Path(str(_state["log_file"]))
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, default=str))  # noqa: T201 - machine-readable
    else:
        if result.status == "unchanged":
            console.print(f"[green]input unchanged since run {result.run_id}: nothing to do[/]")
        console.print(run_summary_table(result))
    if result.problems:
        raise InputRejected(f"run {result.run_id}: " + "; ".join(result.problems))


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
    """Job duplicates → rolling-window job counts → gender, in PostgreSQL.

    job-duplicates: one unified job per real job (jobs, job_source_map, job_duplicate_groups).
    rolling: refresh the 30/90/365-day rollup views (docs/analytics.md).
    gender: fill empty customer genders from first names (gender-guesser).
    A rerun on unchanged data changes nothing.

    Example: crm-pipeline analytics job-duplicates
    """
    from crm_pipeline import runlock
    from crm_pipeline.analytics import STEPS, run_analytics
    from crm_pipeline.analytics.summary import summary_table
    from crm_pipeline.config import get_settings

    settings = get_settings()
    with runlock.exclusive(settings):
        result = run_analytics(settings, which=STEPS if step is None else (step.value,), force=force)
    console.print(summary_table(result))


@export_app.command("unification-map")
def export_unification_map(
    out: Annotated[Path, typer.Option("--out", help="CSV to write (file, record_id, customer_id).")],
    processed_dir: Annotated[
        Path | None,
        typer.Option(
            "--processed",
            help="Read PROCESSED_DIR/unification_map.parquet (output of `match`) instead of the "
            "database (default: what the last load wrote).",
        ),
    ] = None,
) -> None:
    """Every person-bearing source row → its customer: columns file, record_id, customer_id.

    Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a leading ' —
    E.164 phones too (README, "CSV files for people").

    Example: crm-pipeline export unification-map --out unification_map.csv

    Example: crm-pipeline export unification-map --processed data/processed --out map.csv
    """
    from crm_pipeline.config import get_settings
    from crm_pipeline.unify.export import export_unification_map as write_map

    rows = write_map(out, processed_dir=processed_dir, settings=get_settings())
    console.print(f"[green]wrote {rows:,} rows[/] to {out}")


@app.command("evaluate")
def evaluate(
    truth: Annotated[Path, typer.Option("--truth", help="Truth folder from `generate` (customers.csv).")],
    processed_dir: Annotated[
        Path, typer.Option("--processed", help="Folder with the match outputs (unification_map.parquet).")
    ] = Path("data/processed"),
) -> None:
    """Pairwise precision / recall / F1 of the customers (and the database's jobs) against the truth.

    Example: crm-pipeline evaluate --truth data/demo/truth --processed data/demo/processed
    """
    from crm_pipeline.match.evaluate import evaluate_customers
    from crm_pipeline.match.report import metrics_table

    metrics = evaluate_customers(processed_dir / "unification_map.parquet", truth)
    console.print(metrics_table("customers (pairwise)", metrics))
    if (truth / "jobs.csv").is_file():  # jobs: the unified jobs in the database vs truth/jobs.csv
        from crm_pipeline.analytics.evaluate import evaluate_jobs
        from crm_pipeline.config import get_settings

        job_metrics = evaluate_jobs(get_settings(), truth)
        if job_metrics is None:
            console.print("jobs: nothing to evaluate yet (run `load`, then `analytics job-duplicates`)")
        else:
            console.print(metrics_table("jobs (pairwise)", job_metrics))


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
    """Console-script entry point with the one error handler.

    Click (inside Typer) handles usage errors itself in standalone mode: message + exit code 2.
    Everything the pipeline reports is a ``PipelineError``: one red line and its exit code. Anything
    else is a bug: one red line too, and the traceback with ``--debug``.
    """
    try:
        from crm_pipeline.config import get_settings
        from crm_pipeline.permissions import restrict_new_files

        restrict_new_files(get_settings())  # before anything is written: PII files owner-only
        app()
    except PipelineError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {logs.mask_pii(str(exc))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {logs.mask_pii(str(exc))}")
        err_console.print("run again with --debug for the traceback")
        sys.exit(1)


if __name__ == "__main__":
    main()
