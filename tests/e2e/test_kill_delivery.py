"""kill -9 in the middle of the daily delivery: after a restart nobody's lesson is lost, and
only lessons in flight at the kill (or finished but not yet booked) can arrive twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

from redis.asyncio import Redis

from bot.sandbox.botapi import LocalBotApi
from bot.store.keys import Keys
from scheduler.duequeue import DueQueue
from tests.harness import lesson_footer
from tests.seed import seed
from tests.test_processes import spawn_bot, until

N = 300
NOW = 1_800_000_000.0


async def test_kill_during_daily_delivery_loses_nothing(redis_url: str, redis: Redis) -> None:
    keys = Keys()
    users = list(range(60_000, 60_000 + N))
    due = DueQueue(redis, keys.due())
    for uid in users:
        await seed(redis, uid, now=NOW - 86400)
        await due.schedule(uid, NOW - 60)  # everybody's day 1 is due now
    await redis.set(keys.clock(), repr(NOW - time.time()))
    env = {"BROADCAST_RATE": "150", "PAID_BROADCAST": "true"}
    async with LocalBotApi() as api:
        first = spawn_bot(api, redis_url, env)
        try:
            await until(lambda: api.sent_total >= N)  # about a third of the lessons
        finally:
            os.kill(first.pid, signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
        assert api.sent_total < 3 * N, "delivery finished before the kill: make it slower"
        # Past the dead process's lease, as a real restart would be after a while.
        await redis.set(keys.clock(), repr(NOW + due.lease + 5 - time.time()))
        second = spawn_bot(api, redis_url, env)
        try:

            async def all_booked() -> bool:
                return await redis.zcount(keys.due(), "-inf", repr(NOW + 2 * due.lease)) == 0

            await until(all_booked, timeout=90)
        finally:
            second.terminate()
            await asyncio.to_thread(second.wait, 15)
    lessons = Counter({uid: sum(lesson_footer(m) for m in api.sent(uid)) for uid in users})
    assert min(lessons.values()) == 1, "somebody's lesson was lost"
    assert sum(n - 1 for n in lessons.values()) <= 64 + 32  # in flight + one unbooked group
