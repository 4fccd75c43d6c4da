"""Practice coaching in the chat: a reply to the lesson's prompt gets tool-specific feedback,
with try again / next / done; /practice reopens any unlocked tool; a disclosure of danger gets
care instead of coaching, in any context."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from tests.harness import BotHarness

USER = 1201
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def reach_day(bot: BotHarness, user: int, day: int) -> None:
    while int((await bot.record(user))["last_sent_day"]) < day:
        when = await bot.services.due.when(user)
        bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
        await bot.tick()


async def test_reply_to_the_prompt_is_coached_for_that_tool(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        # Before any tool: plain text gets a pointer, not coaching.
        await bot.say(USER, "hello there", "/today")
        await reach_day(bot, USER, 6)  # Shift In
        assert "Practice" in bot.api.sent(USER)[-1].plain
        weak = await bot.say(USER, "I felt so betrayed when you forgot my birthday", "hurt")
        assert "Try again" in str(weak.buttons)
        good = await bot.press(USER, "Try again", "another version")
        good = await bot.say(
            USER, "I felt hurt and unimportant when my birthday was forgotten", "🌟"
        )
        assert good.plain.startswith("🌟")
        await bot.press(USER, "Next prompt", "Shift In practice")
        await bot.press(USER, "Done for today", "Lovely work")
        # Done closes the exchange: the next text is not coached.
        await bot.say(USER, "I feel betrayed", "Thanks for writing")
        stats = await redis.hgetall(bot.services.keys.user_stats(USER))
        assert stats["practice:shift_in"] == "2" and stats["good:shift_in"] == "1"
        progress = await bot.say(USER, "/progress", "Your progress")
        assert "Shift In – 2 tries, 1 good" in progress.plain
        assert "streak: 1" in progress.plain


async def test_practice_command_reopens_an_unlocked_tool(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        await bot.say(USER, "/practice", "first tool arrives on day 1")
        await reach_day(bot, USER, 2)
        await bot.say(USER, "/practice", "Which tool")
        await bot.press(USER, "Drop In", "Drop In practice")
        reply = await bot.say(USER, "I feel like you never listen", "🌱")
        assert "feel like" in reply.plain.lower()
        # Locked tools are not offered, and a forged button for one is refused.
        assert "Check In" not in str(bot.api.last(USER).buttons)
        seen = len(bot.api.callback_answers(USER))
        await bot.api.press_data(USER, bot.api.last(USER).message_id, "practice:tool:5")
        assert "out of date" in (
            (await bot.api.wait_for_callback_answer(USER, after=seen)).text or ""
        )


async def test_a_disclosure_gets_care_not_coaching_anywhere(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        await reach_day(bot, USER, 1)
        care = await bot.say(USER, "he hit me last night and I'm scared", "findahelpline.com")
        assert "Pause lessons" in str(care.buttons)
        assert "🌱" not in care.plain and "🌟" not in care.plain
        assert await redis.hgetall(bot.services.keys.counters("safety")) == {"violence": "1"}
        assert await redis.hgetall(bot.services.keys.user_stats(USER)) == {}  # not coached
        # Hyperbole is coached as usual.
        await bot.say(USER, "I could kill him for eating my fries, I feel annoyed", "🌟")
        # A non-subscriber is cared for too.
        await bot.say(9999, "I don't want to be alive anymore", "findahelpline.com")
        await bot.press(USER, "Pause lessons for a week", "paused for a week")
