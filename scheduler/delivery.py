"""One delivery service for lessons, nudges and broadcasts: retries, backoff, blocked users.

Pacing (Telegram's global and per-chat limits) is the rate limiter's job, plugged into PTB;
this layer decides what a failure means for the subscriber.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)

# Telegram's wording for chats we can never reach again.
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked")


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403 or a chat that is gone: stop sending to this person
    FAILED = "failed"  # gave up after retries: try again on a later tick


class Sender:
    def __init__(
        self,
        *,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.counts: dict[str, int] = {o.value: 0 for o in Outcome}
        self.n_429 = 0
        self.latency_sum = 0.0
        self.latency_count = 0

    async def deliver(self, call: Callable[[], Awaitable[Any]]) -> tuple[Outcome, Any]:
        """Run one send with retries; the result is the API's answer when sent."""
        started = time.monotonic()
        outcome, result = await self._attempt(call)
        self.counts[outcome.value] += 1
        if outcome == Outcome.SENT:
            self.latency_sum += time.monotonic() - started
            self.latency_count += 1
        return outcome, result

    async def _attempt(self, call: Callable[[], Awaitable[Any]]) -> tuple[Outcome, Any]:
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return Outcome.SENT, await call()
            except Forbidden:
                return Outcome.BLOCKED, None
            except BadRequest as exc:
                if any(marker in exc.message.lower() for marker in _GONE):
                    return Outcome.BLOCKED, None
                log.warning("send rejected: %s", exc.message)
                return Outcome.FAILED, None
            except RetryAfter as exc:
                self.n_429 += 1
                wait = _seconds(exc.retry_after)
                if last or wait > self.max_retry_after:
                    return Outcome.FAILED, None
                await self.sleep(wait)
            except (TimedOut, NetworkError) as exc:
                if last:
                    log.warning("send failed after %d tries: %s", attempt + 1, exc)
                    return Outcome.FAILED, None
                await self.sleep(self.backoff * (2**attempt))
        return Outcome.FAILED, None


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
