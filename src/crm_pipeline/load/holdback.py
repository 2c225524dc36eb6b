"""The shrink guard: a load never deletes a source's rows because its new export is empty, rejected
or much smaller than before.

The load replaces rows per input file (``docs/load.md``): a file in this load whose rows are gone
from the input loses them in the database. That is right when a customer really left the export,
and a disaster when the export came back as a 0-byte file, with a header no profile knows, or cut
short. So, per file the database already holds (``source_files.rows_clean``), compare the new
clean rows: a file that is rejected, empty, or has fewer than ``(1 - max_shrink_share)`` of the
rows it loaded before is **held back** — unless the operator confirmed it (``--accept-shrink FILE``).

What holding back means:

- ``run`` (``restore_held_back``): right after the clean stage the file's rows in the Parquet
  outputs are replaced by the rows the database holds of it (``db.holdback.previous_frames``), so
  matching and golden records see the file as it was and the load finds nothing to change in it;
- ``load`` alone (``without_files``): the file is left out of the load (its ``source_files`` row too),
  so the database keeps its rows.

Either way the run ends with a warning naming the file and the numbers, and exit code 1.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from crm_pipeline.config import Settings
from crm_pipeline.load import tables as T
from crm_pipeline.load.inputs import FILES, JOBS, LEADS, PERSONS, QUARANTINE, LoadInputs

log = logging.getLogger(__name__)

#: The clean stage's outputs that carry a file's rows, by the names ``db.holdback`` reads them as.
CLEAN_OUTPUTS: dict[str, str] = {
    "persons": PERSONS,
    "jobs": JOBS,
    "leads": LEADS,
    "quarantine": QUARANTINE,
    "files": FILES,
}


@dataclass(frozen=True)
class HeldBack:
    """One input file the load did not apply: what the database holds of it and what came now."""

    file: str
    loaded: int  # clean rows the database holds of it
    now: int  # clean rows of the new export (0 when rejected)
    reason: str

    def message(self) -> str:
        return (
            f"{self.file} held back: {self.reason}; {self.loaded:,} row(s) loaded before, {self.now:,} "
            f"now. Its earlier rows stay. If the export really shrank: --accept-shrink {self.file}"
        )

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "loaded": self.loaded, "now": self.now, "reason": self.reason}


def decide(
    files: Iterable[Mapping[str, object]],
    loaded: Mapping[str, int],
    *,
    max_shrink_share: float,
    accepted: Collection[str] = (),
) -> list[HeldBack]:
    """The files to hold back; ``files``: rows of ``files.parquet`` (file, rows_clean, status, error)."""
    held: list[HeldBack] = []
    for row in files:
        name = str(row["file"])
        before = loaded.get(name, 0)
        if before == 0 or name in accepted:
            continue
        rejected = row.get("status") != "ok"
        now = 0 if rejected else int(str(row.get("rows_clean") or 0))
        if rejected:
            reason = f"rejected ({row.get('error') or 'no profile matches its header'})"
        elif now == 0:
            reason = "the export has no rows"
        elif now < before * (1.0 - max_shrink_share):
            reason = f"shrank by {1 - now / before:.0%} (more than the {max_shrink_share:.0%} allowed)"
        else:
            continue
        held.append(HeldBack(file=name, loaded=before, now=now, reason=reason))
    return held


def restore_held_back(processed_dir: Path, settings: Settings, accepted: Collection[str]) -> list[HeldBack]:
    """After ``clean`` in a run: put the stored rows of every held-back file back into the outputs."""
    from crm_pipeline.db import holdback as stored

    files = pl.read_parquet(processed_dir / FILES)
    held = decide(
        files.iter_rows(named=True),
        stored.loaded_files(settings),
        max_shrink_share=settings.max_shrink_share,
        accepted=accepted,
    )
    if not held:
        return []
    names = [h.file for h in held]
    current = {kind: pl.read_parquet(processed_dir / name) for kind, name in CLEAN_OUTPUTS.items()}
    previous = stored.previous_frames(settings, names, {k: f.schema for k, f in current.items()})
    for kind, frame in current.items():
        kept = frame.filter(~pl.col("file").is_in(names))
        _write_atomic(pl.concat([kept, previous[kind]], how="vertical"), processed_dir / CLEAN_OUTPUTS[kind])
    for h in held:
        log.warning("%s", h.message())
    return held


def without_files(inputs: LoadInputs, names: Collection[str]) -> LoadInputs:
    """``inputs`` without the rows of ``names`` (``load`` alone: those files are not replaced)."""
    if not names:
        return inputs
    wanted = list(names)
    frames = {
        table: frame.filter(~pl.col("file_name").is_in(wanted)) if "file_name" in frame.columns else frame
        for table, frame in inputs.frames.items()
    }
    return replace(inputs, frames=frames, files=[f for f in inputs.files if f not in names])


def held_in_load(
    inputs: LoadInputs, loaded: Mapping[str, int], settings: Settings, accepted: Collection[str]
) -> list[HeldBack]:
    """The files ``load`` must hold back, from its own input (``source_files`` frame)."""
    rows = (
        {**row, "file": row["file_name"]} for row in inputs.frames[T.SOURCE_FILES.table].iter_rows(named=True)
    )
    return decide(rows, loaded, max_shrink_share=settings.max_shrink_share, accepted=accepted)


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)
