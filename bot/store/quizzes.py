"""Quiz answers in progress (one hash per user) and completed results (a list per user)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from bot.course.quiz import QuizScore
from bot.store.keys import Keys

POSITION = "_pos"
MESSAGE = "_msg"
HISTORY_LIMIT = 20  # enough for before/after; old results beyond this are dropped


@dataclass(frozen=True)
class QuizProgress:
    position: int  # index of the question being shown
    message_id: int  # the one message edited in place (0: none yet)
    answers: dict[str, int]


@dataclass(frozen=True)
class QuizResult:
    at: float
    percent: dict[str, int]


def decode_result(raw: str) -> QuizResult | None:
    """A stored result, or None when it can't be read (one bad entry must not break a scan)."""
    try:
        data = json.loads(raw)
        return QuizResult(at=float(data["at"]), percent=dict(data["percent"]))
    except (ValueError, KeyError, TypeError):
        return None


def weakest_areas(raw: str | None) -> tuple[str, ...]:
    """The areas a stored result says need the most care, weakest first."""
    result = decode_result(raw) if raw else None
    return QuizScore.from_percent(result.percent).weakest if result else ()


class QuizStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def progress(self, user_id: int) -> QuizProgress | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.quiz(user_id)))
        if not raw:
            return None
        answers = {k: int(v) for k, v in raw.items() if not k.startswith("_")}
        return QuizProgress(
            position=int(raw.get(POSITION, 0)),
            message_id=int(raw.get(MESSAGE, 0)),
            answers=answers,
        )

    async def begin(self, user_id: int, message_id: int) -> None:
        key = self.keys.quiz(user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=cast(Any, {POSITION: 0, MESSAGE: message_id}))
            await pipe.execute()

    async def answer(self, user_id: int, question_id: str, value: int, next_pos: int) -> None:
        """Stored as given: a restart or a week away loses nothing."""
        await self.redis.hset(
            self.keys.quiz(user_id), mapping=cast(Any, {question_id: value, POSITION: next_pos})
        )

    async def move(self, user_id: int, position: int, message_id: int | None = None) -> None:
        mapping: dict[str, int] = {POSITION: position}
        if message_id is not None:
            mapping[MESSAGE] = message_id
        await self.redis.hset(self.keys.quiz(user_id), mapping=cast(Any, mapping))

    async def finish(self, user_id: int, result: QuizResult) -> None:
        entry = json.dumps({"at": result.at, "percent": result.percent})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.quiz_history(user_id), entry)
            pipe.ltrim(self.keys.quiz_history(user_id), -HISTORY_LIMIT, -1)
            pipe.delete(self.keys.quiz(user_id))
            pipe.hincrby(self.keys.counters("quiz"), "completed", 1)
            await pipe.execute()

    async def history(self, user_id: int) -> list[QuizResult]:
        raw = cast(list[str], await self.redis.lrange(self.keys.quiz_history(user_id), 0, -1))
        return [r for r in map(decode_result, raw) if r is not None]

    async def latest_weakest(self, user_id: int) -> tuple[str, ...]:
        last = await self.redis.lindex(self.keys.quiz_history(user_id), -1)
        return weakest_areas(cast(str | None, last))
