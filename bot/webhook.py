"""Webhook mode: a small aiohttp server in front of PTB.

- POST /<path>: checks X-Telegram-Bot-Api-Secret-Token (403 otherwise), drops an update_id
  seen in the last day (Telegram retries, or another replica got it), queues the update and
  answers at once; PTB processes it from its queue.
- GET /healthz: 200 when Redis answers and this process's scheduler ticked recently, else 503.
- GET /metrics: Prometheus text (bot/metrics.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError
from telegram import Update

from bot import eventloop
from bot import metrics as metrics_mod
from bot.app import PROCESS_ID, BotApplication
from bot.metrics import Metrics

log = logging.getLogger(__name__)

SEEN_FOR = 24 * 3600
SHUTDOWN_GRACE = 8.0  # SIGTERM to exit well inside Kubernetes' default 30 s (and our 10 s)


def make_web_app(app: BotApplication, *, path: str, secret: str | None) -> web.Application:
    services = app.services
    metrics: Metrics = services.extras.setdefault("metrics", Metrics())
    started = time.time()

    async def receive(request: web.Request) -> web.Response:
        if secret is not None and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            metrics.rejected += 1
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = await request.json()
            update_id = int(data["update_id"])
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return web.Response(status=400, text="not an update")
        try:
            fresh = await services.redis.set(
                services.keys.update_seen(update_id), "1", nx=True, ex=SEEN_FOR
            )
        except RedisError:
            fresh = True  # better a rare repeat than a lost message while Redis is away
        if not fresh:
            metrics.duplicates += 1
            return web.Response(text="ok")
        update = Update.de_json(data, app.bot)
        await app.update_queue.put(update)
        return web.Response(text="ok")

    async def healthz(_: web.Request) -> web.Response:
        checks: dict[str, str] = {}
        ok = True
        try:
            await services.redis.ping()
            checks["redis"] = "ok"
            beat = await services.redis.hget(services.keys.heartbeat(), PROCESS_ID)
            limit = 3 * services.settings.TICK_SECONDS + 10
            last = float(beat) if beat else started
            fresh = time.time() - last < limit
            checks["scheduler"] = "ok" if fresh else f"no tick for {time.time() - last:.0f}s"
            ok = fresh
        except (RedisError, OSError) as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
            ok = False
        return web.json_response(checks, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        try:
            body = await metrics_mod.render(services)
        except (RedisError, OSError):
            return web.Response(status=503, text="redis unreachable\n")
        return web.Response(text=body, content_type="text/plain", charset="utf-8")

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(f"/{path.strip('/')}", receive)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_page)
    return web_app


async def serve_webhook(
    app: BotApplication,
    *,
    url: str,
    listen: str,
    port: int,
    secret: str | None,
    register: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop`): stop taking updates, finish queued ones, exit."""
    from urllib.parse import urlparse

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not available off the main thread (tests drive `stop` themselves).
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    path = urlparse(url).path or "/"
    web_app = make_web_app(app, path=path, secret=secret)
    runner = web.AppRunner(web_app, handle_signals=False)
    async with app:
        await app.start()
        eventloop.freeze_heap()
        if register:
            await app.bot.set_webhook(
                url, secret_token=secret, allowed_updates=Update.ALL_TYPES, max_connections=40
            )
        await runner.setup()
        site = web.TCPSite(runner, listen, port)
        await site.start()
        log.info("webhook server listening on %s:%d", listen, port)
        try:
            await stop.wait()
        finally:
            log.info("shutting down: no new updates, finishing queued ones")
            await runner.cleanup()  # stop taking updates first
            try:
                await asyncio.wait_for(app.stop(), SHUTDOWN_GRACE)
            except TimeoutError:
                log.warning("in-flight work did not finish within %.0fs", SHUTDOWN_GRACE)
