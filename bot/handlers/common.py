"""Shared handler plumbing: who is writing, their record, and safe replies."""

from __future__ import annotations

import json
import logging
import warnings
from contextvars import ContextVar

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes
from telegram.warnings import PTBUserWarning

from bot import replica_state
from bot.course.subscriber import Subscriber
from bot.services import svc

log = logging.getLogger(__name__)
# reply() calls sendMessage through do_api_request on purpose (see there); PTB warns once per
# call site that the typed method exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)

Context = ContextTypes.DEFAULT_TYPE

# The record read by `touch` for the update being handled: handlers of later groups run in the
# same task, so they reuse it instead of another Redis round trip.
_touched: ContextVar[tuple[int, Subscriber | None, dict[str, str]] | None] = ContextVar(
    "touched", default=None
)


async def private_only(update: Update, context: Context) -> None:
    """First of all: the course happens in private chats. Group and channel traffic, edits of
    old messages, and updates without a chat are dropped here, so they can neither stall the
    private chats (a group reply waits 3 s for its slot) nor act on someone's account."""
    if update.my_chat_member is not None:
        return  # blocking the bot, handled by account.member_changed
    if update.edited_message is not None or update.edited_channel_post is not None:
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        raise ApplicationHandlerStop


async def touch(update: Update, context: Context) -> None:
    """Group -1: note that the person was here (re-arms the silence nudge)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    s = svc(context)
    # The same round trip brings this person's conversation steps and user_data as other
    # replicas left them (bot/replica_state.py).
    shared, appliers = replica_state.reads(context.application, update, s.keys, user.id)
    sub, practice, values = await s.subscribers.touch(
        user.id, s.clock.time(), also=s.keys.practice(user.id), shared=shared
    )
    for apply, value in zip(appliers, values, strict=True):
        apply(value)
    _touched.set((update.update_id, sub, practice))


def touched_hash(update: Update) -> dict[str, str] | None:
    """The extra hash `touch` read for this update (None: not read, ask Redis)."""
    cached = _touched.get()
    return cached[2] if cached is not None and cached[0] == update.update_id else None


async def subscriber(update: Update, context: Context) -> Subscriber | None:
    cached = _touched.get()
    if cached is not None and cached[0] == update.update_id:
        return cached[1]
    user = update.effective_user
    return await svc(context).subscribers.get(user.id) if user else None


def forget_cached() -> None:
    """After a handler changed the record, later reads must go to Redis."""
    _touched.set(None)


def frozen(markup: InlineKeyboardMarkup) -> str:
    """A keyboard serialized once, for one sent on every reply (Telegram takes the JSON text)."""
    return json.dumps(markup.to_dict(), separators=(",", ":"))


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | str | None = None
) -> None:
    """Answer in the chat the update came from (message or button press); ``markup`` may be
    a keyboard or its JSON from ``frozen``."""
    chat = update.effective_chat
    if chat is None:
        return
    # Nobody reads the sent Message back: skipping its parsing is ~15% of an update's CPU.
    api: dict[str, object] = {
        "chat_id": chat.id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if markup is not None:
        api["reply_markup"] = markup
    await update.get_bot().do_api_request("sendMessage", api_kwargs=api)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Acknowledge a button press so the phone stops its spinner."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text, show_alert=alert)
        except BadRequest as exc:  # "query is too old": the press itself still counts
            log.debug("callback answer refused: %s", exc.message)


async def edit_or_send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the pressed message when there is one, else send a new one."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest:  # an old or deleted message: a new one does the job
            log.debug("edit failed; sending a new message")
    await reply(update, text, markup)


BUSY_FOR = 10 * 60  # an open quiz or practice holds the next lesson back this long after a tap


async def mark_busy(context: Context, user_id: int) -> None:
    s = svc(context)
    await s.subscribers.update(user_id, busy_until=s.clock.time() + BUSY_FOR)


async def release_busy(context: Context, user_id: int) -> None:
    """The quiz or practice ended: a lesson that waited for it goes out on the next tick."""
    s = svc(context)
    sub = await s.subscribers.get(user_id)
    if sub is None:
        return
    await s.subscribers.update(user_id, busy_until=0.0, deferred_since=0.0)
    if sub.deferred_since:
        await s.due.sooner(user_id, s.clock.time())
