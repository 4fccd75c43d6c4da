"""The time-travel offset, shared through Redis so every replica moves together."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.store.keys import Keys
from scheduler.clock import Clock


class ClockStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.key = keys.clock()

    async def load(self, clock: Clock) -> None:
        raw = await self.redis.get(self.key)
        if raw is not None:
            clock.offset = float(raw)

    async def save(self, clock: Clock) -> None:
        await self.redis.set(self.key, repr(clock.offset))
