"""Subscriber records in Redis: one compact hash per user, plus the set of all subscribers.

Compact because a million subscribers must fit in ~500 bytes each (bench/bench_scheduler.py):
fields have one- or two-letter names (CODES), fields at their default value are not stored,
and times are whole seconds. `decode` turns a raw hash back into readable names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, cast

from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.store.keys import Keys

log = logging.getLogger(__name__)

NUDGE_AFTER = 3 * 24 * 3600

_TYPES = {f.name: f.type for f in fields(Subscriber)}
_DEFAULTS = {f.name: f.default for f in fields(Subscriber) if f.default is not f.default_factory}
_DEFAULTS["practised"] = ()
CODES: dict[str, str] = {
    "status": "s",
    "timezone": "z",
    "send_time": "t",
    "consent_at": "c",
    "created_at": "a",
    "updated_at": "m",
    "first_name": "n",
    "language": "l",
    "next_day": "d",
    "last_sent_day": "ld",
    "last_sent_at": "la",
    "last_seen_at": "ls",
    "paused_until": "pu",
    "busy_until": "bu",
    "deferred_since": "df",
    "streak": "k",
    "streak_date": "kd",
    "catchup_week": "kw",
    "practised": "p",
    "bonus_opt_out": "bo",
    "finished_at": "f",
    "partner": "pr",
}
NAMES = {code: name for name, code in CODES.items()}
# user_id is the key itself, never a field.
assert set(CODES) == set(_TYPES) - {"user_id"}

# Touch = mark the person as seen and (re)arm the silence nudge, and return the record, in one
# round trip: every update does this, so it must be cheap. KEYS[4..] / ARGV[4..] are extra
# (hash, field) reads for the caller ('' when absent: a nil would cut the reply short).
_TOUCH = f"""
local shared = {{}}
for i = 4, #KEYS do shared[i - 3] = redis.call('HGET', KEYS[i], ARGV[i]) or '' end
local sub = redis.call('HGETALL', KEYS[1])
if #sub == 0 then return {{sub, {{}}, shared}} end
redis.call('HSET', KEYS[1], '{CODES["last_seen_at"]}', ARGV[1])
for i = 1, #sub, 2 do
  if sub[i] == '{CODES["status"]}' and sub[i + 1] == 'opted_in' then
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  end
end
return {{sub, redis.call('HGETALL', KEYS[3]), shared}}
"""


# Batch read and batch write as single scripts: one reply to parse instead of one per command,
# which is most of the scheduler's cost (bench/bench_scheduler.py). On Redis Cluster they stay
# legal because every key shares one slot there (Keys.for_deployment).
_GET_MANY = """
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HGETALL', key) end
return out
"""

# KEYS[1] is the due-queue, KEYS[i + 1] the i-th row's record. ARGV[i] packs the i-th row as
# "uid<US>when<US>field<US>value..." (US = \x1f; when '' = cancel): one argument per row keeps
# the client's packing cost, most of a tick's CPU, small.
_BOOK_MANY = """
local US = string.char(31)
local function split(s)
  local out, start = {}, 1
  while true do
    local i = string.find(s, US, start, true)
    if not i then out[#out + 1] = string.sub(s, start); return out end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end
local book, cancel = {}, {}
for i, row in ipairs(ARGV) do
  local parts = split(row)
  local uid, when = parts[1], parts[2]
  if #parts > 2 then redis.call('HSET', KEYS[i + 1], unpack(parts, 3)) end
  if when == '' then cancel[#cancel + 1] = uid
  else book[#book + 1] = when; book[#book + 1] = uid end
end
if #book > 0 then redis.call('ZADD', KEYS[1], unpack(book)) end
if #cancel > 0 then redis.call('ZREM', KEYS[1], unpack(cancel)) end
return 1
"""
_US = "\x1f"


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(value)
    if isinstance(value, float):
        return str(int(value)) if value == int(value) else str(round(value))
    return str(value)


def to_fields(sub: Subscriber) -> dict[str, str]:
    """The fields worth storing: those that differ from their default."""
    out = {}
    for name, code in CODES.items():
        value = getattr(sub, name)
        if name in _DEFAULTS and value == _DEFAULTS[name] and name != "status":
            continue
        out[code] = _encode(value)
    return out


def encode_changes(changes: dict[str, object]) -> dict[str, str]:
    unknown = set(changes) - set(CODES)
    if unknown:
        raise KeyError(f"not subscriber fields: {sorted(unknown)}")
    return {CODES[k]: _encode(v) for k, v in changes.items()}


def decode(raw: dict[str, str]) -> dict[str, str]:
    """Readable names for a raw hash (tests, debugging)."""
    return {NAMES.get(k, k): v for k, v in raw.items()}


def _practised(value: str) -> tuple[str, ...]:
    return tuple(p for p in value.split(",") if p)


def _converter(name: str) -> Callable[[str], object]:
    kind = _TYPES[name]
    if name == "practised":
        return _practised
    parsers: dict[str, Callable[[str], object]] = {
        "int": int,
        "float": float,
        "bool": lambda v: v == "1",
        "Status": Status,
    }
    return parsers.get(str(kind), str)


# code -> (field name, parser), built once: decoding runs a thousand times per tick.
_DECODERS = {code: (name, _converter(name)) for name, code in CODES.items()}


def from_fields(user_id: int, raw: dict[str, str]) -> Subscriber:
    kwargs: dict[str, Any] = {"user_id": user_id}
    for code, value in raw.items():
        decoder = _DECODERS.get(code)
        if decoder is not None:
            kwargs[decoder[0]] = decoder[1](value)
    return Subscriber(**kwargs)


def _pairs(pairs: list[str]) -> dict[str, str]:
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


class SubscriberStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._touch = redis.register_script(_TOUCH)
        self._get_many = redis.register_script(_GET_MANY)
        self._book_many = redis.register_script(_BOOK_MANY)

    async def get(self, user_id: int) -> Subscriber | None:
        data = cast(dict[str, str], await self.redis.hgetall(self.keys.sub(user_id)))
        return from_fields(user_id, data) if data else None

    async def get_many(self, user_ids: list[int]) -> dict[int, Subscriber]:
        """One round trip for a whole batch (the scheduler's hot path)."""
        if not user_ids:
            return {}
        rows = await self._get_many(keys=[self.keys.sub(uid) for uid in user_ids])
        out: dict[int, Subscriber] = {}
        for uid, row in zip(user_ids, rows, strict=True):
            if not row:
                continue
            try:
                out[uid] = from_fields(uid, _pairs(row))
            except (TypeError, ValueError):  # one damaged record must not stop a batch
                log.warning("skipping an unreadable subscriber record")
        return out

    async def touch(
        self,
        user_id: int,
        now: float,
        also: str | None = None,
        shared: Sequence[tuple[str, str]] = (),
    ) -> tuple[Subscriber | None, dict[str, str], list[str | None]]:
        """Record that the person was here; returns their record (None if not subscribed),
        the hash at `also` (the open practice, say) and the value of each (hash, field) in
        `shared` (None when absent), all in the same round trip."""
        keys = [self.keys.sub(user_id), self.keys.idle(), also or self.keys.sub(user_id)]
        args: list[str | int] = [_encode(now), _encode(now + NUDGE_AFTER), user_id]
        for key, field in shared:
            keys.append(key)
            args.append(field)
        pairs, extra, values = await self._touch(keys=keys, args=args)
        found = [v or None for v in values]  # "" stands for absent (see _TOUCH)
        if not pairs:
            return None, {}, found
        raw = _pairs(pairs)
        raw[CODES["last_seen_at"]] = _encode(now)
        return from_fields(user_id, raw), (_pairs(extra) if also else {}), found

    async def save(self, sub: Subscriber) -> None:
        """Replace the whole record (fields at their default are removed)."""
        key = self.keys.sub(sub.user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=cast(Any, to_fields(sub)))
            pipe.sadd(self.keys.subscribers(), sub.user_id)
            await pipe.execute()

    async def update(self, user_id: int, **changes: object) -> None:
        """Write some fields only, leaving concurrent writers' other fields alone."""
        await self.redis.hset(self.keys.sub(user_id), mapping=cast(Any, encode_changes(changes)))

    async def update_and_book(
        self, rows: list[tuple[int, dict[str, object], float | None]], due_key: str
    ) -> None:
        """Record deliveries and book (or cancel) each next one, all in one round trip."""
        if not rows:
            return
        keys = [due_key]
        args: list[str] = []
        for user_id, changes, when in rows:
            keys.append(self.keys.sub(user_id))
            parts = [str(user_id), "" if when is None else _encode(when)]
            for field, value in encode_changes(changes).items():
                parts += [field, value]
            args.append(_US.join(parts))
        await self._book_many(keys=keys, args=args)

    async def forget(self, user_id: int) -> int:
        """Delete every key of this user; returns how many keys went."""
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=self.keys.user_pattern(user_id), count=500):
            batch.append(key)
        async with self.redis.pipeline(transaction=True) as pipe:
            if batch:
                pipe.delete(*batch)
            pipe.zrem(self.keys.due(), user_id)
            pipe.zrem(self.keys.idle(), user_id)
            pipe.srem(self.keys.subscribers(), user_id)
            pipe.hdel(self.keys.user_data_all(), str(user_id))
            results = await pipe.execute()
        return int(results[0]) if batch else 0

    async def count_by_status(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        ids: list[str] = []
        async for user_id in self.redis.sscan_iter(self.keys.subscribers(), count=1000):
            ids.append(user_id)
            if len(ids) >= 1000:
                await self._count(ids, counts)
                ids = []
        await self._count(ids, counts)
        return counts

    async def _count(self, ids: list[str], counts: dict[str, int]) -> None:
        if not ids:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in ids:
                pipe.hget(self.keys.sub(int(uid)), CODES["status"])
            for status in await pipe.execute():
                if status in counts:
                    counts[status] += 1
