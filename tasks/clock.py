"""The one clock: UTC now, frozen by the `now` setting so tests and replays can move time."""

from __future__ import annotations

from datetime import datetime, timezone

from tasks.settings import Settings


def utcnow(settings: Settings | None = None) -> datetime:
    """Returns the current time as an aware UTC datetime (the frozen one when configured)."""
    if settings is not None and settings.now is not None:
        frozen = settings.now
        # an offset given (CANDOR_NOW=2026-03-01T09:00+01:00) is converted: every stored time is UTC
        return frozen.astimezone(timezone.utc) if frozen.tzinfo else frozen.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)
