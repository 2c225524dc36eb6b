"""How fast the sample-data generator is: 50,000 people (the issue's budget: ≤ 60 s on 2 cores).

Generates into a temporary folder (deleted afterwards) and prints wall and CPU seconds, rows per file,
rows per second, and the ratio to a 5,000-people run measured in the same process (10.0 = linear).
Wall time depends on what else the machine runs (the 1-minute load average is printed); CPU time is
the steadier number.

Run: .venv/bin/python bench/generate.py [PEOPLE] [SEED]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from crm_pipeline.generate import GenerateResult, generate


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def timed(people: int, seed: int, out: Path) -> tuple[GenerateResult, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = generate(people, out, seed=seed)
    return result, time.perf_counter() - wall, _cpu() - cpu


def _load() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    with tempfile.TemporaryDirectory(prefix="crm-gen-bench-") as tmp:
        small, small_wall, small_cpu = timed(people // 10, seed, Path(tmp) / "small")
        result, wall, cpu = timed(people, seed, Path(tmp) / "full")
        truth_mb = sum(p.stat().st_size for p in result.truth_dir.iterdir()) / 1e6
    raw_mb = sum(f.bytes for f in result.files) / 1e6
    print(f"generate --people {people:,} --seed {seed}  (1-minute load average before: {_load()})")
    print(f"  {'file':<22}{'rows':>10}{'MB':>8}")
    for f in result.files:
        print(f"  {f.name:<22}{f.rows:>10,}{f.bytes / 1e6:>8.1f}")
    print(f"  {'total':<22}{result.rows:>10,}{raw_mb:>8.1f}   (+ truth {truth_mb:.1f} MB)")
    print(f"  people {result.people:,}, job entities {result.jobs:,}")
    print(
        f"  wall {wall:.1f} s, cpu {cpu:.1f} s: "
        f"{result.rows / wall:,.0f} rows/s (wall), {result.rows / cpu:,.0f} rows per cpu-second"
    )
    print(f"  budget 60 s: {wall / 60:.0%} used")
    print(
        f"  vs {people // 10:,} people ({small_wall:.1f} s wall, {small_cpu:.1f} s cpu): "
        f"x{wall / small_wall:.1f} wall, x{cpu / small_cpu:.1f} cpu for x10 people"
    )


if __name__ == "__main__":
    main()
