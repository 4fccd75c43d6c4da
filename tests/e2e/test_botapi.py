"""python-telegram-bot, unchanged, against the local Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.sandbox.botapi import LocalBotApi

USER = 1001
# RetryAfter.retry_after is an int until PTB 23 and warns about becoming a timedelta
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@contextlib.asynccontextmanager
async def polling(app: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    """Run the Application with polling and always stop it, whatever the test does."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


def build_app(api: LocalBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    return ApplicationBuilder().token(api.token).base_url(api.base_url).build()


KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes, sign me up", callback_data="enrol:yes")],
        [
            InlineKeyboardButton("Not now", callback_data="enrol:no"),
            InlineKeyboardButton("About", url="https://example.org/about"),
        ],
    ]
)


async def test_get_me(bot: Bot, api: LocalBotApi) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "intimacy_course_bot" and me.can_join_groups
    assert me.id == 123456
    assert api.count("getMe") >= 1


async def test_text_reaches_message_handler_and_reply_is_recorded(api: LocalBotApi) -> None:
    app = build_app(api)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        name = update.effective_user.first_name
        await update.effective_message.reply_html(f"<b>{name}</b> said: {update.message.text}")

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with polling(app):
        await api.send_text(USER, "hello & welcome", first_name="Dana")
        msg = await api.wait_for_message(USER)
    assert msg.plain == "Dana said: hello & welcome"
    assert msg.text == "<b>Dana</b> said: hello & welcome"
    assert msg.parse_mode == "HTML" and msg.kind == "text"
    assert api.sent_total == 1 and api.count("sendMessage") == 1


async def test_command_button_press_and_edit(api: LocalBotApi) -> None:
    app = build_app(api)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(
            f"Join? ({' '.join(context.args or [])})", reply_markup=KEYBOARD
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Saved", show_alert=False)
        await query.edit_message_text(f"You chose {query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with polling(app):
        await api.send_text(USER, "/start from_ad")
        first = await api.wait_for_message(USER)
        assert first.plain == "Join? (from_ad)"
        assert [[b.text for b in row] for row in first.buttons] == [
            ["Yes, sign me up"],
            ["Not now", "About"],
        ]
        with pytest.raises(LookupError, match=r"(?i)Yes, sign me up"):
            await api.press(USER, "Maybe later")
        await api.press(USER, "sign me")  # case-insensitive substring
        answer = await api.wait_for_callback_answer(USER)
        edited = await api.wait_for_message(USER, predicate=lambda m: m.edits > 0)
    assert answer.text == "Saved" and not answer.show_alert
    assert edited is first and edited.plain == "You chose enrol:yes"
    assert edited.buttons == []  # an edit without reply_markup drops the keyboard
    assert api.count("answerCallbackQuery") == 1
    with pytest.raises(LookupError):
        await api.press(USER, "Not now")  # no current keyboard offers it any more


async def test_retry_after_maps_to_ptb_exception(bot: Bot, api: LocalBotApi) -> None:
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(USER, "hi")
    assert _seconds(err.value.retry_after) == 7
    assert api.n_429 == 1 and api.calls[-1].status == 429
    await bot.send_message(USER, "hi")  # only the next call failed
    assert len(api.sent(USER)) == 1


async def test_fault_only_for_one_chat(bot: Bot, api: LocalBotApi) -> None:
    api.fail_next("sendMessage", status=403, chat_id=7, times=2)
    await bot.send_message(8, "fine")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(7, "nope")
    await bot.send_message(7, "fine now")


async def test_server_errors_map_to_network_error(bot: Bot, api: LocalBotApi) -> None:
    api.fail_next("sendMessage", status=500)
    api.fail_next("getChat", status=502)
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "hi")
    with pytest.raises(NetworkError):
        await bot.get_chat(USER)
    assert api.sent(USER) == []


async def test_block_gives_forbidden_and_my_chat_member(api: LocalBotApi) -> None:
    app = build_app(api)
    seen: list[tuple[str, str]] = []
    got = asyncio.Event()

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        cm = update.my_chat_member
        assert cm is not None
        seen.append((cm.old_chat_member.status, cm.new_chat_member.status))
        got.set()

    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    async with polling(app):
        await api.block(USER)
        with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
            await app.bot.send_message(USER, "lesson 2")
        await asyncio.wait_for(got.wait(), 5)
    assert seen == [("member", "kicked")]
    await api.unblock(USER)
    async with Bot(api.token, base_url=api.base_url) as bot:
        await bot.send_message(USER, "welcome back")


async def test_realistic_bad_requests(bot: Bot, api: LocalBotApi) -> None:
    with pytest.raises(BadRequest, match=r'(?i)parse entities: Unsupported start tag "br"'):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Can't find end tag"):
        await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    # the limit counts text after entity parsing
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    msg = await bot.send_message(USER, "same")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("same", chat_id=USER, message_id=msg.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("new", chat_id=USER, message_id=999)
    await bot.delete_message(USER, msg.message_id)
    assert api.sent(USER)[-1].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, msg.message_id)
    api.forget_chat(555)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(555, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            USER,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("long", callback_data="x" * 65)]]
            ),
        )
    assert len(api.sent(USER)) == 2


async def test_callback_query_answered_twice_is_too_old(bot: Bot, api: LocalBotApi) -> None:
    msg = await bot.send_message(USER, "Pick", reply_markup=KEYBOARD)
    cb_id = await api.press(USER, "Not now")
    assert api.last(USER).message_id == msg.message_id
    await bot.answer_callback_query(cb_id, text="ok", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(cb_id)
    assert api.callback_answers(USER)[0].show_alert
    forged = await api.press_data(USER, msg.message_id, "admin:delete_everything")
    updates = await bot.get_updates()
    assert [u.callback_query.data for u in updates if u.callback_query] == [
        "enrol:no",
        "admin:delete_everything",
    ]
    assert updates[-1].callback_query is not None and updates[-1].callback_query.id == forged


async def test_strict_per_chat_and_global(bot: Bot, api: LocalBotApi) -> None:
    api.strict()  # 30/s global, 1/s per chat
    await bot.send_message(USER, "one")
    with pytest.raises(RetryAfter) as err:
        await bot.send_message(USER, "two")
    assert _seconds(err.value.retry_after) >= 1
    await bot.send_message(USER + 1, "another chat is fine")
    assert api.n_429 == 1

    api.strict(global_rate=5, per_chat_rate=None)
    for chat in range(5):
        await bot.send_message(2000 + chat, "bulk")
    with pytest.raises(RetryAfter):
        await bot.send_message(2999, "one too many")
    # paid broadcasts may go up to 1000/s
    await bot.send_message(2999, "paid", allow_paid_broadcast=True)
    assert api.n_429 == 2

    api.strict(global_rate=None, per_chat_rate=None)
    for _ in range(3):
        await bot.send_message(USER, "unlimited")


async def test_webhook_posts_updates_with_secret(bot: Bot, api: LocalBotApi) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    arrived = asyncio.Condition()
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        body = await request.json()
        async with arrived:
            received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
            arrived.notify_all()
        return web.Response(text="ok")

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    runner = web.AppRunner(receiver)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == url
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        await api.send_text(USER, "via webhook")
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: len(received) == 1), 5)
        body, secret = received[0]
        assert secret == "s3cret" and api.webhook.secret == "s3cret"
        assert body["message"]["text"] == "via webhook"
        # the first attempt got 500 and was retried
        assert [d.status for d in api.webhook_deliveries] == [500, 200]
        assert (await bot.get_webhook_info()).last_error_message is not None
        assert await bot.delete_webhook()
        await api.send_text(USER, "via polling")
        updates = await bot.get_updates()
        assert updates[-1].message is not None and updates[-1].message.text == "via polling"
    finally:
        await runner.cleanup()


async def test_latency_and_timeouts(api: LocalBotApi) -> None:
    quick = HTTPXRequest(read_timeout=0.2)
    async with Bot(api.token, base_url=api.base_url, request=quick) as bot:
        api.set_latency(0.5, "sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "slow")
        api.set_latency(0.1, "sendMessage")
        started = time.monotonic()
        await bot.send_message(USER, "a bit slow")
        assert time.monotonic() - started >= 0.1
        api.set_latency(0, "sendMessage")

        api.set_timeout_next("sendMessage")
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "lost")
        api.set_timeout_next("sendMessage", apply=True)  # delivered, but the answer is lost
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "delivered")
        await bot.send_message(USER, "normal again")
    assert [m.plain for m in api.sent(USER)] == ["a bit slow", "delivered", "normal again"]


async def test_tokens_and_unknown_methods(api: LocalBotApi) -> None:
    async with Bot(api.token, base_url=api.base_url) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": USER})
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass


async def test_long_poll_wakes_on_new_update(bot: Bot, api: LocalBotApi) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=15))
    await api.wait_for_calls("getUpdates", 1)
    await api.send_text(USER, "wake up")
    updates = await asyncio.wait_for(poll, 5)
    assert updates[0].message is not None and updates[0].message.text == "wake up"
    # offset confirms
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()


async def test_second_poller_conflicts(bot: Bot, api: LocalBotApi) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=15))
    await api.wait_for_calls("getUpdates", 1)  # the first long poll is in
    async with Bot(api.token, base_url=api.base_url) as other:
        await other.get_updates()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await asyncio.wait_for(first, 5)


async def test_documents_photos_and_commands(bot: Bot, api: LocalBotApi) -> None:
    pdf = b"%PDF-1.4 " + b"x" * 12_000
    doc = await bot.send_document(
        USER, pdf, filename="workbook.pdf", caption="<i>Day 1</i>", parse_mode="HTML"
    )
    assert doc.document is not None and doc.document.file_name == "workbook.pdf"
    sent = api.last(USER)
    assert sent.kind == "document" and sent.plain == "Day 1"
    assert sent.document is not None and sent.document.size == len(pdf)
    assert sent.document.data == pdf and sent.document.filename == "workbook.pdf"
    again = await bot.send_document(USER, doc.document.file_id)
    assert again.document is not None and again.document.file_size == len(pdf)
    photo = await bot.send_photo(USER, "https://example.org/pic.jpg")
    assert photo.photo and api.last(USER).kind == "photo"
    await bot.send_chat_action(USER, "typing")
    assert api.chat_actions(USER) == ["typing"]

    await bot.set_my_commands([("start", "Begin the course"), ("today", "Today's lesson")])
    assert [c["command"] for c in api.commands] == ["start", "today"]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "today"]
    await bot.delete_my_commands()
    assert api.commands == []
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])

    chat = await bot.get_chat(USER)
    assert chat.id == USER and chat.type == "private"
    assert await bot.close() and await bot.log_out()


async def test_json_bodies_and_raw_updates(api: LocalBotApi, bot: Bot) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{api.base_url}{api.token}/sendMessage"
        async with session.post(
            url, json={"chat_id": USER, "text": "json <b>ok</b>", "parse_mode": "HTML"}
        ) as resp:
            body = await resp.json()
        assert body["ok"] and body["result"]["text"] == "json ok"
        async with session.post(f"{api.base_url}{api.token}/nope") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    await api.push_update(
        {
            "edited_message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": USER, "type": "private"},
                "text": "edit",
            }
        }
    )
    await api.send_sticker(USER)
    await api.send_voice(USER)
    await api.send_photo_from_user(USER, caption="us")
    updates = await bot.get_updates()
    assert updates[0].edited_message is not None
    assert updates[1].message is not None and updates[1].message.sticker is not None
    assert updates[2].message is not None and updates[2].message.voice is not None
    assert updates[3].message is not None and updates[3].message.caption == "us"
    voice = updates[2].message.voice
    f = await bot.get_file(voice.file_id)
    assert len(await f.download_as_bytearray()) == voice.file_size
