"""Faults a production bot meets: Redis away for a while, and a Bot API that answers 429
storms, 5xx, timeouts and slowly. No crash, bounded retries, nothing lost, nothing doubled."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.redis_process import free_port, start_redis_server
from tests.harness import BotHarness, lesson_footer

USER = 1601
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class DurableRedis:
    """A redis-server that keeps its data on disk across a stop and a start on one port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-durable-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        _, self.proc = start_redis_server(self.dir, port=self.port, durable=True)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


async def test_redis_outage_keeps_the_bot_up_and_loses_nothing() -> None:
    server = DurableRedis()
    server.start()
    try:
        async with BotHarness(server.url, start=START) as bot:
            await bot.join(USER)
            due = await bot.services.due.when(USER)
            server.stop()  # Redis goes away
            await bot.say(USER, "/today", "can't reach my memory")
            bot.clock.travel_to(datetime.fromtimestamp(due + 60, tz=UTC))
            with pytest.raises(RedisError):
                await bot.tick()  # the job logs it and tries again next tick
            await bot.say(USER, "/help", "What I can do")  # still answering
            server.start()  # Redis is back, with everything it had
            record = await bot.record(USER, last_sent_day="0", status="opted_in")
            assert record["send_time"] == "08:00"
            before = len(bot.api.sent(USER))
            assert (await bot.tick()).sent == 1
            assert (await bot.tick()).sent == 0
            assert sum(lesson_footer(m) for m in bot.api.sent(USER)[before:]) == 1
    finally:
        server.cleanup()


async def lesson_due_now(bot: BotHarness) -> None:
    due = await bot.services.due.when(USER)
    bot.clock.travel_to(datetime.fromtimestamp(due, tz=UTC))


async def test_429_storm_5xx_and_slow_answers(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        await lesson_due_now(bot)
        bot.api.fail_next("sendMessage", status=429, retry_after=1, times=2)
        bot.api.fail_next("sendMessage", status=500, description="Internal Server Error")
        bot.api.set_latency(0.3, "sendMessage")
        before = len(bot.api.sent(USER))
        report = await bot.tick()
        assert report.sent == 1 and report.failed == 0
        assert sum(lesson_footer(m) for m in bot.api.sent(USER)[before:]) == 1
        assert bot.api.n_429 >= 2


async def test_timeouts_retry_a_bounded_number_of_times(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        bot.read_timeout = 0.5
        await bot.restart()
        await bot.join(USER)
        await lesson_due_now(bot)
        bot.services.sender.sleep = _no_wait
        bot.api.set_timeout_next("sendMessage", times=20)  # a long outage: give up, retry later
        report = await bot.tick()
        assert report.failed == 1 and report.sent == 0
        calls = bot.api.count("sendMessage")
        assert calls <= 4 + 10  # bounded: the sender's tries, plus the join's own sends
        # Booked again a few minutes later, not lost.
        when = await bot.services.due.when(USER)
        assert when is not None and when > bot.clock.time()
        bot.api.set_timeout_next("sendMessage", times=0)
        bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
        assert (await bot.tick()).sent == 1


async def _no_wait(_: float) -> None:
    return None
