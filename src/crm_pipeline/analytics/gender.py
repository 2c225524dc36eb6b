"""Gender batch processor: fill an empty ``customers.gender`` from the first name with gender-guesser.

What it stores: ``gender`` ∈ {female, male, mostly_female, mostly_male} (gender-guesser's ``andy``
— androgynous — and ``unknown`` leave the field empty), ``gender_source = 'inferred'``,
``gender_method = 'gender-guesser'`` and ``gender_version`` = the installed package version, so an
inferred value can always be told from one a source system supplied, and redone when the method
changes.

How: customers are read in batches of ``Settings.gender_batch_size`` (keyset on ``customer_id``), each
batch is one transaction (a crash keeps the finished batches; the next run picks up the rest). The
guesser runs once per *distinct* first name over the whole run (a cache), never once per customer.
A compound first name the guesser does not know (``Mary-Jane``, ``Mary Ann``) is looked up by its
first part.

Rules: only customers whose gender is empty, or was inferred by this step before, are touched — a
value from a source system is never overwritten — unless ``force`` (then every customer with a first
name is re-inferred; a name the guesser cannot tell leaves the existing value in place). An earlier
inference follows its first name: a changed name is labelled again, and a name that no longer gives
a label clears it. A rerun changes nothing and writes no audit row. ``Settings.gender_enabled =
False`` switches the step off.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from crm_pipeline.config import Settings

log = logging.getLogger(__name__)

GENDER_SOURCE = "inferred"
GENDER_METHOD = "gender-guesser"
#: gender-guesser answers → stored label (andy / unknown → no label).
LABELS: dict[str, str | None] = {
    "female": "female",
    "male": "male",
    "mostly_female": "mostly_female",
    "mostly_male": "mostly_male",
    "andy": None,
    "unknown": None,
}
_PARTS = re.compile(r"[\s\-]+")


class GenderGuesser:
    """gender-guesser behind a per-name cache; ``calls`` counts real lookups (distinct names)."""

    def __init__(self) -> None:
        import gender_guesser.detector

        self._detector = gender_guesser.detector.Detector(case_sensitive=False)
        self.version = importlib.metadata.version("gender-guesser")
        self._cache: dict[str, str | None] = {}
        self.calls = 0

    def _guess(self, name: str) -> str | None:
        self.calls += 1
        answer: str = self._detector.get_gender(name)
        label = LABELS.get(answer)
        if label is None:
            parts = [p for p in _PARTS.split(name) if p]
            if len(parts) > 1:
                label = LABELS.get(self._detector.get_gender(parts[0]))
        return label

    def label(self, first_name: str) -> str | None:
        name = first_name.strip()
        if name not in self._cache:
            self._cache[name] = self._guess(name) if name else None
        return self._cache[name]

    def labels(self, first_names: Iterable[str]) -> dict[str, str | None]:
        """Label per distinct name (the guesser runs only for names not seen before)."""
        return {name: self.label(name) for name in set(first_names)}


#: ``(customer_id, first_name, gender, gender_source, gender_method, gender_version)`` as read.
CustomerGender = tuple[str, str, str | None, str | None, str | None, str | None]


def plan_updates(
    batch: Iterable[CustomerGender], labels: dict[str, str | None], version: str
) -> list[tuple[str, str | None]]:
    """``(customer_id, label)`` for the customers whose columns must change: a label where the name
    gives one, ``None`` (clear) where an earlier inference no longer has one; rows that already hold
    exactly that are left out, so an unchanged batch sends nothing."""
    updates: list[tuple[str, str | None]] = []
    for customer_id, name, *now in batch:
        label = labels[name]
        if label is not None:
            wanted: tuple[str | None, ...] = (label, GENDER_SOURCE, GENDER_METHOD, version)
        elif now[1] == GENDER_SOURCE:
            wanted = (None, None, None, None)
        else:
            continue  # nothing to say about this name: leave the row as it is
        if tuple(now) != wanted:
            updates.append((customer_id, label))
    return updates


@dataclass(frozen=True)
class GenderResult:
    enabled: bool
    force: bool = False
    candidates: int = 0  # customers read (empty or inferred gender; all with --force)
    distinct_names: int = 0  # guesser lookups
    changed: int = 0  # rows written
    changed_by_label: dict[str, int] = field(default_factory=dict)
    unresolved: int = 0  # candidates whose name gave no label (andy / unknown)
    batches: int = 0
    version: str | None = None
    seconds: float = 0.0


def run_gender(settings: Settings, *, force: bool = False) -> GenderResult:
    """Infer missing genders in batches; see the module docstring for the rules."""
    if not settings.gender_enabled:
        log.info("gender: switched off (gender_enabled = false)")
        return GenderResult(enabled=False, force=force)

    from crm_pipeline.db import analytics_sql
    from crm_pipeline.db.connection import connect, transaction

    started = time.perf_counter()
    guesser = GenderGuesser()
    batch_size = max(1, settings.gender_batch_size)
    after: str | None = None
    candidates = unresolved = batches = 0
    changed: dict[str, int] = {}
    with connect(settings, autocommit=True, application_name="crm-pipeline analytics gender") as conn:
        while True:
            with transaction(conn):
                batch = analytics_sql.read_gender_batch(
                    conn, after, batch_size, source=GENDER_SOURCE, force=force
                )
                if not batch:
                    break
                labels = guesser.labels(row[1] for row in batch)
                updates = plan_updates(batch, labels, guesser.version)
                written = analytics_sql.write_genders(
                    conn,
                    [cid for cid, _ in updates],
                    [label for _, label in updates],
                    source=GENDER_SOURCE,
                    method=GENDER_METHOD,
                    version=guesser.version,
                    force=force,
                )
            batches += 1
            candidates += len(batch)
            unresolved += sum(1 for row in batch if labels[row[1]] is None)
            for label, n in written.items():
                changed[label] = changed.get(label, 0) + n
            after = batch[-1][0]
            log.debug(
                "gender: batch %d, %d customers, %d changed", batches, len(batch), sum(written.values())
            )
    result = GenderResult(
        enabled=True,
        force=force,
        candidates=candidates,
        distinct_names=guesser.calls,
        changed=sum(changed.values()),
        changed_by_label=dict(sorted(changed.items())),
        unresolved=unresolved,
        batches=batches,
        version=guesser.version,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "gender: %d candidates, %d distinct names, %d changed, %d without a label",
        result.candidates,
        result.distinct_names,
        result.changed,
        result.unresolved,
    )
    return result
