"""Settings: the only place that reads the environment.

Precedence (highest first): explicit keyword arguments, environment variables (prefix ``CRM_``,
``__`` for nesting), a ``.env`` file in the working directory, then the defaults below.
``DATABASE_URL`` is accepted as well as ``CRM_DATABASE_URL``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_pipeline.errors import ConfigError


class QualitySettings(BaseSettings):
    """Data-quality thresholds (the SLAs of the brief)."""

    completeness_email: float = 0.95
    completeness_phone: float = 0.95
    completeness_address: float = 0.95
    max_record_age_days: int = 30
    max_duplicate_rate: float = 0.01


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CRM_DATABASE_URL", "DATABASE_URL"),
        description="Any PostgreSQL >= 14. Unset: the embedded PostgreSQL 16 under CRM_HOME/pg.",
    )
    home: Path = Field(
        default=Path(".crm_pipeline"),
        description="Folder for the embedded server, logs, models and run state.",
    )
    # database roles (docs/schema.md): passwords for servers that ask for one; unset = trust/.pgpass
    loader_password: SecretStr | None = None
    reader_password: SecretStr | None = None
    api_sync_password: SecretStr | None = None

    # files written (crm_pipeline.permissions)
    private_files: bool = Field(
        default=True,
        description="Create folders 0700 and files 0600 (umask 077); false keeps the caller's umask.",
    )

    # ingest (clean stage)
    profiles_file: Path | None = Field(
        default=None,
        description="Extra source profiles (YAML, same shape as crm_pipeline/ingest/profiles.yaml).",
    )
    max_columns: int = Field(default=500, ge=1, description="A file with more columns is rejected.")
    max_field_chars: int = Field(
        default=10_000, ge=1, description="A row with a longer field is quarantined (field_too_long)."
    )

    # load: an input file whose clean rows shrink by more than this share of the rows it loaded
    # before (or that comes back empty or rejected) is held back; --accept-shrink FILE overrides
    max_shrink_share: float = Field(default=0.20, ge=0.0, le=1.0)
    branches_file: Path | None = Field(
        default=None,
        description="The company's branch table (YAML, same shape as crm_pipeline/clean/branches.yaml);"
        " unset: the packaged table.",
    )
    max_file_failure_share: float = Field(
        default=0.05,
        ge=0.0,
        le=1.0,
        description="A file with a larger share of its rows quarantined whole stops the run (systemic).",
    )
    max_column_failure_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="A column with a larger share of its non-blank values unreadable stops the run"
        " (the column is unparseable as a whole, e.g. a changed date format).",
    )
    earliest_event_year: int = Field(
        default=1990, description="Dates before January 1 of this year are value-quarantined."
    )
    future_booking_years: int = Field(
        default=3,
        ge=0,
        description="Service and move dates may lie this many years ahead; later ones are value-quarantined.",
    )
    created_at_future_tolerance_hours: float = Field(
        default=24.0,
        ge=0.0,
        description="A created_at later than now plus this is value-quarantined (clock skew allowance).",
    )

    # matching
    match_threshold: float = 0.95
    match_review_band: float = 0.15
    match_min_fill_rate: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="Share of rows an optional match column (email, phone, address) must fill to be used.",
    )

    # analytics
    gender_enabled: bool = True
    gender_batch_size: int = 5000
    job_duplicate_date_tolerance_days: int = 3
    job_duplicate_min_street_similarity: float = 85.0

    # SmartMoving API
    smartmoving_base_url: str = "https://api-public.smartmoving.com/v1"
    smartmoving_api_key: SecretStr | None = None

    # alerts
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    alert_email_to: str | None = None
    alert_email_from: str = "crm-pipeline@localhost"
    slack_webhook_url: SecretStr | None = None

    quality: QualitySettings = Field(default_factory=QualitySettings)

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def pgdata(self) -> Path:
        return self.home_dir / "pg"

    @property
    def logs_dir(self) -> Path:
        return self.home_dir / "logs"

    @property
    def models_dir(self) -> Path:
        return self.home_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call ``get_settings.cache_clear()`` after changing env).

    A bad value is a :class:`ConfigError` naming the variable and what is wrong with it, on one
    line; the value itself is not repeated (it may be a password or a connection URL).
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{_env_name(err['loc'])}: {err['msg']}" for err in exc.errors(include_input=False)
        )
        raise ConfigError(f"invalid setting(s): {problems}") from None


def _env_name(loc: tuple[int | str, ...]) -> str:
    """``("quality", "min_fill")`` → ``CRM_QUALITY__MIN_FILL`` (the variable a user sets)."""
    return "CRM_" + "__".join(str(part) for part in loc).upper()
