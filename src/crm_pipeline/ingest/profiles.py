"""Source profiles: recognise an export from its header row.

Profiles are data (``profiles.yaml`` next to this module, plus the user's file named by
``CRM_PROFILES_FILE``), so a new export format needs a YAML entry, not a code branch. This module
only loads them, checks their shape and matches a header against them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crm_pipeline.errors import ConfigError

BUILTIN_PROFILES = Path(__file__).with_name("profiles.yaml")

Kind = Literal["customer", "job", "lead"]

#: Every field a profile may name; the clean stage knows what to do with each of them.
FIELDS: frozenset[str] = frozenset(
    {
        "customer_id",
        "job_number",
        "quote_number",
        "lead_id",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "phone2",
        "phone_type",
        "address",
        "street",
        "street2",
        "city",
        "state",
        "zip",
        "origin_address",
        "origin_street",
        "origin_street2",
        "origin_city",
        "origin_state",
        "origin_zip",
        "dest_address",
        "dest_street",
        "dest_street2",
        "dest_city",
        "dest_state",
        "dest_zip",
        "service_date",
        "service_type",
        "status",
        "estimated_total",
        "final_total",
        "move_date",
        "branch",
        "move_size",
        "sales_person",
        "referral_source",
        "created_at",
    }
)

_HEADER_NOISE = re.compile(r"[\s_\-]+")


def normalize_header(header: str) -> str:
    """Header comparison key: case folded, spaces/``_``/``-`` removed, BOM and NUL dropped."""
    return _HEADER_NOISE.sub("", header.replace("\ufeff", "").replace("\x00", "")).casefold()


class FieldSpec(BaseModel):
    """One column of a profile: its accepted header spellings and whether it must be present."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: tuple[str, ...]
    required: bool = True

    @field_validator("header", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("header")
    @classmethod
    def _not_blank(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not normalize_header(h) for h in value):
            raise ValueError("every header spelling must contain a letter or digit")
        return value

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(normalize_header(h) for h in self.header)


class Profile(BaseModel):
    """A source format: the system it comes from, which outputs its rows feed, and its columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source_system: str = Field(min_length=1)
    kind: Kind
    record_id: str
    fields: dict[str, FieldSpec]

    @field_validator("fields", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {k: {"header": v} if isinstance(v, str | list | tuple) else v for k, v in value.items()}

    @model_validator(mode="after")
    def _known_fields(self) -> Profile:
        unknown = sorted(set(self.fields) - FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; known fields: {sorted(FIELDS)}")
        if self.record_id not in self.fields:
            raise ValueError(f"record_id {self.record_id!r} is not one of the profile's fields")
        has_name = "full_name" in self.fields or {"first_name", "last_name"} & set(self.fields)
        if not has_name and not {"email", "phone"} & set(self.fields):
            raise ValueError("a profile needs at least a name, email or phone field to identify a person")
        return self

    @property
    def required(self) -> dict[str, FieldSpec]:
        return {name: spec for name, spec in self.fields.items() if spec.required}


@dataclass(frozen=True, slots=True)
class ProfileMatch:
    """How a header fits one profile: ``columns`` maps field -> column index in the file."""

    profile: Profile
    columns: dict[str, int]
    missing: tuple[str, ...]  # display names (first spelling) of required columns not found

    @property
    def ok(self) -> bool:
        return not self.missing


def _read_yaml(path: Path) -> dict[str, Profile]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read profiles file {path}: {exc}") from exc
    entries = (doc or {}).get("profiles") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ConfigError(f"profiles file {path}: expected a top-level 'profiles:' mapping")
    profiles: dict[str, Profile] = {}
    for name, body in entries.items():
        try:
            profiles[str(name)] = Profile.model_validate({"name": str(name), **(body or {})})
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f"profiles file {path}, profile {name!r}: {exc}") from exc
    return profiles


@lru_cache(maxsize=8)
def load_profiles(extra_file: Path | None = None) -> tuple[Profile, ...]:
    """Built-in profiles, then the user's (same name replaces the built-in one)."""
    profiles = _read_yaml(BUILTIN_PROFILES)
    if extra_file is not None:
        profiles.update(_read_yaml(extra_file))
    return tuple(profiles.values())


def match_profile(profile: Profile, header: Sequence[str]) -> ProfileMatch:
    """Which of the profile's fields the header has, and which required columns it lacks."""
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        position.setdefault(normalize_header(name), index)
    columns: dict[str, int] = {}
    missing: list[str] = []
    for field, spec in profile.fields.items():
        found = [position[k] for k in spec.keys if k in position]
        if found:
            columns[field] = min(found)
        elif spec.required:
            missing.append(spec.header[0])
    return ProfileMatch(profile, columns, tuple(missing))


def detect_profile(header: Sequence[str], profiles: Sequence[Profile]) -> ProfileMatch:
    """The best match: a complete one with the most matched columns, else the closest incomplete one.

    The caller checks ``.ok``; an incomplete match names the closest profile and what it lacks.
    """
    if not profiles:
        raise ConfigError("no source profiles are configured")
    matches = [match_profile(p, header) for p in profiles]
    # complete before incomplete, then fewest missing, then most matched; stable for ties
    return min(matches, key=lambda m: (len(m.missing), -len(m.columns)))
