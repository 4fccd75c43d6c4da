"""Drip rules a subscriber notices: no burst after downtime, lessons wait for an open quiz
(at most 30 minutes), and one gentle nudge after three silent days."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from tests.harness import BotHarness, content, lesson_footer

USER = 1101
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def lessons_in(bot: BotHarness, since: int) -> int:
    return sum(1 for m in bot.api.sent(USER)[since:] if lesson_footer(m))


async def test_after_downtime_only_one_overdue_lesson(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        await bot.stop_bot()
        bot.clock.travel(4 * 86400)  # the bot was down for four days
        await bot.start_bot()
        before = len(bot.api.sent(USER))
        assert (await bot.tick()).sent == 1
        assert (await bot.tick()).sent == 0
        assert lessons_in(bot, before) == 1
        # The rhythm resumes: the next one is tomorrow at 08:00 UTC, not right away.
        when = datetime.fromtimestamp(await bot.services.due.when(USER), tz=UTC)
        assert when == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


async def test_a_lesson_waits_for_an_open_quiz(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        due = await bot.services.due.when(USER)
        bot.clock.travel_to(datetime.fromtimestamp(due - 60, tz=UTC))
        await bot.press(USER, "Take the quiz", "1 / ")
        bot.clock.travel(120)
        report = await bot.tick()
        assert report.sent == 0 and report.deferred == 1
        # Cancelling the quiz lets the waiting lesson out on the next tick.
        await bot.press(USER, "Cancel", "Quiz paused")
        before = len(bot.api.sent(USER))
        assert (await bot.tick()).sent == 1
        assert lessons_in(bot, before) == 1


async def test_an_open_quiz_holds_a_lesson_at_most_thirty_minutes(
    redis_url: str, redis: Redis
) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        due = await bot.services.due.when(USER)
        bot.clock.travel_to(datetime.fromtimestamp(due - 60, tz=UTC))
        await bot.press(USER, "Take the quiz", "1 / ")
        bot.clock.travel(120)
        assert (await bot.tick()).deferred == 1
        await bot.press(USER, "Often", "2 / ")  # still busy: keeps answering
        bot.clock.travel(25 * 60)
        await bot.press(USER, "Often", "3 / ")
        bot.clock.travel(6 * 60)  # 31 minutes after the lesson fell due
        assert (await bot.tick()).sent == 1


async def test_one_nudge_after_three_silent_days(redis_url: str, redis: Redis) -> None:
    nudges = content().nudges
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)

        def nudge_count() -> int:
            firsts = [n.split("{name}")[-1][:20] for n in nudges]
            return sum(1 for m in bot.api.sent(USER) if any(f and f in m.plain for f in firsts))

        for _ in range(4):  # four silent days, lessons keep coming
            bot.clock.travel(86400)
            await bot.tick()
        assert nudge_count() == 1
        await bot.say(USER, "/progress", "Your progress")  # back: the nudge is re-armed
        for _ in range(2):
            bot.clock.travel(86400)
            await bot.tick()
        assert nudge_count() == 1
        bot.clock.travel(86400 + 60)
        await bot.tick()
        assert nudge_count() == 2
