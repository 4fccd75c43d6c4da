"""/cheatsheet: the six tools on one PDF page, for subscribers to keep."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InputFile, Message, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ExtBot

from bot.cheatsheet import FILENAME, CheatSheetCache, CheatSheetError
from bot.course.subscriber import Status
from bot.handlers.common import Context, reply, subscriber
from bot.services import svc

log = logging.getLogger(__name__)

CAPTION = "Your six tools on one page. Save it, print it, or keep it on your phone. 💛"
NOT_JOINED = "The cheat sheet comes with the course. Send /start to join, and it's yours."
UNAVAILABLE = "Sorry, the cheat sheet isn't available right now. /lessons has every tool in full."
# Course material: for people in the course, including those taking a break.
ALLOWED = (Status.OPTED_IN, Status.PAUSED)


async def cheatsheet(update: Update, context: Context) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    sub = await subscriber(update, context)
    if sub is None or sub.status not in ALLOWED:
        await reply(update, NOT_JOINED)
        return
    s = svc(context)
    content = s.content()
    cache: CheatSheetCache = s.extras.setdefault("cheatsheet", CheatSheetCache())
    bot: ExtBot[Any] = context.bot  # the app's limiter takes rate_limit_args (see bot/app.py)

    async def send(document: str | InputFile) -> Message:
        return await bot.send_document(
            chat.id,
            document,
            caption=CAPTION,
            rate_limit_args={"priority": "interactive"},
        )

    known = cache.file_id(content)
    if known is not None:
        try:
            await send(known)
            return
        except BadRequest as exc:
            if "file" not in exc.message.lower():
                raise  # not about the upload (e.g. the chat is gone): the error handler's job
            # Telegram no longer knows that upload (or the bot token changed): upload again.
            log.info("cached cheat sheet file_id refused (%s); uploading again", exc.message)
            cache.remember_file_id(content, None)
    try:
        # Rendering takes ~0.1 s of CPU, once per content version: keep it off the event loop.
        pdf = await asyncio.to_thread(cache.get, content)
    except CheatSheetError:
        # The content check renders it too, so this means unchecked content went live.
        log.exception("cheat sheet cannot be rendered for content %s", content.version)
        await reply(update, UNAVAILABLE)
        return
    sent = await send(InputFile(pdf, filename=FILENAME))
    if sent.document is not None:
        cache.remember_file_id(content, sent.document.file_id)


def handlers() -> list[object]:
    return [CommandHandler("cheatsheet", cheatsheet)]
