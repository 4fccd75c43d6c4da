"""AiohttpRequest sends what HTTPXRequest sends: compared on a tiny aiohttp echo stub.

The one intended difference: without files, ours sends the same string values as one JSON
object where httpx url-encodes them (Telegram reads both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.transport import AiohttpRequest


async def echo(request: web.Request) -> web.Response:
    """Answers with what it parsed: method, content type, form fields and files."""
    fields: dict[str, Any] = {}
    if request.body_exists and request.content_type == "application/json":
        fields = await request.json()
    elif request.body_exists:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                fields[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "data": value.file.read().hex(),
                }
            else:
                fields[key] = value
    return web.json_response(
        {
            "ok": True,
            "result": {
                "method": request.method,
                "type": request.content_type if request.body_exists else None,
                "agent": request.headers.get("User-Agent"),
                "fields": fields,
            },
        }
    )


@pytest.fixture
async def stub() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot1:x"
    finally:
        await runner.cleanup()


def request_data(with_file: bool) -> RequestData:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ok", callback_data="ok")]])
    params = [
        RequestParameter.from_input("chat_id", 42),
        RequestParameter.from_input("text", "Привет & <b>bye</b>"),
        RequestParameter.from_input("reply_markup", markup),
        RequestParameter.from_input("disable_notification", True),
    ]
    if with_file:
        params.append(
            RequestParameter.from_input(
                "document", InputFile(b"%PDF-1.4 \x00\xff", filename="c.pdf", attach=False)
            )
        )
    return RequestData(params)


async def both(url: str, data: RequestData | None) -> list[Any]:
    """What the stub saw from PTB's own HTTPXRequest and from ours, for the same request."""
    out = []
    requests: list[BaseRequest] = [HTTPXRequest(), AiohttpRequest()]
    for req in requests:
        async with req:
            out.append(await req.post(url, request_data=data))
    return out


@pytest.mark.parametrize("with_file", [False, True])
async def test_same_form_as_httpx(stub: str, with_file: bool) -> None:
    httpx_seen, aiohttp_seen = await both(f"{stub}/sendDocument", request_data(with_file))
    assert aiohttp_seen["fields"] == httpx_seen["fields"]
    if with_file:
        assert aiohttp_seen["type"] == httpx_seen["type"] == "multipart/form-data"
    else:
        assert httpx_seen["type"] == "application/x-www-form-urlencoded"
        assert aiohttp_seen["type"] == "application/json"
        assert all(isinstance(v, str) for v in aiohttp_seen["fields"].values())
    assert aiohttp_seen["agent"] == httpx_seen["agent"] == BaseRequest.USER_AGENT
    if with_file:
        assert aiohttp_seen["fields"]["document"]["filename"] == "c.pdf"
        assert aiohttp_seen["fields"]["document"]["content_type"] == "application/pdf"


async def test_no_parameters_no_body(stub: str) -> None:
    httpx_seen, aiohttp_seen = await both(f"{stub}/getMe", None)
    assert aiohttp_seen == httpx_seen


async def test_defaults_and_validation() -> None:
    assert AiohttpRequest().read_timeout == 5.0
    assert AiohttpRequest(read_timeout=None).read_timeout is None
    assert AiohttpRequest(connection_pool_size=7).connection_pool_size == 7
    with pytest.raises(ValueError):
        AiohttpRequest(connection_pool_size=0)
