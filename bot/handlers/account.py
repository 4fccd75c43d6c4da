"""The subscriber's controls over their membership: stop, pause, resume, forget, help."""

from __future__ import annotations

import logging
import re

from telegram import ChatMemberUpdated, Update
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram.constants import ChatMemberStatus
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot import render
from bot.course.subscriber import Status
from bot.handlers.common import Context, answer, edit_or_send, forget_cached, reply, subscriber
from bot.services import svc
from scheduler.drip import first_due

log = logging.getLogger(__name__)

PAUSES = {"1d": ("1 day", 86400.0), "3d": ("3 days", 3 * 86400.0), "7d": ("a week", 7 * 86400.0)}
_STOP = re.compile(r"^\s*stop\s*[.!]*\s*$", re.IGNORECASE)


def stop_filter() -> filters.BaseFilter:
    return filters.Regex(_STOP)


async def stop(update: Update, context: Context) -> int:
    """/stop, the word STOP, or the button: unsubscribe at once, no questions asked."""
    await answer(update)
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await reply(update, "You're not subscribed, so nothing will arrive. /start to join.")
        return ConversationHandler.END
    if sub.partner:
        from bot.handlers.couple import end_pairing

        await end_pairing(context, sub, "left the course")
    await s.subscribers.update(user.id, status=Status.UNSUBSCRIBED, updated_at=s.clock.time())
    await s.due.cancel(user.id)
    await s.idle.cancel(user.id)
    forget_cached()
    log.info("subscriber unsubscribed")
    await reply(
        update,
        "You're unsubscribed. No more lessons will come. 💛\n\n"
        "/start brings you back any time, and /forget erases everything I store about you.",
    )
    return ConversationHandler.END


async def pause(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None or sub.status not in (Status.OPTED_IN, Status.PAUSED):
        await reply(update, "You're not subscribed right now. /start to join.")
        return
    rows = [
        [Button(label, callback_data=cb.data(cb.PAUSE, key))] for key, (label, _) in PAUSES.items()
    ]
    rows.append([Button("Until I resume", callback_data=cb.data(cb.PAUSE, "open"))])
    await reply(update, "How long would you like a break?", Markup(rows))


async def pause_button(update: Update, context: Context) -> None:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    user = update.effective_user
    s = svc(context)
    sub = await s.subscribers.get(user.id) if user else None
    if user is None or sub is None or sub.status not in (Status.OPTED_IN, Status.PAUSED):
        await edit_or_send(update, "You're not subscribed right now. /start to join.")
        return
    if arg not in PAUSES and arg != "open":
        await edit_or_send(update, "That button has expired. Send /pause to choose again.")
        return
    now = s.clock.time()
    if arg == "open":
        await s.subscribers.update(user.id, status=Status.PAUSED, paused_until=0.0, updated_at=now)
        await s.due.cancel(user.id)
        text = "Lessons are paused until you send /resume. Take care. 💛"
    else:
        label, seconds = PAUSES[arg]
        until = now + seconds
        await s.subscribers.update(
            user.id, status=Status.PAUSED, paused_until=until, updated_at=now
        )
        await s.due.schedule(user.id, first_due(until, sub.send_time, sub.timezone))
        text = f"Lessons are paused for {label}. /resume brings them back sooner."
    await s.idle.cancel(user.id)
    forget_cached()
    await edit_or_send(update, text)


async def resume(update: Update, context: Context) -> None:
    user = update.effective_user
    sub = await subscriber(update, context)
    if user is None or sub is None or sub.status in (Status.UNSUBSCRIBED, Status.BLOCKED):
        await reply(update, "You're not subscribed right now. /start to join.")
        return
    if sub.status == Status.OPTED_IN:
        await reply(update, "Your lessons are already running. /today shows today's.")
        return
    s = svc(context)
    now = s.clock.time()
    await s.subscribers.update(user.id, status=Status.OPTED_IN, paused_until=0.0, updated_at=now)
    await s.due.schedule(user.id, first_due(now, sub.send_time, sub.timezone))
    forget_cached()
    await reply(update, f"Welcome back! Your next lesson comes at {sub.send_time}.")


async def forget(update: Update, context: Context) -> None:
    markup = Markup(
        [
            [Button("🗑 Yes, erase everything", callback_data=cb.data(cb.FORGET, "yes"))],
            [Button("No, keep it", callback_data=cb.data(cb.FORGET, "no"))],
        ]
    )
    await reply(
        update,
        "This erases everything I store about you: your subscription, progress, quiz results "
        "and practice. It can't be undone. Are you sure?",
        markup,
    )


async def forget_button(update: Update, context: Context) -> int:
    """Also a fallback of the set-up conversation, so erasing ends any open step."""
    await answer(update)
    user = update.effective_user
    if user is None:
        return ConversationHandler.END
    if cb.arg_of(update.callback_query.data if update.callback_query else "") != "yes":
        await edit_or_send(update, "Okay, nothing was erased.")
        return ConversationHandler.END
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if sub is not None and sub.partner:
        from bot.handlers.couple import end_pairing

        await end_pairing(context, sub, "left the course")
    for hook in s.extras.get("forget_hooks", []):
        await hook(user.id)
    await s.subscribers.forget(user.id)
    context.application.drop_user_data(user.id)
    forget_cached()
    log.info("subscriber erased their data")
    await edit_or_send(
        update,
        "Done. Everything I stored about you is erased. /start if you ever want to come back.",
    )
    return ConversationHandler.END


async def help_command(update: Update, context: Context) -> None:
    await reply(update, render.HELP)


async def member_changed(update: Update, context: Context) -> None:
    """Blocking the bot shows up as a kick: stop sending until they /start again."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        s = svc(context)
        user_id = change.chat.id
        sub = await s.subscribers.get(user_id)
        if sub is not None and sub.status != Status.UNSUBSCRIBED:
            await s.subscribers.update(user_id, status=Status.BLOCKED, updated_at=s.clock.time())
        await s.due.cancel(user_id)
        await s.idle.cancel(user_id)


def handlers() -> list[object]:
    return [
        CommandHandler("stop", stop),
        MessageHandler(stop_filter(), stop),
        CallbackQueryHandler(stop, pattern=cb.pattern(cb.UNSUBSCRIBE)),
        CommandHandler("pause", pause),
        CallbackQueryHandler(pause_button, pattern=cb.pattern(cb.PAUSE)),
        CommandHandler("resume", resume),
        CommandHandler("forget", forget),
        CallbackQueryHandler(forget_button, pattern=cb.pattern(cb.FORGET)),
        CommandHandler("help", help_command),
        ChatMemberHandler(member_changed, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
