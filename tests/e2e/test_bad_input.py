"""Stickers, voice, photos, huge texts, unknown commands, stale and forged buttons, blocking:
a short polite answer every time, no crash, and nothing stored is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from tests.harness import BotHarness, lesson_footer

USER = 901
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def stable(record: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in record.items() if k != "last_seen_at"}


async def test_non_text_long_text_and_unknown_commands(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        before = stable(await bot.record(USER))
        for action in (bot.api.send_sticker, bot.api.send_voice, bot.api.send_photo_from_user):
            await bot.after(USER, lambda a=action: a(USER), "I can only read text messages")
        huge = "I feel " + "very " * 800  # ~4,000 characters
        answer = await bot.say(USER, huge, "Thanks for writing")
        assert len(answer.plain) < 400  # a short answer, not an echo
        await bot.say(USER, "/frobnicate now", "I don't know /frobnicate")
        assert stable(await bot.record(USER)) == before


@pytest.mark.parametrize(
    "data",
    [
        "zzz:1",
        "lesson:abc",
        "lesson:99",
        "snooze:xx:1",
        "snooze:1h:0x",
        "pause:forever",
        "quiz:a:0",
        "time:99:99",
        "x" * 64,
        "",
    ],
)
async def test_forged_buttons_change_nothing(redis_url: str, redis: Redis, data: str) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        before = stable(await bot.record(USER))
        due_before = await bot.services.due.when(USER)
        message = bot.api.last(USER)
        seen = len(bot.api.callback_answers(USER))
        sent_before = len(bot.api.sent(USER))
        await bot.api.press_data(USER, message.message_id, data)
        await bot.api.wait_for_callback_answer(USER, after=seen)
        assert stable(await bot.record(USER)) == before
        assert await bot.services.due.when(USER) == due_before
        # At most one short explanatory message, never a lesson or a traceback.
        new = bot.api.sent(USER)[sent_before:]
        assert len(new) <= 1 and all("Traceback" not in m.plain for m in new)
        assert not any(lesson_footer(m) for m in new)


async def test_blocking_the_bot_stops_sends_until_start(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        await bot.api.block(USER)
        await bot.record(USER, status="blocked")
        assert await bot.services.due.when(USER) is None
        bot.clock.travel(2 * 86400)
        assert (await bot.tick()).sent == 0
        await bot.api.unblock(USER)
        await bot.say(USER, "/start", "Welcome back")


async def test_a_403_on_delivery_marks_the_subscriber_blocked(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        when = await bot.services.due.when(USER)
        bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
        bot.api.fail_next(
            "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
        )
        report = await bot.tick()
        assert report.blocked == 1 and report.sent == 0
        await bot.record(USER, status="blocked")
        assert await bot.services.due.when(USER) is None


async def test_transient_failures_retry_then_deliver_once(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        bot.services.sender.sleep = _no_wait  # backoff is the clock's business, not the test's
        when = await bot.services.due.when(USER)
        bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
        bot.api.fail_next("sendMessage", status=502, description="Bad Gateway", times=2)
        before = len(bot.api.sent(USER))
        report = await bot.tick()
        assert report.sent == 1
        new = bot.api.sent(USER)[before:]
        assert sum(1 for m in new if lesson_footer(m)) == 1
        await bot.record(USER, last_sent_day="1")


async def _no_wait(_: float) -> None:
    return None
