"""kill -9 in the middle of a broadcast: the next bot process resumes it. Nobody is lost, and
only sends in flight at the kill can arrive twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from redis.asyncio import Redis

from bot.sandbox.botapi import LocalBotApi
from bot.store.keys import Keys
from bot.store.subscribers import SubscriberStore
from scheduler.broadcast import DONE, LEASE, Broadcast, BroadcastStore
from tests.seed import seed

ROOT = Path(__file__).resolve().parents[2]
N = 300


def spawn(api: LocalBotApi, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": api.token,
        "BOT_API_BASE_URL": api.base_url,
        "REDIS_URL": redis_url,
        "ALLOW_TIME_TRAVEL": "true",
        "TICK_SECONDS": "0.2",
        "BROADCAST_RATE": "60",
        "PAID_BROADCAST": "true",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.02)  # waiting on another process, bounded above


async def test_a_killed_broadcast_resumes_without_loss(redis_url: str, redis: Redis) -> None:
    keys = Keys()
    users = list(range(50_000, 50_000 + N))
    for uid in users:
        await seed(redis, uid)
    await redis.set(keys.clock(), "0")
    store = BroadcastStore(redis, keys, SubscriberStore(redis, keys))
    b = await store.create(
        Broadcast(id="", html="<b>Hello</b> everyone", segment="active", start_at=0), users
    )
    async with LocalBotApi() as api:
        first = spawn(api, redis_url)
        try:
            await until(lambda: _true(api.sent_total >= 80))
        finally:
            os.kill(first.pid, signal.SIGKILL)
            await asyncio.to_thread(first.wait, 10)
        at_kill = api.sent_total
        assert at_kill < N, "the broadcast finished before the kill: make it slower"
        # The dead process's claims are leased: move the bots' clock past the lease.
        await redis.set(keys.clock(), repr(LEASE + 5))
        second = spawn(api, redis_url)
        try:

            async def finished() -> bool:
                current = await store.get(b.id)
                return current is not None and current.status == DONE

            await until(finished)
        finally:
            second.terminate()
            await asyncio.to_thread(second.wait, 15)
        received = Counter({uid: len(api.sent(uid)) for uid in users})
        assert min(received.values()) == 1, "somebody got nothing"
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates <= 64  # at most the sends in flight (the engine's concurrency)
        done = await store.get(b.id)
        assert done is not None and done.sent + done.skipped + done.failed >= N - duplicates


async def _true(value: bool) -> bool:
    return value
