"""The CARE & Intimacy Quiz: one message edited in place, answers stored as given."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.course.models import Lesson, Quiz
from bot.course.quiz import QuizScore, compare, render_bars, render_comparison, score_quiz
from bot.course.subscriber import Status
from bot.course.tools import AREA_TITLES
from bot.handlers.common import (
    Context,
    answer,
    edit_or_send,
    mark_busy,
    release_busy,
    reply,
    subscriber,
)
from bot.services import Services, svc
from bot.store.quizzes import QuizResult

log = logging.getLogger(__name__)


def question_text(quiz: Quiz, position: int) -> str:
    q = quiz.questions[position]
    return (
        f"<b>CARE &amp; Intimacy Quiz</b> · {position + 1} / {len(quiz.questions)}\n\n"
        f"{escape(q.text)}"
    )


def question_keyboard(quiz: Quiz, position: int) -> Markup:
    options = [
        Button(o.label, callback_data=cb.data(cb.QUIZ, f"a:{position}:{o.value}"))
        for o in quiz.scale
    ]
    rows = [options[:3], options[3:]] if len(options) > 3 else [options]
    nav = []
    if position > 0:
        nav.append(Button("◀ Back", callback_data=cb.data(cb.QUIZ, f"back:{position}")))
    nav.append(Button("✖ Cancel", callback_data=cb.data(cb.QUIZ, "cancel")))
    return Markup([*rows, nav])


async def quiz_command(update: Update, context: Context) -> None:
    await offer(update, context)


async def offer(update: Update, context: Context, *, after_setup: bool = False) -> None:
    sub = await subscriber(update, context)
    if sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await reply(update, "The quiz is part of the course: /start to join first.")
        return
    s = svc(context)
    quiz = s.content().quiz
    progress = await s.quizzes.progress(sub.user_id)
    if progress is not None and progress.answers:
        done = min(progress.position, len(quiz.questions))
        await reply(
            update,
            f"You have a quiz in progress ({done} / {len(quiz.questions)} answered).",
            Markup(
                [
                    [Button("▶️ Continue", callback_data=cb.data(cb.QUIZ, "cont"))],
                    [Button("🔄 Start over", callback_data=cb.data(cb.QUIZ, "start"))],
                ]
            ),
        )
        return
    lead = "One more thing, if you like: " if after_setup else ""
    await reply(
        update,
        f"{lead}{escape(quiz.intro)}",
        Markup(
            [
                [Button("📝 Take the quiz", callback_data=cb.data(cb.QUIZ, "start"))],
                [Button("Skip for now", callback_data=cb.data(cb.QUIZ, "skip"))],
            ]
        ),
    )


async def after_setup(update: Update, context: Context) -> None:
    await offer(update, context, after_setup=True)


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await answer(update, "The quiz is part of the course: /start to join first.")
        return
    parts = cb.arg_of(query.data).split(":")
    action = parts[0]
    quiz = s.content().quiz
    quizzes = s.quizzes
    message_id = query.message.message_id if query.message else 0
    if action == "skip":
        await answer(update)
        await edit_or_send(update, "No problem. /quiz is there whenever you want it.")
        return
    if action in ("start", "cont"):
        await answer(update)
        progress = await quizzes.progress(user.id)
        if action == "start" or progress is None:
            await quizzes.begin(user.id, message_id)
            position = 0
        else:
            position = min(progress.position, len(quiz.questions) - 1)
            await quizzes.move(user.id, position, message_id)
        await mark_busy(context, user.id)
        await edit_or_send(update, question_text(quiz, position), question_keyboard(quiz, position))
        return
    progress = await quizzes.progress(user.id)
    if progress is None or progress.message_id != message_id:
        await answer(update, "That quiz message is out of date. /quiz to continue.")
        return
    if action == "cancel":
        await answer(update)
        await release_busy(context, user.id)
        await edit_or_send(
            update, "Quiz paused. Your answers are saved: /quiz to continue where you stopped."
        )
        return
    if action == "back" and len(parts) == 2 and cb.number(parts[1]) is not None:
        if cb.number(parts[1]) != progress.position or progress.position == 0:
            await answer(update, "That button is out of date.")
            return
        await answer(update)
        position = progress.position - 1
        await quizzes.move(user.id, position)
        await edit_or_send(update, question_text(quiz, position), question_keyboard(quiz, position))
        return
    position_arg, value_arg = (
        (cb.number(parts[1]), cb.number(parts[2])) if len(parts) == 3 else (None, None)
    )
    if action == "a" and position_arg is not None and value_arg is not None:
        position, value = position_arg, value_arg
        valid = {o.value for o in quiz.scale}
        if position != progress.position or position >= len(quiz.questions) or value not in valid:
            await answer(update, "That button is out of date.")
            return
        await answer(update)
        question = quiz.questions[position]
        await quizzes.answer(user.id, question.id, value, position + 1)
        if position + 1 < len(quiz.questions):
            await mark_busy(context, user.id)
            nxt = position + 1
            await edit_or_send(update, question_text(quiz, nxt), question_keyboard(quiz, nxt))
            return
        await _finish(update, context, {**progress.answers, question.id: value})
        return
    await answer(update, "That button is out of date.")


async def _finish(update: Update, context: Context, answers: dict[str, int]) -> None:
    s = svc(context)
    user = update.effective_user
    assert user is not None
    quizzes = s.quizzes
    score = score_quiz(s.content().quiz, answers)
    previous = await quizzes.history(user.id)
    await quizzes.finish(user.id, QuizResult(at=s.clock.time(), percent=dict(score.percent)))
    if score.weakest:
        await s.redis.hincrby(s.keys.counters("quiz_weakest"), score.weakest[0], 1)
    await release_busy(context, user.id)
    text, markup = result_message(s, score, previous[-1] if previous else None)
    await edit_or_send(update, text, markup)


def lesson_for_area(s: Services, area: str) -> Lesson | None:
    # For differentiation that is the welcome lesson: always unlocked.
    lessons = s.content().course.lessons_for_area(area)
    return lessons[0] if lessons else None


def result_message(
    s: Services, score: QuizScore, before: QuizResult | None
) -> tuple[str, Markup | None]:
    quiz = s.content().quiz
    parts = ["<b>Your CARE &amp; Intimacy results</b>", f"<pre>{escape(render_bars(score))}</pre>"]
    if before is not None:
        changes = compare(QuizScore.from_percent(before.percent), score)
        parts.append(f"<b>Since last time</b>\n<pre>{escape(render_comparison(changes))}</pre>")
    buttons = []
    if score.all_strong:
        parts.append(
            "Every area looks strong. 🌟 That's something the two of you have built together: "
            "keep doing what you're doing, and use the tools to keep it that way."
        )
    else:
        for area in score.weakest:
            result = quiz.results[area]
            parts.append(f"<b>{escape(result.title)}</b>\n{escape(result.text)}")
            lesson = lesson_for_area(s, area)
            if lesson is not None:
                label = f"📖 Open {AREA_TITLES[area]}"[:40]
                buttons.append([Button(label, callback_data=cb.data(cb.LESSON, lesson.day))])
    parts.append("You can retake the quiz any time with /quiz.")
    return "\n\n".join(parts), Markup(buttons) if buttons else None


def handlers() -> list[object]:
    return [
        CommandHandler("quiz", quiz_command),
        CallbackQueryHandler(on_button, pattern=cb.pattern(cb.QUIZ)),
    ]
