"""Two bot processes share one Redis for a simulated week of 200 subscribers: every lesson
reaches every subscriber exactly once, and both processes take part."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.sandbox.botapi import LocalBotApi
from bot.store.keys import Keys
from bot.store.subscribers import SubscriberStore, decode
from scheduler.drip import first_due
from scheduler.duequeue import DueQueue
from tests.harness import content, lesson_footer
from tests.test_processes import spawn_bot

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
TIMES = ["06:30", "08:00", "12:30", "19:30", "23:45"]
N = 200
STEP = 3 * 3600


async def load_subscribers(redis: Redis, keys: Keys) -> list[int]:
    store, due = SubscriberStore(redis, keys), DueQueue(redis, keys.due())
    rng = random.Random(7)
    users = list(range(20_000, 20_000 + N))
    now = START.timestamp()
    for uid in users:
        sub = Subscriber(
            user_id=uid,
            status=Status.OPTED_IN,
            timezone=rng.choice(ZONES),
            send_time=rng.choice(TIMES),
            consent_at=now,
            created_at=now,
            updated_at=now,
            next_day=1,
            last_sent_day=0,
            last_seen_at=now,
        )
        await store.save(sub)
        await due.schedule(uid, first_due(now, sub.send_time, sub.timezone))
    return users


async def both_ticked_since(redis: Redis, keys: Keys, since: float, n: int = 2) -> None:
    deadline = time.monotonic() + 30
    while True:
        beats = await redis.hgetall(keys.heartbeat())
        if sum(1 for v in beats.values() if float(v) > since) >= n:
            return
        assert time.monotonic() < deadline, f"processes stopped ticking: {beats}"
        await asyncio.sleep(0.02)  # waiting on other processes, bounded above


async def drained(redis: Redis, keys: Keys, now: float) -> None:
    """Nothing due and nothing claimed-but-unfinished at simulated time `now`."""
    deadline = time.monotonic() + 60
    while await redis.zcount(keys.due(), "-inf", repr(now + DueQueue(redis, "").lease)):
        assert time.monotonic() < deadline, "deliveries did not finish"
        await asyncio.sleep(0.02)  # waiting on other processes, bounded above


async def test_two_processes_deliver_each_lesson_exactly_once(redis_url: str, redis: Redis) -> None:
    keys = Keys()
    users = await load_subscribers(redis, keys)
    await redis.set(keys.clock(), repr(START.timestamp() - time.time()))
    last_day = content().course.last_day
    async with LocalBotApi(record=True) as api:
        env = {"TICK_SECONDS": "0.1", "PAID_BROADCAST": "true", "BROADCAST_RATE": "1000"}
        procs = [
            spawn_bot(api, redis_url, env, stderr=subprocess.PIPE),
            spawn_bot(api, redis_url, env, stderr=subprocess.PIPE),
        ]
        try:
            await both_ticked_since(redis, keys, 0)
            simulated = START.timestamp()
            end = START.timestamp() + 9 * 86400
            while simulated < end:
                simulated += STEP
                changed = time.time()
                await redis.set(keys.clock(), repr(simulated - time.time()))
                await both_ticked_since(redis, keys, changed)
                await drained(redis, keys, simulated)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:  # in a thread: the Bot API server shares this loop
                await asyncio.to_thread(p.wait, 15)
        errors = [p.stderr.read().decode() if p.stderr else "" for p in procs]
        assert all("Traceback" not in e for e in errors), errors

        delivered: Counter[tuple[int, int]] = Counter()
        for uid in users:
            for m in api.sent(uid):
                match = re.search(r"Day (\d+)", m.plain)
                if match and m.plain.startswith(("📅", "🎁")):
                    delivered[(uid, int(match.group(1)))] += 1
            assert sum(1 for m in api.sent(uid) if lesson_footer(m)) == last_day, (
                uid,
                sorted(d for (u, d) in delivered if u == uid),
                decode(await redis.hgetall(keys.sub(uid))),
                await redis.zscore(keys.due(), str(uid)),
                simulated,
            )
        expected = {(uid, day) for uid in users for day in range(1, last_day + 1)}
        assert set(delivered) == expected
        assert all(count == 1 for count in delivered.values())
        by_process = await redis.hgetall(keys.counters("sent_by_process"))
        assert len(by_process) == 2 and all(int(v) > 0 for v in by_process.values())
