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

Below the threshold nothing is guessed, and nothing is lost either: the spelling is kept as the
``branch`` (whitespace squished) with the soft flag ``branch_flag`` = ``unconfirmed_branch``; a
spelling that ends in a US state ("Boston Massachusetts") is matched once more without it. After
every file is cleaned the stage groups the unconfirmed spellings of the whole run
(:func:`group_unconfirmed`: case, punctuation, a trailing state, small typos; "Tampa" / "tampa fl" /
"Tmapa" / "TAMPA" → one branch named by its most frequent spelling) and the run summary prints them
as a YAML snippet ready to paste into the branch table (:func:`yaml_snippet`). Short spellings
(under 4 characters, e.g. "TPA") are grouped only by exact key: an unknown abbreviation stays its
own branch rather than being guessed. Blank or a placeholder ("TBD", "unknown") → null branch,
no flag.

The table is configuration: ``CRM_BRANCHES_FILE`` (``Settings.branches_file``) names the company's
own YAML; every reader of branch data goes through :func:`load_branch_table`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from crm_pipeline.clean._distinct import blank_tokens_to_null, fill_from_python, per_distinct, squish
from crm_pipeline.clean.states import state_spellings
from crm_pipeline.errors import ConfigError

DEFAULT_TABLE_PATH = Path(__file__).with_name("branches.yaml")
DEFAULT_THRESHOLD = 92.0
DEFAULT_MARGIN = 3.0
_MIN_FUZZY_LEN = 4
_MIN_LENGTH_RATIO = 0.75

UNCONFIRMED = "unconfirmed_branch"
PLACEHOLDERS: frozenset[str] = frozenset({"tbd", "tba", "unknown", "unassigned", "not assigned"})
"""Branch keys that say "no branch yet": null like a blank, never an unconfirmed branch."""
_SCHEMA: dict[str, pl.DataType] = {"branch": pl.Utf8(), "branch_flag": pl.Utf8()}


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
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """``(name, aliases as written)`` per branch, in file order (what the load stores)."""

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
        written: list[tuple[str, tuple[str, ...]]] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f"{source}: branch #{i + 1} needs a 'name' (text)")
            name = str(entry["name"]).strip()
            aliases = entry.get("aliases") or []
            if not isinstance(aliases, list):
                raise ConfigError(f"{source}: aliases of branch {name!r} must be a list")
            names.append(name)
            written.append((name, tuple(str(a).strip() for a in aliases if str(a).strip())))
            for spelling in [name, *(str(a) for a in aliases)]:
                key = branch_key(spelling)
                if not key:
                    continue
                owner = by_key.setdefault(key, name)
                if owner != name:
                    raise ConfigError(f"{source}: alias {spelling!r} belongs to both {owner!r} and {name!r}")
        fuzzy = {_sorted_words(k): v for k, v in by_key.items() if len(k) >= _MIN_FUZZY_LEN}
        return cls(tuple(names), by_key, source, threshold, margin, fuzzy, tuple(written))

    def match(self, key: str) -> str | None:
        """Canonical branch for one key, exact then fuzzy; None when unsure (never a guess)."""
        exact = self.by_key.get(key)
        if exact is not None or len(key) < _MIN_FUZZY_LEN:
            return exact
        return _fuzzy_pick(key, self.fuzzy_owner or {}, self.threshold, self.margin)


def _fuzzy_pick(key: str, candidates: Mapping[str, str], threshold: float, margin: float) -> str | None:
    """The owner of the candidate keys most similar to ``key`` (Jaro-Winkler of the word-sorted
    keys, comparable lengths), when it reaches ``threshold`` and beats the runner-up by ``margin``."""
    probe = _sorted_words(key)
    best: dict[str, float] = {}
    for cand, score, _ in process.extract(
        probe, list(candidates), scorer=JaroWinkler.normalized_similarity, limit=None
    ):
        if min(len(cand), len(probe)) / max(len(cand), len(probe)) < _MIN_LENGTH_RATIO:
            continue
        owner = candidates[cand]
        best[owner] = max(best.get(owner, 0.0), 100.0 * score)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < threshold:
        return None
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < margin:
        return None
    return ranked[0][0]


@lru_cache(maxsize=1)
def _state_words() -> frozenset[str]:
    return frozenset(s.casefold() for s in state_spellings())


def strip_state(key: str) -> str:
    """A key without a trailing US state ("tampa fl" → "tampa", "tampa florida" → "tampa");
    a key that is nothing but a state stays as it is."""
    words = key.split()
    for n in (2, 1):
        if len(words) > n and " ".join(words[-n:]) in _state_words():
            return " ".join(words[:-n])
    return key


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
    frame = keys.to_frame("raw").with_columns(blank_tokens_to_null(squish(pl.col("raw"))).alias("raw"))
    frame = frame.with_columns(_branch_key_expr(pl.col("raw")).alias("key")).with_columns(
        pl.when(pl.col("key").is_in(list(PLACEHOLDERS))).then(None).otherwise(pl.col("raw")).alias("raw"),
        pl.when(pl.col("key").is_in(list(PLACEHOLDERS))).then(None).otherwise(pl.col("key")).alias("key"),
    )
    exact = pl.col("key").replace_strict(dict(table.by_key), default=None, return_dtype=pl.Utf8)
    frame = frame.with_columns(exact.alias("branch"), pl.lit(None, dtype=pl.Utf8).alias("branch_flag"))

    todo = pl.col("key").is_not_null() & pl.col("branch").is_null()
    parse = lambda key: (_match_branch_value(key, table), None)  # noqa: E731 - global looked up at call time
    frame = fill_from_python(frame, todo, "key", parse, _SCHEMA)
    unknown = pl.col("key").is_not_null() & pl.col("branch").is_null()
    return frame.select(
        pl.when(unknown).then(pl.col("raw")).otherwise(pl.col("branch")).alias("branch"),
        pl.when(unknown).then(pl.lit(UNCONFIRMED)).alias("branch_flag"),
    )


def _match_branch_value(key: str, table: BranchTable) -> str | None:
    """Slow path for one distinct spelling that is no exact alias: fuzzy, then without a state."""
    name = table.match(key)
    stripped = strip_state(key)
    if name is None and stripped != key:
        name = table.match(stripped)
    return name


def normalize_branches(
    raw: pl.Series, table: BranchTable | str | Path | None = None, *, threshold: float | None = None
) -> pl.DataFrame:
    """Raw branch spellings → ``branch`` (canonical name, or the spelling itself when no configured
    branch matches) and ``branch_flag`` (``unconfirmed_branch`` for those).

    ``table``: a loaded :class:`BranchTable`, a YAML path, or None for the packaged table.
    ``threshold``: override of the fuzzy-match threshold (0-100).
    """
    if not isinstance(table, BranchTable):
        table = load_branch_table(table)
    if threshold is not None:
        table = replace(table, threshold=threshold)
    bound = table
    return per_distinct(raw, lambda keys: _compute(keys, bound))


# ----------------------------------------------------------------------------- unconfirmed branches
@dataclass(frozen=True)
class UnconfirmedBranch:
    """A branch the table does not know: its name, row count and spellings (spelling → rows)."""

    name: str
    rows: int
    spellings: dict[str, int] = field(default_factory=dict)

    @property
    def aliases(self) -> list[str]:
        """The spellings the name does not already cover (one per key, most frequent first)."""
        seen = {branch_key(self.name)}
        out: list[str] = []
        for spelling in self.spellings:
            key = branch_key(spelling)
            if key not in seen:
                seen.add(key)
                out.append(spelling)
        return out


def group_unconfirmed(counts: Mapping[str, int], table: BranchTable) -> list[UnconfirmedBranch]:
    """Group the unconfirmed spellings of a run (spelling → rows) into branches, biggest first.

    Spellings share a branch when their keys are equal once a trailing state is dropped, or when
    the key is a typo of a bigger group's key (the fuzzy rule of the table: Jaro-Winkler ≥
    ``table.threshold``, ``table.margin`` ahead of any other group; keys of 4+ characters only).
    """
    by_key: dict[str, Counter[str]] = {}
    for spelling, n in counts.items():
        by_key.setdefault(strip_state(branch_key(spelling)), Counter())[spelling] += n
    order = sorted(by_key, key=lambda k: (-sum(by_key[k].values()), k))
    groups: dict[str, Counter[str]] = {}
    for key in order:
        target = None
        if len(key) >= _MIN_FUZZY_LEN:
            candidates = {_sorted_words(g): g for g in groups if len(g) >= _MIN_FUZZY_LEN}
            target = _fuzzy_pick(key, candidates, table.threshold, table.margin)
        groups.setdefault(target or key, Counter()).update(by_key[key])
    return sorted(
        (_unconfirmed(key, spellings) for key, spellings in groups.items()),
        key=lambda b: (-b.rows, b.name),
    )


def _unconfirmed(key: str, spellings: Counter[str]) -> UnconfirmedBranch:
    ranked = sorted(spellings.items(), key=lambda kv: (-kv[1], kv[0]))
    plain = [s for s, _ in ranked if branch_key(s) == key]
    name = plain[0] if plain else " ".join(re.findall(r"[\w'&]+", ranked[0][0])[: len(key.split())])
    return UnconfirmedBranch(_display(name), sum(spellings.values()), dict(ranked))


def _display(spelling: str) -> str:
    """Display case: a spelling all in one case gets capitalised words ("tampa fl" → "Tampa Fl",
    "TAMPA" → "Tampa"); short all-caps words stay ("TPA"); mixed case is kept as typed."""
    if spelling != spelling.lower() and spelling != spelling.upper():
        return spelling
    return " ".join(w if (w.isupper() and len(w) <= 3) else w.capitalize() for w in spelling.split())


def yaml_snippet(branches: list[UnconfirmedBranch]) -> str:
    """The branches as a ``branches:`` YAML list, the shape of the branch table, ready to paste."""
    doc = {"branches": [{"name": b.name, "aliases": b.aliases} for b in branches]}
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, allow_unicode=True, width=10_000)
