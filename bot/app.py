"""Wiring: the one place where settings, storage, content, scheduler and handlers meet."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import warnings
from typing import Any, cast

from redis.asyncio import Redis
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    Defaults,
    TypeHandler,
)
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot import render
from bot.broadcasting import build_engine
from bot.cheatsheet import render_cheatsheet
from bot.coach.safety import load_safety_resources
from bot.course.models import Content, Lesson
from bot.course.subscriber import Subscriber
from bot.handlers import (
    account,
    broadcasts,
    cheatsheet,
    couple,
    enrol,
    errors,
    fallback,
    lessons,
    operator,
    practice,
    quiz,
    safety,
)
from bot.handlers.common import private_only, touch
from bot.metrics import Metrics, count_update
from bot.services import ContentHolder, Services
from bot.settings import Settings
from bot.store.clockstore import ClockStore
from bot.store.keys import Keys
from bot.store.pairs import PairStore
from bot.store.persistence import RedisPersistence
from bot.store.practice import PracticeStore
from bot.store.quizzes import QuizStore
from bot.store.subscribers import SubscriberStore
from bot.transport import AiohttpRequest
from bot.updates import PerChatUpdateProcessor
from scheduler.broadcast import BroadcastStore
from scheduler.clock import Clock
from scheduler.delivery import Sender
from scheduler.drip import DripEngine
from scheduler.duequeue import DueQueue
from scheduler.ratelimit import RedisRateLimiter

log = logging.getLogger(__name__)
access_log = logging.getLogger("bot.updates")
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"

# CallbackQueryHandlers inside a per-chat ConversationHandler are intended here: set-up steps
# belong to the person, not to one message.
warnings.filterwarnings("ignore", message=r".*per_message=False.*", category=PTBUserWarning)


class BotApplication(Application):
    """PTB's Application, writing persistence through after every update (no lost answers)."""

    services: Services

    async def initialize(self) -> None:
        # PTB's post_init only runs under run_polling/run_webhook; the sandbox and tests drive
        # the Application by hand, so start-up work hangs here instead.
        await super().initialize()
        await _on_start(self)

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        outcome = errors.OUTCOME.set("ok")
        try:
            await super().process_update(update)
            if self.persistence is not None:
                await self.update_persistence()
        finally:
            if isinstance(update, Update):
                # One structured line per update: ids hashed, never any text.
                user = update.effective_user
                access_log.info(
                    "update handled",
                    extra={
                        "update_id": update.update_id,
                        "user": user_hash(user.id) if user else None,
                        "outcome": errors.OUTCOME.get(),
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            errors.OUTCOME.reset(outcome)


def user_hash(user_id: int) -> str:
    """A stable pseudonym for logs: lets you follow one person's updates without their id."""
    return hashlib.blake2b(str(user_id).encode(), digest_size=6, key=b"icb-log").hexdigest()


def build_services(
    settings: Settings,
    *,
    clock: Clock,
    redis: Redis,
    content: Content,
    sender: Sender | None = None,
) -> Services:
    keys = Keys.for_deployment(settings.REDIS_PREFIX, settings.REDIS_CLUSTER)
    subscribers = SubscriberStore(redis, keys)
    return Services(
        settings=settings,
        clock=clock,
        redis=redis,
        keys=keys,
        content=ContentHolder(content),
        subscribers=subscribers,
        due=DueQueue(redis, keys.due()),
        idle=DueQueue(redis, keys.idle()),
        sender=sender or Sender(),
        quizzes=QuizStore(redis, keys),
        practice=PracticeStore(redis, keys),
        pairs=PairStore(redis, keys),
        broadcasts=BroadcastStore(redis, keys, subscribers),
    )


def build_application(
    settings: Settings,
    *,
    clock: Clock,
    redis: Redis,
    content: Content,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    run_ticks: bool = True,
    sender: Sender | None = None,
) -> BotApplication:
    if settings.BOT_TOKEN is None:
        raise ValueError("build_application needs BOT_TOKEN (the sandbox sets a local one)")
    services = build_services(settings, clock=clock, redis=redis, content=content, sender=sender)
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .token(settings.BOT_TOKEN)
        .base_url(settings.BOT_API_BASE_URL)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .persistence(RedisPersistence(redis, services.keys))
        .context_types(ContextTypes())
    )
    # aiohttp instead of PTB's httpx: ~6x the sends per second on this kind of machine
    # (bench/bench_transport.py).
    builder = builder.request(request or AiohttpRequest(connection_pool_size=64))
    builder = builder.get_updates_request(
        get_updates_request or AiohttpRequest(connection_pool_size=1)
    )
    if settings.UPDATE_CONCURRENCY > 1:
        builder = builder.concurrent_updates(PerChatUpdateProcessor(settings.UPDATE_CONCURRENCY))
    # Always a limiter: every send passes rate_limit_args, and the budget is shared via Redis.
    limiter = rate_limiter or RedisRateLimiter(
        redis,
        services.keys,
        global_rate=settings.BROADCAST_RATE,
        per_chat_interval=settings.PER_CHAT_INTERVAL,
    )
    builder = builder.rate_limiter(cast("BaseRateLimiter[None]", limiter))
    app: BotApplication = builder.build()  # type: ignore[assignment]
    app.services = services
    services.extras["clock_store"] = ClockStore(redis, services.keys)
    # After set-up: finish a pairing accepted before joining, then offer the quiz.
    services.extras["after_setup"] = [couple.after_setup, quiz.after_setup]
    services.extras["practice_hooks"] = [couple.on_practice]
    services.extras["forget_hooks"] = [services.pairs.void_invite]
    # /reload refuses content whose cheat sheet would not fit one page.
    services.extras["content_checks"] = [render_cheatsheet]
    services.extras["safety"] = load_safety_resources(settings.CONTENT_DIR / "safety.yaml")

    async def practice_opens(sub: Subscriber, lesson: Lesson) -> None:
        await practice.on_lesson_sent(services, sub, lesson)

    services.extras.setdefault("lesson_hooks", []).append(practice_opens)

    send_lesson, send_nudge = lessons.make_drip_senders(app, services)
    services.drip = DripEngine(
        clock=clock,
        subscribers=services.subscribers,
        due=services.due,
        idle=services.idle,
        content=services.content,
        send_lesson=send_lesson,
        send_nudge=send_nudge,
    )

    services.extras["metrics"] = Metrics()
    app.add_handler(TypeHandler(Update, private_only), group=-4)
    app.add_handler(TypeHandler(Update, count_update), group=-3)
    app.add_handler(TypeHandler(Update, touch), group=-2)
    app.add_handler(safety.handler(), group=-1)
    # Conversations first: their typed steps must win over the general text handlers.
    for module in (
        enrol,
        broadcasts,
        account,
        lessons,
        quiz,
        couple,
        practice,
        operator,
        cheatsheet,
    ):
        for handler in module.handlers():
            app.add_handler(handler)
    for extra in services.extras.get("handler_modules", []):
        for handler in extra.handlers():
            app.add_handler(handler)
    for handler in fallback.handlers():
        app.add_handler(handler)  # type: ignore[arg-type]
    app.add_error_handler(errors.on_error)

    engine = build_engine(app.bot, services)
    services.broadcaster = engine
    if run_ticks and app.job_queue is not None:
        jobs = app.job_queue
        # Each tick comes up to a fifth of an interval late, at random: replicas started
        # together do not stay in lockstep, and whichever ticks first after a slot falls due
        # varies, so the day's lessons spread over all of them.
        jobs.run_repeating(
            _tick_job,
            interval=settings.TICK_SECONDS,
            first=0.5,
            name="drip-tick",
            job_kwargs={"jitter": settings.TICK_SECONDS / 5},
        )
        # Broadcasts drain in their own job, so a long one never holds up the daily lessons.
        jobs.run_repeating(
            _broadcast_job, interval=settings.TICK_SECONDS, first=1.0, name="broadcasts"
        )
        services.extras["kick_broadcasts"] = lambda: jobs.run_once(_broadcast_job, 0)
    return app


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    services: Services = context.application.services  # type: ignore[attr-defined]
    if services.settings.ALLOW_TIME_TRAVEL:
        await services.extras["clock_store"].load(services.clock)
    if services.drip is not None:
        report = await services.drip.tick()
        # Liveness for /healthz and for tests that watch several processes.
        async with services.redis.pipeline(transaction=False) as pipe:
            pipe.hset(services.keys.heartbeat(), PROCESS_ID, repr(time.time()))
            if report.sent:
                pipe.hincrby(services.keys.counters("sent_by_process"), PROCESS_ID, report.sent)
            await pipe.execute()
        if report.claimed:
            log.info(
                "tick: %d claimed, %d sent, %d deferred, %d blocked, %d failed, %d nudged",
                report.claimed,
                report.sent,
                report.deferred,
                report.blocked,
                report.failed,
                report.nudged,
            )


async def _broadcast_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    services: Services = context.application.services  # type: ignore[attr-defined]
    if services.settings.ALLOW_TIME_TRAVEL:
        await services.extras["clock_store"].load(services.clock)
    sent = await services.broadcaster.run() if services.broadcaster is not None else 0
    if sent:
        log.info("broadcasts: %d sent", sent)


async def _on_start(app: Application) -> None:
    services: Services = app.services  # type: ignore[attr-defined]
    if services.settings.ALLOW_TIME_TRAVEL:
        await services.extras["clock_store"].load(services.clock)
    await app.bot.set_my_commands([BotCommand(c, d) for c, d in render.COMMANDS])
