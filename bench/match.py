"""Matching (Phase 2B) on generated data, against Splink 5 configured as its tutorial does.

For each size (default 5,000 and 50,000 people):
1. Generate the people and clean them (cached in ``--data``, default
   /tmp/crm-bench-match-<people>-<seed>; about 3 person rows per person).
2. Ours: ``run_match`` with a fresh CRM_HOME, so the model is trained on this data (train +
   predict + cluster + unify; time per step), in a child process whose peak RSS is its own.
3. The tutorial configuration, in the same run and on the same persons.parquet: Splink's
   ready-made comparisons on the columns a tutorial would use (NameComparison on first and last
   name, EmailComparison, exact phone, exact city with term frequencies, ZIP with Levenshtein),
   blocking on first+last name, email, phone, last name+ZIP, u by random sampling, EM blocked on
   names and on email, connected components at the same threshold.
4. Customer pairwise precision / recall / F1 of both against truth/customers.csv.

Targets (issue 4): precision >= 0.995, recall >= 0.97, ours at least as good as the tutorial on
every figure; 50k people: train + predict + cluster + unify <= 60 s, peak RSS <= 4 GB.
Wall time depends on what else the machine runs (the load average is printed); CPU time is steadier.

``--style independent`` (or ``both``) also measures ours on the independent exports
(``crm-pipeline generate --style independent``: another company's exports, built without the tuned
generator's code; cached in /tmp/crm-bench-match-independent-<people>-<seed>). Nothing is tuned on
that set; it is reported in its own section "independent exports (not tuned on)": the rows the
clean stage let through, customer pairwise precision / recall / F1, the share of customers that are
duplicates of another customer (a true person split over several customers), and job-duplicate
precision / recall / F1 (the pure job-duplicate step of ``analytics job-duplicates`` on the
clean jobs and the unification map, without the database). Targets (issue 11): precision >= 0.995,
recall >= 0.97, duplicate customers < 1 %, job F1 >= 0.99. When the configuration supports a branch
file (``Settings.branches_file``) the set's ``config/branches.yaml`` is passed to the clean stage.

Run: .venv/bin/python bench/match.py [--people 5000 50000] [--seed 42] [--style tuned|independent|both]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_PRECISION = 0.995
TARGET_RECALL = 0.97
TARGET_SECONDS_50K = 60.0
TARGET_RSS_MB = 4096.0
TARGET_DUPLICATE_CUSTOMERS = 0.01
TARGET_JOB_F1 = 0.99


def size_targets(people: int) -> tuple[float | None, float]:
    """(seconds, RSS MB) the issue sets for this size: 50k → 60 s / 4 GB; 500k → 10 min / 12 GB.
    Precision and recall targets are set for 5k and 50k people."""
    if people >= 500_000:
        return 600.0, 12_288.0
    return (TARGET_SECONDS_50K if people >= 50_000 else None), TARGET_RSS_MB


STEPS = ("features", "train", "predict", "cluster", "unify")


# ----------------------------------------------------------------------------- data
def prepare(people: int, seed: int, data: Path) -> Path:
    """Generated + cleaned data for ``people`` (reused when already there)."""
    if (data / "processed" / "persons.parquet").is_file() and (data / "truth" / "customers.csv").is_file():
        return data
    from crm_pipeline.config import Settings
    from crm_pipeline.generate import generate
    from crm_pipeline.ingest import run_clean

    print(f"  generating {people:,} people into {data} ...", flush=True)
    generate(people, data, seed)
    print("  cleaning ...", flush=True)
    run_clean(data / "raw", data / "processed", Settings(home=data / "home"), raise_on_failure=False)
    return data


def prepare_independent(people: int, seed: int, data: Path) -> Path:
    """Independent exports + cleaned data for ``people`` (reused when already there)."""
    if (data / "processed" / "clean_summary.json").is_file() and (data / "truth" / "customers.csv").is_file():
        return data
    from crm_pipeline.config import Settings
    from crm_pipeline.generate.independent import build_independent
    from crm_pipeline.ingest import run_clean

    print(f"  generating {people:,} people (independent exports) into {data} ...", flush=True)
    result = build_independent(people, data, seed)
    print(f"  generated in {result.seconds:.1f} s; cleaning ...", flush=True)
    run_clean(data / "raw", data / "processed", Settings(home=data / "home", **_branch_setting(data)),
              raise_on_failure=False)  # fmt: skip
    return data


def _branch_setting(data: Path) -> dict[str, Any]:
    """The set's own branch list, when the configuration has a setting for it."""
    from crm_pipeline.config import Settings

    return (
        {"branches_file": data / "config" / "branches.yaml"}
        if "branches_file" in Settings.model_fields
        else {}
    )


# ----------------------------------------------------------------------------- workers (child processes)
def worker_ours(data: Path, out: Path) -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)
    import crm_pipeline.match.stage  # noqa: F401 - imports are not part of the measured time
    from crm_pipeline.config import Settings
    from crm_pipeline.match import run_match
    from crm_pipeline.match.evaluate import evaluate_customers

    with tempfile.TemporaryDirectory(prefix="crm-bench-home-") as home:
        start = time.perf_counter()
        result = run_match(data / "processed", Settings(home=Path(home)), retrain=True)
        wall = time.perf_counter() - start
    metrics = evaluate_customers(data / "processed" / "unification_map.parquet", data / "truth")
    timings = result.timings
    steps = {
        "features": timings.get("features", 0.0),
        "train": timings.get("train", 0.0),
        "predict": timings.get("predict", 0.0),
        "cluster": timings.get("cluster", 0.0),
        "unify": timings.get("unify", 0.0) + timings.get("write", 0.0),
    }
    out.write_text(
        json.dumps(
            {
                "wall": wall,
                "steps": steps,
                "training": {k: v for k, v in timings.items() if k.startswith("train.")},
                "metrics": metrics.as_dict(),
                "records": result.records,
                "customers": result.customers,
                "pairs": sum(result.rule_counts.values()),
            }
        )
    )


def worker_tutorial(data: Path, out: Path) -> None:
    """Splink 5 as its tutorial configures it, on the same person rows."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from crm_pipeline.config import Settings
    from crm_pipeline.match.evaluate import pairwise_metrics

    threshold = Settings().match_threshold
    con = duckdb.connect()
    start = time.perf_counter()
    steps: dict[str, float] = {}
    con.execute(
        "CREATE TABLE people AS SELECT row_number() OVER (ORDER BY uid) AS unique_id, uid, file, record_id, "
        "first_name, last_name, email, phone, city, zip FROM read_parquet(?)",
        [str(data / "processed" / "persons.parquet")],
    )
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("zip", 1),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("email"),
            block_on("phone"),
            block_on("last_name", "zip"),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(db_api.register("people"), settings, log_level=logging.WARNING)
    steps["features"] = time.perf_counter() - start
    t = time.perf_counter()
    names = ("first_name", "last_name")
    deterministic = [block_on(*names, "email"), block_on(*names, "phone")]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    steps["train"] = time.perf_counter() - t
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    steps["predict"] = time.perf_counter() - t
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    steps["cluster"] = time.perf_counter() - t
    steps["unify"] = 0.0
    con.execute(
        f"CREATE TABLE predicted AS SELECT p.file, p.record_id, c.cluster_id AS customer_id "
        f"FROM people p JOIN {clusters.physical_name} c USING (unique_id)"
    )
    con.execute(
        "CREATE TABLE truth AS SELECT * FROM read_csv(?, all_varchar = true)",
        [str(data / "truth" / "customers.csv")],
    )
    metrics = pairwise_metrics(con, "predicted", "truth")
    out.write_text(
        json.dumps({"wall": time.perf_counter() - start, "steps": steps, "metrics": metrics.as_dict()})
    )


# ----------------------------------------------------------------------------- measuring
def measure(kind: str, data: Path) -> dict[str, Any]:
    """Run one worker in a child process; add its CPU time and peak RSS (from wait4)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = Path(f.name)
    proc = subprocess.Popen([sys.executable, __file__, "--worker", kind, str(data), str(out)])  # noqa: S603
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{kind} worker failed (exit {os.waitstatus_to_exitcode(status)})")
    stats: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    stats["cpu"] = usage.ru_utime + usage.ru_stime
    stats["rss_mb"] = usage.ru_maxrss / 1024
    return stats


def _fmt_row(name: str, s: dict[str, Any]) -> str:
    m = s["metrics"]
    steps = " ".join(f"{s['steps'].get(k, 0.0):7.1f}" for k in STEPS)
    total = sum(s["steps"].get(k, 0.0) for k in STEPS)
    return (
        f"  {name:<9} {m['precision']:9.4f} {m['recall']:7.4f} {m['f1']:7.4f}  {steps} {total:7.1f} "
        f"{s['cpu']:7.1f} {s['rss_mb']:7.0f}"
    )


def report(people: int, ours: dict[str, Any], tutorial: dict[str, Any]) -> list[str]:
    header = (
        f"  {'':<9} {'precision':>9} {'recall':>7} {'F1':>7}  "
        + " ".join(f"{k[:7]:>7}" for k in STEPS)
        + f" {'total s':>7} {'CPU s':>7} {'RSS MB':>7}"
    )
    print(f"\n== {people:,} people: {ours['records']:,} person rows → {ours['customers']:,} customers")
    print(header)
    print(_fmt_row("ours", ours))
    print(_fmt_row("tutorial", tutorial))
    print(f"  ours, training steps: {', '.join(f'{k[6:]} {v:.1f} s' for k, v in ours['training'].items())}")
    failures: list[str] = []
    mo, mt = ours["metrics"], tutorial["metrics"]
    seconds_target, rss_target = size_targets(people)
    if people <= 50_000 and mo["precision"] < TARGET_PRECISION:
        failures.append(f"{people}: precision {mo['precision']:.4f} < {TARGET_PRECISION}")
    if people <= 50_000 and mo["recall"] < TARGET_RECALL:
        failures.append(f"{people}: recall {mo['recall']:.4f} < {TARGET_RECALL}")
    for key in ("precision", "recall", "f1"):
        if mo[key] < mt[key]:
            failures.append(f"{people}: {key} {mo[key]:.4f} below the tutorial's {mt[key]:.4f}")
    total = sum(ours["steps"].get(k, 0.0) for k in STEPS)
    if seconds_target is not None and total > seconds_target:
        load = os.getloadavg()[0]
        failures.append(f"{people}: {total:.1f} s > {seconds_target:.0f} s (load average {load:.1f})")
    if ours["rss_mb"] > rss_target:
        failures.append(f"{people}: peak RSS {ours['rss_mb']:.0f} MB > {rss_target:.0f} MB")
    return failures


# ----------------------------------------------------------------------------- independent exports
def clean_counts(data: Path) -> dict[str, Any]:
    """Rows in / clean / quarantined of the clean run, and the quarantine entries by rule."""
    summary: dict[str, Any] = json.loads((data / "processed" / "clean_summary.json").read_text())
    keys = ("rows_in", "rows_clean", "rows_quarantined", "quarantine_by_rule")
    return {k: summary.get(k, {} if k == "quarantine_by_rule" else 0) for k in keys}


def duplicate_customer_share(data: Path) -> tuple[int, int]:
    """(predicted customers that share a true person with another predicted customer, predicted
    customers), over the records present in both the unification map and the truth."""
    import polars as pl

    keys = ["file", "record_id"]
    umap = pl.read_parquet(data / "processed" / "unification_map.parquet").select(*keys, "customer_id")
    truth = pl.read_csv(data / "truth" / "customers.csv", infer_schema=False)
    both = umap.join(truth, on=keys).select("customer_id", "entity_id").unique()
    split = both.group_by("entity_id").agg(pl.len().alias("n")).filter(pl.col("n") > 1)
    duplicated = both.join(split, on="entity_id")["customer_id"].n_unique()
    return duplicated, both["customer_id"].n_unique()


def job_metrics(data: Path) -> dict[str, Any] | None:
    """Job-duplicate pairwise scores: the job-duplicate step on clean jobs + unification map."""
    import polars as pl

    from crm_pipeline.analytics.evaluate import pairwise_scores, read_job_truth
    from crm_pipeline.analytics.job_duplicates import SOURCE_JOB_COLUMNS, detect_job_duplicates, rules_from
    from crm_pipeline.config import Settings

    jobs = pl.read_parquet(data / "processed" / "jobs.parquet")
    if jobs.height == 0:
        return None
    umap = pl.read_parquet(data / "processed" / "unification_map.parquet").select("uid", "customer_id")
    source = (
        jobs.rename({"file": "file_name"})
        .join(umap, on="uid", how="inner")
        .select([pl.col(c).cast(t) for c, t in SOURCE_JOB_COLUMNS.items()])
    )
    frames = detect_job_duplicates(source, rules_from(Settings()))
    job_map = frames.source_map.join(
        source.select("uid", pl.col("file_name").alias("file"), "record_id"), on="uid"
    )
    metrics = pairwise_scores(job_map, read_job_truth(data / "truth"), cluster="job_id", entity="job_entity")
    return metrics.as_dict()


def report_independent(people: int, data: Path, ours: dict[str, Any] | None) -> list[str]:
    counts = clean_counts(data)
    print(f"\n== independent exports (not tuned on): {people:,} people")
    rules = ", ".join(
        f"{k} {v:,}" for k, v in sorted(counts["quarantine_by_rule"].items(), key=lambda kv: -kv[1])
    )
    print(
        f"  clean: {counts['rows_in']:,} rows in → {counts['rows_clean']:,} clean, "
        f"{counts['rows_quarantined']:,} quarantined ({rules or 'nothing'})"
    )
    if ours is None:
        return [f"independent {people}: no person row reached matching"]
    m = ours["metrics"]
    duplicated, customers = duplicate_customer_share(data)
    share = duplicated / customers if customers else 0.0
    header = f"  {'':<9} {'precision':>9} {'recall':>7} {'F1':>7}  {'dup. customers':>14}"
    print(f"{header}  {'total s':>7} {'RSS MB':>7}")
    total = sum(ours["steps"].get(k, 0.0) for k in STEPS)
    print(
        f"  {'customers':<9} {m['precision']:9.4f} {m['recall']:7.4f} {m['f1']:7.4f}  "
        f"{share:13.2%}  {total:7.1f} {ours['rss_mb']:7.0f}"
    )
    print(
        f"  ({ours['records']:,} person rows → {ours['customers']:,} customers; {duplicated:,} of "
        f"{customers:,} customers share a true person with another; true pairs {m['true_pairs']:,}, "
        f"found {m['true_positive_pairs']:,}, predicted {m['predicted_pairs']:,})"
    )
    failures: list[str] = []
    if m["precision"] < TARGET_PRECISION:
        failures.append(f"independent {people}: precision {m['precision']:.4f} < {TARGET_PRECISION}")
    if m["recall"] < TARGET_RECALL:
        failures.append(f"independent {people}: recall {m['recall']:.4f} < {TARGET_RECALL}")
    if share >= TARGET_DUPLICATE_CUSTOMERS:
        failures.append(
            f"independent {people}: {share:.2%} duplicate customers >= {TARGET_DUPLICATE_CUSTOMERS:.0%}"
        )
    jobs = job_metrics(data)
    if jobs is None:
        print("  jobs: no job row reached the clean output")
        failures.append(f"independent {people}: no jobs to score")
    else:
        print(
            f"  {'jobs':<9} {jobs['precision']:9.4f} {jobs['recall']:7.4f} {jobs['f1']:7.4f}  "
            f"(rows scored {jobs['records_scored']:,}; true pairs {jobs['true_pairs']:,}, "
            f"found {jobs['true_positive_pairs']:,}, predicted {jobs['predicted_pairs']:,})"
        )
        if jobs["f1"] < TARGET_JOB_F1:
            failures.append(f"independent {people}: job F1 {jobs['f1']:.4f} < {TARGET_JOB_F1}")
    return failures


def run_independent(people: int, seed: int) -> list[str]:
    data = Path(tempfile.gettempdir()) / f"crm-bench-match-independent-{people}-{seed}"
    prepare_independent(people, seed, data)
    if clean_counts(data)["rows_clean"] == 0:
        return report_independent(people, data, None)
    return report_independent(people, data, measure("ours", data))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="cache folder (one size only, tuned set)")
    parser.add_argument(
        "--style",
        choices=("tuned", "independent", "both"),
        default="tuned",
        help="which exports to measure: the tuned generator's, the independent ones, or both",
    )
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, data, out = args.worker
        (worker_ours if kind == "ours" else worker_tutorial)(Path(data), Path(out))
        return

    print(f"bench/match.py: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    failures: list[str] = []
    for people in args.people:
        if args.style in ("tuned", "both"):
            data = args.data or Path(tempfile.gettempdir()) / f"crm-bench-match-{people}-{args.seed}"
            prepare(people, args.seed, data)
            ours = measure("ours", data)
            tutorial = measure("tutorial", data)
            failures += report(people, ours, tutorial)
        if args.style in ("independent", "both"):
            failures += run_independent(people, args.seed)
    print()
    if failures:
        print("targets missed:\n  " + "\n  ".join(failures))
        raise SystemExit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
