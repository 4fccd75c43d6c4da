"""Operator commands for automation: `python -m bot broadcast ...` and `python -m bot stats`."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from telegram import Bot

from bot.app import build_application
from bot.broadcasting import progress_text
from bot.callbacks import number
from bot.course.html import validate_telegram_html
from bot.course.loader import load_content
from bot.course.tools import QUIZ_AREAS
from bot.settings import Settings
from bot.store.connection import make_redis
from scheduler.broadcast import Broadcast
from scheduler.clock import Clock


def _segment_ok(segment: str) -> bool:
    kind, _, arg = segment.partition(":")
    return (
        segment in ("active", "finished")
        or (kind == "day" and number(arg) is not None)
        or (kind == "area" and arg in QUIZ_AREAS)
    )


async def broadcast(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        html = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    problem = validate_telegram_html(html) if html else "the message is empty"
    if problem:
        print(f"{path}:1: {problem}", file=sys.stderr)
        return 2
    if not _segment_ok(args.segment):
        print(
            f"unknown segment {args.segment!r}: active, finished, day:N or area:AREA",
            file=sys.stderr,
        )
        return 2
    start_at = time.time()
    if args.at:
        try:
            when = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        except ValueError:
            print(f"--at {args.at!r} is not an ISO 8601 time", file=sys.stderr)
            return 2
        start_at = (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    redis = make_redis(settings.REDIS_URL, cluster=settings.REDIS_CLUSTER)
    try:
        return await _broadcast(settings, args, html, start_at, redis)
    finally:
        await redis.aclose()


async def _broadcast(
    settings: Settings, args: argparse.Namespace, html: str, start_at: float, redis: object
) -> int:
    app = build_application(
        settings.model_copy(update={"BOT_TOKEN": settings.BOT_TOKEN or "0:sandbox"}),
        clock=Clock(),
        redis=redis,  # type: ignore[arg-type]
        content=load_content(settings.CONTENT_DIR),
        run_ticks=False,
    )
    services = app.services
    store = services.broadcasts
    recipients = await store.recipients(args.segment, args.include_paused)
    print(f"{len(recipients)} recipient(s) in segment {args.segment}")
    if args.dry_run:
        return 0
    b = await store.create(
        Broadcast(
            id="",
            html=html,
            segment=args.segment,
            include_paused=args.include_paused,
            created_at=time.time(),
            start_at=start_at,
        ),
        recipients,
    )
    if start_at > time.time() + 1:
        when = datetime.fromtimestamp(start_at, tz=UTC)
        print(f"broadcast {b.id} scheduled for {when:%Y-%m-%d %H:%M} UTC; running bots send it")
        return 0
    if settings.BOT_TOKEN is None:
        print(f"broadcast {b.id} queued; no BOT_TOKEN here, so a running bot will send it")
        return 0
    print(f"broadcast {b.id}: sending (running bot processes help; the budget is shared)")
    async with app.bot:
        engine = services.broadcaster
        assert engine is not None  # build_application always sets it

        async def progress(current: Broadcast, now: float) -> None:
            print(_plain(progress_text(current, now)), flush=True)

        engine.progress = progress
        engine.progress_every = 1.0
        await engine.run()
    final = await store.get(b.id)
    if final is not None:
        print(_plain(progress_text(final, time.time())))
    return 0


def _plain(html: str) -> str:
    return html.replace("<code>", "").replace("</code>", "").replace("\n", " | ")


async def stats(settings: Settings, *, csv: bool) -> int:
    from bot.app import build_services
    from bot.stats import collect, render, to_csv

    redis = make_redis(settings.REDIS_URL, cluster=settings.REDIS_CLUSTER)
    try:
        services = build_services(
            settings, clock=Clock(), redis=redis, content=load_content(settings.CONTENT_DIR)
        )
        result = await collect(services)
    finally:
        await redis.aclose()
    if csv:
        sys.stdout.write(to_csv(result))
    else:
        import re

        print(re.sub(r"</?\w+>", "", render(result)))
    return 0


__all__ = ["Bot", "broadcast", "stats"]
