"""Source profiles: recognise an export from its header row.

Profiles are data (``profiles.yaml`` next to this module, plus the user's file named by
``CRM_PROFILES_FILE``), so a new export format needs a YAML entry, not a code branch. This module
only loads them, checks their shape and matches a header against them.

Real exports spell the same column many ways ("Email", "E-mail", "Email Address"; "Cust ID",
"Customer #"). Two things absorb that: header keys ignore case, spacing and punctuation ("#" reads
as "number"), and the YAML's ``aliases:`` lists, per field, spellings every profile with that field
accepts besides its own. Column order never matters; columns no field names are ignored and listed
(``ProfileMatch.ignored``).
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

_HEADER_NOISE = re.compile(r"[\W_]+")


def normalize_header(header: str) -> str:
    """Header comparison key: case folded, ``#`` read as "number", every character that is not a
    letter or digit dropped ("Phone #" -> "phonenumber", "E-mail" -> "email", "Apt/Suite" -> "aptsuite")."""
    return _HEADER_NOISE.sub("", header.replace("#", "number").casefold())


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

    def with_aliases(self, aliases: Mapping[str, Sequence[str]]) -> Profile:
        """This profile with each field also accepting the field's aliases. An alias that is one of
        the profile's own headers for another field stays with that field (the profile wins)."""
        own = {field: spec.keys for field, spec in self.fields.items()}
        fields: dict[str, FieldSpec] = {}
        for field, spec in self.fields.items():
            taken = frozenset().union(*(keys for other, keys in own.items() if other != field))
            seen = set(spec.keys)
            extra: list[str] = []
            for alias in aliases.get(field, ()):
                key = normalize_header(alias)
                if key and key not in seen and key not in taken:
                    seen.add(key)
                    extra.append(alias)
            fields[field] = spec.model_copy(update={"header": (*spec.header, *extra)}) if extra else spec
        return self.model_copy(update={"fields": fields})


@dataclass(frozen=True, slots=True)
class ProfileMatch:
    """How a header fits one profile: ``columns`` maps field -> column index in the file."""

    profile: Profile
    columns: dict[str, int]
    missing: tuple[str, ...]  # display names (first spelling) of required columns not found
    ignored: tuple[str, ...] = ()  # headers of the file that no field of the profile names

    @property
    def ok(self) -> bool:
        return not self.missing


def _read_yaml(path: Path) -> tuple[dict[str, Profile], dict[str, list[str]]]:
    """The profiles of one YAML file and its ``aliases:`` (field -> header spellings)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read profiles file {path}: {exc}") from exc
    entries = (doc or {}).get("profiles") if isinstance(doc, dict) else None
    if not isinstance(entries, dict):
        raise ConfigError(f"profiles file {path}: expected a top-level 'profiles:' mapping")
    return _profiles(path, entries), _aliases(path, (doc or {}).get("aliases"))


def _aliases(path: Path, entries: Any) -> dict[str, list[str]]:
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise ConfigError(f"profiles file {path}: 'aliases:' must map a field to a list of headers")
    out: dict[str, list[str]] = {}
    for field, spellings in entries.items():
        if field not in FIELDS:
            raise ConfigError(
                f"profiles file {path}: alias for unknown field {field!r}; known: {sorted(FIELDS)}"
            )
        values = [spellings] if isinstance(spellings, str) else spellings
        if not isinstance(values, list) or not all(
            isinstance(v, str) and normalize_header(v) for v in values
        ):
            raise ConfigError(f"profiles file {path}: aliases of {field!r} must be header names")
        out[str(field)] = values
    return out


def _profiles(path: Path, entries: dict[Any, Any]) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for name, body in entries.items():
        try:
            profiles[str(name)] = Profile.model_validate({"name": str(name), **(body or {})})
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f"profiles file {path}, profile {name!r}: {exc}") from exc
    return profiles


@lru_cache(maxsize=8)
def load_profiles(extra_file: Path | None = None) -> tuple[Profile, ...]:
    """Built-in profiles, then the user's (same name replaces the built-in one); every profile
    accepts the aliases of both files (the user's add to the built-in ones)."""
    profiles, aliases = _read_yaml(BUILTIN_PROFILES)
    if extra_file is not None:
        user_profiles, user_aliases = _read_yaml(extra_file)
        profiles.update(user_profiles)
        for field, spellings in user_aliases.items():
            aliases[field] = [*spellings, *aliases.get(field, [])]
    return tuple(p.with_aliases(aliases) for p in profiles.values())


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
    used = set(columns.values())
    ignored = tuple(name for index, name in enumerate(header) if index not in used and name.strip())
    return ProfileMatch(profile, columns, tuple(missing), ignored)


def detect_profile(header: Sequence[str], profiles: Sequence[Profile]) -> ProfileMatch:
    """The best match: a complete one with the most matched columns, else the closest incomplete one.

    The caller checks ``.ok``; an incomplete match names the closest profile and what it lacks.
    """
    if not profiles:
        raise ConfigError("no source profiles are configured")
    matches = [match_profile(p, header) for p in profiles]
    # complete before incomplete, then fewest missing, then most matched; stable for ties
    return min(matches, key=lambda m: (len(m.missing), -len(m.columns)))
