"""The one clock: UTC now, frozen by the `now` setting so tests and replays can move time."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from tasks.settings import Settings


def utcnow(settings: Settings | None = None) -> datetime:
    """Returns the current time as an aware UTC datetime (the frozen one when configured)."""
    if settings is not None and settings.now is not None:
        frozen = settings.now
        # an offset given (CANDOR_NOW=2026-03-01T09:00+01:00) is converted: every stored time is UTC
        return frozen.astimezone(timezone.utc) if frozen.tzinfo else frozen.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


class StepTimer:
    """Times the steps of a long piece of work: a step of `min_s` seconds or more is logged as it
    ends (progress on a long run), and str() lists all of them in one line (where the time went)."""

    def __init__(self, label: str, logger: logging.Logger, min_s: float = 1.0) -> None:
        self.label, self.logger, self.min_s = label, logger, min_s
        self.last = time.perf_counter()
        self.steps: list[str] = []

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.steps.append(f"{step} {now - self.last:.1f} s")
        if now - self.last >= self.min_s:
            self.logger.info("%s: %s done in %.1f s", self.label, step, now - self.last)
        self.last = now

    def __str__(self) -> str:
        return ", ".join(self.steps)
