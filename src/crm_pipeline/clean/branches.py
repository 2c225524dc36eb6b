"""Branches: the many spellings staff type → the canonical branch of the reference table.

Spec mess handled: "NYC", "New York City", "new york", "NY - Manhattan", "Nwe York". The table is
``branches.yaml`` next to this module (``branches: [{name, aliases: [...]}]``); users pass their
own YAML path to add branches or aliases without code changes.

Matching, once per distinct spelling:
1. exact: the spelling's key (case folded, dots dropped, other punctuation as spaces) equals the
   key of a branch name or alias;
2. fuzzy, for typos: rapidfuzz Jaro-Winkler similarity (0-100) of the word-sorted keys against the
   names and aliases of 4+ characters whose length is comparable (±25 %). The best branch must
   reach ``threshold`` (default 92) AND beat every other branch by ``margin`` points.

Why Jaro-Winkler and 92, not token_sort_ratio and 88: staff typos are mostly transposed or dropped
letters, which the Indel ratio punishes hard on short names ("Maimi" 80, "Bsoton" 83, "Nwe York"
87.5) while some real non-branch towns score higher ("Bolton" vs Boston 83). Measured on the
generator's typo list and ~40 distractor cities, Jaro-Winkler puts every typo at ≥ 94 and every
distractor at ≤ 91 ("Bolton"); tests/unit/clean/test_branches.py keeps that measurement honest.

Below the threshold nothing is guessed: ``branch_error`` = ``unknown_branch`` (quarantine).
Blank → null branch, no error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from crm_pipeline.clean._distinct import fill_from_python, per_distinct, squish
from crm_pipeline.errors import ConfigError

DEFAULT_TABLE_PATH = Path(__file__).with_name("branches.yaml")
DEFAULT_THRESHOLD = 92.0
DEFAULT_MARGIN = 3.0
_MIN_FUZZY_LEN = 4
_MIN_LENGTH_RATIO = 0.75

_SCHEMA: dict[str, pl.DataType] = {"branch": pl.Utf8(), "branch_error": pl.Utf8()}


def branch_key(text: str) -> str:
    """The matching key of a spelling: "NY - Manhattan" → "ny manhattan", "L.A." → "la"."""
    text = text.casefold().replace(".", "").replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


def _branch_key_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorized twin of :func:`branch_key`."""
    text = expr.str.to_lowercase().str.replace_all(".", "", literal=True).str.replace_all("&", " and ")
    return squish(text.str.replace_all(r"[^\w]+|_", " "))


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


@dataclass(frozen=True)
class BranchTable:
    """Canonical branch names and the key → name map of every name and alias."""

    names: tuple[str, ...]
    by_key: Mapping[str, str]
    source: str = "<memory>"
    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    fuzzy_owner: Mapping[str, str] | None = None
    """Word-sorted keys of 4+ characters → branch: the candidates of the fuzzy match."""

    @classmethod
    def from_entries(
        cls,
        entries: list[dict[str, object]],
        *,
        source: str = "<memory>",
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> BranchTable:
        """Build from ``[{name: ..., aliases: [...]}, ...]``; conflicting aliases are a ConfigError."""
        names: list[str] = []
        by_key: dict[str, str] = {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f"{source}: branch #{i + 1} needs a 'name' (text)")
            name = str(entry["name"]).strip()
            aliases = entry.get("aliases") or []
            if not isinstance(aliases, list):
                raise ConfigError(f"{source}: aliases of branch {name!r} must be a list")
            names.append(name)
            for spelling in [name, *(str(a) for a in aliases)]:
                key = branch_key(spelling)
                if not key:
                    continue
                owner = by_key.setdefault(key, name)
                if owner != name:
                    raise ConfigError(f"{source}: alias {spelling!r} belongs to both {owner!r} and {name!r}")
        fuzzy = {_sorted_words(k): v for k, v in by_key.items() if len(k) >= _MIN_FUZZY_LEN}
        return cls(tuple(names), by_key, source, threshold, margin, fuzzy)

    def match(self, key: str) -> str | None:
        """Canonical branch for one key, exact then fuzzy; None when unsure (never a guess)."""
        exact = self.by_key.get(key)
        if exact is not None or len(key) < _MIN_FUZZY_LEN:
            return exact
        probe = _sorted_words(key)
        candidates = self.fuzzy_owner or {}
        best: dict[str, float] = {}
        for cand, score, _ in process.extract(
            probe, list(candidates), scorer=JaroWinkler.normalized_similarity, limit=None
        ):
            if min(len(cand), len(probe)) / max(len(cand), len(probe)) < _MIN_LENGTH_RATIO:
                continue
            owner = candidates[cand]
            best[owner] = max(best.get(owner, 0.0), 100.0 * score)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < self.threshold:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < self.margin:
            return None
        return ranked[0][0]


def load_branch_table(
    path: str | Path | None = None, *, threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN
) -> BranchTable:
    """Read a branch table YAML (default: the packaged ``branches.yaml``)."""
    return _load_cached(Path(path) if path is not None else DEFAULT_TABLE_PATH, threshold, margin)


@lru_cache(maxsize=8)
def _load_cached(path: Path, threshold: float, margin: float) -> BranchTable:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read branch table {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"branch table {path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("branches"), list):
        raise ConfigError(f"branch table {path} must have a top-level 'branches:' list")
    return BranchTable.from_entries(doc["branches"], source=str(path), threshold=threshold, margin=margin)


def _compute(keys: pl.Series, table: BranchTable) -> pl.DataFrame:
    frame = keys.to_frame("raw").with_columns(_branch_key_expr(pl.col("raw")).alias("key"))
    exact = pl.col("key").replace_strict(dict(table.by_key), default=None, return_dtype=pl.Utf8)
    frame = frame.with_columns(exact.alias("branch"), pl.lit(None, dtype=pl.Utf8).alias("branch_error"))

    todo = pl.col("key").is_not_null() & pl.col("branch").is_null()
    parse = lambda key: _match_branch_value(key, table)  # noqa: E731 - global looked up at call time
    return fill_from_python(frame, todo, "key", parse, _SCHEMA).select(list(_SCHEMA))


def _match_branch_value(key: str, table: BranchTable) -> tuple[str | None, str | None]:
    """Slow path for one distinct spelling that is no exact alias: the fuzzy match."""
    name = table.match(key)
    return name, None if name is not None else "unknown_branch"


def normalize_branches(
    raw: pl.Series, table: BranchTable | str | Path | None = None, *, threshold: float | None = None
) -> pl.DataFrame:
    """Raw branch spellings → ``branch`` (canonical name) and ``branch_error`` (``unknown_branch``).

    ``table``: a loaded :class:`BranchTable`, a YAML path, or None for the packaged table.
    ``threshold``: override of the fuzzy-match threshold (0-100).
    """
    if not isinstance(table, BranchTable):
        table = load_branch_table(table)
    if threshold is not None:
        table = replace(table, threshold=threshold)
    bound = table
    return per_distinct(raw, lambda keys: _compute(keys, bound))
