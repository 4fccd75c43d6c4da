"""The open practice exchange: which tool and prompt a reply belongs to. Never the text.

It lives only as long as the exchange needs (a TTL), and /forget removes it with the user's
other keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from bot.store.keys import Keys

EXCHANGE_TTL = 24 * 3600  # a lesson's prompt can be answered until the next one arrives


@dataclass(frozen=True)
class Exchange:
    tool: str
    prompt: int  # index into the lesson's prompts (-1: the review prompt)
    day: int


def exchange_from(raw: dict[str, str]) -> Exchange | None:
    if not raw or "tool" not in raw:
        return None
    return Exchange(tool=raw["tool"], prompt=int(raw["prompt"]), day=int(raw["day"]))


class PracticeStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def open(self, user_id: int, exchange: Exchange) -> None:
        key = self.keys.practice(user_id)
        mapping = {"tool": exchange.tool, "prompt": exchange.prompt, "day": exchange.day}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=cast(Any, mapping))
            pipe.expire(key, EXCHANGE_TTL)
            await pipe.execute()

    async def current(self, user_id: int) -> Exchange | None:
        return exchange_from(
            cast(dict[str, str], await self.redis.hgetall(self.keys.practice(user_id)))
        )

    async def close(self, user_id: int) -> None:
        await self.redis.delete(self.keys.practice(user_id))

    async def record(
        self, user_id: int, tool: str, good: bool, subscriber_changes: dict[str, str]
    ) -> None:
        """Per-user tallies for /progress, anonymous ones for the operators' funnel, and the
        subscriber's streak fields (already encoded), all in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.keys.user_stats(user_id), f"practice:{tool}", 1)
            if good:
                pipe.hincrby(self.keys.user_stats(user_id), f"good:{tool}", 1)
            pipe.hincrby(self.keys.counters("practice"), tool, 1)
            if good:
                pipe.hincrby(self.keys.counters("practice_good"), tool, 1)
            if subscriber_changes:
                pipe.hset(self.keys.sub(user_id), mapping=cast(Any, subscriber_changes))
            await pipe.execute()
