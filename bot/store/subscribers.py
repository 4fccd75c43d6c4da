"""Subscriber records in Redis: one hash per user, plus the set of all subscribers."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, cast

from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.store.keys import Keys

NUDGE_AFTER = 3 * 24 * 3600

_FIELD_TYPES = {f.name: f.type for f in fields(Subscriber)}

# Touch = mark the person as seen and (re)arm the silence nudge, and return the record, in one
# round trip: every update does this, so it must be cheap.
_TOUCH = """
local sub = redis.call('HGETALL', KEYS[1])
if #sub == 0 then return sub end
redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[1])
for i = 1, #sub, 2 do
  if sub[i] == 'status' and sub[i + 1] == 'opted_in' then
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  end
  if sub[i] == 'last_seen_at' then sub[i + 1] = ARGV[1] end
end
return sub
"""


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_fields(sub: Subscriber) -> dict[str, str]:
    return {name: _encode(getattr(sub, name)) for name in _FIELD_TYPES}


def from_fields(data: dict[str, str]) -> Subscriber:
    kwargs: dict[str, Any] = {}
    for name, kind in _FIELD_TYPES.items():
        if name not in data:
            continue
        raw = data[name]
        if kind == "int":
            kwargs[name] = int(raw)
        elif kind == "float":
            kwargs[name] = float(raw)
        elif kind == "bool":
            kwargs[name] = raw == "1"
        elif kind == "Status":
            kwargs[name] = Status(raw)
        elif name == "practised":
            kwargs[name] = tuple(p for p in raw.split(",") if p)
        else:
            kwargs[name] = raw
    return Subscriber(**kwargs)


def _pairs_to_dict(pairs: list[str]) -> dict[str, str]:
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


class SubscriberStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._touch = redis.register_script(_TOUCH)

    async def get(self, user_id: int) -> Subscriber | None:
        data = await self.redis.hgetall(self.keys.sub(user_id))
        return from_fields(cast(dict[str, str], data)) if data else None

    async def touch(self, user_id: int, now: float) -> Subscriber | None:
        """Record that the person was here; returns their record (None if not subscribed)."""
        pairs = await self._touch(
            keys=[self.keys.sub(user_id), self.keys.idle()],
            args=[repr(now), repr(now + NUDGE_AFTER), user_id],
        )
        return from_fields(_pairs_to_dict(pairs)) if pairs else None

    async def save(self, sub: Subscriber) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.sub(sub.user_id), mapping=cast(Any, to_fields(sub)))
            pipe.sadd(self.keys.subscribers(), sub.user_id)
            await pipe.execute()

    async def update(self, user_id: int, **changes: object) -> None:
        """Write some fields only, leaving concurrent writers' other fields alone."""
        unknown = set(changes) - set(_FIELD_TYPES)
        if unknown:
            raise KeyError(f"not subscriber fields: {sorted(unknown)}")
        mapping = {k: _encode(v) for k, v in changes.items()}
        await self.redis.hset(self.keys.sub(user_id), mapping=cast(Any, mapping))

    async def forget(self, user_id: int) -> int:
        """Delete every key of this user; returns how many keys went."""
        deleted = 0
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=self.keys.user_pattern(user_id), count=500):
            batch.append(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            if batch:
                pipe.delete(*batch)
            pipe.zrem(self.keys.due(), user_id)
            pipe.zrem(self.keys.idle(), user_id)
            pipe.srem(self.keys.subscribers(), user_id)
            pipe.delete(self.keys.chat_data(user_id))
            results = await pipe.execute()
        deleted = int(results[0]) if batch else 0
        return deleted

    async def count_by_status(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        async for user_id in self.redis.sscan_iter(self.keys.subscribers(), count=1000):
            status = await self.redis.hget(self.keys.sub(int(user_id)), "status")
            if status in counts:
                counts[status] += 1
        return counts
