"""Everything no other handler took: a short, helpful answer and nothing stored."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.handlers.common import Context, answer, reply, subscriber


async def unknown_command(update: Update, context: Context) -> None:
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0][:32] if text else "that"
    await reply(update, f"I don't know {escape(command)}. /help lists what I can do.")


async def other_text(update: Update, context: Context) -> None:
    sub = await subscriber(update, context)
    if sub is None:
        await reply(update, "Hi! I'm a 7-day course in emotional intimacy. /start tells you more.")
        return
    await reply(
        update,
        "Thanks for writing. 🙂 /today shows today's lesson, /practice lets you practise a tool, "
        "and /help lists everything.",
    )


async def non_text(update: Update, context: Context) -> None:
    await reply(update, "I can only read text messages, sorry. /help lists what I can do.")


async def stale_button(update: Update, context: Context) -> None:
    await answer(update, "That button has expired. /help shows what you can do now.")


def handlers() -> list[object]:
    return [
        MessageHandler(filters.COMMAND, unknown_command),
        MessageHandler(filters.TEXT, other_text),
        MessageHandler(
            filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, non_text
        ),
        CallbackQueryHandler(stale_button),
    ]
