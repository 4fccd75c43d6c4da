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

# One script rather than a pipeline of five commands: a third of the client CPU per reply.
# KEYS: 1 user stats, 2 practice counters, 3 good-practice counters, 4 subscriber hash
# ARGV: 1 tool, 2 good (0/1), 3.. subscriber field, value pairs
_RECORD = """
redis.call('HINCRBY', KEYS[1], 'practice:' .. ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if ARGV[2] == '1' then
  redis.call('HINCRBY', KEYS[1], 'good:' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
end
if #ARGV > 2 then
  redis.call('HSET', KEYS[4], unpack(ARGV, 3))
end
return 1
"""


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
        self._record = redis.register_script(_RECORD)

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
        args: list[str] = [tool, "1" if good else "0"]
        for field, value in subscriber_changes.items():
            args += (field, value)
        await self._record(
            keys=[
                self.keys.user_stats(user_id),
                self.keys.counters("practice"),
                self.keys.counters("practice_good"),
                self.keys.sub(user_id),
            ],
            args=args,
        )
