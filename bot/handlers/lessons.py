"""Lessons: sending one (daily drip, /today, rereading), snoozing, /lessons and /progress."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ExtBot

from bot import callbacks as cb
from bot import render
from bot.course.models import Lesson
from bot.course.subscriber import LAST_CORE_DAY, Status, Subscriber, current_streak
from bot.course.tools import TOOL_ORDER, Tool
from bot.handlers.common import Context, answer, forget_cached, reply, subscriber
from bot.services import Services, svc
from scheduler.delivery import Outcome
from scheduler.timing import local_date, next_day_local, next_local, zone

log = logging.getLogger(__name__)

LessonHook = Callable[[Subscriber, Lesson], Awaitable[None]]
EVENING = "19:00"


def prompt_for(services: Services, sub: Subscriber, lesson: Lesson) -> str | None:
    if not lesson.tool or not lesson.prompts:
        return None
    from bot.handlers.practice import prompt_index

    return render.prompt_text(lesson, prompt_index(services, sub, lesson))


async def send_lesson(
    bot: ExtBot[Any],
    services: Services,
    sub: Subscriber,
    lesson: Lesson,
    *,
    priority: str = "lesson",
) -> Outcome:
    """Send a lesson's messages; the last one carries the practice prompt and the buttons."""
    prompt = prompt_for(services, sub, lesson)
    extra, drill = await adaptive_extra(services, sub, lesson)
    messages = render.lesson_messages(lesson, prompt, extra)
    markup = render.lesson_keyboard(lesson, has_practice=bool(prompt), drill=drill)
    for index, text in enumerate(messages):
        last = index == len(messages) - 1

        def call(text: str = text, last: bool = last) -> Awaitable[object]:
            return bot.send_message(
                sub.user_id,
                text,
                reply_markup=markup if last else None,
                rate_limit_args={"priority": priority},
            )

        outcome, _ = await services.sender.deliver(call)
        if outcome != Outcome.SENT:
            return outcome
    for hook in services.extras.get("lesson_hooks", []):
        await hook(sub, lesson)
    return Outcome.SENT


async def weakest_tool(services: Services, user_id: int) -> Tool | None:
    """The tool the latest quiz result points to (None without a quiz, or all strong)."""
    tools = {t.value for t in TOOL_ORDER}
    weak = [a for a in await services.quizzes.latest_weakest(user_id) if a in tools]
    return Tool(weak[0]) if weak else None


async def adaptive_extra(
    services: Services, sub: Subscriber, lesson: Lesson
) -> tuple[str | None, Lesson | None]:
    """The adaptive path: an extra prompt on the weakest tool's day, a drill on the wrap-up."""
    if not (lesson.tool or lesson.day == LAST_CORE_DAY):
        return None, None
    tool = await weakest_tool(services, sub.user_id)
    if tool is None:
        return None, None
    target = services.content().course.by_tool(tool)
    if lesson.tool == tool.value and target.review_prompt:
        return (
            "<b>Extra practice for you</b> (your quiz pointed here): "
            f"{escape(target.review_prompt)}",
            None,
        )
    if lesson.day == LAST_CORE_DAY and target.review_prompt:
        return (
            f"<b>Review drill: {escape(tool.label)}</b>, the area your quiz said needs the "
            f"most care. {escape(target.review_prompt)}",
            target,
        )
    return None, None


def make_drip_senders(
    app: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
) -> tuple[
    Callable[[Subscriber, Lesson], Awaitable[Outcome]],
    Callable[[Subscriber, int], Awaitable[Outcome]],
]:
    async def lesson(sub: Subscriber, lesson: Lesson) -> Outcome:
        return await send_lesson(app.bot, services, sub, lesson)

    async def nudge(sub: Subscriber, user_id: int) -> Outcome:
        pool = services.content().nudges
        count = await services.redis.hincrby(services.keys.user_stats(user_id), "nudges", 1)
        text = pool[(count - 1) % len(pool)].replace("{name}", sub.first_name or "there")
        outcome, _ = await services.sender.deliver(
            lambda: app.bot.send_message(
                user_id, escape(text), rate_limit_args={"priority": "lesson"}
            )
        )
        return outcome

    return lesson, nudge


async def today(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None:
        await reply(update, "You haven't joined yet. /start tells you about the course.")
        return
    s = svc(context)
    if sub.last_sent_day < 0:
        await reply(update, "Your first lesson is on its way. It arrives right after set-up.")
        return
    lesson = s.content().course.by_day(sub.last_sent_day)
    if lesson is None:
        await reply(update, "That lesson is no longer available. /lessons lists the others.")
        return
    await send_lesson(context.bot, s, sub, lesson, priority="interactive")


async def lessons_list(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None or sub.last_sent_day < 0:
        await reply(update, "No lessons yet. /start to join the course.")
        return
    course = svc(context).content().course
    unlocked = [ls for ls in course.lessons if ls.day <= sub.last_sent_day]
    await reply(
        update, "Your lessons. Tap one to read it again:", render.lessons_keyboard(unlocked)
    )


async def lesson_button(update: Update, context: Context) -> None:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    sub = await subscriber(update, context)
    day = cb.number(arg)
    if day is None or sub is None:
        await reply(update, "That button has expired. /lessons shows your lessons.")
        return
    s = svc(context)
    lesson = s.content().course.by_day(day)
    if lesson is None:
        await reply(update, "That lesson doesn't exist (any more). /lessons shows your lessons.")
        return
    if day > sub.last_sent_day:
        await reply(update, f"Day {day} isn't unlocked yet: it arrives in its own time. 🌱")
        return
    await send_lesson(context.bot, s, sub, lesson, priority="interactive")


async def snooze(update: Update, context: Context) -> None:
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    kind, _, day_text = arg.partition(":")
    user = update.effective_user
    s = svc(context)
    sub = await s.subscribers.get(user.id) if user else None
    if user is None or sub is None or sub.status != Status.OPTED_IN:
        await answer(update, "You're not receiving lessons right now.")
        return
    day = cb.number(day_text)
    if kind not in ("1h", "eve", "tmr") or day is None:
        await answer(update, "That button has expired.")
        return
    if day != sub.last_sent_day:
        await answer(update, "That's an older lesson: /lessons lets you reread it any time.")
        return
    tz = zone(sub.timezone)
    now = s.clock.now()
    if kind == "1h":
        when = now + timedelta(hours=1)
        said = "in an hour"
    elif kind == "eve":
        when = next_local(now, EVENING, tz)
        said = f"at {EVENING}" + (
            "" if local_date(when, tz) == local_date(now, tz) else " tomorrow"
        )
    else:
        when = next_day_local(now, sub.send_time, tz)
        said = f"tomorrow at {sub.send_time}"
    # Snoozing moves the course: this lesson comes again then, the next one a day later.
    await s.subscribers.update(user.id, next_day=day, updated_at=s.clock.time())
    await s.due.schedule(user.id, when.timestamp())
    forget_cached()
    await answer(update, f"Okay, I'll send it again {said}.")
    await reply(update, f"⏰ Snoozed: I'll send Day {day} again {said}.")


async def progress(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None:
        await reply(update, "You haven't joined yet. /start tells you about the course.")
        return
    s = svc(context)
    today_local = local_date(s.clock.now(), zone(sub.timezone))
    stats = await s.redis.hgetall(s.keys.user_stats(sub.user_id))
    lines = [f"<b>Your progress</b>\n{render.progress_line(sub)}"]
    if sub.status != Status.OPTED_IN:
        lines.append(f"Status: {sub.status.value.replace('_', ' ')}")
    tools = []
    for tool in TOOL_ORDER:
        tries = int(stats.get(f"practice:{tool.value}", 0))
        good = int(stats.get(f"good:{tool.value}", 0))
        mark = (
            "✅"
            if tool.value in sub.practised
            else ("🔓" if tool.day <= sub.last_sent_day else "🔒")
        )
        detail = f" – {tries} tries, {good} good" if tries else ""
        tools.append(f"{mark} {tool.label}{detail}")
    lines.append("\n".join(tools))
    lines.append(f"🔥 Practice streak: {current_streak(sub, today_local)} day(s)")
    if sub.last_sent_day >= LAST_CORE_DAY:
        lines.append("You've completed all seven days. 🎉 /quiz to see how things have moved.")
    await reply(update, "\n\n".join(lines))


async def bonus_off(update: Update, context: Context) -> None:
    """Bonus lessons (added after the course) are optional: one tap stops them."""
    await answer(update)
    user = update.effective_user
    s = svc(context)
    sub = await s.subscribers.get(user.id) if user else None
    if user is None or sub is None:
        await reply(update, "You're not subscribed right now. /start to join.")
        return
    await s.subscribers.update(user.id, bonus_opt_out=True)
    if sub.next_day > LAST_CORE_DAY:
        await s.due.cancel(user.id)
    forget_cached()
    await reply(update, "Okay: no more bonus lessons. Everything you have stays in /lessons. 💛")


def handlers() -> list[object]:
    return [
        CallbackQueryHandler(bonus_off, pattern=cb.pattern(cb.BONUS)),
        CommandHandler("today", today),
        CommandHandler("lessons", lessons_list),
        CallbackQueryHandler(lesson_button, pattern=cb.pattern(cb.LESSON)),
        CallbackQueryHandler(snooze, pattern=cb.pattern(cb.SNOOZE)),
        CommandHandler("progress", progress),
    ]
