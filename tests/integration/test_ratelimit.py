"""The shared send budget, against a real Redis.

Two RedisRateLimiter instances on two Redis clients stand for two bot processes. The timing
tests are real-time on purpose (the budget is measured in the Redis server's clock); they are
kept to a second or two each. The exact-arithmetic tests pin "now" and fake the sleep instead.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from telegram.error import RetryAfter

from bot.store.keys import Keys
from scheduler.ratelimit import RedisRateLimiter, is_counted

KEYS = Keys("test")


class Recorder:
    """A fake PTB callback: remembers when (monotonic) each send went out, and to which chat."""

    def __init__(self) -> None:
        self.stamps: list[tuple[float, Any]] = []
        self.fail_with: list[BaseException] = []

    async def __call__(self, endpoint: str, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.stamps.append((time.monotonic(), data.get("chat_id")))
        return {"ok": True}

    def times(self) -> list[float]:
        return [t for t, _ in self.stamps]


async def send(
    limiter: RedisRateLimiter,
    cb: Recorder,
    chat_id: int | str | None,
    *,
    endpoint: str = "sendMessage",
    priority: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Any:
    data: dict[str, Any] = {"chat_id": chat_id, "text": "hi", **(extra or {})}
    return await limiter.process_request(
        callback=cb,
        args=(endpoint, data),
        kwargs={},
        endpoint=endpoint,
        data=data,
        rate_limit_args={"priority": priority} if priority else None,
    )


@pytest.fixture
async def redis2(redis_url: str, redis: Redis) -> AsyncIterator[Redis]:
    # A second client: the "other process" (the first fixture already flushed the db).
    client: Redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# ------------------------------------------------------------------ real-time behaviour


async def test_two_processes_share_the_global_rate(redis: Redis, redis2: Redis) -> None:
    a = RedisRateLimiter(redis, KEYS, global_rate=100, headroom=0)
    b = RedisRateLimiter(redis2, KEYS, global_rate=100, headroom=0)
    cb = Recorder()

    async def worker(limiter: RedisRateLimiter, first: int) -> None:
        for i in range(first, 200, 16):
            await send(limiter, cb, 1000 + i)

    await asyncio.gather(*(worker(a if w % 2 else b, w) for w in range(16)))

    times = cb.times()
    assert len(times) == 200
    # 199 gaps of 10 ms: together the two never ran faster than 100/s
    assert max(times) - min(times) >= 1.9
    assert max_in_window(times, 1.0) <= 102  # +2: local stamps jitter around Redis slots


async def test_bulk_alone_gets_the_whole_rate(redis: Redis, redis2: Redis) -> None:
    a = RedisRateLimiter(redis, KEYS, global_rate=100, headroom=0)
    b = RedisRateLimiter(redis2, KEYS, global_rate=100, headroom=0)
    cb = Recorder()

    async def worker(limiter: RedisRateLimiter, first: int) -> None:
        for i in range(first, 100, 8):
            await send(limiter, cb, 1000 + i, priority="bulk")

    await asyncio.gather(*(worker(a if w % 2 else b, w) for w in range(8)))

    span = max(cb.times()) - min(cb.times())
    assert 0.95 <= span < 1.25  # 99 gaps of 10 ms; the 70% cap (1.4 s) applies only with lessons


async def test_one_message_per_second_per_chat(redis: Redis, redis2: Redis) -> None:
    a = RedisRateLimiter(redis, KEYS, global_rate=100, per_chat_interval=0.25)
    b = RedisRateLimiter(redis2, KEYS, global_rate=100, per_chat_interval=0.25)
    cb = Recorder()

    await asyncio.gather(*(send(a if i % 2 else b, cb, 42) for i in range(5)))

    times = sorted(cb.times())
    assert len(times) == 5
    gaps = [t2 - t1 for t1, t2 in itertools.pairwise(times)]
    assert min(gaps) >= 0.23, gaps
    assert max(times) - min(times) < 1.5  # and no needless waiting beyond the interval


async def test_groups_get_the_group_interval(redis: Redis) -> None:
    limiter = RedisRateLimiter(
        redis, KEYS, global_rate=100, per_chat_interval=0.05, group_interval=0.3
    )
    cb = Recorder()
    await asyncio.gather(*(send(limiter, cb, -100123) for _ in range(3)))
    await asyncio.gather(*(send(limiter, cb, "@channel") for _ in range(2)))
    group = sorted(t for t, chat in cb.stamps if chat == -100123)
    channel = sorted(t for t, chat in cb.stamps if chat == "@channel")
    assert group[2] - group[0] >= 0.58
    assert channel[1] - channel[0] >= 0.28


async def test_retry_after_pauses_every_process(redis: Redis, redis2: Redis) -> None:
    paused = asyncio.Event()

    async def sleep_a(seconds: float) -> None:
        paused.set()  # A wrote the pause key before it sleeps on it
        await asyncio.sleep(seconds)

    a = RedisRateLimiter(redis, KEYS, global_rate=100, sleep=sleep_a)
    b = RedisRateLimiter(redis2, KEYS, global_rate=100)
    cb_a, cb_b = Recorder(), Recorder()
    cb_a.fail_with.append(RetryAfter(timedelta(milliseconds=500)))

    started = time.monotonic()
    task_a = asyncio.create_task(send(a, cb_a, 1))
    await paused.wait()
    await send(b, cb_b, 2)  # another chat, another process: still held
    await task_a

    assert cb_b.stamps[0][0] - started >= 0.45
    assert cb_a.stamps[0][0] - started >= 0.45
    assert len(cb_a.stamps) == 1  # A retried once and succeeded


async def test_retry_after_is_reraised_after_max_retries(redis: Redis) -> None:
    # every attempt counts against the chat too: a short chat interval keeps the test fast
    limiter = RedisRateLimiter(redis, KEYS, global_rate=100, per_chat_interval=0.02, max_retries=2)
    cb = Recorder()
    cb.fail_with.extend(RetryAfter(timedelta(milliseconds=20)) for _ in range(5))
    with pytest.raises(RetryAfter):
        await send(limiter, cb, 1)
    assert len(cb.fail_with) == 2  # three attempts: the first and two retries

    cb.fail_with.clear()
    cb.fail_with.append(RetryAfter(timedelta(milliseconds=20)))
    data = {"chat_id": 1, "text": "x"}
    with pytest.raises(RetryAfter):  # rate_limit_args may lower the retries per call
        await limiter.process_request(
            cb, ("sendMessage", data), {}, "sendMessage", data, {"max_retries": 0}
        )


async def test_lessons_get_through_promptly_while_bulk_floods(redis: Redis, redis2: Redis) -> None:
    rate = 50
    a = RedisRateLimiter(redis, KEYS, global_rate=rate, reserve_share=0.3)
    b = RedisRateLimiter(redis2, KEYS, global_rate=rate, reserve_share=0.3)
    bulk_cb, lesson_cb = Recorder(), Recorder()
    stop = asyncio.Event()

    async def flood(limiter: RedisRateLimiter, worker: int) -> None:
        i = 0
        while not stop.is_set():
            await send(limiter, bulk_cb, 10_000 + worker * 1000 + i, priority="bulk")
            i += 1

    flooders = [asyncio.create_task(flood(a if w % 2 else b, w)) for w in range(12)]
    await asyncio.sleep(0.3)  # let bulk fill its horizon first (the worst case for a lesson)

    latencies = []
    lesson_start = time.monotonic()
    for i in range(10):
        t0 = time.monotonic()
        await send(a, lesson_cb, 500 + i, priority="lesson")
        latencies.append(time.monotonic() - t0)
    lesson_end = time.monotonic()
    stop.set()
    await asyncio.gather(*flooders)

    # The first lesson may queue behind bulk's 0.25 s horizon; afterwards the 30% reserve keeps
    # the global line nearly free (back-to-back lessons still space themselves 1/rate apart).
    # Without the reserve every lesson would wait the full horizon.
    assert latencies[0] < 0.35, latencies
    assert statistics.median(latencies[1:]) < 0.1, latencies
    everything = bulk_cb.times() + lesson_cb.times()
    assert max_in_window(everything, 1.0) <= rate + 2
    bulk_during = [t for t in bulk_cb.times() if lesson_start + 0.3 < t < lesson_end]
    if lesson_end - lesson_start > 0.6:
        assert len(bulk_during) / (lesson_end - lesson_start - 0.3) <= 0.75 * rate


# ------------------------------------------------------------------ exact arithmetic


class FakeTime:
    """Pinned "now" for the script plus a sleep that moves it: waits become exact numbers."""

    def __init__(self) -> None:
        self.us = 1_700_000_000_000_000
        self.sleeps: list[float] = []

    def now_us(self) -> int:
        return self.us

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.us += round(seconds * 1_000_000)


async def test_slots_are_spaced_exactly(redis: Redis) -> None:
    ft = FakeTime()
    limiter = RedisRateLimiter(
        redis, KEYS, global_rate=10, headroom=0, sleep=ft.sleep, now_us=ft.now_us
    )
    for chat in (1, 2, 3):
        await limiter.acquire(chat)
    assert ft.sleeps == [0.1, 0.1]

    ft.sleeps.clear()
    await limiter.acquire(3)  # the chat binds (sent at +0.2 s, free at +1.2 s): not global
    assert sum(ft.sleeps) == pytest.approx(1.0, abs=1e-3)


async def test_headroom_spaces_slots_a_little_wider(redis: Redis) -> None:
    ft = FakeTime()
    limiter = RedisRateLimiter(redis, KEYS, global_rate=10, sleep=ft.sleep, now_us=ft.now_us)
    await limiter.acquire(1)
    await limiter.acquire(2)
    assert ft.sleeps == [pytest.approx(0.1 / 0.985, abs=1e-5)]  # the default 1.5% headroom


async def test_a_reserved_slot_is_void_after_a_pause(redis: Redis) -> None:
    ft = FakeTime()

    async def sleep(seconds: float) -> None:
        if not ft.sleeps:  # RetryAfter elsewhere in this process while we wait for our slot
            await limiter.pause(1.0)
        await ft.sleep(seconds)

    limiter = RedisRateLimiter(
        redis,
        KEYS,
        global_rate=10,
        headroom=0,
        per_chat_interval=0.05,
        sleep=sleep,
        now_us=ft.now_us,
    )
    await limiter.acquire(1)
    await limiter.acquire(2)  # slot at +0.1 s, then the pause until +1.0 s voids it
    assert ft.sleeps == [0.1, 0.9]


async def test_a_late_wake_gives_the_slot_up(redis: Redis) -> None:
    ft = FakeTime()

    async def stalling_sleep(seconds: float) -> None:
        await ft.sleep(seconds)
        if len(ft.sleeps) == 1:
            ft.us += 50_000  # the event loop stalled 50 ms past the slot

    limiter = RedisRateLimiter(
        redis,
        KEYS,
        global_rate=10,
        headroom=0,
        per_chat_interval=0.05,
        sleep=stalling_sleep,
        now_us=ft.now_us,
    )
    await limiter.acquire(1)
    await limiter.acquire(2)  # slot at +0.1 s, woke at +0.15 s: a fresh slot at +0.2 s
    assert ft.sleeps == [0.1, 0.05]
    assert limiter.voided_slots == 1


async def test_media_group_costs_one_slot_per_item(redis: Redis) -> None:
    ft = FakeTime()
    limiter = RedisRateLimiter(
        redis, KEYS, global_rate=10, headroom=0, sleep=ft.sleep, now_us=ft.now_us
    )
    cb = Recorder()
    await send(limiter, cb, 1, endpoint="sendMediaGroup", extra={"media": [1, 2, 3]})
    await send(limiter, cb, 2)
    assert ft.sleeps == [0.3]


async def test_bulk_takes_a_ticket_when_its_share_binds(redis: Redis) -> None:
    ft = FakeTime()
    limiter = RedisRateLimiter(
        redis,
        KEYS,
        global_rate=10,
        headroom=0,
        reserve_share=0.5,
        sleep=ft.sleep,
        now_us=ft.now_us,
    )
    await limiter.acquire(1, priority="lesson")  # marks non-bulk traffic as active
    ft.sleeps.clear()
    await limiter.acquire(2, priority="bulk")  # global slot at +0.1 s
    await limiter.acquire(3, priority="bulk")  # bulk line: 0.2 s per send at a 50% share
    assert ft.sleeps == [0.1, 0.2]  # ticket until +0.3 s, then the global slot right away
    ft.sleeps.clear()
    ft.us += 100_000  # +0.4 s: the global line has room, the bulk share does not
    await limiter.acquire(4, priority="lesson")
    assert ft.sleeps == []
    await limiter.acquire(5, priority="bulk")
    assert ft.sleeps == [0.1]


async def test_pause_holds_acquisitions_and_never_shrinks(redis: Redis) -> None:
    ft = FakeTime()
    limiter = RedisRateLimiter(
        redis, KEYS, global_rate=10, headroom=0, sleep=ft.sleep, now_us=ft.now_us
    )
    assert await limiter.pause(3.0) == pytest.approx(3.0)
    assert await limiter.pause(1.0) == pytest.approx(3.0)  # a shorter pause keeps the longer
    await limiter.acquire(1, priority="interactive")
    assert sum(ft.sleeps) == pytest.approx(3.0)

    ft.sleeps.clear()
    await limiter.pause(2.0)
    await limiter.acquire(2, priority="bulk")  # beyond bulk's horizon: asks again later
    assert len(ft.sleeps) >= 2 and sum(ft.sleeps) == pytest.approx(2.0, abs=0.01)


async def test_free_methods_pass_through_a_pause(redis: Redis) -> None:
    async def no_sleep(seconds: float) -> None:
        raise AssertionError("a free method must not wait")

    limiter = RedisRateLimiter(redis, KEYS, global_rate=10, sleep=no_sleep)
    await limiter.pause(60)
    cb = Recorder()
    for endpoint in ("answerCallbackQuery", "getMe", "sendChatAction", "deleteMessage"):
        await send(limiter, cb, 1, endpoint=endpoint)
    assert len(cb.stamps) == 4


def test_which_methods_count() -> None:
    for counted in (
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessages",
        "editMessageText",
        "sendMediaGroup",
        "stopPoll",
    ):
        assert is_counted(counted), counted
    for free in (
        "getMe",
        "getUpdates",
        "answerCallbackQuery",
        "sendChatAction",
        "deleteMessage",
        "setMyCommands",
    ):
        assert not is_counted(free), free


async def test_unknown_priority_is_rejected(redis: Redis) -> None:
    limiter = RedisRateLimiter(redis, KEYS, global_rate=10)
    with pytest.raises(ValueError, match="priority"):
        await send(limiter, Recorder(), 1, priority="urgent")
