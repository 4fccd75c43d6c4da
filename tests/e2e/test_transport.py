"""A real PTB Bot on AiohttpRequest against the local Bot API: the transport's whole contract."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.sandbox.botapi import LocalBotApi
from bot.store.keys import Keys
from bot.transport import AiohttpRequest
from scheduler.ratelimit import RedisRateLimiter

USER = 4242


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    server = LocalBotApi(port=0, hang_seconds=5.0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_bot(api: LocalBotApi, **request_kwargs: float) -> Bot:
    return Bot(
        api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        request=AiohttpRequest(connection_pool_size=8, **request_kwargs),  # type: ignore[arg-type]
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    b = make_bot(api)
    async with b:  # initialize() calls getMe through the transport
        yield b


async def test_get_me(bot: Bot, api: LocalBotApi) -> None:
    assert bot.username == api.username
    me = await bot.get_me()
    assert me.id == api.me["id"]


async def test_send_message_with_reply_markup(bot: Bot, api: LocalBotApi) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="y"),
                InlineKeyboardButton("No", callback_data="n"),
            ]
        ]
    )
    msg = await bot.send_message(
        USER, "Ready? <b>Ünïcode</b> & more", parse_mode="HTML", reply_markup=markup
    )
    sent = api.last(USER)
    assert msg.message_id == sent.message_id
    assert sent.plain == "Ready? Ünïcode & more"
    assert [b.callback_data for b in sent.buttons[0]] == ["y", "n"]
    assert msg.reply_markup == markup


async def test_upload_bytes_and_file_handle_then_download(
    bot: Bot, api: LocalBotApi, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 1000
    await bot.send_document(USER, InputFile(data, filename="cards.pdf"), caption="Your cards")
    doc = api.last(USER).document
    assert doc is not None and doc.data == data and doc.filename == "cards.pdf"
    assert api.last(USER).text == "Your cards"

    path = tmp_path / "notes.txt"
    path.write_bytes("понятно\n".encode() * 100)
    with path.open("rb") as fh:
        msg = await bot.send_document(USER, fh)
    doc = api.last(USER).document
    assert doc is not None and doc.data == path.read_bytes() and doc.filename == "notes.txt"

    # GET through retrieve(): the file comes back byte for byte
    assert msg.document is not None
    tg_file = await bot.get_file(msg.document.file_id)
    out = io.BytesIO()
    await tg_file.download_to_memory(out)
    assert out.getvalue() == path.read_bytes()


async def test_get_updates_long_poll(bot: Bot, api: LocalBotApi) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0)  # let the poll reach the server first: it must wake on the update
    await api.send_text(USER, "hello")
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()


async def test_error_mapping(bot: Bot, api: LocalBotApi) -> None:
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await bot.send_message(USER, "x")
    assert retry.value._retry_after.total_seconds() == 7

    await api.block(USER)
    with pytest.raises(Forbidden):
        await bot.send_message(USER, "x")
    await api.unblock(USER)

    api.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await bot.send_message(USER, "x")

    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(USER, "<b>broken", parse_mode="HTML")

    assert (await bot.send_message(USER, "fine")).text == "fine"


async def test_slow_answer_times_out(api: LocalBotApi) -> None:
    api.set_latency(2.0, "sendMessage")
    async with make_bot(api, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "x")
        with pytest.raises(TimedOut):  # a per-call read_timeout wins over the default too
            await bot.send_message(USER, "x", read_timeout=0.1)
        api.set_latency(0, "sendMessage")
        assert (await bot.send_message(USER, "back")).text == "back"


async def test_full_pool_times_out_without_sending(api: LocalBotApi) -> None:
    api.set_timeout_next("sendMessage")  # the first send never gets an answer
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.05, read_timeout=0.3)
    async with Bot(api.token, base_url=api.base_url, request=request) as bot:
        hanging = asyncio.create_task(bot.send_message(USER, "one"))
        await asyncio.sleep(0.05)  # let it take the only connection
        with pytest.raises(TimedOut, match="Pool timeout"):
            await bot.send_message(USER, "two")
        with pytest.raises(TimedOut):
            await hanging
    assert api.count("sendMessage") == 1


async def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError) as exc:
        await bot.initialize()
    assert not isinstance(exc.value, TimedOut)
    await bot.shutdown()


async def test_lifecycle(api: LocalBotApi) -> None:
    request = AiohttpRequest()
    # PTB wraps the RuntimeError, exactly as it does for an uninitialized HTTPXRequest
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{api.base_url}{api.token}/getMe")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # a second shutdown is a no-op, as in HTTPXRequest
    await request.initialize()  # and a shut-down transport can be started again
    result = await request.post(f"{api.base_url}{api.token}/getMe")
    assert isinstance(result, dict) and result["username"] == api.username
    await request.shutdown()


async def test_application_polls_and_replies_through_the_limiter(
    api: LocalBotApi, redis: Redis
) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    api.strict(global_rate=30, per_chat_rate=1)
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .request(AiohttpRequest(connection_pool_size=8))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .rate_limiter(RedisRateLimiter(redis, Keys("e2e"), global_rate=30))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            for word in ("one", "two"):
                await api.send_text(USER, word)
            await api.wait_for_count(USER, 2, timeout=5)
        finally:
            await app.updater.stop()
            await app.stop()
    assert [m.text for m in api.sent(USER)] == ["echo: one", "echo: two"]
    assert api.n_429 == 0  # the second reply waited out the chat's 1 s
