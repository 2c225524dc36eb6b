"""The trained model as a portable, reviewable JSON artifact with a sha256 checksum.

A Splink model saved from DuckDB embeds DuckDB SQL and does not load into Spark. So the artifact
holds only what training produced — the prior and the m/u probability of every comparison level,
each next to its human label — while the comparisons themselves come from ``spec.py``. To use the
model, ``settings_dict(dialect)`` renders the spec for a backend and pours the numbers in. Labels
are checked one by one, so a model trained for another shape of the spec is refused with a clear
message instead of silently scoring with misplaced numbers.

Next to ``person_model.json`` sits ``person_model.json.sha256`` (``sha256sum`` format). A model
whose bytes no longer match its checksum is refused: the model is reviewed like code, and an
unreviewed edit must not slip into production matching.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import splink

from crm_pipeline.errors import ConfigError
from crm_pipeline.match import spec

log = logging.getLogger(__name__)

MODEL_FORMAT = "crm-pipeline/person-match-model"
MODEL_FILE_NAME = "person_model.json"


@dataclass(frozen=True)
class LevelParams:
    label: str
    m_probability: float | None
    u_probability: float | None
    is_null_level: bool = False

    @property
    def match_weight(self) -> float | None:
        if self.is_null_level or not self.m_probability or not self.u_probability:
            return None
        return math.log2(self.m_probability / self.u_probability)


@dataclass(frozen=True)
class PersonModel:
    """Trained parameters of the person-matching model (see the module docstring)."""

    probability_two_random_records_match: float
    comparisons: dict[str, list[LevelParams]]
    spec_version: int = spec.SPEC_VERSION
    trained_at: str = ""
    training: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ build and render

    @classmethod
    def from_splink_settings(cls, settings: dict[str, Any], training: dict[str, Any]) -> PersonModel:
        """Take the trained numbers out of ``linker.misc.save_model_to_json()``'s dict."""
        comparisons: dict[str, list[LevelParams]] = {}
        for comparison in settings["comparisons"]:
            comparisons[comparison["output_column_name"]] = [
                LevelParams(
                    label=str(level.get("label_for_charts", "")),
                    m_probability=level.get("m_probability"),
                    u_probability=level.get("u_probability"),
                    is_null_level=bool(level.get("is_null_level", False)),
                )
                for level in comparison["comparison_levels"]
            ]
        return cls(
            probability_two_random_records_match=float(settings["probability_two_random_records_match"]),
            comparisons=comparisons,
            trained_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            training=training,
        )

    @property
    def optional_comparisons(self) -> frozenset[str]:
        """The optional comparisons (``spec.OPTIONAL``) this model has parameters for."""
        return frozenset(name for name in spec.OPTIONAL if name in self.comparisons)

    def settings_dict(
        self, sql_dialect: str, present: frozenset[str] = spec.ALL_OPTIONAL, **overrides: Any
    ) -> dict[str, Any]:
        """The Splink settings for ``sql_dialect`` ("duckdb", "spark") with these parameters.

        ``present``: the optional comparisons to use; the model's others are left out, which
        scores a pair exactly as if those columns were empty on both records (a comparison on
        nulls adds nothing), so one model serves files with fewer columns.
        """
        rendered = spec.settings_creator(present, **overrides).create_settings_dict(sql_dialect)
        rendered["probability_two_random_records_match"] = self.probability_two_random_records_match
        for comparison in rendered["comparisons"]:
            name = comparison["output_column_name"]
            trained = self.comparisons.get(name)
            levels = comparison["comparison_levels"]
            if trained is None or len(trained) != len(levels):
                raise ConfigError(
                    f"model does not fit the matcher: comparison {name!r} has {len(levels)} levels "
                    f"in the code but {0 if trained is None else len(trained)} in the model; "
                    "retrain with `crm-pipeline match --retrain`"
                )
            for level, params in zip(levels, trained, strict=True):
                label = level.get("label_for_charts", "")
                if label != params.label:
                    raise ConfigError(
                        f"model does not fit the matcher: level {label!r} of {name!r} is {params.label!r} "
                        "in the model; retrain with `crm-pipeline match --retrain`"
                    )
                if level.get("is_null_level"):
                    continue
                level["m_probability"] = params.m_probability
                level["u_probability"] = params.u_probability
        return rendered

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> str:
        doc = {
            "format": MODEL_FORMAT,
            "spec_version": self.spec_version,
            "splink_version": splink.__version__,
            "trained_at": self.trained_at,
            "training": self.training,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "comparisons": {
                name: [
                    {
                        "label": p.label,
                        "m_probability": p.m_probability,
                        "u_probability": p.u_probability,
                        "match_weight": None if p.match_weight is None else round(p.match_weight, 3),
                        **({"is_null_level": True} if p.is_null_level else {}),
                    }
                    for p in levels
                ]
                for name, levels in self.comparisons.items()
            },
        }
        return json.dumps(doc, indent=2) + "\n"

    def save(self, path: Path) -> str:
        """Write the model and its ``.sha256`` sidecar; returns the checksum."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.to_json().encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        checksum_path(path).write_text(f"{digest}  {path.name}\n", encoding="utf-8")
        log.info("model saved to %s (sha256 %s)", path, digest[:12])
        return digest

    @classmethod
    def load(cls, path: Path) -> tuple[PersonModel, str]:
        """Read a model, verifying its checksum sidecar; returns the model and its sha256."""
        if not path.is_file():
            raise ConfigError(f"model file not found: {path}")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        sidecar = checksum_path(path)
        if sidecar.is_file():
            expected = sidecar.read_text(encoding="utf-8").split()[0] if sidecar.read_text().strip() else ""
            if expected != digest:
                raise ConfigError(
                    f"model {path} does not match its checksum {sidecar.name} (edited after training?); "
                    "retrain or restore the file"
                )
        else:
            log.warning("model %s has no checksum file %s", path, sidecar.name)
        try:
            doc = json.loads(data)
            if doc.get("format") != MODEL_FORMAT:
                raise ConfigError(f"{path} is not a crm-pipeline person model (format {doc.get('format')!r})")
            if doc.get("spec_version") != spec.SPEC_VERSION:
                raise ConfigError(
                    f"model {path} was trained for matcher spec v{doc.get('spec_version')}, "
                    f"this version uses v{spec.SPEC_VERSION}; retrain with `crm-pipeline match --retrain`"
                )
            comparisons = {
                name: [
                    LevelParams(
                        label=level["label"],
                        m_probability=level.get("m_probability"),
                        u_probability=level.get("u_probability"),
                        is_null_level=bool(level.get("is_null_level", False)),
                    )
                    for level in levels
                ]
                for name, levels in doc["comparisons"].items()
            }
            model = cls(
                probability_two_random_records_match=float(doc["probability_two_random_records_match"]),
                comparisons=comparisons,
                spec_version=int(doc["spec_version"]),
                trained_at=str(doc.get("trained_at", "")),
                training=dict(doc.get("training", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"model {path} is malformed: {exc}") from exc
        return model, digest


def checksum_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".sha256")
