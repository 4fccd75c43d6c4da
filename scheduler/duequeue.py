"""The due-queue: one Redis sorted set of user id -> next due unix time, shared by replicas.

A tick claims due members atomically by pushing their score out by a lease, so two processes
never claim the same person; whoever claimed writes the real next due time when done. A crash
between send and write re-sends after the lease: only sends in flight can repeat.
"""

from __future__ import annotations

from redis.asyncio import Redis

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
if #due > 0 then
  local lease = {}
  for i = 1, #due, 2 do
    lease[#lease + 1] = ARGV[3]
    lease[#lease + 1] = due[i]
  end
  redis.call('ZADD', KEYS[1], unpack(lease))  -- one call for the whole batch
end
return due
"""

# Move a member earlier only: used to pull a deferred lesson forward without delaying others.
_SOONER = """
local cur = redis.call('ZSCORE', KEYS[1], ARGV[2])
if cur and tonumber(cur) > tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


# Claim one member if it is due: for "send it now" without touching anyone else's entry.
_CLAIM_ONE = """
local cur = redis.call('ZSCORE', KEYS[1], ARGV[2])
if cur and tonumber(cur) <= tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  return cur
end
return false
"""


class DueQueue:
    def __init__(self, redis: Redis, key: str, *, lease: float = 600.0) -> None:
        self.redis = redis
        self.key = key
        self.lease = lease
        self._claim = redis.register_script(_CLAIM)
        self._sooner = redis.register_script(_SOONER)
        self._claim_one = redis.register_script(_CLAIM_ONE)

    async def schedule(self, user_id: int, when: float) -> None:
        await self.redis.zadd(self.key, {str(user_id): when})

    async def cancel(self, user_id: int) -> None:
        await self.redis.zrem(self.key, str(user_id))

    async def when(self, user_id: int) -> float | None:
        score = await self.redis.zscore(self.key, str(user_id))
        return float(score) if score is not None else None

    async def sooner(self, user_id: int, when: float) -> bool:
        return bool(await self._sooner(keys=[self.key], args=[repr(when), str(user_id)]))

    async def claim(self, now: float, limit: int) -> list[tuple[int, float]]:
        """Claim up to `limit` members due at `now`: (user id, the time it fell due)."""
        flat = await self._claim(keys=[self.key], args=[repr(now), limit, repr(now + self.lease)])
        return [(int(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)]

    async def claim_one(self, user_id: int, now: float) -> float | None:
        """Claim this member if due at `now`: the time it fell due, or None."""
        score = await self._claim_one(
            keys=[self.key], args=[repr(now), str(user_id), repr(now + self.lease)]
        )
        return float(score) if score else None

    async def size(self) -> int:
        return int(await self.redis.zcard(self.key))

    async def backlog(self, now: float) -> tuple[int, float]:
        """How many are overdue at `now`, and how late the oldest is (seconds)."""
        count = int(await self.redis.zcount(self.key, "-inf", repr(now)))
        oldest = await self.redis.zrange(self.key, 0, 0, withscores=True)
        age = max(0.0, now - float(oldest[0][1])) if oldest and count else 0.0
        return count, age
