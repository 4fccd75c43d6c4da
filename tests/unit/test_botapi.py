"""The local Bot API's own rules: HTML parsing, waits, rate windows, recording, webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox.botapi import LocalBotApi
from bot.sandbox.html import HtmlParseError, parse_html

USER = 5


class Raw:
    """A bare HTTP client, so these tests check the wire format without PTB in between."""

    def __init__(self, api: LocalBotApi, session: aiohttp.ClientSession) -> None:
        self.api = api
        self.session = session

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        url = f"{self.api.base_url}{self.api.token}/{method}"
        async with self.session.post(url, json=params) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def raw(api: LocalBotApi) -> AsyncIterator[Raw]:
    async with aiohttp.ClientSession() as session:
        yield Raw(api, session)


# ---------------------------------------------------------------- HTML


def test_html_entities_and_utf16_offsets() -> None:
    text, entities = parse_html("💞 <b>bold <i>both</i></b> &lt;&#33;&#x41;&nbsp;&amp;")
    assert text == "💞 bold both <!A&nbsp;&"
    # the emoji is two UTF-16 code units, so bold starts at 3
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
    ]


def test_html_links_pre_and_quotes() -> None:
    text, entities = parse_html(
        '<a href="https://x.org/?a=1&amp;b=2">go</a> '
        '<pre><code class="language-python">x = 1</code></pre>'
        '<blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>'
    )
    assert text == "go x = 1qs"
    assert {"type": "text_link", "offset": 0, "length": 2, "url": "https://x.org/?a=1&b=2"} in (
        entities
    )
    assert {"type": "pre", "offset": 3, "length": 5, "language": "python"} in entities
    assert {"type": "expandable_blockquote", "offset": 8, "length": 1} in entities
    assert {"type": "spoiler", "offset": 9, "length": 1} in entities


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("I <3 you", 'Unsupported start tag "3" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
    ],
)
def test_html_errors(html: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as err:
        parse_html(html)
    assert reason in str(err.value)


def test_html_fast_path() -> None:
    assert parse_html("plain > text") == ("plain > text", [])


# ---------------------------------------------------------------- wire format and waits


async def test_error_shapes(api: LocalBotApi, raw: Raw) -> None:
    status, body = await raw("sendMessage", chat_id=USER, text="<b>x", parse_mode="HTML")
    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    api.fail_next("sendMessage", status=429, retry_after=3)
    status, body = await raw("sendMessage", chat_id=USER, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 3})
    assert body["description"] == "Too Many Requests: retry after 3"
    async with raw.session.post(f"{api.base_url}WRONG:TOKEN/getMe") as resp:
        assert resp.status == 401 and (await resp.json())["description"] == "Unauthorized"
    status, body = await raw("getMe")
    assert status == 200 and body["ok"] is True and body["result"]["username"] == api.username
    assert [c.status for c in api.calls] == [400, 429, 200]


async def test_wait_for_message_times_out_with_a_transcript(api: LocalBotApi, raw: Raw) -> None:
    await raw(
        "sendMessage",
        chat_id=USER,
        text="Lesson one",
        reply_markup={"inline_keyboard": [[{"text": "Done", "callback_data": "done"}]]},
    )
    with pytest.raises(TimeoutError) as err:
        await api.wait_for_message(USER, predicate=lambda m: "two" in m.plain, timeout=0.05)
    assert "Lesson one" in str(err.value) and "buttons: Done" in str(err.value)


async def test_edits_renotify_waiters(api: LocalBotApi, raw: Raw) -> None:
    _, body = await raw("sendMessage", chat_id=USER, text="Saving…")
    waiter = asyncio.create_task(
        api.wait_for_message(USER, predicate=lambda m: m.plain == "Saved", timeout=5)
    )
    mid = body["result"]["message_id"]
    await raw("editMessageText", chat_id=USER, message_id=mid, text="Saved")
    msg = await waiter
    assert msg.edits == 1 and msg.message_id == mid


async def test_press_prefers_exact_label_on_newest_message(api: LocalBotApi, raw: Raw) -> None:
    kb = {
        "inline_keyboard": [
            [{"text": "Yes please", "callback_data": "a"}, {"text": "Yes", "callback_data": "b"}]
        ]
    }
    await raw("sendMessage", chat_id=USER, text="old", reply_markup=kb)
    _, newest = await raw("sendMessage", chat_id=USER, text="new", reply_markup=kb)
    await api.press(USER, "Yes")
    await api.press(USER, "PLEASE")
    _, body = await raw("getUpdates")
    queries = [u["callback_query"] for u in body["result"]]
    assert [q["data"] for q in queries] == ["b", "a"]
    assert {q["message"]["message_id"] for q in queries} == {newest["result"]["message_id"]}


async def test_allowed_updates_and_offsets(api: LocalBotApi, raw: Raw) -> None:
    await raw("getUpdates", allowed_updates=["callback_query"])
    await api.send_text(USER, "filtered out")
    await raw(
        "sendMessage",
        chat_id=USER,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    await api.press(USER, "A")
    _, body = await raw("getUpdates")
    assert [list(u)[1] for u in body["result"]] == ["callback_query"]
    await raw("getUpdates", allowed_updates=[])  # back to Telegram's default set
    for i in range(3):
        await api.send_text(USER, f"m{i}")
    _, body = await raw("getUpdates", offset=-2)
    assert [u["message"]["text"] for u in body["result"]] == ["m1", "m2"]
    last = body["result"][-1]["update_id"]
    _, body = await raw("getUpdates", offset=last + 1)
    assert body["result"] == [] and api.pending_updates == 0


async def test_record_false_keeps_counts_only() -> None:
    async with LocalBotApi(record=False) as api, aiohttp.ClientSession() as session:
        raw = Raw(api, session)
        for chat in (1, 1, 2):
            status, body = await raw(
                "sendMessage", chat_id=chat, text="<b>hi</b>", parse_mode="HTML"
            )
            assert status == 200 and body["result"]["text"] == "hi"
        status, _ = await raw("sendMessage", chat_id=1, text="<b>hi", parse_mode="HTML")
        assert status == 400  # HTML is still checked
        assert api.sent(1) == [] and api.calls == []
        assert api.sent_count(1) == 2 and api.sent_total == 3 and len(api.send_times) == 3
        assert api.count("sendMessage") == 4


async def test_strict_burst_and_group_limits(api: LocalBotApi, raw: Raw) -> None:
    api.strict(global_rate=None, per_chat_rate=1.0, burst=3)
    for _ in range(3):
        assert (await raw("sendMessage", chat_id=USER, text="x"))[0] == 200
    status, body = await raw("sendMessage", chat_id=USER, text="x")
    assert status == 429 and body["parameters"]["retry_after"] >= 1
    api.strict(global_rate=None, per_chat_rate=100, group_per_minute=2)
    for _ in range(2):
        assert (await raw("sendMessage", chat_id=-100123, text="x"))[0] == 200
    status, body = await raw("sendMessage", chat_id=-100123, text="x")
    assert status == 429 and body["parameters"]["retry_after"] > 30
    assert api.n_429 == 2


async def test_webhook_gives_up_after_bounded_retries(raw: Raw) -> None:
    async with LocalBotApi(webhook_max_attempts=2, webhook_retry_delay=0) as api:
        hook = Raw(api, raw.session)
        # nothing listens on port 9 (discard): every attempt fails to connect
        assert (await hook("setWebhook", url="http://127.0.0.1:9/hook"))[0] == 200
        await api.send_text(USER, "lost")
        await api.send_text(USER, "lost too")
        deliveries = await api.wait_for_webhook_deliveries(4)
        assert [(d.status, d.attempt) for d in deliveries] == [(0, 1), (0, 2), (0, 1), (0, 2)]
        _, info = await hook("getWebhookInfo")
        assert info["result"]["last_error_message"].startswith("Connection failed")
        assert info["result"]["pending_update_count"] == 0
