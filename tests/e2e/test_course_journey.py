"""One subscriber's whole course with time travel: eight days at their local time, across a
daylight-saving change, with snooze, pause, resume, stop, rejoin and forget."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from tests.harness import BotHarness, lesson_footer

START = datetime(2026, 10, 21, 10, 0, tzinfo=UTC)


async def next_lesson(bot: BotHarness, user: int) -> tuple[datetime, int]:
    """Travel to the user's next due time and tick; returns (when, the day that arrived)."""
    score = await bot.services.due.when(user)
    assert score is not None, "no lesson booked"
    bot.clock.travel_to(datetime.fromtimestamp(score, tz=UTC))
    before = len(bot.api.sent(user))
    report = await bot.tick()
    assert report.sent == 1, report
    new = bot.api.sent(user)[before:]
    first = new[0].plain
    match = re.search(r"Day (\d+)", first)
    assert match, first
    day = int(match.group(1))
    assert lesson_footer(new[-1])
    return bot.clock.now(), day


def local(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


async def test_eight_days_across_dst_with_snooze_pause_stop_rejoin_forget(
    redis_url: str, redis: Redis
) -> None:
    user, zone = 601, "Europe/Berlin"
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(user, time_label="Morning", zone=zone)

        when, day = await next_lesson(bot, user)
        assert (day, local(when, zone)) == (1, "2026-10-22 08:00")

        # Snooze an hour: the same lesson comes back, and the course moves on from there.
        await bot.press(user, "1 hour", "Snoozed")
        when, day = await next_lesson(bot, user)
        assert (day, local(when, zone)) == (1, "2026-10-22 09:00")

        when, day = await next_lesson(bot, user)
        assert (day, local(when, zone)) == (2, "2026-10-23 08:00")

        # Pause a day: nothing on the 24th; on the 25th clocks go back and 08:00 is 07:00 UTC.
        await bot.say(user, "/pause", "How long")
        await bot.press(user, "1 day", "paused for 1 day")
        when, day = await next_lesson(bot, user)
        assert (day, local(when, zone)) == (3, "2026-10-25 08:00")
        assert when.hour == 7  # UTC: winter time now
        assert (await bot.record(user))["status"] == "opted_in"

        # Pause until resumed: nothing is booked at all.
        await bot.say(user, "/pause", "How long")
        await bot.press(user, "Until I resume", "until you send /resume")
        assert await bot.services.due.when(user) is None
        bot.clock.travel(2 * 86400)
        assert (await bot.tick()).sent == 0
        await bot.say(user, "/resume", "Welcome back")
        for expected in (4, 5, 6, 7, 8):
            when, day = await next_lesson(bot, user)
            assert day == expected and local(when, zone).endswith("08:00")
        assert await bot.services.due.when(user) is None  # nothing after the last lesson

        progress = await bot.say(user, "/progress", "Your progress")
        assert "finished the course" in progress.plain

        await bot.say(user, "STOP", "You're unsubscribed")
        await bot.say(user, "/start", "Welcome back")
        await bot.press(user, "Start again from day 0", "When would you like")
        await bot.press(user, "Evening", "Which time zone")
        await bot.press(user, "UTC", lesson_footer)
        await bot.record(user, last_sent_day="0", next_day="1")

        await bot.say(user, "/forget", "Are you sure")
        await bot.press(user, "Yes, erase everything", "Everything I stored about you is erased")
        for key in await redis.keys("*"):
            if str(user) in key:  # only the send pacer's short-lived memory may remain
                assert ":rl:" in key and 0 < await redis.pttl(key) <= 60_000, key
        assert await redis.zscore(bot.services.keys.due(), str(user)) is None
        assert not await redis.sismember(bot.services.keys.subscribers(), str(user))
        # After forgetting, the bot treats them as a stranger again.
        await bot.say(user, "/start", "Would you like to join")


async def test_two_timezones_each_get_their_own_local_time(redis_url: str, redis: Redis) -> None:
    ny, kolkata = 701, 702
    start = datetime(2026, 10, 29, 12, 0, tzinfo=UTC)  # New York leaves DST on 1 November
    async with BotHarness(redis_url, start=start) as bot:
        await bot.join(ny, time_label="Evening", zone="America/New_York")
        await bot.join(kolkata, time_label="Morning", zone="Asia/Kolkata")
        seen: dict[int, list[str]] = {ny: [], kolkata: []}
        while any(len(v) < 7 for v in seen.values()):
            due = await redis.zrange(bot.services.keys.due(), 0, 0, withscores=True)
            user, score = int(due[0][0]), due[0][1]
            bot.clock.travel_to(datetime.fromtimestamp(score, tz=UTC))
            before = len(bot.api.sent(user))
            assert (await bot.tick()).sent >= 1
            assert len(bot.api.sent(user)) > before
            zone = "America/New_York" if user == ny else "Asia/Kolkata"
            seen[user].append(local(bot.clock.now(), zone))
        assert all(t.endswith("19:30") for t in seen[ny]), seen[ny]
        assert all(t.endswith("08:00") for t in seen[kolkata]), seen[kolkata]
        # One lesson per local day, none skipped, across New York's change of clocks.
        assert [t[:10] for t in seen[ny]] == [
            f"2026-{d}" for d in ("10-30", "10-31", "11-01", "11-02", "11-03", "11-04", "11-05")
        ]
