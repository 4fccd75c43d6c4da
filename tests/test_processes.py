"""Helpers for tests that run the bot as separate processes (`python -m bot run`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.sandbox.botapi import LocalBotApi

ROOT = Path(__file__).resolve().parent.parent


def spawn_bot(
    api: LocalBotApi,
    redis_url: str,
    extra: dict[str, str] | None = None,
    *,
    stderr: int = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": api.token,
        "BOT_API_BASE_URL": api.base_url,
        "REDIS_URL": redis_url,
        "ALLOW_TIME_TRAVEL": "true",
        "TICK_SECONDS": "0.2",
        "PER_CHAT_INTERVAL": "0.01",
        "LOG_LEVEL": "WARNING",
        "CONTENT_DIR": str(ROOT / "content"),
        **(extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


async def until(condition: Callable[[], bool | Awaitable[bool]], timeout: float = 60) -> None:
    """Wait for another process to bring something about (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.02)  # another process's progress: nothing to inject
