"""The sandbox terminal chat, driven by StringIO input against a tiny real PTB bot."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox.botapi import Button, LocalBotApi, SentFile, SentMessage
from bot.sandbox.terminal import format_size, render_html, render_message, run_terminal_chat

USER = 77


class TtyIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def tiny_bot(api: LocalBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html(
            "Welcome, <b>Alex</b> &amp; co. <a href='https://x.org/guide'>Read</a>",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("Yes, sign me up", callback_data="yes"),
                  InlineKeyboardButton("Not now", callback_data="no")],
                 [InlineKeyboardButton("Website", url="https://x.org")]]
            ),
        )  # fmt: skip

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Great!")
        await query.edit_message_text("You're <i>in</i>", parse_mode="HTML")
        await context.bot.send_document(USER, b"x" * 12 * 1024, filename="workbook.pdf")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo: {update.message.text}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        app = tiny_bot(server)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield server
            finally:
                await app.updater.stop()
                await app.stop()


async def chat(api: LocalBotApi, lines: str, out: io.StringIO | None = None) -> str:
    out = out if out is not None else io.StringIO()
    await run_terminal_chat(
        api, user_id=USER, first_name="Alex", language_code="en",
        inp=io.StringIO(lines), out=out, reply_timeout=5.0, settle=0.2,
    )  # fmt: skip
    return out.getvalue()


async def test_a_whole_conversation(api: LocalBotApi) -> None:
    text = await chat(api, "/start\n3\n1\nhello\n/quit\nnever sent\n")
    assert "Type a number to press" in text  # the banner
    assert "bot > Welcome, Alex & co. Read (https://x.org/guide)" in text
    assert "[1] Yes, sign me up  [2] Not now" in text
    assert "[3] Website (https://x.org)" in text
    assert "(button 3 opens https://x.org)" in text
    assert "you pressed [Yes, sign me up]" in text
    assert "bot (i) > Great!" in text
    assert "bot (edited) > You're in" in text
    assert "[file: workbook.pdf, 12 KB]" in text
    assert "bot > echo: hello" in text
    assert "never sent" not in text and text.rstrip().endswith("bye")
    assert "\x1b[" not in text  # not a tty: no ANSI codes
    assert [m.plain for m in api.sent(USER)][-1] == "echo: hello"


async def test_numbers_without_buttons_are_text_and_eof_exits(api: LocalBotApi) -> None:
    text = await chat(api, "42\n")  # EOF without /quit
    assert "bot > echo: 42" in text and text.rstrip().endswith("bye")


async def test_out_of_range_button(api: LocalBotApi) -> None:
    text = await chat(api, "/start\n9\n")
    assert "(no button 9; the latest message has buttons 1-3)" in text
    assert len(api.sent(USER)) == 1


async def test_tty_output_uses_ansi(api: LocalBotApi) -> None:
    text = await chat(api, "/start\n", out=TtyIO())
    assert "\x1b[1mAlex\x1b[0m" in text


def test_render_html() -> None:
    assert render_html("<b>bold</b> <i>it</i> &lt;3 &quot;q&quot;") == 'bold it <3 "q"'
    assert render_html("<b>a <i>b</i> c</b>", ansi=True) == (
        "\x1b[1ma \x1b[3mb\x1b[0m\x1b[1m c\x1b[0m"
    )
    assert render_html('<a href="https://x.org">https://x.org</a>') == "https://x.org"
    assert render_html('<a href="https://x.org">site</a>') == "site (https://x.org)"
    assert render_html("<pre>x = 1\ny &lt; 2</pre> <code>a&amp;b</code>") == ("x = 1\ny < 2 a&b")


def test_render_message_and_sizes() -> None:
    m = SentMessage(
        message_id=1, chat_id=1, kind="document", text="Day <b>1</b>\nread it",
        plain="Day 1\nread it", parse_mode="HTML",
        buttons=[[Button("Done", "d")]], keyboard=[["Yes", "No"]],
        document=SentFile("F1", "a.pdf", 3 * 1024 * 1024),
    )  # fmt: skip
    assert render_message(m).splitlines() == [
        "bot > [file: a.pdf, 3.0 MB]",
        "      Day 1",
        "      read it",
        "      [1] Done",
        "      keyboard: [Yes]  [No]",
    ]
    assert format_size(500) == "500 B" and format_size(12 * 1024) == "12 KB"
