"""The last line of defence: log the failure (never the message text), apologise briefly."""

from __future__ import annotations

import logging
from contextvars import ContextVar

from redis.exceptions import RedisError
from telegram import Update
from telegram.error import TelegramError

from bot.handlers.common import Context

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. Please try again in a minute."
STORE_DOWN = "I can't reach my memory right now. Please try again in a minute. 🙏"


# What happened to the update being handled, for the structured access log.
OUTCOME: ContextVar[str] = ContextVar("outcome", default="ok")


async def on_error(update: object, context: Context) -> None:
    error = context.error
    OUTCOME.set("redis_down" if isinstance(error, RedisError) else "error")
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, RedisError):
        log.warning(
            "redis unavailable while handling update %s: %s", update_id, type(error).__name__
        )
        text = STORE_DOWN
    else:
        log.error("error while handling update %s", update_id, exc_info=error)
        text = SORRY
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(text)
    except TelegramError:
        log.warning("could not tell the user about the error")
