"""Practice coaching: a reply to a lesson's prompt gets instant, tool-specific feedback.

The coach is pure (bot/coach); this module only keeps track of which prompt a reply answers.
Practice text is never logged and never stored.
"""

from __future__ import annotations

import functools
import logging
from datetime import date
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks as cb
from bot.coach.engine import coach
from bot.course.models import Lesson
from bot.course.subscriber import Status, Subscriber, record_practice
from bot.course.tools import Tool
from bot.handlers.common import (
    BUSY_FOR,
    Context,
    answer,
    forget_cached,
    frozen,
    mark_busy,
    release_busy,
    reply,
    subscriber,
    touched_hash,
)
from bot.render import prompt_text
from bot.services import Services, svc
from bot.store.practice import Exchange, exchange_from
from bot.store.subscribers import encode_changes
from scheduler.timing import local_date, zone

log = logging.getLogger(__name__)


def prompt_message(lesson: Lesson, index: int) -> str:
    tool = Tool(lesson.tool).label if lesson.tool else lesson.title
    return (
        f"✍️ <b>{escape(tool)} practice</b>\n{escape(prompt_text(lesson, index))}\n"
        "<i>Reply with one sentence.</i>"
    )


def feedback_keyboard(paired: bool = False) -> Markup:
    rows = [
        [
            Button("🔁 Try again", callback_data=cb.data(cb.PRACTICE, "again")),
            Button("➡️ Next prompt", callback_data=cb.data(cb.PRACTICE, "next")),
        ],
        [Button("✅ Done for today", callback_data=cb.data(cb.PRACTICE, "done"))],
    ]
    if paired:
        rows.append([Button("💌 Share this with my partner", callback_data="practice:share")])
    return Markup(rows)


@functools.cache
def feedback_markup(paired: bool) -> str:
    # Built and serialized once: building buttons per reply was ~5% of a reply's CPU.
    return frozen(feedback_keyboard(paired))


def prompt_index(services: Services, sub: Subscriber, lesson: Lesson) -> int:
    """Which prompt a lesson ends with: the first, unless the adaptive path picks another."""
    chosen = services.extras.get("prompt_index")
    return int(chosen(sub, lesson)) if chosen is not None else 0


async def on_lesson_sent(services: Services, sub: Subscriber, lesson: Lesson) -> None:
    """A tool lesson ends with its prompt: the next reply is coached in that context."""
    if lesson.tool and lesson.prompts:
        index = prompt_index(services, sub, lesson)
        await services.practice.open(sub.user_id, Exchange(lesson.tool, index, lesson.day))


async def practice_command(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await reply(update, "Practice is part of the course: /start to join.")
        return
    course = svc(context).content().course
    unlocked = [ls for ls in course.core_lessons if ls.tool and ls.day <= sub.last_sent_day]
    if not unlocked:
        await reply(update, "Your first tool arrives on day 1. Until then, enjoy the welcome! 🌱")
        return
    rows = [
        [Button(Tool(ls.tool).label, callback_data=cb.data(cb.PRACTICE, f"tool:{ls.day}"))]
        for ls in unlocked
        if ls.tool
    ]
    await reply(update, "Which tool would you like to practise?", Markup(rows))


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await answer(update, "Practice is part of the course: /start to join.")
        return
    action, _, arg = cb.arg_of(query.data).partition(":")
    practice = s.practice
    course = s.content().course
    if action in ("go", "tool"):
        day = cb.number(arg)
        lesson = course.by_day(day) if day is not None else None
        if lesson is None or not lesson.tool or lesson.day > sub.last_sent_day:
            await answer(update, "That button is out of date. /practice lists your tools.")
            return
        await answer(update)
        index = 0
        current = await practice.current(user.id)
        if current is not None and current.day == lesson.day:
            index = current.prompt
        await practice.open(user.id, Exchange(lesson.tool, index, lesson.day))
        await mark_busy(context, user.id)
        await reply(update, prompt_message(lesson, index))
        return
    current = await practice.current(user.id)
    lesson = course.by_day(current.day) if current else None
    if current is None or lesson is None or action not in ("again", "next", "done"):
        await answer(update, "That practice has ended. /practice starts a new one.")
        return
    await answer(update)
    if action == "again":
        await reply(update, "Go ahead: send another version. ✍️")
    elif action == "next":
        index = (current.prompt + 1) % len(lesson.prompts) if current.prompt >= 0 else 0
        await practice.open(user.id, Exchange(current.tool, index, current.day))
        await reply(update, prompt_message(lesson, index))
    else:
        await practice.close(user.id)
        await release_busy(context, user.id)
        await reply(update, "Lovely work today. 💛 Small sentences like these add up.")


async def on_text(update: Update, context: Context) -> None:
    """A reply while a practice is open: coach it. Otherwise pass to the general answer."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    s = svc(context)
    sub = await subscriber(update, context)
    cached = touched_hash(update)
    if sub is None:
        current = None
    elif cached is not None:
        current = exchange_from(cached)
    else:
        current = await s.practice.current(user.id)
    if sub is None or current is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        from bot.handlers.fallback import other_text

        await other_text(update, context)
        return
    # The safety handler screened this message before any other handler ran.
    feedback = coach(current.tool, message.text, screened=True)
    good = feedback.verdict == "good"
    today: date = local_date(s.clock.now(), zone(sub.timezone))
    updated = record_practice(sub, current.tool, today, s.clock.time())
    changes = encode_changes(
        {
            "streak": updated.streak,
            "streak_date": updated.streak_date,
            "catchup_week": updated.catchup_week,
            "practised": updated.practised,
            "busy_until": s.clock.time() + BUSY_FOR,
        }
    )
    await s.practice.record(user.id, current.tool, good, changes)
    forget_cached()
    log.info("practice coached: tool=%s verdict=%s", current.tool, feedback.verdict)
    head = "🌟 " if good else "🌱 "
    if sub.partner:  # kept briefly, only so the person can choose to share it
        await s.pairs.keep_for_sharing(user.id, message.text)
    await reply(update, head + escape(feedback.reply), feedback_markup(bool(sub.partner)))
    for hook in s.extras.get("practice_hooks", []):
        await hook(context, sub, current.tool, good)


def handlers() -> list[object]:
    return [
        CommandHandler("practice", practice_command),
        CallbackQueryHandler(on_button, pattern=cb.pattern(cb.PRACTICE)),
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
    ]
