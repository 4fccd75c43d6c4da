"""Operator tools that act on time and content: /clock time travel, the broadcast CLI, and the
bonus lesson a finished subscriber can opt out of."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis

from tests.harness import OPERATOR, BotHarness, has_button, lesson_footer
from tests.seed import seed

ROOT = Path(__file__).resolve().parents[2]
USER = 1901


async def test_clock_moves_time_and_delivers_what_falls_due(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) as bot:
        await bot.join(USER)
        await bot.say(OPERATOR, "/clock", "2026-12-01 09:00 UTC")
        before = len(bot.api.sent(USER))
        await bot.say(OPERATOR, "/clock +1d", "Delivered 1 lesson")
        assert sum(lesson_footer(m) for m in bot.api.sent(USER)[before:]) == 1
        await bot.say(OPERATOR, "/clock 2026-12-05T07:59Z", "2026-12-05 07:59 UTC")
        await bot.say(OPERATOR, "/clock yesterday-ish", "Usage")
        assert await redis.get(bot.services.keys.clock()) is not None  # shared with replicas


async def test_finished_subscriber_gets_bonus_and_can_opt_out(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) as bot:
        await seed(redis, USER, now=bot.clock.time(), last_sent_day=7, next_day=8)
        await bot.services.due.schedule(USER, bot.clock.time())
        assert (await bot.tick()).sent == 1
        bonus = [m for m in bot.api.sent(USER) if lesson_footer(m)][-1]
        assert has_button("No more bonus lessons")(bonus)
        await bot.press(USER, "No more bonus lessons", "no more bonus lessons")
        record = await bot.record(USER, bonus_opt_out="1")
        assert record["last_sent_day"] == "8"
        assert await bot.services.due.when(USER) is None


def test_broadcast_cli_dry_run_counts_and_rejects_bad_html(redis_url: str, tmp_path: Path) -> None:
    message = tmp_path / "message.html"
    message.write_text("<b>Hello</b> from the course team")
    env = {**os.environ, "REDIS_URL": redis_url}
    env.pop("BOT_TOKEN", None)
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            "--file",
            str(message),
            "--segment",
            "active",
            "--dry-run",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "recipient(s) in segment active" in ok.stdout
    message.write_text("<b>Hello")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "broadcast", "--file", str(message)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and f"{message}:1:" in bad.stderr and "Traceback" not in bad.stderr
