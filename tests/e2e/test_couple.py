"""Couple mode and the adaptive path, as two people on their phones would live them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from tests.harness import BotHarness, has_button, lesson_footer
from tests.seed import seed_quiz

ALEX, SAM = 1701, 1702
START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


async def invite_link(bot: BotHarness, user: int) -> str:
    msg = await bot.say(user, "/invite", "t.me/")
    match = re.search(r"start=(pair_[\w-]+)", msg.plain)
    assert match, msg.plain
    return match.group(1)


def last_lesson(bot: BotHarness, user: int):  # type: ignore[no-untyped-def]
    return [m for m in bot.api.sent(user) if lesson_footer(m)][-1]


async def next_for(bot: BotHarness, user: int) -> datetime:
    """Travel to this person's next lesson and deliver it."""
    when = await bot.services.due.when(user)
    bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
    before = len(bot.api.sent(user))
    await bot.tick()
    assert any(lesson_footer(m) for m in bot.api.sent(user)[before:])
    return bot.clock.now()


async def test_invite_accept_lessons_notice_share_unpair_forget(
    redis_url: str, redis: Redis
) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(ALEX)
        payload = await invite_link(bot, ALEX)
        token_key = f"{bot.services.keys.prefix}:invite:{payload[5:]}"
        assert 7 * 86400 - 60 < await redis.ttl(token_key) <= 7 * 86400

        # Sam sees who invites and what pairing shares, then opts in on their own.
        invite = await bot.say(SAM, f"/start {payload}", "invited you", first_name="Sam")
        assert "never" in invite.plain or "private" in invite.plain
        await bot.press(SAM, "Yes, pair us", "Would you like to join")
        await bot.press(SAM, "Yes, sign me up", "When would you like")
        await bot.press(SAM, "Evening", "Which time zone")
        await bot.say(SAM, "Asia/Kolkata", "You're paired with")
        await bot.api.wait_for_message(ALEX, predicate=lambda m: "accepted your invite" in m.plain)
        # The link was single use.
        await bot.say(1799, f"/start {payload}", "isn't valid any more")
        await bot.say(1799, "/start pair_forged-token", "isn't valid any more")

        # Each at their own local time.
        alex_at = await next_for(bot, ALEX)
        sam_at = await next_for(bot, SAM)
        assert alex_at.strftime("%H:%M") == "08:00"
        assert sam_at.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M") == "19:30"

        # Alex practises Drop In: Sam hears that, not what.
        sentence = "I feel lonely when we eat in silence"
        await bot.say(ALEX, sentence, "🌟")
        note = await bot.api.wait_for_message(
            SAM, predicate=lambda m: "practised Drop In" in m.plain
        )
        assert sentence not in note.plain
        await bot.say(ALEX, "I feel hopeful about us", "🌟")
        assert sum("practised Drop In" in m.plain for m in bot.api.sent(SAM)) == 1  # once a day
        assert not any(sentence in m.plain for m in bot.api.sent(SAM))
        await bot.press(ALEX, "Share this with my partner", "Shared with your partner")
        shared = bot.api.last(SAM)
        assert "I feel hopeful about us" in shared.plain

        both = await bot.say(SAM, "/partner", "You two")
        assert "Drop In" in both.plain

        await bot.say(SAM, "/unpair", "ended for both")
        await bot.api.wait_for_message(ALEX, predicate=lambda m: "no longer paired" in m.plain)
        await bot.say(ALEX, "/partner", "You're not paired")

        # Pair again, then Sam erases everything: Alex is told kindly, and unpaired.
        payload = await invite_link(bot, ALEX)
        await bot.say(SAM, f"/start {payload}", "invited you")
        await bot.press(SAM, "Yes, pair us", "You're paired with")
        await bot.say(SAM, "/forget", "Are you sure")
        await bot.press(SAM, "Yes, erase everything", "erased")
        await bot.api.wait_for_message(
            ALEX, predicate=lambda m: "left the course" in m.plain, after=0
        )
        assert "partner" not in await bot.record(ALEX) or (await bot.record(ALEX))["partner"] == "0"
        await bot.say(ALEX, "/partner", "You're not paired")


async def test_adaptive_path_for_a_quiz_taker_only(redis_url: str, redis: Redis) -> None:
    weak_check = {
        "drop_in": 90,
        "tune_in": 90,
        "check_in": 30,
        "move_in": 90,
        "dig_in": 90,
        "shift_in": 90,
        "differentiation": 90,
    }
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(ALEX)
        await bot.join(SAM)
        await seed_quiz(redis, ALEX, weak_check)
        check_in = bot.content.course.by_day(3)
        assert check_in is not None and check_in.review_prompt
        for _ in range(3):  # same time and zone: one tick brings both their lesson
            await next_for(bot, ALEX)
        alex_day3 = last_lesson(bot, ALEX).plain
        sam_day3 = last_lesson(bot, SAM).plain
        assert "Extra practice for you" in alex_day3 and check_in.review_prompt[:30] in alex_day3
        assert "Extra practice" not in sam_day3
        for _ in range(4):
            await next_for(bot, ALEX)
        wrap_alex = last_lesson(bot, ALEX)
        assert "Review drill: Check In" in wrap_alex.plain
        assert has_button("Practise Check In")(wrap_alex)
        assert "Review drill" not in last_lesson(bot, SAM).plain
        await bot.press(ALEX, "Practise Check In", "Check In practice")
