"""Privacy in logs: one structured line per update (update id, hashed user, outcome) and never
the text people write, at INFO or above."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from bot.app import user_hash
from bot.logs import JsonFormatter
from tests.harness import BotHarness

USER = 1801
SECRETS = [
    "I felt so betrayed when my sister laughed",
    "he hit me last night and I'm scared",
    "my password is hunter2",
]


async def test_logs_carry_ids_and_outcomes_but_never_text(
    redis_url: str, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    async with BotHarness(redis_url, start=datetime(2026, 12, 1, 9, tzinfo=UTC)) as bot:
        await bot.join(USER)
        when = await bot.services.due.when(USER)
        bot.clock.travel_to(datetime.fromtimestamp(when, tz=UTC))
        await bot.tick()
        await bot.say(USER, SECRETS[0], "🌱")
        await bot.say(USER, SECRETS[1], "findahelpline")
        await bot.say(USER, SECRETS[2], "🌱")  # coached like any practice reply
    lines = [formatter.format(r) for r in caplog.records if r.levelno >= logging.INFO]
    text = "\n".join(lines)
    for secret in SECRETS:
        assert secret not in text
        for word in ("betrayed", "hunter2", "hit me"):
            assert word not in text
    access = [json.loads(line) for line in lines if '"update handled"' in line]
    assert access, "no structured access lines"
    assert {a["user"] for a in access} == {user_hash(USER)}
    assert str(USER) not in {str(a["user"]) for a in access}
    assert all(a["outcome"] == "ok" and isinstance(a["update_id"], int) for a in access)
