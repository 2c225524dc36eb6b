"""Conflict-aware clustering: link pairs strongest first, never joining two incompatible people.

Plain connected components chain wrong links: one record of a household member linked to one
record of another (through a shared initial, a missing first name, a borderline score) glues the
two people together, and every record of one becomes a "duplicate" of every record of the other.
Here each cluster remembers the distinct (first name, last name, suffix) *signatures* of its
records, and two clusters merge only when no signature of one conflicts with a signature of the
other. Links are applied from the highest match weight down, so each ambiguous record (an initial,
a blank first name, a father without his "SR") joins the person it resembles most.

Two signatures conflict when the first names are incompatible — not equal, not an initial of each
other, not nicknames, not swapped with the last name, not a same-gender typo (on a short name: a
typo that is no known name, Jhn/John) — or when both carry
a suffix and the suffixes differ. This mirrors the model's "Different first names" / "Different
suffixes" levels (spec.py), so a pair the model scores as two people is never joined indirectly.

A second kind of conflict is between two *records*, not two names: a ``cannot_link`` pair (found
by the engine, ``engine.CONTACT_CONFLICT``) is two records whose contacts say "two people" although
their names allow one — a father and a son whose records lack the JR, two household members whose
names are nicknames of each other, each with an email and a phone of their own. Two clusters never
merge while one holds a record that cannot be linked to a record of the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
from rapidfuzz.distance import OSA, JaroWinkler

from crm_pipeline.match.names import name_gender, name_variants, opposite_genders

log = logging.getLogger(__name__)

Signature = tuple[str | None, str | None, str | None]  # (first key, last key, suffix)


@lru_cache(maxsize=200_000)
def _variants(first: str) -> frozenset[str]:
    return frozenset(name_variants(first) or [first])


@lru_cache(maxsize=200_000)
def _gender(first: str) -> str | None:
    return name_gender(first)


@lru_cache(maxsize=200_000)
def _strict_gender(first: str) -> str | None:
    return name_gender(first, strict=True)


def _close(fa: str, fb: str) -> bool:
    """Nicknames of each other, a same-gender typo, or a typo of a nickname (Chrles ~ Chuck)."""
    va, vb = _variants(fa), _variants(fb)
    if fa in vb or fb in va:  # listed as nickname of each other
        return True
    if opposite_genders(_strict_gender(fa), _strict_gender(fb)):
        return False
    if va & vb:  # both nicknames of one formal name
        return True
    if opposite_genders(_gender(fa), _gender(fb)):
        return False
    if _short_typo(fa, fb):
        return True
    if len(fa) < 4 or len(fb) < 4:
        return False
    if OSA.distance(fa, fb) <= 1 or JaroWinkler.similarity(fa, fb) >= 0.92:
        return True
    return any(OSA.distance(x, y) <= 1 for x in va for y in vb if len(x) >= 4 and len(y) >= 4)


def _short_typo(fa: str, fb: str) -> bool:
    """A one-edit typo of a short name that made it no name at all (Jhn/John, Dn/Don, Dtb/Deb).

    Two real short names one edit apart (Tom/Tim, Dan/Don) may be two people of one household, so
    one of the two must be unknown as a name; the model links such a pair only when the two share
    a personal email or phone (spec.first_name_comparison).
    """
    if fa[0] != fb[0] or OSA.distance(fa, fb) > 1:
        return False
    return _gender(fa) is None or _gender(fb) is None


def first_names_compatible(fa: str | None, la: str | None, fb: str | None, lb: str | None) -> bool:
    """Could two first names (with their last names, for swaps) belong to one person?"""
    if fa is None or fb is None or fa == fb:
        return True
    if len(fa) == 1 or len(fb) == 1:
        return fa[0] == fb[0]
    if _close(fa, fb):
        return True
    # first and last name swapped on one record (with a nickname or typo in either part)
    if la is None or lb is None:
        return False
    return (_same_or_typo(fa, lb) and (la == fb or _close(la, fb))) or (
        _same_or_typo(fb, la) and (lb == fa or _close(lb, fa))
    )


def _same_or_typo(a: str, b: str) -> bool:
    return a == b or (len(a) >= 4 and len(b) >= 4 and OSA.distance(a, b) <= 1)


@lru_cache(maxsize=500_000)
def signatures_conflict(a: Signature, b: Signature) -> bool:
    """True when two records cannot be the same person (see the module docstring)."""
    if a[2] is not None and b[2] is not None and a[2] != b[2]:
        return True
    return not first_names_compatible(a[0], a[1], b[0], b[1])


@dataclass(frozen=True)
class ClusterOutcome:
    """``cluster_of[i]`` is the cluster (its smallest member id) of the node with id ``node_ids[i]``;
    ``link_used[j]`` / ``link_refused[j]`` say what happened to edge ``j`` (in input order): it joined
    two clusters, or it was refused because the clusters conflict (neither: already together)."""

    node_ids: np.ndarray
    cluster_of: np.ndarray
    link_used: np.ndarray
    link_refused: np.ndarray

    @property
    def n_links_used(self) -> int:
        return int(self.link_used.sum())

    @property
    def n_links_refused(self) -> int:
        return int(self.link_refused.sum())


def cluster_with_conflicts(
    nodes: pa.Table,
    edges: pa.Table,
    cannot_link: pa.Table | None = None,
) -> ClusterOutcome:
    """Greedy conflict-aware clustering.

    ``nodes``: ``unique_id`` (int), ``first_name``, ``last_name``, ``name_suffix`` (match keys).
    ``edges``: ``unique_id_l``, ``unique_id_r``, ``match_weight`` — the links at or above the
    threshold. ``cannot_link``: ``unique_id_l``, ``unique_id_r`` — record pairs that must not end
    in one cluster. Returns each node's cluster id (the smallest ``unique_id`` in its cluster).
    """
    node_ids = nodes.column("unique_id").to_numpy()
    index = {int(uid): i for i, uid in enumerate(node_ids.tolist())}
    firsts = nodes.column("first_name").to_pylist()
    lasts = nodes.column("last_name").to_pylist()
    suffixes = nodes.column("name_suffix").to_pylist()
    n = len(node_ids)

    parent = list(range(n))
    sigs: list[set[Signature] | None] = [{(firsts[i], lasts[i], suffixes[i])} for i in range(n)]
    members, barred = _cannot_link_sets(cannot_link, index)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    order = np.lexsort(
        (
            edges.column("unique_id_r").to_numpy(),
            edges.column("unique_id_l").to_numpy(),
            -edges.column("match_weight").to_numpy(),
        )
    )
    left = edges.column("unique_id_l").to_numpy()[order].tolist()
    right = edges.column("unique_id_r").to_numpy()[order].tolist()
    link_used = np.zeros(len(order), dtype=bool)
    link_refused = np.zeros(len(order), dtype=bool)
    for edge, a_id, b_id in zip(order.tolist(), left, right, strict=True):
        ra, rb = find(index[a_id]), find(index[b_id])
        if ra == rb:
            continue
        sa, sb = sigs[ra], sigs[rb]
        assert sa is not None and sb is not None
        if any(signatures_conflict(x, y) for x in sa for y in sb) or _barred(members, barred, ra, rb):
            link_refused[edge] = True
            continue
        if len(sa) < len(sb):
            ra, rb, sa, sb = rb, ra, sb, sa
        parent[rb] = ra
        sa |= sb
        sigs[rb] = None
        _merge_cannot_link(members, barred, ra, rb)
        link_used[edge] = True

    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    # name each cluster by its smallest member id, independent of merge order
    smallest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, roots, node_ids.astype(np.int64))
    cluster_of = smallest[roots]
    outcome = ClusterOutcome(
        node_ids=node_ids, cluster_of=cluster_of, link_used=link_used, link_refused=link_refused
    )
    log.info(
        "clustering: %d links used, %d refused as conflicting", outcome.n_links_used, outcome.n_links_refused
    )
    return outcome


def _cannot_link_sets(
    cannot_link: pa.Table | None, index: dict[int, int]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per cluster root (only for records in a cannot-link pair): its members, and the records
    that none of its members may be linked to."""
    members: dict[int, set[int]] = {}
    barred: dict[int, set[int]] = {}
    if cannot_link is None:
        return members, barred
    left = cannot_link.column("unique_id_l").to_pylist()
    right = cannot_link.column("unique_id_r").to_pylist()
    for a_id, b_id in zip(left, right, strict=True):
        a, b = index[int(a_id)], index[int(b_id)]
        barred.setdefault(a, set()).add(b)
        barred.setdefault(b, set()).add(a)
        members.setdefault(a, {a})
        members.setdefault(b, {b})
    return members, barred


def _barred(members: dict[int, set[int]], barred: dict[int, set[int]], ra: int, rb: int) -> bool:
    """Does a record of cluster ``ra`` have a cannot-link pair with a record of cluster ``rb``?"""
    bar_a, mem_b = barred.get(ra), members.get(rb)
    return bar_a is not None and mem_b is not None and not bar_a.isdisjoint(mem_b)


def _merge_cannot_link(members: dict[int, set[int]], barred: dict[int, set[int]], ra: int, rb: int) -> None:
    """Cluster ``rb`` was merged into ``ra``: carry its members and barred records over."""
    if rb in members:
        members.setdefault(ra, set()).update(members.pop(rb))
        barred.setdefault(ra, set()).update(barred.pop(rb))
