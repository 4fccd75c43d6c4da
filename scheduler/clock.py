"""The one source of "now". Time travel moves an offset; nothing else reads the system clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Real time plus an offset (seconds) that operators may move when time travel is on."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def travel(self, seconds: float) -> None:
        self.offset += seconds

    def travel_to(self, when: datetime) -> None:
        self.offset = when.timestamp() - time.time()


class ManualClock(Clock):
    """A clock that stands still until told to move: for tests and benchmarks."""

    def __init__(self, start: datetime | float) -> None:
        super().__init__()
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)

    def time(self) -> float:
        return self._now

    def travel(self, seconds: float) -> None:
        self._now += seconds

    def travel_to(self, when: datetime) -> None:
        self._now = when.timestamp()
