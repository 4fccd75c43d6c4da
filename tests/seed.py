"""Subscribers written straight into Redis, as a long-running bot would have left them."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.store.keys import Keys
from bot.store.subscribers import SubscriberStore


async def seed(
    redis: Redis, uid: int, *, now: float = 1_800_000_000.0, **fields: Any
) -> Subscriber:
    values: dict[str, Any] = {
        "status": Status.OPTED_IN,
        "timezone": "UTC",
        "send_time": "08:00",
        "consent_at": now,
        "created_at": now,
        "updated_at": now,
        "next_day": 1,
        "last_sent_day": 0,
        **fields,
    }
    sub = Subscriber(user_id=uid, **values)
    await SubscriberStore(redis, Keys()).save(sub)
    return sub


async def seed_quiz(redis: Redis, uid: int, percent: dict[str, int]) -> None:
    await redis.rpush(Keys().quiz_history(uid), json.dumps({"at": 0, "percent": percent}))
