"""The CARE & Intimacy Quiz through the local Bot API: answer, go back, cancel, resume after a
restart, stale buttons, and the before/after view on a retake."""

from __future__ import annotations

from datetime import UTC, datetime

from redis.asyncio import Redis

from tests.harness import BotHarness, content

USER = 801
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def quiz_message(bot: BotHarness, position: int) -> str:
    n = len(content().quiz.questions)
    return f"{position} / {n}"


async def test_full_quiz_back_cancel_resume_stale_and_retake(redis_url: str, redis: Redis) -> None:
    quiz = content().quiz
    n = len(quiz.questions)
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        offer = await bot.api.wait_for_message(
            USER,
            predicate=lambda m: any(b.text.endswith("Take the quiz") for r in m.buttons for b in r),
        )
        first = await bot.press(USER, "Take the quiz", quiz_message(bot, 1))
        assert first.message_id == offer.message_id  # one message, edited in place
        assert quiz.questions[0].text in first.plain

        await bot.press(USER, "Often", quiz_message(bot, 2))
        await bot.press(USER, "Rarely", quiz_message(bot, 3))
        back = await bot.press(USER, "Back", quiz_message(bot, 2))
        assert quiz.questions[1].text in back.plain
        await bot.press(USER, "Sometimes", quiz_message(bot, 3))
        stored = await redis.hgetall(bot.services.keys.quiz(USER))
        assert stored[quiz.questions[1].id] == "2"  # the changed answer, stored as given

        await bot.press(USER, "Cancel", "Quiz paused")
        await bot.restart()
        await bot.say(USER, "/quiz", "in progress (2 / ")
        resumed = await bot.press(USER, "Continue", quiz_message(bot, 3))

        # A button on the old quiz message changes nothing.
        before = await redis.hgetall(bot.services.keys.quiz(USER))
        for message_id, data in (
            (first.message_id, "quiz:a:2:4"),  # the old quiz message
            (resumed.message_id, "quiz:a:99:999"),  # forged data on the live one
            (resumed.message_id, "quiz:back:x"),
        ):
            seen = len(bot.api.callback_answers(USER))
            await bot.api.press_data(USER, message_id, data)
            reply = await bot.api.wait_for_callback_answer(USER, after=seen)
            assert "out of date" in (reply.text or "")
            assert await redis.hgetall(bot.services.keys.quiz(USER)) == before

        # Answer the rest: "Never" on the Dig In statements, "Always"/"Never" elsewhere so every
        # other area is strong (reverse items take "Never").
        for position in range(2, n):
            q = quiz.questions[position]
            label = "Never" if (q.area == "dig_in") != q.reverse else "Always"
            expect = quiz_message(bot, position + 2) if position + 1 < n else "Your CARE"
            result = await bot.press(USER, label, expect)
        assert "Dig In" in result.plain and "%" in result.plain
        assert any("Open Dig In" in b.text for row in result.buttons for b in row)
        assert await redis.exists(bot.services.keys.quiz(USER)) == 0
        opened = await bot.press(USER, "Open Dig In", "isn't unlocked yet")
        assert "Day 5" in opened.plain

        # Retake with every answer healthy: all strong, and a before/after view.
        await bot.say(USER, "/quiz", "CARE & Intimacy Quiz")
        await bot.press(USER, "Take the quiz", quiz_message(bot, 1))
        for position in range(n):
            q = quiz.questions[position]
            expect = quiz_message(bot, position + 2) if position + 1 < n else "Your CARE"
            retake = await bot.press(USER, "Never" if q.reverse else "Always", expect)
        assert "Since last time" in retake.plain
        assert "Every area looks strong" in retake.plain
        assert len(await redis.lrange(bot.services.keys.quiz_history(USER), 0, -1)) == 2


async def test_quiz_needs_a_subscription(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.say(USER, "/quiz", "/start to join first")
        assert await redis.exists(bot.services.keys.quiz(USER)) == 0
