"""One Settings object for Candor: environment variables with the CANDOR_ prefix, or a .env file."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks import PROJECT_ROOT

ENV_PREFIX = "CANDOR_"


class SettingsError(ValueError):
    """A setting is unknown or invalid; the message names the variable."""


def iana_zone(value: str) -> str:
    """The value when it names an IANA time zone, else a ValueError saying what one looks like."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)") from None
    return value


class Settings(BaseSettings):
    """Every knob Candor has. Misspelt CANDOR_* variables are rejected at start."""

    # nan passed no bound check by its own account ("should be less than 1"), inf made a wait of no end
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", allow_inf_nan=False)

    home: Path = Field(default=PROJECT_ROOT / "data", description="Holds config/, warehouse/, inbox/, marts/.")
    lock_timeout_s: float = Field(default=600.0, ge=0, description="How long a writer waits for the warehouse lock.")
    max_bad_fraction: float = Field(default=0.2, ge=0, le=1, description="Quarantined share above which a run fails.")
    min_bad_rows: int = Field(default=2, ge=1, description="Quarantined rows a batch needs before its share can fail a run.")
    default_region: str = Field(default="US", pattern=r"^[A-Z]{2}$",
                                description="Phone region (ISO 3166 alpha-2) used when a source names none.")
    org_timezone: str = Field(default="UTC", description="IANA time zone (Europe/Berlin) for send windows when a "
                                                       "person's is unknown (read by the nurture stage, not built yet).")
    now: datetime | None = Field(default=None, description="Frozen clock (UTC) for tests and replays.")
    duckdb_memory_limit: str = Field(
        default="2GB", pattern=r"(?i)^\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*$",
        description="DuckDB memory_limit, a number and a unit (500MB, 6GB, 4GiB); beyond it DuckDB spills to "
                    "warehouse/*.tmp (raise it for big identity runs).")
    duckdb_threads: int = Field(default=0, ge=0, le=1024, description="DuckDB threads; 0 lets DuckDB choose.")
    api_timeout_s: float = Field(default=30.0, gt=0, description="Timeout of one API request (Greenhouse, Lever).")
    api_max_attempts: int = Field(default=5, ge=1, description="Attempts per API request before giving up (5xx, timeouts, 429).")
    api_backoff_base_s: float = Field(default=1.0, ge=0, description="First retry wait; doubles per attempt.")
    api_backoff_max_s: float = Field(default=60.0, ge=0, description="Longest wait between two API attempts.")
    api_max_retry_after_s: float = Field(default=300.0, ge=0, description="Longest Retry-After (of a 429 or a 503) honoured before failing.")
    api_request_max_s: float = Field(default=300.0, gt=0, description=(
        "Longest one API request may take, its answer's body included (CANDOR_API_TIMEOUT_S bounds each wait "
        "for bytes: a server trickling them keeps each wait short); then it is a timeout, retried as one."))
    api_land_rows: int = Field(default=5000, ge=1, description=(
        "An API source's pages land (validated, committed with the run's cursor) in batches of at least this many "
        "records: Great Expectations' fixed cost per batch is paid once per batch, not per page. A crash fetches "
        "at most one batch's pages again."))
    identity_match_threshold: float = Field(
        default=0.85, gt=0, lt=1, description="Splink match probability at or above which two records are one person.")
    identity_max_key_share: int = Field(
        default=10, ge=2, description="An email/phone/LinkedIn/ATS id (or email local part) held by more records "
                                      "than this links nobody: no rule edge, no Splink evidence, no blocking.")
    identity_max_block: int = Field(
        default=1000, ge=2, description="Records sharing a blocking rule's keys (name and city, last name and "
                                        "employer…) with more records than this are not paired by that rule: "
                                        "it would pair every two of them. Other rules still pair them.")

    @field_validator("home", mode="before")
    @classmethod
    def _not_empty(cls, value):
        # an empty CANDOR_HOME (a unit's CANDOR_HOME=${UNSET}) read as the working folder
        if isinstance(value, str) and not value.strip():
            raise ValueError("an empty home; set it to a folder")
        return value

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _some_memory(cls, value: str) -> str:
        # 0GB passed the pattern and then failed every statement ("failed to allocate data of size 16.0 KiB")
        if float(re.match(r"\s*([\d.]+)", value).group(1)) == 0:
            raise ValueError(f"{value.strip()!r} leaves DuckDB no memory at all; give a size such as 2GB (the default)")
        return value

    @field_validator("org_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return iana_zone(value)

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "candor.duckdb"

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    @property
    def marts_dir(self) -> Path:
        return self.home / "marts"


def _candor_values(env_file: Path) -> dict[str, str]:
    """CANDOR_* values from .env (other tools' keys there are left alone), overridden by the environment."""
    values: dict[str, str] = {}
    if env_file.exists():
        values.update({k: v for k, v in dotenv_values(env_file).items()
                       if k.upper().startswith(ENV_PREFIX) and v is not None})
    values.update({k: v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)})
    return values


# CANDOR_* variables that are no setting: read by other tools, so not misspellings
NOT_SETTINGS = {"CANDOR_PROJECT_DIR"}  # prefect.yaml's pull step: the folder deployments run in


def _reason(err: dict) -> str:
    """A validation error in words, quoting the value: a pattern mismatch says what the setting takes, not the
    regular expression."""
    field = Settings.model_fields.get(str(err["loc"][0]))
    if err["type"] == "string_pattern_mismatch" and field is not None and field.description:
        return f"{err['input']!r} is not of the form it takes: {field.description}"
    if err["type"] == "finite_number":
        return f"{err['input']!r} is not a finite number"
    message = err["msg"].removeprefix("Value error, ")  # a validator of ours words its own message
    if not isinstance(err["input"], str) or repr(err["input"]) in message:
        return message
    return f"{err['input']!r}: {message}"


def _origin(var: str, env_file: Path) -> str:
    """Where a CANDOR_* value came from: the environment, or the .env file and line (a .env kept across upgrades)."""
    if var in os.environ:
        return "environment"
    if env_file.exists():
        line = re.compile(rf"\s*(export\s+)?{re.escape(var)}\s*=")
        for number, text in enumerate(env_file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if line.match(text):
                return f"{env_file}:{number}"
    return "override"


def load_settings(env_file: Path = Path(".env"), **overrides) -> Settings:
    """Reads CANDOR_* from the environment and .env into Settings; raises SettingsError naming the variable and
    where its value came from."""
    values = _candor_values(env_file)
    known = {name: ENV_PREFIX + name.upper() for name in Settings.model_fields}
    unknown = sorted(k for k in values if k.upper() not in known.values() and k.upper() not in NOT_SETTINGS)
    if unknown:
        named = ", ".join(f"{k} ({_origin(k, env_file)})" for k in unknown)
        raise SettingsError(f"unknown setting(s) {named}; known: {', '.join(sorted(known.values()))}")
    fields = {name: values[var] for name, var in known.items() if var in values}
    try:
        settings = Settings.model_validate({**fields, **overrides})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0])
            var = known.get(name, name)
            where = f" ({_origin(var, env_file)})" if name in fields and name not in overrides else ""
            lines.append(f"{var}{where}: {_reason(err)}")
        raise SettingsError("invalid settings: " + "; ".join(lines)) from None
    if not settings.home.is_dir():  # a typo: nothing (no empty warehouse, no Prefect home) is made there
        raise SettingsError(f"CANDOR_HOME {settings.home} is not a folder; a new home starts with a copy of the "
                            f"project's configuration: mkdir -p {settings.home} && cp -r {PROJECT_ROOT / 'data' / 'config'} "
                            f"{settings.home}/")
    return settings
