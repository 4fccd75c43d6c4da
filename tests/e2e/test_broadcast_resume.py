"""kill -9 in the middle of a 10,000-recipient broadcast: the next bot process resumes it.
Nobody is lost, and only sends in flight at the kill can arrive twice."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

from redis.asyncio import Redis

from bot.course.subscriber import Status
from bot.sandbox.botapi import LocalBotApi
from bot.store.keys import Keys
from bot.store.subscribers import SubscriberStore, to_fields
from scheduler.broadcast import DONE, LEASE, Broadcast, BroadcastStore
from tests.seed import seed
from tests.test_processes import spawn_bot, until

N = 10_000


async def seed_many(redis: Redis, users: list[int]) -> None:
    template = await seed(redis, users[0])
    fields = to_fields(template)
    keys = Keys()
    async with redis.pipeline(transaction=False) as pipe:
        for uid in users[1:]:
            pipe.hset(keys.sub(uid), mapping=fields)  # type: ignore[arg-type]
            pipe.sadd(keys.subscribers(), uid)
        await pipe.execute()
    assert template.status == Status.OPTED_IN


async def test_a_killed_broadcast_resumes_without_loss(redis_url: str, redis: Redis) -> None:
    keys = Keys()
    users = list(range(50_000, 50_000 + N))
    await seed_many(redis, users)
    await redis.set(keys.clock(), "0")
    store = BroadcastStore(redis, keys, SubscriberStore(redis, keys))
    b = await store.create(
        Broadcast(id="", html="<b>Hello</b> everyone", segment="active", start_at=0), users
    )
    env = {"BROADCAST_RATE": "1000", "PAID_BROADCAST": "true"}
    async with LocalBotApi(record=True) as api:
        first = spawn_bot(api, redis_url, env)
        try:
            await until(lambda: api.sent_total >= N // 4)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
        assert api.sent_total < N, "the broadcast finished before the kill: make it slower"
        # The dead process's claims are leased: move the bots' clock past the lease.
        await redis.set(keys.clock(), repr(LEASE + 5))
        second = spawn_bot(api, redis_url, env)
        try:

            async def finished() -> bool:
                current = await store.get(b.id)
                return current is not None and current.status == DONE

            await until(finished, timeout=120)
        finally:
            second.terminate()
            await asyncio.to_thread(second.wait, 15)
        received = Counter({uid: len(api.sent(uid)) for uid in users})
        assert min(received.values()) == 1, "somebody got nothing"
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates <= 64  # at most the sends in flight (the engine's concurrency)
