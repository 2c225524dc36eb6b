"""``build_independent(people, out, seed)``: draw the world, render the exports, write files and truth.

One ``random.Random`` seeded with ``seed`` drives everything in a fixed order, so the same seed gives
the same bytes.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from crm_pipeline.errors import ConfigError
from crm_pipeline.generate.independent.company import branches_yaml
from crm_pipeline.generate.independent.exports import LAYOUTS, render_all, serialize
from crm_pipeline.generate.independent.world import build_world
from crm_pipeline.generate.main import GenerateResult
from crm_pipeline.generate.writer import WrittenFile


def build_independent(people: int, out: Path, seed: int = 42) -> GenerateResult:
    """Write ``out/raw/*.csv``, ``out/truth/{customers,jobs}.csv`` and ``out/config/branches.yaml``."""
    if people < 1:
        raise ConfigError(f"--people must be at least 1, got {people}")
    started = time.perf_counter()
    rng = random.Random(f"independent/{seed}")  # noqa: S311 - test data, not secrets
    world = build_world(rng, people)
    rows = render_all(rng, world)
    raw_dir, truth_dir, config_dir = out / "raw", out / "truth", out / "config"
    written: list[WrittenFile] = []
    try:
        for folder in (raw_dir, truth_dir, config_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for layout in LAYOUTS:
            data, _ = serialize(rng, layout, rows.cells[layout.name])
            (raw_dir / layout.name).write_bytes(data)
            written.append(WrittenFile(layout.name, layout.profile, len(rows.cells[layout.name]), len(data)))
        _write_csv(truth_dir / "customers.csv", ("file", "record_id", "entity_id"), rows.customers)
        _write_csv(truth_dir / "jobs.csv", ("file", "record_id", "job_entity"), rows.jobs)
        (config_dir / "branches.yaml").write_text(branches_yaml(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the independent sample data to {out}: {exc}") from exc
    n_jobs = len({job for _, _, job in rows.jobs})
    return GenerateResult(raw_dir, truth_dir, people, n_jobs, tuple(written), time.perf_counter() - started)


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[str, str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
