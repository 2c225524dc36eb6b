"""The clean stage on generated data (default 50,000 people), against a naive row-by-row baseline.

1. Generate ``--people`` people with ``crm-pipeline generate`` (cached in ``--data``, default
   /tmp/crm-bench-clean-<people>-<seed>; the generator writes about 3 rows per person).
2. Run the real stage, ``run_clean`` with Great Expectations validation, in a fresh child process
   so its peak RSS is the stage's own: the main process's ``ru_maxrss`` plus that of its
   Great Expectations worker process (``RUSAGE_CHILDREN``). Prints wall time, rows/s, CPU time and
   the stage's own timings.
3. The naive baseline, measured in this run: pandas ``iterrows`` over the same files, the
   normalizers' per-value Python functions called value by value (the ones bench/normalize.py
   times: nameparser, usaddress, phonenumbers, email-validator, strptime, ...; no distinct step,
   no vectorized path) and one Pydantic contract object built per row. It is timed on
   ``--baseline-rows`` rows spread evenly over the files (default 2,000: at tens of ms per row a
   10-20k sample takes many minutes on a shared 2-core machine) and extrapolated to all rows; the
   pandas read of the full files is timed and added.
4. The issue's baseline word for word ("literal"): the same loop, but calling the stage's own
   normalizers (the ``crm_pipeline.clean`` Series functions) on one value at a time, one Pydantic
   object per row; ``--literal-rows`` rows (default 200: it costs ~0.1-0.3 s a row), extrapolated.
   It pays Polars' per-call overhead on every value, so its ratio is far larger than (3)'s; (3) is
   the honest comparison against a careful row-by-row implementation.

Wall time depends on what else the machine runs (the load average is printed); CPU time is steadier.

Run: .venv/bin/python bench/clean.py [--people 50000] [--seed 42] [--baseline-rows 2000] [--literal-rows 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

TARGET_SECONDS = 20.0
TARGET_RSS_MB = 2048.0
TARGET_RATIO = 20.0


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------- the stage (child)
def stage_only(raw: Path, out: Path, stats_file: Path) -> None:
    """Run the clean stage once and write its measurements to ``stats_file`` (child process)."""
    from crm_pipeline.config import Settings
    from crm_pipeline.ingest import run_clean

    wall = time.perf_counter()
    result = run_clean(raw, out, Settings(), raise_on_failure=False)
    wall = time.perf_counter() - wall
    stats = {
        "wall": wall,
        "cpu_main": _cpu(resource.RUSAGE_SELF),
        "cpu_worker": _cpu(resource.RUSAGE_CHILDREN),
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rows_in": result.rows_in,
        "rows_clean": result.rows_clean,
        "rows_quarantined": result.rows_quarantined,
        "values_quarantined": result.values_quarantined,
        "files": {f.file: f.rows_in for f in result.files},
        "timings": result.timings,
        "validation_ok": result.validation.success if result.validation else None,
    }
    stats_file.write_text(json.dumps(stats), encoding="utf-8")


# ----------------------------------------------------------------------------- naive baseline
def naive_baseline(raw: Path, sample_rows: int) -> dict[str, Any]:
    """Per-row loop over ``sample_rows`` rows; returns measured and extrapolated seconds."""
    import pandas as pd
    from pydantic import ValidationError

    sys.path.insert(0, str(Path(__file__).parent))
    import normalize as per_value  # bench/normalize.py: the normalizers' per-value functions
    from crm_pipeline.clean import enums
    from crm_pipeline.ingest.encoding import decode_bytes
    from crm_pipeline.ingest.profiles import detect_profile, load_profiles
    from crm_pipeline.ingest.reader import detect_delimiter
    from crm_pipeline.models import CleanJob, CleanLead, CleanPerson

    status = per_value.naive_enum(enums.STATUS_SPELLINGS)
    service = per_value.naive_enum(enums.SERVICE_TYPE_SPELLINGS)

    def first(value: Any) -> Any:
        return value[0] if isinstance(value, tuple) else value

    def date_of(value: Any) -> Any:
        return value.date() if value is not None else None

    def money_of(value: Any) -> Decimal | None:
        amount = first(value)
        return amount.quantize(Decimal("0.01")) if isinstance(amount, Decimal) else None

    read_seconds = 0.0
    frames = []
    profiles = load_profiles()
    for path in sorted(raw.glob("*.csv")):
        start = time.perf_counter()
        decoded = decode_bytes(path.read_bytes())
        sep = detect_delimiter(decoded.text.split("\n", 1)[0])
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=sep,
            encoding=decoded.encoding,
            encoding_errors="replace",
            on_bad_lines="skip",
            engine="python",
        )
        read_seconds += time.perf_counter() - start
        frames.append((path.name, frame, detect_profile(list(frame.columns), profiles)))
    total = sum(len(f) for _, f, _ in frames)

    rows = built = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for name, frame, match in frames:
        if not match.ok:
            continue
        take = max(1, round(sample_rows * len(frame) / total))
        step = max(1, len(frame) // take)
        kind = match.profile.kind
        col = {field: frame.columns[i] for field, i in match.columns.items()}
        for line, row in frame.iloc[::step].head(take).iterrows():
            rows += 1

            value = {field: row[c] if isinstance(row[c], str) else None for field, c in col.items()}.get

            name_parts = per_value.naive_name(
                value("full_name") or f"{value('first_name')} {value('last_name')}"
            )
            email, phone = per_value.naive_email(value("email")), per_value.naive_phone(value("phone"))
            address = per_value.naive_address(value("address") or value("origin_address") or value("street"))
            record: dict[str, Any] = {
                "uid": f"{name}#{line}",
                "file": name,
                "line": int(str(line)) + 2,
                "record_id": "x",
                "profile": match.profile.name,
                "source_system": match.profile.source_system,
                "branch": per_value.naive_branch(value("branch")),
                "created_at": per_value.naive_datetime(value("created_at")),
            }
            if kind == "lead":
                record |= {
                    "move_date": date_of(per_value.naive_date(value("move_date"))),
                    "origin_zip": first(per_value.naive_zip(value("origin_zip"))),
                    "destination_zip": first(per_value.naive_zip(value("dest_zip"))),
                }
                model: Any = CleanLead
            elif kind == "job":
                per_value.naive_address(value("dest_address") or value("dest_street"))
                record |= {
                    "service_date": date_of(per_value.naive_date(value("service_date"))),
                    "status": status(value("status")),
                    "service_type": service(value("service_type")),
                    "estimated_total": money_of(per_value.naive_money(value("estimated_total"))),
                    "final_total": money_of(per_value.naive_money(value("final_total"))),
                }
                model = CleanJob
            else:
                parts = name_parts or (None,) * 5
                record |= dict(
                    zip(
                        ("name_title", "first_name", "middle_name", "last_name", "name_suffix"),
                        parts,
                        strict=True,
                    )
                )
                record |= {"email": first(email), "phone": first(phone), "event_date": None}
                if address:
                    record |= dict(zip(("street", "unit", "city", "state", "zip"), address[:5], strict=True))
                model = CleanPerson
            try:
                model.model_validate(
                    {k: v for k, v in record.items() if k in model.model_fields}, strict=False
                )
                built += 1
            except ValidationError:
                pass
    loop_seconds = time.perf_counter() - start
    loop_cpu = time.process_time() - cpu_start
    per_row = loop_seconds / max(rows, 1)
    return {
        "rows_sampled": rows,
        "objects_built": built,
        "loop_seconds": loop_seconds,
        "per_row_ms": per_row * 1000,
        "read_seconds": read_seconds,
        "rows_total": total,
        "estimated_seconds": read_seconds + per_row * total,
        "estimated_cpu_seconds": read_seconds + loop_cpu / max(rows, 1) * total,
    }


def literal_baseline(raw: Path, sample_rows: int) -> dict[str, Any]:
    """The issue's baseline word for word: pandas ``iterrows``, the stage's own normalizers (the
    ``crm_pipeline.clean`` Series functions, through ``transform``) called on one value at a time,
    one Pydantic object per row. Timed on ``sample_rows`` rows and extrapolated."""
    import pandas as pd
    import polars as pl

    from crm_pipeline.config import Settings
    from crm_pipeline.ingest.encoding import decode_bytes
    from crm_pipeline.ingest.profiles import detect_profile, load_profiles
    from crm_pipeline.ingest.reader import detect_delimiter
    from crm_pipeline.ingest.stage import _FileOutput, _lineage, _split_outputs
    from crm_pipeline.ingest.transform import CleanRules, transform
    from crm_pipeline.models import CleanJob, CleanLead, CleanPerson

    models = {"customer": CleanPerson, "job": CleanJob, "lead": CleanLead}
    rules = CleanRules.from_settings(Settings())  # the stage's own configuration, built once as it does
    frames = []
    for path in sorted(raw.glob("*.csv")):
        decoded = decode_bytes(path.read_bytes())
        sep = detect_delimiter(decoded.text.split("\n", 1)[0])
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=sep,
            encoding=decoded.encoding,
            encoding_errors="replace",
            on_bad_lines="skip",
            engine="python",
        )
        frames.append((path.name, frame, detect_profile(list(frame.columns), load_profiles())))
    total = sum(len(f) for _, f, _ in frames)
    rows = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    for name, frame, match in frames:
        take = max(1, round(sample_rows * len(frame) / total))
        schema = {field: pl.String for field in match.columns}
        for line, row in frame.iloc[:: max(1, len(frame) // take)].head(take).iterrows():
            rows += 1
            values = {
                f: [row.iloc[i] if isinstance(row.iloc[i], str) and row.iloc[i] else None]
                for f, i in match.columns.items()
            }
            one = pl.DataFrame(values, schema=schema).with_columns(line=pl.lit(int(str(line)) + 2, pl.Int64))
            cleaned = transform(one, match.profile, rules)
            if (cleaned.errors["level"] == "row").any():
                continue
            out = _FileOutput(None)  # type: ignore[arg-type]
            _split_outputs(
                out,
                _lineage(cleaned.values, one, None, name, match.profile),
                match.profile,
            )
            kind = match.profile.kind
            frame_out = {"customer": out.persons, "job": out.jobs, "lead": out.leads}[kind]
            if frame_out is not None:
                models[kind].model_validate(frame_out.row(0, named=True))
    per_row = (time.perf_counter() - start) / max(rows, 1)
    per_row_cpu = (time.process_time() - cpu_start) / max(rows, 1)
    return {
        "rows_sampled": rows,
        "per_row_ms": per_row * 1000,
        "rows_total": total,
        "estimated_seconds": per_row * total,
        "estimated_cpu_seconds": per_row_cpu * total,
    }


# ----------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="generated data folder (reused if present)")
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--literal-rows", type=int, default=200)
    parser.add_argument(
        "--stage-only", nargs=3, type=Path, metavar=("RAW", "OUT", "STATS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.stage_only:
        stage_only(*args.stage_only)
        return

    data = args.data or Path(tempfile.gettempdir()) / f"crm-bench-clean-{args.people}-{args.seed}"
    raw = data / "raw"
    if not any(raw.glob("*.csv")):
        print(f"generating {args.people:,} people into {data} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from crm_pipeline.cli import main; main()",
                "generate",
                "--people",
                str(args.people),
                "--seed",
                str(args.seed),
                "--out",
                str(data),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    with tempfile.TemporaryDirectory(prefix="crm-bench-clean-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--stage-only",
                str(raw),
                str(Path(tmp) / "processed"),
                str(stats_file),
            ],
            check=True,
        )
        stage = json.loads(stats_file.read_text(encoding="utf-8"))

    print(f"naive baseline on {args.baseline_rows:,} sampled rows ...", flush=True)
    naive = naive_baseline(raw, args.baseline_rows)
    print(f"literal baseline on {args.literal_rows:,} sampled rows ...", flush=True)
    literal = literal_baseline(raw, args.literal_rows)

    rows, wall = stage["rows_in"], stage["wall"]
    rss_total = stage["rss_main_mb"] + stage["rss_worker_mb"]
    ratio = naive["estimated_seconds"] / wall
    stage_cpu = stage["cpu_main"] + stage["cpu_worker"]
    ratio_cpu = naive["estimated_cpu_seconds"] / stage_cpu
    no_validation = wall - stage["timings"].get("validation", 0.0)
    print()
    print(
        f"clean stage: {args.people:,} people -> {rows:,} rows in {len(stage['files'])} files "
        f"({stage['rows_clean']:,} clean, {stage['rows_quarantined']:,} quarantined, "
        f"{stage['values_quarantined']:,} values nulled)"
    )
    print(
        f"  wall {wall:.1f} s = {rows / wall:,.0f} rows/s; "
        f"CPU {stage['cpu_main'] + stage['cpu_worker']:.1f} s "
        f"(stage {stage['cpu_main']:.1f} s + Great Expectations worker {stage['cpu_worker']:.1f} s)"
    )
    print("  stage timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stage["timings"].items()))
    print(
        f"  peak RSS: stage {stage['rss_main_mb']:,.0f} MB + GX worker {stage['rss_worker_mb']:,.0f} MB "
        f"(sum {rss_total:,.0f} MB)"
    )
    print(
        f"naive baseline: pandas iterrows + per-value normalizer functions + one Pydantic object per row, "
        f"measured on {naive['rows_sampled']:,} rows ({naive['per_row_ms']:.2f} ms/row), extrapolated x"
        f"{naive['rows_total'] / max(naive['rows_sampled'], 1):.0f} to {naive['rows_total']:,} rows "
        f"+ pandas read {naive['read_seconds']:.1f} s = {naive['estimated_seconds']:,.0f} s (estimate)"
    )
    print(
        f"speed-up: {ratio:,.1f}x by wall time (whole stage incl. validation), "
        f"{naive['estimated_seconds'] / no_validation:,.1f}x without the validation step; "
        f"{ratio_cpu:,.1f}x by CPU time (naive {naive['estimated_cpu_seconds']:,.0f} CPU-s vs stage "
        f"{stage_cpu:.1f} CPU-s incl. the GX worker)"
    )
    print(
        f"literal baseline (the issue's words: the stage's own normalizers called on one value at a time "
        f"+ one Pydantic object per row): {literal['per_row_ms']:.1f} ms/row on {literal['rows_sampled']:,} "
        f"rows, extrapolated to {literal['rows_total']:,} rows = {literal['estimated_seconds']:,.0f} s -> "
        f"{literal['estimated_seconds'] / wall:,.0f}x by wall, "
        f"{literal['estimated_cpu_seconds'] / stage_cpu:,.0f}x by CPU time"
    )
    load = os.getloadavg()[0]
    print(
        f"targets: wall <= {TARGET_SECONDS:.0f} s: {'yes' if wall <= TARGET_SECONDS else 'NO'}; "
        f"RSS <= 2 GB: {'yes' if rss_total <= TARGET_RSS_MB else 'NO'}; "
        f">= {TARGET_RATIO:.0f}x: {'yes' if ratio >= TARGET_RATIO else 'NO'}"
        f"   (1-min load average {load:.1f})"
    )


if __name__ == "__main__":
    main()
