"""Entry point of the sample-data generator: ``generate(people, out, seed)``.

Order of work: draw the true world (people, households, jobs), decide which export holds which record,
render each record with realistic mess, write the raw files and the ground truth. The world and the
plan come from one generator seeded with ``seed``; each raw file is rendered by its own generator
seeded with ``seed`` and the file name. Everything runs in a fixed order, so the same seed gives the
same bytes.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crm_pipeline.errors import ConfigError
from crm_pipeline.generate.branch_spellings import load_branch_spellings
from crm_pipeline.generate.fastrandom import FastRandom
from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.pools import build_pools
from crm_pipeline.generate.profiles import FILES, build_rows
from crm_pipeline.generate.render import Renderer
from crm_pipeline.generate.sources import plan_sources
from crm_pipeline.generate.world import build_world
from crm_pipeline.generate.writer import Truth, WrittenFile, write_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerateResult:
    """What ``generate`` wrote."""

    raw_dir: Path
    truth_dir: Path
    people: int
    """People drawn (each appears in at least one raw row)."""
    jobs: int
    """Job entities with at least one row."""
    files: tuple[WrittenFile, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def generate(people: int, out: Path, seed: int = 42, knobs: Knobs | None = None) -> GenerateResult:
    """Write ``out/raw/*.csv`` (the six exports) and ``out/truth/*.csv`` (what they really mean).

    Existing files of the same names are overwritten; nothing else in ``out`` is touched.
    """
    if people < 1:
        raise ConfigError(f"--people must be at least 1, got {people}")
    with _gc_paused():
        return _generate(people, out, seed, knobs or Knobs())


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the run allocates millions of small, acyclic objects,
    and the collector's repeated scans of the growing heap cost about a quarter of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(people: int, out: Path, seed: int, knobs: Knobs) -> GenerateResult:
    started = time.perf_counter()
    rng = FastRandom(seed)
    spellings, unknown_branches = load_branch_spellings()
    world = build_world(rng, knobs, people, build_pools(rng), set(spellings))
    plan = plan_sources(rng, knobs, world)
    raw_dir = out / "raw"
    truth_dir = out / "truth"
    truth = Truth()
    written: list[WrittenFile] = []
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        for spec in FILES:
            # each file has its own generator: its bytes depend on the seed and the world only, so
            # changing how one file is rendered leaves the others as they were
            file_rng = FastRandom(f"{seed}/{spec.name}")
            rows = build_rows(spec, Renderer(file_rng, knobs, spellings), knobs, plan, unknown_branches)
            written.append(write_file(file_rng, knobs, spec, rows, raw_dir, truth))
        truth.write(truth_dir)
    except OSError as exc:
        raise ConfigError(f"cannot write the sample data to {out}: {exc}") from exc
    n_jobs = len({job for _, _, job in truth.jobs})
    seconds = time.perf_counter() - started
    log.info("generated %d people, %d rows in %d files in %.1f s", people, sum(f.rows for f in written),
             len(written), seconds)  # fmt: skip
    return GenerateResult(raw_dir, truth_dir, people, n_jobs, tuple(written), seconds)
