"""Any message, in any context, that discloses danger gets care and resources, not coaching.

Runs before every other handler. Only an anonymous counter is kept: no text, no user id.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot import callbacks as cb
from bot.coach.safety import SafetyResources, screen
from bot.handlers.common import Context, reply
from bot.services import svc

log = logging.getLogger(__name__)


async def check(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    hit = screen(message.text)
    if hit is None:
        return
    s = svc(context)
    resources: SafetyResources = s.extras["safety"]
    await s.redis.hincrby(s.keys.counters("safety"), hit.category, 1)
    log.info("safety reply sent (category=%s)", hit.category)
    markup = Markup(
        [
            [Button("⏸ Pause lessons for a week", callback_data=cb.data(cb.PAUSE, "7d"))],
            [Button("⏸ Pause until I resume", callback_data=cb.data(cb.PAUSE, "open"))],
        ]
    )
    await reply(update, escape(resources.render(hit.category)), markup)
    raise ApplicationHandlerStop


def handler() -> MessageHandler:
    return MessageHandler(filters.TEXT & ~filters.COMMAND, check)
