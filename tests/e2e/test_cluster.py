"""REDIS_CLUSTER=true: the bot on a real three-node Redis Cluster behaves as on one Redis.

Every key shares one hash slot there (Keys.for_deployment), so each script, transaction and
batch of the course, the coaching, the broadcasts and /forget must run without a CROSSSLOT or
MOVED error reaching anyone. Without the shared tag the first batch script fails with CROSSSLOT.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.leader import Lease
from bot.store.connection import make_redis
from bot.store.keys import Keys
from tests.harness import OPERATOR, BotHarness, has_button

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
USER = 801
OTHERS = range(810, 830)


async def _all_keys(redis: Redis, keys: Keys) -> list[str]:
    return [k async for k in redis.scan_iter(match=f"{keys.prefix}*", count=1000)]


async def test_course_practice_broadcast_and_forget_on_a_cluster(
    redis_cluster_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with BotHarness(redis_cluster_url, start=START, REDIS_CLUSTER=True) as bot:
        keys = bot.services.keys
        assert keys.prefix == "{icb:v2}"
        admin = make_redis(redis_cluster_url, cluster=True)
        try:
            for key in await _all_keys(admin, keys):  # the session's cluster is shared
                await admin.delete(key)
            # Enrol: consent, time, zone, day 0 at once (touch, save, claim one, book).
            await bot.join(USER)
            # A restart keeps the subscriber and the conversation state.
            await bot.restart()
            # Day 1 from the scheduler tick (claim a batch, read many, book many).
            due = await bot.services.due.when(USER)
            assert due is not None
            bot.clock.travel_to(datetime.fromtimestamp(due, tz=UTC))
            assert (await bot.tick()).sent == 1
            await bot.record(USER, last_sent_day="1")
            # A practice reply is coached and tallied (one script over several keys).
            await bot.say(USER, "I feel lonely when you are on your phone at dinner", "🌟")
            stats = await admin.hgetall(keys.user_stats(USER))
            assert stats["practice:drop_in"] == "1"
            # A broadcast to everyone active, run by the engine (claims, settles, budget).
            for uid in OTHERS:
                await bot.services.subscribers.save(
                    Subscriber(
                        user_id=uid,
                        status=Status.OPTED_IN,
                        timezone="UTC",
                        send_time="08:00",
                        consent_at=START.timestamp(),
                        created_at=START.timestamp(),
                        updated_at=START.timestamp(),
                        next_day=1,
                    )
                )
            await bot.say(OPERATOR, "/broadcast", "Send me the message")
            await bot.say(OPERATOR, "A short note for everyone", "Add a button")
            await bot.press(OPERATOR, "No button", "Who should get it")
            await bot.press(OPERATOR, "Everyone active", has_button("Send now to"))
            await bot.press(OPERATOR, "Send now", "Broadcast")
            await bot.services.broadcaster.run()
            for uid in (USER, *OTHERS):
                assert "A short note for everyone" in bot.api.last(uid).plain
            await bot.say(OPERATOR, "/stats", "Subscribers")
            # /forget erases every key of the person, found by a scan over all three nodes.
            await bot.say(USER, "/forget", "Are you sure")
            await bot.press(USER, "Yes, erase everything", "Everything I stored about you")
            left = [k for k in await _all_keys(admin, keys) if f"{{u{USER}}}" in k]
            assert left == []
            assert await admin.zscore(keys.due(), str(USER)) is None
            assert not await admin.sismember(keys.subscribers(), str(USER))
            # A tick with nobody due, and the polling lease of several replicas.
            assert (await bot.tick()).sent == 0
            first, second = (Lease(admin, keys.poller(), name) for name in ("a", "b"))
            assert await first.hold() and not await second.hold()
            await first.release()
            assert await second.hold()
            # Nothing failed on the way, not even a broadcast worker whose error is only logged
            # (the cluster client raises at its connection cap instead of waiting).
            problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert problems == []
        finally:
            await admin.aclose()
