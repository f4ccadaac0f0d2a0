"""One Settings object for Candor: environment variables with the CANDOR_ prefix, or a .env file."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks import PROJECT_ROOT

ENV_PREFIX = "CANDOR_"


class SettingsError(ValueError):
    """A setting is unknown or invalid; the message names the variable."""


class Settings(BaseSettings):
    """Every knob Candor has. Misspelt CANDOR_* variables are rejected at start."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="forbid")

    home: Path = Field(default=PROJECT_ROOT / "data", description="Holds config/, warehouse/, inbox/, marts/.")
    lock_timeout_s: float = Field(default=600.0, ge=0, description="How long a writer waits for the warehouse lock.")
    max_bad_fraction: float = Field(default=0.2, ge=0, le=1, description="Quarantined share above which a run fails.")
    default_region: str = Field(default="US", description="Phone region used when a source names none.")
    org_timezone: str = Field(default="UTC", description="Time zone used when a person's is unknown.")
    now: datetime | None = Field(default=None, description="Frozen clock (UTC) for tests and replays.")
    duckdb_memory_limit: str = Field(default="4GB", description="DuckDB memory_limit for the warehouse.")
    duckdb_threads: int = Field(default=0, ge=0, description="DuckDB threads; 0 lets DuckDB choose.")

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


def _reject_unknown_env() -> None:
    """Fails on CANDOR_* environment variables that name no setting (a typo is never silent)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    unknown = sorted(k for k in os.environ if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)
    if unknown:
        raise SettingsError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )


def load_settings(**overrides) -> Settings:
    """Reads the environment (and .env) into Settings; raises SettingsError naming the bad field."""
    _reject_unknown_env()
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            lines.append(f"{ENV_PREFIX}{field.upper()}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(lines)) from None
