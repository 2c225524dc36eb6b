"""Unsupervised training of the person model with Splink (no labels needed).

1. The prior — the share of record pairs that are the same person — from near-certain rules.
2. u probabilities (how often each level happens by chance) from random record pairs. The pair
   budget grows with the data (``u_pair_budget``): enough pairs to see rare levels on large inputs,
   small enough to stay a few seconds.
3. m probabilities (how often each level happens for true duplicates) by expectation-maximisation,
   in several sessions blocked on different keys so every comparison is estimated at least once
   without being the key it was blocked on.

Afterwards the estimates are made safe to use (``_regularize``):
- a level training never observed gets the "seen less than once in the sample" bound for u, and
  m = u, so it adds no evidence either way (instead of Splink's arbitrary defaults);
- EM can drive the m of a rare level to ~0 (we saw 1e-227), which would turn one rare agreement
  into a veto; m is floored at ``M_FLOOR`` (levels with a fixed m are left alone);
- an agreement level never weighs less than total disagreement (the comparison's last level):
  a middle initial that agrees cannot count against a pair more than a different middle name.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from splink import Linker
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from crm_pipeline.match import spec
from crm_pipeline.match.model import PersonModel

log = logging.getLogger(__name__)

#: Recall assumed for the deterministic rules when estimating the prior.
DETERMINISTIC_RECALL = 0.8
#: Smallest m an estimated level keeps (see the module docstring).
M_FLOOR = 1e-3
#: Pairs one EM session sees at most (Splink samples records beyond that); 50k people need ~0.4M.
EM_MAX_PAIRS = 3_000_000


def u_pair_budget(n_records: int) -> int:
    """Random pairs for u estimation: 10 per record, between 1 and 10 million."""
    return int(min(10_000_000, max(1_000_000, 10 * n_records)))


def train(
    linker: Linker, n_records: int, present: frozenset[str] = spec.ALL_OPTIONAL, seed: int = 42
) -> tuple[PersonModel, dict[str, float]]:
    """Train the linker's model in place; returns the portable model and the time per step.

    ``present``: the optional comparisons the linker was built with (spec.OPTIONAL); the prior's
    rules and the EM sessions use only those columns.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    rules: list[str | BlockingRuleCreator] = list(spec.deterministic_rules(present))
    linker.training.estimate_probability_two_random_records_match(rules, recall=DETERMINISTIC_RECALL)
    timings["prior"] = time.perf_counter() - start

    budget = u_pair_budget(n_records)
    start = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=budget, seed=seed, num_chunks=1, min_count_per_level=None
    )
    timings["u"] = time.perf_counter() - start

    start = time.perf_counter()
    em_rules = spec.training_blocking_rules(present)
    with _quiet("splink.internals.expectation_maximisation", "splink.internals.em_training_session"):
        for rule in em_rules:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=EM_MAX_PAIRS)
    timings["em"] = time.perf_counter() - start

    settings = linker.misc.save_model_to_json()
    filled = _regularize(settings, budget)
    training: dict[str, Any] = {
        "records": n_records,
        "u_random_pairs": budget,
        "em_max_pairs_per_session": EM_MAX_PAIRS,
        "seed": seed,
        "em_blocking_rules": [r.get_blocking_rule("duckdb").blocking_rule_sql for r in em_rules],
        "deterministic_rules_for_prior": spec.deterministic_rules(present),
        "deterministic_recall": DETERMINISTIC_RECALL,
        "levels_adjusted": filled,
    }
    return PersonModel.from_splink_settings(settings, training), timings


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence Splink's per-session "level not observed" warnings: ``_regularize`` handles those
    levels and logs one summary instead."""
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _regularize(settings: dict[str, Any], u_pairs: int) -> list[str]:
    """Make the trained numbers safe to use (see the module docstring); returns what changed."""
    changed: list[str] = []
    floor = 1.0 / u_pairs
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:
            name = f"{comparison['output_column_name']}: {level.get('label_for_charts')}"
            if level.get("u_probability") is None:
                level["u_probability"] = floor
                changed.append(f"{name}: u not observed, set to 1/{u_pairs}")
            if level.get("m_probability") is None:
                level["m_probability"] = level["u_probability"]
                changed.append(f"{name}: m not observed, set neutral (m = u)")
            elif level["m_probability"] < M_FLOOR and not level.get("fix_m_probability"):
                changed.append(f"{name}: m {level['m_probability']:.3g} floored to {M_FLOOR}")
                level["m_probability"] = M_FLOOR
        last = levels[-1]
        floor_weight = math.log2(last["m_probability"] / last["u_probability"])
        for level in levels[:-1]:
            if level.get("fix_m_probability"):
                continue
            if math.log2(level["m_probability"] / level["u_probability"]) < floor_weight:
                level["m_probability"] = level["u_probability"] * 2**floor_weight
                changed.append(
                    f"{comparison['output_column_name']}: {level.get('label_for_charts')}: "
                    "raised to the weight of total disagreement"
                )
    if changed:
        log.info("training estimates adjusted: %s", "; ".join(changed))
    return changed
