"""Joining: /start explains and asks for consent; opting in sets time and zone; day 0 at once.

The set-up steps form a persistent ConversationHandler ("setup"): a restart between two steps
resumes at the same step. /settime and /timezone reuse the same steps later.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from telegram import InlineKeyboardButton as Button
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot import render
from bot.course.subscriber import LAST_CORE_DAY, Status, Subscriber
from bot.handlers.common import Context, answer, edit_or_send, forget_cached, reply, subscriber
from bot.services import svc
from scheduler.drip import first_due
from scheduler.timing import next_day_local, next_local, parse_hhmm, parse_timezone, zone

TIME, TYPING_TIME, ZONE, TYPING_ZONE = range(4)
SETUP_FALLBACK_DELAY = 15 * 60  # if set-up is abandoned, day 0 still comes with the defaults
MODE = "setup_mode"  # user_data: "join" (first set-up) or "change" (/settime, /timezone)


async def start(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None:
        return
    payload = context.args[0] if context.args else ""
    if payload.startswith("pair_"):
        from bot.handlers.couple import open_invite

        await open_invite(update, context, payload[5:])
        return
    sub = await subscriber(update, context)
    if sub is None:
        await reply(update, render.welcome(user.first_name), render.welcome_keyboard())
    elif sub.status == Status.OPTED_IN:
        await reply(
            update,
            "You're already in the course. 🙂 /today shows today's lesson, /help everything else.",
        )
    elif sub.status == Status.PAUSED:
        await reply(update, "Your lessons are paused. Send /resume when you're ready.")
    else:
        await reply(update, *rejoin_offer(sub))


def rejoin_offer(sub: Subscriber) -> tuple[str, render.Markup]:
    day = min(sub.next_day, LAST_CORE_DAY)
    rows = [[Button("▶️ Start again from day 0", callback_data=cb.data(cb.REJOIN, "restart"))]]
    if sub.next_day > 0:
        rows.insert(
            0, [Button(f"⏭ Continue at day {day}", callback_data=cb.data(cb.REJOIN, "continue"))]
        )
    return (
        "Welcome back! 💛 You can pick up where you left off or begin again.",
        render.Markup(rows),
    )


async def not_now(update: Update, context: Context) -> None:
    await answer(update)
    await edit_or_send(
        update, "No problem. Nothing is stored. Send /start whenever you'd like to join."
    )


async def opt_in(update: Update, context: Context) -> int:
    await answer(update)
    user = update.effective_user
    assert user is not None
    s = svc(context)
    existing = await s.subscribers.get(user.id)
    if existing is not None and existing.status == Status.OPTED_IN:
        # A double tap or an old welcome message: offer the time again, change nothing else.
        context.user_data[MODE] = "change"  # type: ignore[index]
        await edit_or_send(
            update, "You're already in. 🙂 " + render.time_question(), render.time_keyboard()
        )
        return TIME
    now = s.clock.time()
    guess = render.guess_zone(user.language_code) or s.settings.DEFAULT_TIMEZONE
    sub = Subscriber(
        user_id=user.id,
        status=Status.OPTED_IN,
        timezone=guess,
        send_time=render.TIME_PRESETS[0][1],
        consent_at=now,
        created_at=now,
        updated_at=now,
        first_name=user.first_name or "",
        language=user.language_code or "",
        last_seen_at=now,
    )
    return await _ask_time_after_joining(update, context, sub, now, "Wonderful, you're in! 🎉")


async def _ask_time_after_joining(
    update: Update, context: Context, sub: Subscriber, now: float, greeting: str
) -> int:
    """Store the (re)joined record, book day 0 with the defaults in case set-up is abandoned,
    and ask for the delivery time."""
    s = svc(context)
    await s.subscribers.save(sub)
    await s.due.schedule(sub.user_id, now + SETUP_FALLBACK_DELAY)
    forget_cached()
    context.user_data[MODE] = "join"  # type: ignore[index]
    await edit_or_send(update, greeting + "\n\n" + render.time_question(), render.time_keyboard())
    return TIME


async def rejoin(update: Update, context: Context) -> int:
    await answer(update)
    user = update.effective_user
    assert user is not None
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if sub is None:
        await edit_or_send(update, render.welcome(user.first_name), render.welcome_keyboard())
        return ConversationHandler.END
    if sub.status in (Status.OPTED_IN, Status.PAUSED):
        await edit_or_send(update, "You're already in the course. /help shows what I can do.")
        return ConversationHandler.END
    now = s.clock.time()
    restart = cb.arg_of(update.callback_query.data if update.callback_query else "") == "restart"
    sub = replace(
        sub,
        status=Status.OPTED_IN,
        consent_at=now,
        updated_at=now,
        next_day=0 if restart else sub.next_day,
        last_sent_day=-1 if restart else sub.last_sent_day,
        finished_at=0.0 if restart else sub.finished_at,
        paused_until=0.0,
    )
    return await _ask_time_after_joining(update, context, sub, now, "Welcome back! 💛")


async def ask_time(update: Update, context: Context) -> int:
    sub = await subscriber(update, context)
    if sub is None or sub.status not in (Status.OPTED_IN, Status.PAUSED):
        await reply(update, "You're not subscribed right now. /start to join.")
        return ConversationHandler.END
    context.user_data[MODE] = "change"  # type: ignore[index]
    await reply(update, render.time_question(), render.time_keyboard())
    return TIME


async def ask_zone_command(update: Update, context: Context) -> int:
    sub = await subscriber(update, context)
    if sub is None or sub.status not in (Status.OPTED_IN, Status.PAUSED):
        await reply(update, "You're not subscribed right now. /start to join.")
        return ConversationHandler.END
    context.user_data[MODE] = "change_zone"  # type: ignore[index]
    user = update.effective_user
    guess = render.guess_zone(user.language_code if user else None)
    await reply(
        update,
        f"Your time zone is <b>{sub.timezone}</b>. Pick a new one, or type it.",
        render.zone_keyboard(guess),
    )
    return ZONE


async def time_button(update: Update, context: Context) -> int:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    if arg == cb.CUSTOM:
        await edit_or_send(
            update, "Type the time you'd like, for example <b>07:45</b> or <b>21:00</b>."
        )
        return TYPING_TIME
    hhmm = parse_hhmm(arg)
    if hhmm is None:
        await edit_or_send(update, render.time_question(), render.time_keyboard())
        return TIME
    return await _time_chosen(update, context, hhmm)


async def time_typed(update: Update, context: Context) -> int:
    text = update.effective_message.text if update.effective_message else ""
    hhmm = parse_hhmm(text or "")
    if hhmm is None:
        await reply(
            update,
            "I couldn't read that as a time. Please type it like <b>07:45</b> (24-hour clock).",
        )
        return TYPING_TIME
    return await _time_chosen(update, context, hhmm)


async def _save_choice(update: Update, context: Context, **choice: object) -> bool:
    """Store one set-up choice; False when the record was erased meanwhile."""
    s = svc(context)
    user = update.effective_user
    assert user is not None
    if await s.subscribers.get(user.id) is None:
        return False
    await s.subscribers.update(user.id, **choice, updated_at=s.clock.time())
    forget_cached()
    return True


async def _time_chosen(update: Update, context: Context, hhmm: str) -> int:
    s = svc(context)
    user = update.effective_user
    assert user is not None
    if not await _save_choice(update, context, send_time=hhmm):
        return ConversationHandler.END
    if context.user_data.get(MODE) == "change":  # type: ignore[union-attr]
        await _reschedule(context, user.id)
        sub = await s.subscribers.get(user.id)
        await edit_or_send(
            update, f"Done: lessons now arrive at <b>{hhmm}</b> ({sub.timezone if sub else ''})."
        )
        return ConversationHandler.END
    guess = render.guess_zone(user.language_code)
    await edit_or_send(update, render.zone_question(hhmm), render.zone_keyboard(guess))
    return ZONE


async def zone_button(update: Update, context: Context) -> int:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    if arg == cb.CUSTOM:
        await edit_or_send(
            update,
            "Type your time zone, like <b>Europe/Paris</b>, <b>America/Denver</b> "
            "or <b>UTC+5:30</b>.",
        )
        return TYPING_ZONE
    name = parse_timezone(arg)
    if name is None:
        await edit_or_send(
            update, "Please pick a time zone from the list.", render.zone_keyboard(None)
        )
        return ZONE
    return await _zone_chosen(update, context, name)


async def zone_typed(update: Update, context: Context) -> int:
    text = update.effective_message.text if update.effective_message else ""
    name = parse_timezone(text or "")
    if name is None:
        await reply(
            update,
            "I don't know that time zone. Try a name like <b>Europe/Paris</b> or an offset "
            "like <b>UTC+2</b>.",
        )
        return TYPING_ZONE
    return await _zone_chosen(update, context, name)


async def _zone_chosen(update: Update, context: Context, name: str) -> int:
    s = svc(context)
    user = update.effective_user
    assert user is not None
    if not await _save_choice(update, context, timezone=name):
        return ConversationHandler.END
    mode = context.user_data.pop(MODE, "join")  # type: ignore[union-attr]
    sub = await s.subscribers.get(user.id)
    if sub is None:
        return ConversationHandler.END
    if mode != "join":
        await _reschedule(context, user.id)
        await edit_or_send(update, f"Done: your time zone is now <b>{name}</b>.")
        return ConversationHandler.END
    await edit_or_send(
        update,
        f"All set! Your lessons arrive every day at <b>{sub.send_time}</b> ({name}). "
        "Here is your first one. 👇",
    )
    if sub.last_sent_day < sub.next_day and s.drip is not None:
        await s.drip.deliver_now(user.id)
    for after in s.extras.get("after_setup", []):
        await after(update, context)
    return ConversationHandler.END


async def _reschedule(context: Context, user_id: int) -> None:
    """New time or zone: book the next lesson by it, never twice on one local day."""
    s = svc(context)
    sub = await s.subscribers.get(user_id)
    if sub is None or sub.status != Status.OPTED_IN or await s.due.when(user_id) is None:
        return
    tz = zone(sub.timezone)
    now = s.clock.now()
    sent_today = (
        sub.last_sent_at
        and datetime.fromtimestamp(sub.last_sent_at, tz=UTC).astimezone(tz).date()
        == now.astimezone(tz).date()
    )
    when = (
        next_day_local(now, sub.send_time, tz) if sent_today else next_local(now, sub.send_time, tz)
    )
    await s.due.schedule(user_id, when.timestamp())


async def cancel(update: Update, context: Context) -> int:
    context.user_data.pop(MODE, None)  # type: ignore[union-attr]
    await reply(update, "Okay, nothing changed. /help shows what I can do.")
    return ConversationHandler.END


def handlers() -> list[object]:
    from bot.handlers.account import forget_button, stop, stop_filter

    setup = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(opt_in, pattern=cb.pattern(cb.OPT_IN)),
            CallbackQueryHandler(rejoin, pattern=cb.pattern(cb.REJOIN)),
            CommandHandler("settime", ask_time),
            CommandHandler("timezone", ask_zone_command),
        ],
        states={
            TIME: [
                CallbackQueryHandler(time_button, pattern=cb.pattern(cb.TIME)),
                MessageHandler(filters.TEXT & ~filters.COMMAND & ~stop_filter(), time_typed),
            ],
            TYPING_TIME: [
                MessageHandler(filters.TEXT & ~filters.COMMAND & ~stop_filter(), time_typed),
                CallbackQueryHandler(time_button, pattern=cb.pattern(cb.TIME)),
            ],
            ZONE: [
                CallbackQueryHandler(zone_button, pattern=cb.pattern(cb.TZ)),
                MessageHandler(filters.TEXT & ~filters.COMMAND & ~stop_filter(), zone_typed),
            ],
            TYPING_ZONE: [
                MessageHandler(filters.TEXT & ~filters.COMMAND & ~stop_filter(), zone_typed),
                CallbackQueryHandler(zone_button, pattern=cb.pattern(cb.TZ)),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("stop", stop),
            MessageHandler(stop_filter(), stop),
            CallbackQueryHandler(stop, pattern=cb.pattern(cb.UNSUBSCRIBE)),
            CallbackQueryHandler(forget_button, pattern=cb.pattern(cb.FORGET)),
        ],
        name="setup",
        persistent=True,
        allow_reentry=True,
    )
    return [
        CommandHandler("start", start),
        CallbackQueryHandler(not_now, pattern=cb.pattern(cb.NOT_NOW)),
        setup,
    ]


__all__ = ["first_due", "handlers"]
