"""Operator-only commands. Everybody else gets the same polite refusal."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import wraps
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler

from bot.handlers.common import Context, answer, reply
from bot.services import svc

log = logging.getLogger(__name__)

REFUSAL = "Sorry, that's only for the course team."
Handler = Callable[[Update, Context], Coroutine[Any, Any, Any]]
_DELTA = re.compile(r"^([+-])(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def operators_only(func: Handler) -> Handler:
    """Refuse non-operators before the handler runs: one gate for every operator function."""

    @wraps(func)
    async def gate(update: Update, context: Context) -> Any:
        user = update.effective_user
        if not svc(context).is_operator(user.id if user else None):
            log.info("operator function refused")
            await answer(update, REFUSAL, alert=True)
            if update.callback_query is None:
                await reply(update, REFUSAL)
            return None
        return await func(update, context)

    return gate


def parse_travel(arg: str, now: datetime) -> datetime | None:
    """'+1d', '-3h', '2026-12-01T08:00Z' -> the target time."""
    m = _DELTA.match(arg.strip())
    if m:
        seconds = int(m.group(2)) * _UNITS[m.group(3)]
        try:
            return now + timedelta(seconds=seconds if m.group(1) == "+" else -seconds)
        except OverflowError:  # beyond year 9999
            return None
    try:
        when = datetime.fromisoformat(arg.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@operators_only
async def clock(update: Update, context: Context) -> None:
    s = svc(context)
    if not s.settings.ALLOW_TIME_TRAVEL:
        await reply(update, "Time travel is off (ALLOW_TIME_TRAVEL=false).")
        return
    args = context.args or []
    if args:
        target = parse_travel(args[0], s.clock.now())
        if target is None:
            await reply(update, "Usage: /clock, /clock +1d, /clock +3h, /clock 2026-12-01T08:00Z")
            return
        s.clock.travel_to(target)
        store = s.extras.get("clock_store")
        if store is not None:
            await store.save(s.clock)
    await reply(update, f"🕰 Bot time: <b>{s.clock.now():%Y-%m-%d %H:%M} UTC</b>")
    if args and s.drip is not None:
        report = await s.drip.tick()  # act on the moved time at once
        if report.sent or report.nudged:
            await reply(update, f"Delivered {report.sent} lesson(s), {report.nudged} nudge(s).")


@operators_only
async def stats_command(update: Update, context: Context) -> None:
    from bot.stats import collect, render

    await reply(update, render(await collect(svc(context))))


@operators_only
async def reload_command(update: Update, context: Context) -> None:
    """Validate and hot-load edited content; on any error the old content stays live."""
    from bot.coach.safety import SafetyContentError, load_safety_resources
    from bot.course.errors import ContentError
    from bot.course.loader import load_content

    s = svc(context)
    try:
        content = load_content(s.settings.CONTENT_DIR)
        safety = load_safety_resources(s.settings.CONTENT_DIR / "safety.yaml")
        check = s.extras.get("content_checks", [])
        for extra_check in check:
            extra_check(content)
    except (ContentError, SafetyContentError, ValueError) as exc:
        text = str(exc)
        if len(text) > 3000:
            text = text[:3000] + "\n…"
        await reply(
            update, f"❌ Content has errors; the old content stays live.\n<pre>{escape(text)}</pre>"
        )
        return
    old_last = s.content().course.last_day
    s.content.current = content
    s.extras["safety"] = safety
    booked = 0
    if content.course.last_day > old_last:
        booked = await book_bonus(s)
    await reply(
        update,
        f"✅ Content reloaded: {len(content.course.lessons)} lessons, "
        f"{len(content.quiz.questions)} quiz questions (version {content.version})."
        + (f" {booked} finished subscriber(s) will get the new bonus lesson." if booked else ""),
    )


async def book_bonus(s: Any) -> int:
    """New lessons after the last day reach people who finished, unless they opted out."""
    from bot.course.subscriber import Status, has_more_lessons
    from scheduler.drip import first_due

    last_day = s.content().course.last_day
    booked = 0
    ids: list[int] = []
    async for raw in s.redis.sscan_iter(s.keys.subscribers(), count=1000):
        ids.append(int(raw))
    for start in range(0, len(ids), 1000):
        subs = await s.subscribers.get_many(ids[start : start + 1000])
        for sub in subs.values():
            if sub.status != Status.OPTED_IN or not has_more_lessons(sub, last_day):
                continue
            if await s.due.when(sub.user_id) is not None:
                continue
            await s.due.schedule(
                sub.user_id, first_due(s.clock.time(), sub.send_time, sub.timezone)
            )
            booked += 1
    return booked


def handlers() -> list[object]:
    return [
        CommandHandler("clock", clock),
        CommandHandler("stats", stats_command),
        CommandHandler("reload", reload_command),
    ]
