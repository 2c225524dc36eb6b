"""Entry point of the sample-data generator: ``generate(people, out, seed)``.

Order of work: draw the true world (people, households, jobs), decide which export holds which record,
render each record with realistic mess, write the raw files and the ground truth. The world and the
plan come from one generator seeded with ``seed``; each raw file is rendered by its own generator
seeded with ``seed`` and the file name. Everything runs in a fixed order, so the same seed gives the
same bytes, whether the files are rendered one after the other or by two forked workers.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from crm_pipeline.errors import ConfigError
from crm_pipeline.generate.branch_spellings import BranchSpelling, load_branch_spellings
from crm_pipeline.generate.fastrandom import FastRandom
from crm_pipeline.generate.knobs import Knobs
from crm_pipeline.generate.pools import build_pools
from crm_pipeline.generate.profiles import (
    FILES,
    LEADS,
    LEGACY_CUSTOMERS,
    LEGACY_JOBS,
    SM_CUSTOMERS,
    SM_JOBS,
    SM_JOBS_2,
    build_rows,
)
from crm_pipeline.generate.render import Renderer
from crm_pipeline.generate.sources import Plan, plan_sources
from crm_pipeline.generate.world import build_world
from crm_pipeline.generate.writer import Truth, WrittenFile, write_file

log = logging.getLogger(__name__)

PARALLEL_FROM = 20_000
"""From this many people on, the files are rendered in two forked processes (when the OS can fork)."""


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


def generate(
    people: int, out: Path, seed: int = 42, knobs: Knobs | None = None, workers: int | None = None
) -> GenerateResult:
    """Write ``out/raw/*.csv`` (the six exports) and ``out/truth/*.csv`` (what they really mean).

    Existing files of the same names are overwritten; nothing else in ``out`` is touched.
    ``workers`` (default: ``default_workers(people)``) only changes the speed, never the bytes.
    """
    if people < 1:
        raise ConfigError(f"--people must be at least 1, got {people}")
    with _gc_paused():
        return _generate(people, out, seed, knobs or Knobs(), workers or default_workers(people))


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


def _generate(people: int, out: Path, seed: int, knobs: Knobs, workers: int) -> GenerateResult:
    started = time.perf_counter()
    rng = FastRandom(seed)
    spellings, unknown_branches = load_branch_spellings()
    world = build_world(rng, knobs, people, build_pools(rng), set(spellings))
    plan = plan_sources(rng, knobs, world)
    raw_dir = out / "raw"
    truth_dir = out / "truth"
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        done = _render_all(_Shared(seed, knobs, plan, spellings, unknown_branches, raw_dir), workers)
        truth = Truth()
        for _, part in done:
            truth.extend(part)
        truth.write(truth_dir)
    except OSError as exc:
        raise ConfigError(f"cannot write the sample data to {out}: {exc}") from exc
    written = tuple(w for w, _ in done)
    n_jobs = len({job for _, _, job in truth.jobs})
    seconds = time.perf_counter() - started
    log.info(
        "generated %d people, %d rows in %d files in %.1f s (%d workers)",
        people,
        sum(f.rows for f in written),
        len(written),
        seconds,
        workers,
    )
    return GenerateResult(raw_dir, truth_dir, people, n_jobs, written, seconds)


@dataclass(frozen=True)
class _Shared:
    """What every file's rendering reads (never writes): handed to forked workers by inheritance."""

    seed: int
    knobs: Knobs
    plan: Plan
    spellings: dict[str, BranchSpelling]
    unknown_branches: tuple[str, ...]
    raw_dir: Path


_SHARED: _Shared | None = None
# biggest first, so two workers finish at about the same time
_WORK_ORDER = tuple(
    FILES.index(f) for f in (SM_JOBS, LEGACY_JOBS, SM_CUSTOMERS, LEADS, LEGACY_CUSTOMERS, SM_JOBS_2)
)


def _render_file(index: int) -> tuple[WrittenFile, Truth]:
    """Render and write one raw file with its own generator, seeded from the seed and the file name,
    so each file's bytes depend on the world and the seed only: not on the other files, nor on the
    number of workers."""
    shared = _SHARED
    assert shared is not None
    spec = FILES[index]
    rng = FastRandom(f"{shared.seed}/{spec.name}")
    renderer = Renderer(rng, shared.knobs, shared.spellings)
    rows = build_rows(spec, renderer, shared.knobs, shared.plan, shared.unknown_branches)
    truth = Truth()
    written = write_file(rng, shared.knobs, spec, rows, shared.raw_dir, truth)
    return written, truth


def _render_all(shared: _Shared, workers: int) -> list[tuple[WrittenFile, Truth]]:
    """Every raw file, in file order; in ``workers`` forked processes when more than one."""
    global _SHARED
    _SHARED = shared
    try:
        if workers <= 1:
            return [_render_file(i) for i in range(len(FILES))]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {i: pool.submit(_render_file, i) for i in _WORK_ORDER}
            return [futures[i].result() for i in range(len(FILES))]
    finally:
        _SHARED = None


def default_workers(people: int) -> int:
    """Two forked workers for big runs on a machine with two cores or more, else one (no fork)."""
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return 2 if people >= PARALLEL_FROM and can_fork and (os.cpu_count() or 1) >= 2 else 1
