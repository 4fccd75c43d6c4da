"""Two replicas behind one URL: whichever process gets a person's next update carries on where
the other left off (conversation steps and user_data come from Redis on every update).

Each step below is handled by the replica that is polling at that moment, the other one idle,
as a load balancer would spread webhook calls. Without bot/replica_state.py the second replica
answers from its own stale memory: a set-up button is "no longer active", a typed zone is
read as a time, and a broadcast draft written on one replica is missing on the other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from redis.asyncio import Redis

from tests.harness import OPERATOR, BotHarness, has_button, lesson_footer
from tests.seed import seed

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
USER = 901


@asynccontextmanager
async def two_replicas(redis_url: str) -> AsyncIterator[tuple[BotHarness, BotHarness]]:
    a = BotHarness(redis_url, start=START)
    b = BotHarness(redis_url, start=START)
    b.api, b.clock = a.api, a.clock  # one Telegram, one time
    async with a:
        await b.start_bot(poll=False)  # B loads its memory now, before anything happens
        try:
            yield a, b
        finally:
            await b.stop_bot()


async def only(active: BotHarness, idle: BotHarness) -> None:
    """Let `active` take the next updates: the idle replica stops polling once the updates it
    took are fully handled (a person answers a reply after it arrived, and the state behind the
    reply is written a few ms after it: see README, scale-out)."""
    for h, on in ((idle, False), (active, True)):
        assert h.app is not None and h.app.updater is not None
        if h.app.updater.running and not on:
            await h.app.updater.stop()
            await h.app.update_queue.join()
        elif on and not h.app.updater.running:
            await h.start_polling()


async def test_set_up_moves_between_replicas(redis_url: str, redis: Redis) -> None:
    async with two_replicas(redis_url) as (a, b):
        await only(a, b)
        await a.say(USER, "/start", "Would you like to join")
        await a.press(USER, "Yes, sign me up", "When would you like")
        await only(b, a)
        await b.press(USER, "Evening", "Which time zone")
        await only(a, b)
        await a.say(USER, "Europe/Berlin", lesson_footer)
        record = await a.record(USER, last_sent_day="0")
        assert record["send_time"] == "19:30"
        assert record["timezone"] == "Europe/Berlin"


async def test_a_replica_that_empties_user_data_first_removes_it_from_redis(
    redis_url: str, redis: Redis
) -> None:
    async with two_replicas(redis_url) as (a, b):
        ud = a.services.keys.user_data_all()
        await only(a, b)
        await a.say(USER, "/start", "Would you like to join")
        await a.press(USER, "Yes, sign me up", "When would you like")
        await a.press(USER, "Evening", "Which time zone")
        assert await redis.hget(ud, str(USER)) is not None  # set-up mode, written by A
        # B's first update for this person ends set-up, which empties their user_data.
        await only(b, a)
        await b.say(USER, "UTC", lesson_footer)
        await only(a, b)  # B's update fully handled, state written
        assert await redis.hget(ud, str(USER)) is None


async def test_broadcast_draft_moves_between_replicas(redis_url: str, redis: Redis) -> None:
    async with two_replicas(redis_url) as (a, b):
        for uid in (11, 12):
            await seed(redis, uid)
        await only(a, b)
        await a.say(OPERATOR, "/broadcast", "Send me the message")
        await only(b, a)
        await b.say(OPERATOR, "A note from two replicas", "Add a button")
        await only(a, b)
        await a.press(OPERATOR, "No button", "Who should get it")
        await only(b, a)
        await b.press(OPERATOR, "Everyone active", has_button("Send now to 2"))
        await only(a, b)
        await a.press(OPERATOR, "Send now", "Broadcast")
        await a.services.broadcaster.run()
        for uid in (11, 12):
            assert "A note from two replicas" in a.api.last(uid).plain
