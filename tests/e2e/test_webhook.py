"""Webhook mode: the secret is checked, Telegram's retries are handled once, updates are queued
and answered fast, /healthz and /metrics tell the truth, SIGTERM-style stop is quick."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
from redis.asyncio import Redis

from bot.app import build_application
from bot.store.connection import make_redis
from bot.webhook import serve_webhook
from scheduler.clock import ManualClock
from tests.harness import BotHarness, content
from tests.redis_server import free_port

SECRET = "s3cret-token_value"
USER = 1501


@asynccontextmanager
async def webhook_bot(redis_url: str) -> AsyncIterator[tuple[BotHarness, str, asyncio.Event]]:
    harness = BotHarness(redis_url, start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    await harness.api.start()
    redis = make_redis(redis_url)
    app = build_application(
        harness.settings(),
        clock=ManualClock(harness.clock.time()),
        redis=redis,
        content=content(),
        run_ticks=False,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(
            app, url=f"{base}/telegram", listen="127.0.0.1", port=port, secret=SECRET, stop=stop
        )
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):  # the server comes up within moments
                try:
                    async with http.get(f"{base}/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.02)
        harness.app = app
        harness.redis = redis
        yield harness, base, stop
    finally:
        stop.set()
        await asyncio.wait_for(server, 15)
        gc.unfreeze()  # serve_webhook froze the heap, as production does; the suite goes on
        harness.app = None
        await redis.aclose()
        await harness.api.stop()


def update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": USER, "type": "private", "first_name": "Sam"},
            "from": {"id": USER, "is_bot": False, "first_name": "Sam"},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_updates_arrive_by_webhook_with_the_secret(redis_url: str, redis: Redis) -> None:
    async with webhook_bot(redis_url) as (bot, base, _):
        assert bot.api.webhook.url == f"{base}/telegram"
        await bot.say(USER, "/start", "Would you like to join")


async def test_wrong_secret_is_refused_and_duplicates_are_handled_once(
    redis_url: str, redis: Redis
) -> None:
    async with webhook_bot(redis_url) as (bot, base, _), aiohttp.ClientSession() as http:
        body = update(900_001, "/help")
        async with http.post(f"{base}/telegram", json=body) as resp:
            assert resp.status == 403
        async with http.post(
            f"{base}/telegram", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        ) as resp:
            assert resp.status == 403
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for _ in range(3):  # Telegram retrying the same delivery
            async with http.post(f"{base}/telegram", json=body, headers=headers) as resp:
                assert resp.status == 200
        await bot.api.wait_for_message(USER, predicate=lambda m: "What I can do" in m.plain)
        # A later update proves the queue moved on; the retried one was answered only once.
        async with http.post(
            f"{base}/telegram", json=update(900_002, "/frobnicate"), headers=headers
        ) as resp:
            assert resp.status == 200
        await bot.api.wait_for_message(USER, predicate=lambda m: "I don't know" in m.plain)
        assert sum("What I can do" in m.plain for m in bot.api.sent(USER)) == 1
        async with http.get(f"{base}/metrics") as resp:
            text = await resp.text()
        assert "icb_updates_duplicate_total 2" in text
        assert "icb_webhook_rejected_total 2" in text
        assert 'icb_updates_total{type="message"} 2' in text
        assert "icb_due_backlog 0" in text


async def test_healthz_reports_redis_and_scheduler(redis_url: str, redis: Redis) -> None:
    async with webhook_bot(redis_url) as (_bot, base, stop), aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["redis"] == "ok"
        # Shutting down is quick: the server stops taking updates, then PTB finishes.
        started = time.monotonic()
        stop.set()
        for _ in range(500):
            try:
                async with http.get(f"{base}/healthz"):
                    pass
            except aiohttp.ClientConnectionError:
                break
            await asyncio.sleep(0.01)
        assert time.monotonic() - started < 10


async def test_metrics_keep_each_family_together(redis_url: str, redis: Redis) -> None:
    """Prometheus rejects a family whose samples are split up or come without a TYPE: with
    two broadcasts running, their "left" and "sent" samples must not interleave."""
    from bot.metrics import render
    from scheduler.broadcast import RUNNING, Broadcast

    async with BotHarness(redis_url, start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) as bot:
        store = bot.services.broadcasts
        for users in ([1, 2, 3], [4, 5]):
            b = await store.create(Broadcast(id="", html="hi", segment="active"), users)
            await store.set(b.id, status=RUNNING)
        text = await render(bot.services)
    typed: list[str] = []
    seen: list[str] = []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.append(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        name = line.split("{")[0].split()[0]
        family = next(
            (f for f in typed if name == f or name.removeprefix(f) in ("_sum", "_count")), None
        )
        assert family is not None, f"{name} has no TYPE line"
        assert family == typed[-1], f"{name} outside its family's group"
        seen.append(name)
    assert seen.count("icb_broadcast_left") == 2 and seen.count("icb_broadcast_sent") == 2
