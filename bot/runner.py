"""Starting the bot for real (polling or webhook) or in the local sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram import Update

from bot import eventloop
from bot.app import PROCESS_ID, BotApplication, build_application
from bot.course.loader import load_content
from bot.leader import Lease
from bot.settings import Settings
from bot.store.connection import make_redis
from bot.store.redis_process import start_redis_server
from scheduler.clock import Clock

log = logging.getLogger(__name__)

SANDBOX_USER_ID = 1001
VAR_DIR = Path("var")


async def redis_reachable(url: str) -> bool:
    client = Redis.from_url(url, socket_connect_timeout=1.0)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


def start_private_redis() -> tuple[str, subprocess.Popen[bytes]] | None:
    """For the sandbox only: a redis-server with its data under ./var/."""
    VAR_DIR.mkdir(exist_ok=True)
    try:
        return start_redis_server(str(VAR_DIR.resolve()), durable=True)
    except RuntimeError:
        return None


def run_real(settings: Settings) -> int:
    content = load_content(settings.CONTENT_DIR)
    redis = make_redis(settings.REDIS_URL, cluster=settings.REDIS_CLUSTER)
    if not eventloop.run(redis_reachable(settings.REDIS_URL), settings.EVENT_LOOP):
        print(
            f"Cannot reach Redis at {settings.REDIS_URL}. Start it or set REDIS_URL.",
            file=sys.stderr,
        )
        return 2
    app = build_application(settings, clock=Clock(), redis=redis, content=content)
    if not settings.WEBHOOK_URL:
        eventloop.run(serve_polling(app, redis), settings.EVENT_LOOP)
        return 0
    from bot.webhook import serve_webhook

    eventloop.run(
        serve_webhook(
            app,
            url=settings.WEBHOOK_URL,
            listen=settings.WEBHOOK_LISTEN,
            port=settings.WEBHOOK_PORT,
            secret=settings.WEBHOOK_SECRET,
        ),
        settings.EVENT_LOOP,
    )
    return 0


LEASE_CHECK = 5.0


async def serve_polling(app: BotApplication, redis: Redis) -> None:
    """Run until SIGTERM/SIGINT. Every replica ticks; the lease holder also polls."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    lease = Lease(redis, app.services.keys.poller(), PROCESS_ID)
    async with app:
        await app.start()
        eventloop.freeze_heap()
        updater = app.updater
        assert updater is not None
        try:
            while not stop.is_set():
                leader = await _hold(lease)
                if leader and not updater.running:
                    log.info("this process now long-polls Telegram")
                    await updater.start_polling(allowed_updates=Update.ALL_TYPES)
                elif not leader and updater.running:
                    log.warning("lost the polling lease; another process polls now")
                    await updater.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), LEASE_CHECK)
        finally:
            log.info("shutting down")
            if updater.running:
                await updater.stop()
            await app.stop()
            with contextlib.suppress(RedisError, OSError):
                await lease.release()


async def _hold(lease: Lease) -> bool:
    try:
        return await lease.hold()
    except (RedisError, OSError):  # Redis away: keep whatever we were doing
        log.warning("cannot reach Redis to renew the polling lease")
        return False


async def run_sandbox(settings: Settings) -> int:
    from bot.sandbox.botapi import LocalBotApi
    from bot.sandbox.terminal import run_terminal_chat

    content = load_content(settings.CONTENT_DIR)
    if settings.LOG_LEVEL == "INFO":
        # The terminal is the chat: only warnings interleave with it (LOG_LEVEL=DEBUG shows all).
        logging.getLogger().setLevel(logging.WARNING)
    redis_proc: subprocess.Popen[bytes] | None = None
    redis_url = settings.REDIS_URL
    if not await redis_reachable(redis_url):
        started = start_private_redis()
        if started is None:
            print(
                f"Redis is not reachable at {redis_url} and redis-server is not installed.\n"
                "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew "
                "install redis) or point REDIS_URL at a running Redis.",
                file=sys.stderr,
            )
            return 2
        redis_url, redis_proc = started
        print(f"Started a private Redis for the sandbox ({redis_url}, data in ./var/).")
    api = LocalBotApi()
    await api.start()
    operators = set(settings.OPERATOR_IDS) | {SANDBOX_USER_ID}
    sandbox_settings = settings.model_copy(
        update={
            "BOT_TOKEN": api.token,
            "BOT_API_BASE_URL": api.base_url,
            "REDIS_URL": redis_url,
            "ALLOW_TIME_TRAVEL": True,
            "OPERATOR_IDS": frozenset(operators),
            "TICK_SECONDS": min(settings.TICK_SECONDS, 2.0),
            # the private Redis started above is a single server
            "REDIS_CLUSTER": settings.REDIS_CLUSTER and redis_proc is None,
        }
    )
    redis = make_redis(redis_url, cluster=sandbox_settings.REDIS_CLUSTER)
    app: BotApplication = build_application(
        sandbox_settings, clock=Clock(), redis=redis, content=content
    )
    try:
        async with app:
            await app.start()
            eventloop.freeze_heap()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, allowed_updates=Update.ALL_TYPES)
            await run_terminal_chat(
                api,
                user_id=SANDBOX_USER_ID,
                first_name=os.environ.get("USER", "Friend").capitalize() or "Friend",
                language_code="en",
            )
            await app.updater.stop()
            await app.stop()
    finally:
        await api.stop()
        await redis.aclose()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    return 0
