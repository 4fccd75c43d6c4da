"""Couple mode: invite a partner with a single-use deep link; each keeps their own consent,
time and zone; practice is noticed (never its text unless shared); either can end it."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot import render
from bot.course.subscriber import Status, Subscriber
from bot.course.tools import TOOL_ORDER, Tool
from bot.handlers.common import Context, answer, edit_or_send, forget_cached, reply, subscriber
from bot.services import svc
from scheduler.timing import local_date, zone

log = logging.getLogger(__name__)

PAIR = "pair"
PENDING = "pending_pair"  # user_data: an invite accepted before the person finished joining


def active(sub: Subscriber | None) -> bool:
    return sub is not None and sub.status in (Status.OPTED_IN, Status.PAUSED)


async def invite(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if not active(sub):
        await reply(update, "Join the course first (/start), then invite your partner.")
        return
    assert sub is not None
    if sub.partner:
        await reply(update, "You're already paired. /partner shows it, /unpair ends it.")
        return
    s = svc(context)
    token = await s.pairs.new_invite(sub.user_id)
    link = f"https://t.me/{context.bot.username}?start=pair_{token}"
    await reply(
        update,
        "💞 Send this link to your partner. It works once and for 7 days:\n"
        f"{escape(link)}\n\n"
        "They'll see who invited them and choose for themselves. Pairing shares only that "
        "you practised a tool and how far you are, never what you write, unless you press "
        "“share with my partner” on a reply.",
    )


async def open_invite(update: Update, context: Context, token: str) -> None:
    """/start pair_<token>: show who invites and what pairing shares; they decide."""
    s = svc(context)
    user = update.effective_user
    assert user is not None
    inviter_id = await s.pairs.peek(token)
    inviter = await s.subscribers.get(inviter_id) if inviter_id else None
    if inviter_id is None or not active(inviter):
        await reply(
            update,
            "This invite link isn't valid any more: it may have expired, been used already, or "
            "been mistyped. Ask your partner for a new one (/invite). /start tells you about "
            "the course.",
        )
        return
    assert inviter is not None
    if inviter_id == user.id:
        await reply(update, "That's your own invite link: send it to your partner. 🙂")
        return
    name = escape(inviter.first_name or "Your partner")
    await reply(
        update,
        f"💞 <b>{name}</b> invited you to do this course together.\n\n"
        "It's a 7-day course in emotional intimacy: one short lesson a day at your own time.\n"
        "<b>Pairing shares:</b> that each of you practised a tool, and how far you both are. "
        "What you write stays private unless you press “share with my partner” on a reply.\n\n"
        "You decide for yourself. Would you like to pair up?",
        Markup(
            [
                [Button("💞 Yes, pair us", callback_data=cb.data(PAIR, f"yes:{token}"))],
                [Button("Not now", callback_data=cb.data(PAIR, "no"))],
            ]
        ),
    )


async def on_button(update: Update, context: Context) -> None:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    user = update.effective_user
    if user is None:
        return
    if not arg.startswith("yes:"):
        await edit_or_send(update, "No problem. Nothing was shared.")
        return
    token = arg[4:]
    s = svc(context)
    sub = await s.subscribers.get(user.id)
    if not active(sub):
        # Their own consent first: the normal welcome, then pairing once they have joined.
        if await s.pairs.peek(token) is None:
            await edit_or_send(update, "This invite link isn't valid any more. Ask for a new one.")
            return
        context.user_data[PENDING] = token  # type: ignore[index]
        await edit_or_send(update, render.welcome(user.first_name), render.welcome_keyboard())
        return
    await complete(update, context, token)


async def after_setup(update: Update, context: Context) -> None:
    token = context.user_data.pop(PENDING, None)  # type: ignore[union-attr]
    if token:
        await complete(update, context, token)


async def complete(update: Update, context: Context, token: str) -> None:
    s = svc(context)
    user = update.effective_user
    assert user is not None
    me = await s.subscribers.get(user.id)
    inviter_id = await s.pairs.redeem(token)
    inviter = await s.subscribers.get(inviter_id) if inviter_id else None
    if inviter_id is None or not active(inviter) or inviter_id == user.id:
        await reply(
            update, "This invite link isn't valid any more. Ask your partner for a new one."
        )
        return
    assert inviter is not None and me is not None
    if me.partner or inviter.partner:
        await reply(update, "One of you is already paired. /unpair ends a pairing first.")
        return
    await s.subscribers.update(user.id, partner=inviter_id)
    await s.subscribers.update(inviter_id, partner=user.id)
    forget_cached()
    await reply(
        update,
        f"💞 You're paired with {escape(inviter.first_name or 'your partner')}. "
        "/partner shows you both.",
    )
    await tell(
        context,
        inviter_id,
        f"💞 {escape(me.first_name or 'Your partner')} accepted your "
        "invite. You're paired now: /partner shows you both.",
    )


async def tell(context: Context, user_id: int, text: str) -> None:
    s = svc(context)
    await s.sender.deliver(
        lambda: context.bot.send_message(
            user_id,
            text,
            rate_limit_args={"priority": "interactive"},  # type: ignore[arg-type]
        )
    )


def progress_of(sub: Subscriber) -> str:
    tools = [t.label for t in TOOL_ORDER if t.value in sub.practised]
    practised = ", ".join(tools) if tools else "no tools practised yet"
    return f"{render.progress_line(sub)}; {practised}"


async def partner(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if not active(sub) or sub is None or not sub.partner:
        await reply(update, "You're not paired. /invite gives you a link for your partner.")
        return
    other = await svc(context).subscribers.get(sub.partner)
    if other is None:
        await reply(update, "You're not paired any more.")
        return
    await reply(
        update,
        "<b>💞 You two</b>\n"
        f"You: {escape(progress_of(sub))}\n"
        f"{escape(other.first_name or 'Your partner')}: {escape(progress_of(other))}\n\n"
        "/unpair ends the pairing for both of you.",
    )


async def unpair(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None or not sub.partner:
        await reply(update, "You're not paired.")
        return
    await end_pairing(context, sub, "ended the pairing")
    await reply(update, "The pairing has ended for both of you. Your own course carries on.")


async def end_pairing(context: Context, sub: Subscriber, why: str) -> None:
    """Unpair both sides at once and tell the other person kindly."""
    s = svc(context)
    other_id = sub.partner
    if not other_id:
        return
    if await s.subscribers.get(sub.user_id) is not None:
        await s.subscribers.update(sub.user_id, partner=0)
    other = await s.subscribers.get(other_id)
    if other is not None and other.partner == sub.user_id:
        await s.subscribers.update(other_id, partner=0)
        name = escape(sub.first_name or "Your partner")
        await tell(
            context,
            other_id,
            f"💛 {name} {why}, so you're no longer paired. Your own lessons carry on as before.",
        )
    forget_cached()


async def on_practice(context: Context, sub: Subscriber, tool: str, good: bool) -> None:
    """Tell the partner once a day per tool that this person practised (never what)."""
    if not sub.partner:
        return
    s = svc(context)
    other = await s.subscribers.get(sub.partner)
    if other is None or other.status != Status.OPTED_IN or other.partner != sub.user_id:
        return
    day = local_date(s.clock.now(), zone(other.timezone)).isoformat()
    if await s.pairs.first_note_today(other.user_id, tool, day):
        name = escape(sub.first_name or "Your partner")
        await tell(context, other.user_id, f"💞 {name} practised {Tool(tool).label} today.")


async def share(update: Update, context: Context) -> None:
    await answer(update)
    user = update.effective_user
    s = svc(context)
    sub = await s.subscribers.get(user.id) if user else None
    if sub is None or not sub.partner:
        await reply(update, "You're not paired, so there's nobody to share with. /invite")
        return
    text = await s.pairs.take_shared(sub.user_id)
    if text is None:
        await reply(update, "That reply isn't kept any more, so it can't be shared.")
        return
    name = escape(sub.first_name or "Your partner")
    await tell(
        context,
        sub.partner,
        f"💌 {name} shared a practice sentence with you:\n<i>{escape(text)}</i>",
    )
    await reply(update, "Shared with your partner. 💌")


def handlers() -> list[object]:
    return [
        CommandHandler("invite", invite),
        CommandHandler("partner", partner),
        CommandHandler("unpair", unpair),
        CallbackQueryHandler(on_button, pattern=cb.pattern(PAIR)),
        CallbackQueryHandler(share, pattern=r"^practice:share$"),
    ]
