"""Broadcasts: a recipient queue per broadcast in Redis, drained by every bot process.

Recipients are fixed when a broadcast starts (a sorted set), claimed in batches with a lease
like the daily due-queue, and removed once sent: a killed process loses nothing, and only its
sends in flight can repeat when another process (or the next start) reclaims them. Each send
checks the person's status at that moment, so someone who unsubscribes mid-broadcast gets
nothing after that.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, cast

from redis.asyncio import Redis

from bot.course.subscriber import Status, Subscriber
from bot.store.keys import Keys
from bot.store.quizzes import weakest_areas
from bot.store.subscribers import CODES, SubscriberStore
from scheduler.clock import Clock
from scheduler.delivery import Outcome
from scheduler.duequeue import DueQueue

log = logging.getLogger(__name__)

SCHEDULED, RUNNING, DONE, CANCELLED = "scheduled", "running", "done", "cancelled"
STATUS_FIELD = CODES["status"]
SENDABLE = {Status.OPTED_IN.value}
CLAIM = 4  # recipients a worker claims at a time
WATCH = 0.5  # how often a running broadcast checks for a cancel and reports progress
LEASE = 120.0


@dataclass(frozen=True)
class Broadcast:
    id: str
    html: str
    segment: str  # "active", "finished", "day:<n>", "area:<area>"
    include_paused: bool = False
    status: str = SCHEDULED
    button_kind: str = ""  # "", "url", "lesson"
    button_label: str = ""
    button_value: str = ""
    media_kind: str = ""  # "", "photo", "document"
    media_id: str = ""
    created_by: int = 0
    created_at: float = 0.0
    start_at: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    total: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    progress_chat: int = 0
    progress_message: int = 0

    @property
    def done_count(self) -> int:
        return self.sent + self.failed + self.blocked + self.skipped

    @property
    def left(self) -> int:
        return max(0, self.total - self.done_count)


_INT = {f.name for f in fields(Broadcast) if f.type == "int"}
_FLOAT = {f.name for f in fields(Broadcast) if f.type == "float"}
_BOOL = {f.name for f in fields(Broadcast) if f.type == "bool"}
COUNTS = ("sent", "failed", "blocked", "skipped")


def _decode(raw: dict[str, str]) -> Broadcast:
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _INT:
            kwargs[key] = int(value)
        elif key in _FLOAT:
            kwargs[key] = float(value)
        elif key in _BOOL:
            kwargs[key] = value == "1"
        elif key in {f.name for f in fields(Broadcast)}:
            kwargs[key] = value
    return Broadcast(**kwargs)


def _encode(b: Broadcast) -> dict[str, str]:
    out = {}
    for key, value in asdict(b).items():
        out[key] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return out


def matches(sub: Subscriber, segment: str, include_paused: bool, weakest: str | None) -> bool:
    """Whether a subscriber belongs to a segment. Unsubscribed and blocked people never do."""
    if sub.status == Status.PAUSED and not include_paused:
        return False
    if sub.status not in (Status.OPTED_IN, Status.PAUSED):
        return False
    kind, _, arg = segment.partition(":")
    if kind == "active":
        return True
    if kind == "finished":
        return bool(sub.finished_at)
    if kind == "day":
        return arg.isascii() and arg.isdigit() and sub.last_sent_day == int(arg)
    if kind == "area":
        return weakest == arg
    return False


class BroadcastStore:
    def __init__(self, redis: Redis, keys: Keys, subscribers: SubscriberStore) -> None:
        self.redis = redis
        self.keys = keys
        self.subscribers = subscribers

    def _key(self, bid: str) -> str:
        return self.keys.broadcast(bid)

    def queue(self, bid: str) -> DueQueue:
        return DueQueue(self.redis, self.keys.broadcast(f"{bid}:q"), lease=LEASE)

    async def recipients(self, segment: str, include_paused: bool) -> list[int]:
        """Everyone in the segment now (an O(N) scan, done once per broadcast)."""
        out: list[int] = []
        chunk: list[int] = []

        async def flush() -> None:
            subs = await self.subscribers.get_many(chunk)
            areas: dict[int, str | None] = {}
            if segment.startswith("area:"):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for uid in chunk:
                        pipe.lindex(self.keys.quiz_history(uid), -1)
                    for uid, last in zip(chunk, await pipe.execute(), strict=True):
                        weakest = weakest_areas(last)
                        areas[uid] = weakest[0] if weakest else None
            out.extend(
                uid
                for uid, sub in subs.items()
                if matches(sub, segment, include_paused, areas.get(uid))
            )
            chunk.clear()

        async for raw in self.redis.sscan_iter(self.keys.subscribers(), count=1000):
            chunk.append(int(raw))
            if len(chunk) >= 1000:
                await flush()
        if chunk:
            await flush()
        return sorted(out)

    async def create(self, b: Broadcast, recipients: list[int]) -> Broadcast:
        b = replace(b, id=b.id or secrets.token_hex(4), total=len(recipients))
        queue_key = self.keys.broadcast(f"{b.id}:q")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(b.id), mapping=cast(Any, _encode(b)))
            for start in range(0, len(recipients), 5000):
                pipe.zadd(queue_key, {str(uid): 0 for uid in recipients[start : start + 5000]})
            pipe.zadd(self.keys.broadcast("all"), {b.id: b.created_at})
            pipe.sadd(self.keys.broadcast("active"), b.id)
            await pipe.execute()
        return b

    async def get(self, bid: str) -> Broadcast | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self._key(bid)))
        return _decode(raw) if raw else None

    async def active_ids(self) -> list[str]:
        members = cast(set[str], await self.redis.smembers(self.keys.broadcast("active")))
        return sorted(members)

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        ids = cast(list[str], await self.redis.zrevrange(self.keys.broadcast("all"), 0, limit - 1))
        found = [await self.get(i) for i in ids]
        return [b for b in found if b is not None]

    async def set(self, bid: str, **changes: object) -> None:
        current = await self.get(bid)
        if current is None:
            return
        encoded = _encode(replace(current, **changes))  # type: ignore[arg-type]
        await self.redis.hset(self._key(bid), mapping=cast(Any, {k: encoded[k] for k in changes}))

    async def settle(
        self, bid: str, done: tuple[int, str] | None, next_uid: int | None
    ) -> str | None:
        """Count the previous recipient's outcome and take them off the queue, and read the
        next recipient's status, in one round trip (the per-send cost that matters at 1000/s).
        Returns the next recipient's status (None: no record)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            if done is not None:
                uid, outcome = done
                pipe.hincrby(self._key(bid), outcome, 1)
                pipe.zrem(self.keys.broadcast(f"{bid}:q"), str(uid))
            if next_uid is not None:
                pipe.hget(self.keys.sub(next_uid), STATUS_FIELD)
            results = await pipe.execute()
        return cast(str | None, results[-1]) if next_uid is not None else None

    async def finish(self, bid: str, status: str, now: float) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(bid), mapping={"status": status, "finished_at": str(now)})
            pipe.srem(self.keys.broadcast("active"), bid)
            pipe.delete(self.keys.broadcast(f"{bid}:q"))
            await pipe.execute()

    async def cancel(self, bid: str, now: float) -> bool:
        b = await self.get(bid)
        if b is None or b.status not in (SCHEDULED, RUNNING):
            return False
        await self.finish(bid, CANCELLED, now)
        return True


SendOne = Callable[[Broadcast, int], Awaitable[Outcome]]
Progress = Callable[[Broadcast, float], Awaitable[None]]


class BroadcastEngine:
    def __init__(
        self,
        store: BroadcastStore,
        clock: Clock,
        send: SendOne,
        *,
        progress: Progress | None = None,
        concurrency: int = 64,
        progress_every: float = 2.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.send = send
        self.progress = progress
        self.concurrency = concurrency
        self.progress_every = progress_every
        self._lock = asyncio.Lock()
        self._last_progress: dict[str, float] = {}

    async def run(self) -> int:
        """Work on every due broadcast until none has work left; returns messages sent."""
        async with self._lock:
            total = 0
            for bid in await self.store.active_ids():
                total += await self._drain(bid)
            return total

    async def _drain(self, bid: str) -> int:
        b = await self.store.get(bid)
        if b is None:
            return 0
        now = self.clock.time()
        if b.status == SCHEDULED:
            if b.start_at > now:
                return 0
            await self.store.set(bid, status=RUNNING, started_at=now)
        elif b.status != RUNNING:
            return 0
        queue = self.store.queue(bid)
        current = await self.store.get(bid)
        if current is None:
            return 0
        sent = 0
        cancelled = asyncio.Event()

        async def worker(b: Broadcast = current) -> None:
            # Each worker claims a few at a time and moves on at once: no batch barrier, so
            # one slow send holds up only its own worker, never the whole broadcast.
            nonlocal sent
            allowed = SENDABLE | ({Status.PAUSED.value} if b.include_paused else set())
            done: tuple[int, str] | None = None
            try:
                while not cancelled.is_set():
                    claimed = await queue.claim(self.clock.time(), CLAIM)
                    if not claimed:
                        return
                    for uid, _ in claimed:
                        if cancelled.is_set():
                            return  # left leased; the cancel deletes the queue
                        # Status is read right before the send: an unsubscribe a moment ago
                        # is respected.
                        status = await self.store.settle(bid, done, uid)
                        done = None
                        outcome = await self._one(b, uid, status in allowed)
                        sent += outcome == "sent"
                        done = (uid, outcome)
            finally:
                if done is not None:
                    await self.store.settle(bid, done, None)

        workers = [asyncio.create_task(worker()) for _ in range(self.concurrency)]
        try:
            while not all(w.done() for w in workers):
                await asyncio.wait(workers, timeout=WATCH)
                fresh = await self.store.get(bid)
                if fresh is None or fresh.status != RUNNING:
                    cancelled.set()  # cancelled by an operator meanwhile
                elif self.progress is not None:
                    now = self.clock.time()
                    if now - self._last_progress.get(bid, 0.0) >= self.progress_every:
                        self._last_progress[bid] = now
                        await self.progress(fresh, now)
        finally:
            cancelled.set()
            await asyncio.gather(*workers, return_exceptions=True)
        for w in workers:
            if not w.cancelled() and w.exception() is not None:
                log.error("broadcast worker failed", exc_info=w.exception())
        final = await self.store.get(bid)
        if final is not None and final.status == RUNNING and await queue.size() == 0:
            await self.store.finish(bid, DONE, self.clock.time())
            done = await self.store.get(bid)
            if done is not None and self.progress is not None:
                await self.progress(done, self.clock.time())
        return sent

    async def _one(self, b: Broadcast, uid: int, sendable: bool) -> str:
        if not sendable:
            return "skipped"
        try:
            outcome = await self.send(b, uid)
        except Exception:
            log.exception("broadcast send failed")
            return "failed"
        if outcome == Outcome.BLOCKED:
            await self.store.subscribers.update(uid, status=Status.BLOCKED)
            return "blocked"
        return "sent" if outcome == Outcome.SENT else "failed"
