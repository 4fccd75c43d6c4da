"""The daily drip: one periodic tick claims due subscribers, sends their lesson, and books the
next one at their local time. Also sends the one gentle nudge after three silent days."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo

from bot.course.models import Content, Lesson
from bot.course.subscriber import Status, Subscriber, has_more_lessons, lesson_sent_changes
from bot.store.subscribers import SubscriberStore
from scheduler.clock import Clock
from scheduler.delivery import Outcome
from scheduler.duequeue import DueQueue
from scheduler.timing import next_day_local, next_local, zone

log = logging.getLogger(__name__)

BUSY_GRACE = 30 * 60  # a lesson waits at most this long for an open quiz or practice
RETRY_FAILED = 5 * 60  # a send that failed after retries is tried again this much later

_Batch = tuple[list[tuple[int, float]], dict[int, Subscriber]]
SendLesson = Callable[[Subscriber, Lesson], Awaitable[Outcome]]
SendNudge = Callable[[Subscriber, int], Awaitable[Outcome]]


class _Bookings:
    """Delivery results waiting to be written: flushed every `size` results, so a crash repeats
    at most the sends in flight plus one small unflushed group, never a whole batch."""

    def __init__(self, subscribers: SubscriberStore, due_key: str, size: int) -> None:
        self.subscribers = subscribers
        self.due_key = due_key
        self.size = size
        self.rows: list[tuple[int, dict[str, object], float | None]] = []

    async def add(self, user_id: int, changes: dict[str, object], when: float | None) -> None:
        self.rows.append((user_id, changes, when))
        if len(self.rows) >= self.size:
            await self.flush()

    async def flush(self) -> None:
        rows, self.rows = self.rows, []
        if rows:
            await self.subscribers.update_and_book(rows, self.due_key)


@dataclass
class TickReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    blocked: int = 0
    failed: int = 0
    nudged: int = 0


class DripEngine:
    def __init__(
        self,
        *,
        clock: Clock,
        subscribers: SubscriberStore,
        due: DueQueue,
        idle: DueQueue,
        content: Callable[[], Content],
        send_lesson: SendLesson,
        send_nudge: SendNudge,
        batch: int = 500,
        concurrency: int = 64,
    ) -> None:
        self.clock = clock
        self.subscribers = subscribers
        self.due = due
        self.idle = idle
        self.content = content
        self.send_lesson = send_lesson
        self.send_nudge = send_nudge
        self.batch = batch
        self.concurrency = concurrency
        self._gate = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self.ticks = 0
        self.flush_every = 32

    async def tick(self) -> TickReport:
        """Deliver everything due now. Ticks in one process never overlap."""
        async with self._lock:
            report = TickReport()
            now = self.clock.time()
            fetch: asyncio.Future[_Batch] | None = asyncio.ensure_future(self._fetch(now))
            try:
                while fetch is not None:
                    claimed, subs = await fetch
                    report.claimed += len(claimed)
                    # A full batch means more may be due: claim and read the next one while
                    # this one is sent (Redis works on it in parallel; a crash leaves it to
                    # the lease, like any claimed batch).
                    fetch = (
                        asyncio.ensure_future(self._fetch(now))
                        if len(claimed) == self.batch
                        else None
                    )
                    await self._send_batch(claimed, subs, now, report)
            finally:
                if fetch is not None:  # an error above: let the prefetch finish, unused
                    with contextlib.suppress(Exception):
                        await fetch
            for uid, _ in await self.idle.claim(now, self.batch):
                await self._nudge(uid, report)
            self.ticks += 1
            return report

    async def _fetch(self, now: float) -> _Batch:
        """Claim a batch and read all its records: two round trips."""
        claimed = await self.due.claim(now, self.batch)
        return claimed, await self.subscribers.get_many([uid for uid, _ in claimed])

    async def _send_batch(
        self,
        claimed: list[tuple[int, float]],
        subs: dict[int, Subscriber],
        now: float,
        report: TickReport,
    ) -> None:
        # Each person's result is written as soon as their send is done (in groups), so a
        # crash repeats only sends in flight.
        book = _Bookings(self.subscribers, self.due.key, self.flush_every)
        pending = iter(claimed)
        try:
            # A fixed pool of workers, not a task per person: cheaper at 1,000 due.
            await asyncio.gather(
                *(self._work(pending, now, report, subs, book) for _ in range(self.concurrency))
            )
        finally:
            await book.flush()

    async def _work(
        self,
        pending: Iterator[tuple[int, float]],
        now: float,
        report: TickReport,
        subs: dict[int, Subscriber],
        book: _Bookings,
    ) -> None:
        for uid, fell in pending:
            await self._one(uid, fell, now, report, subs.get(uid), book)

    async def deliver_now(self, user_id: int) -> Outcome | None:
        """Send the next lesson at once (e.g. day 0 right after set-up)."""
        now = self.clock.time()
        await self.due.schedule(user_id, now)
        report = TickReport()
        # Claim through the queue so a concurrent tick elsewhere cannot send it too.
        fell = await self.due.claim_one(user_id, now)
        if fell is not None:
            book = _Bookings(self.subscribers, self.due.key, 1)
            await self._one(user_id, fell, now, report, await self.subscribers.get(user_id), book)
            await book.flush()
        if report.sent:
            return Outcome.SENT
        if report.blocked:
            return Outcome.BLOCKED
        return Outcome.FAILED if report.failed else None

    async def _one(
        self,
        user_id: int,
        fell_due: float,
        now: float,
        report: TickReport,
        sub: Subscriber | None,
        book: _Bookings,
    ) -> None:
        async with self._gate:
            try:
                await self._deliver(user_id, fell_due, now, report, sub, book)
            except Exception:  # one person's failure must not stop everyone else's lesson
                log.exception("delivery to a subscriber failed; retrying later")
                report.failed += 1
                await self.due.schedule(user_id, now + RETRY_FAILED)

    async def _deliver(
        self,
        user_id: int,
        fell_due: float,
        now: float,
        report: TickReport,
        sub: Subscriber | None,
        book: _Bookings,
    ) -> None:
        if sub is None:
            await self.due.cancel(user_id)
            return
        if sub.status == Status.PAUSED and sub.paused_until and now >= sub.paused_until:
            sub = replace(sub, status=Status.OPTED_IN, paused_until=0.0, updated_at=now)
            await self.subscribers.update(user_id, status=sub.status, paused_until=0.0)
        if not sub.active:
            await self.due.cancel(user_id)
            return
        since = sub.deferred_since or fell_due
        if sub.busy_until > now and now - since < BUSY_GRACE:
            report.deferred += 1
            await self.subscribers.update(user_id, deferred_since=since)
            await self.due.schedule(user_id, min(sub.busy_until, since + BUSY_GRACE))
            return
        course = self.content().course
        lesson = course.by_day(sub.next_day)
        if lesson is None or not has_more_lessons(sub, course.last_day):
            await self.due.cancel(user_id)
            return
        outcome = await self.send_lesson(sub, lesson)
        if outcome == Outcome.SENT:
            report.sent += 1
            changes = lesson_sent_changes(sub, lesson.day, now, course.last_day)
            nxt = None
            if has_more_lessons(sub, course.last_day, next_day=lesson.day + 1):
                nxt = self.next_regular(fell_due, now, sub.send_time, zone(sub.timezone))
            if sub.deferred_since:
                changes["deferred_since"] = 0.0
            await book.add(user_id, changes, nxt)
        elif outcome == Outcome.BLOCKED:
            report.blocked += 1
            await self.subscribers.update(user_id, status=Status.BLOCKED, updated_at=now)
            await self.due.cancel(user_id)
        else:
            report.failed += 1
            await self.due.schedule(user_id, now + RETRY_FAILED)

    @staticmethod
    def next_regular(fell_due: float, now: float, send_time: str, tz: tzinfo) -> float:
        """The day after the slot this lesson belonged to, so a late send keeps the rhythm;
        after downtime that slot is long past: then tomorrow's (no burst, one a local day)."""
        slot = next_day_local(datetime.fromtimestamp(fell_due, tz=UTC), send_time, tz)
        if slot.timestamp() > now:
            return slot.timestamp()
        return next_day_local(datetime.fromtimestamp(now, tz=UTC), send_time, tz).timestamp()

    async def _nudge(self, user_id: int, report: TickReport) -> None:
        sub = await self.subscribers.get(user_id)
        if sub is not None and sub.active and not sub.finished_at:
            outcome = await self.send_nudge(sub, user_id)
            if outcome == Outcome.SENT:
                report.nudged += 1
            elif outcome == Outcome.BLOCKED:
                await self.subscribers.update(user_id, status=Status.BLOCKED)
                await self.due.cancel(user_id)
        # One nudge per lapse: it is re-armed only when the person writes again.
        await self.idle.cancel(user_id)


def first_due(now: float, send_time: str, tz_name: str) -> float:
    """When a (re)joined subscriber's next lesson is due: the next occurrence of their time."""
    return next_local(datetime.fromtimestamp(now, tz=UTC), send_time, zone(tz_name)).timestamp()
