"""The first real flow: consent before anything is stored, STOP at once, rejoin, restart-safe."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from tests.harness import BotHarness, lesson_footer

USER = 501
START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


async def test_start_optin_stop_and_rejoin_survives_a_restart(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        keys = bot.services.keys
        welcome = await bot.say(USER, "/start", "Would you like to join")
        assert "What I store" in welcome.plain
        # Nothing is stored before consent.
        assert await redis.exists(keys.sub(USER)) == 0

        await bot.press(USER, "Yes, sign me up", "When would you like")
        record = await bot.record(USER, status="opted_in")
        assert float(record["consent_at"]) == START.timestamp()

        await bot.press(USER, "Evening", "Which time zone")
        # A restart between two steps of the set-up conversation loses nothing.
        await bot.restart()
        day0 = await bot.say(USER, "Europe/Berlin", lesson_footer)
        record = await bot.record(USER, last_sent_day="0")
        assert record["send_time"] == "19:30"
        assert record["timezone"] == "Europe/Berlin"
        assert (
            "Day 0"
            in bot.api.sent(USER)[day0.index - len(bot.content.course.by_day(0).messages) + 1].plain
        )

        await bot.say(USER, "STOP", "You're unsubscribed")
        await bot.record(USER, status="unsubscribed")
        assert await redis.zscore(keys.due(), str(USER)) is None

        await bot.say(USER, "/start", "Welcome back")
        await bot.press(USER, "Continue at day 1", "When would you like")
        await bot.press(USER, "Morning", "Which time zone")
        await bot.press(USER, "UTC", lesson_footer)
        record = await bot.record(USER, last_sent_day="1")
        assert record["status"] == "opted_in"


async def test_slash_stop_and_help_and_commands_menu(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        help_msg = await bot.say(USER, "/help", "What I can do")
        for command in ("/today", "/stop", "/forget", "/quiz"):
            assert command in help_msg.plain
        assert {c["command"] for c in bot.api.commands} >= {"stop", "help", "today"}
        await bot.say(USER, "/stop", "You're unsubscribed")
        await bot.say(USER, "/stop", "You're not subscribed")


async def test_not_now_stores_nothing(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.say(USER, "/start", "Would you like to join")
        await bot.press(USER, "Not now", "Nothing is stored")
        assert await redis.exists(bot.services.keys.sub(USER)) == 0
        # Only the send pacer remembers the chat, and only for moments.
        for key in await redis.keys("*"):
            if str(USER) in key:
                assert ":rl:" in key and 0 < await redis.pttl(key) <= 60_000, key
