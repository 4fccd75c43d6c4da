"""The broadcast engine on real Redis: segments, exactly-once draining, blocked people marked,
and someone who unsubscribes mid-broadcast gets nothing after that moment."""

from __future__ import annotations

from collections import Counter

from redis.asyncio import Redis

from bot.course.subscriber import Status
from bot.store.keys import Keys
from bot.store.subscribers import SubscriberStore
from scheduler.broadcast import DONE, Broadcast, BroadcastEngine, BroadcastStore
from scheduler.clock import ManualClock
from scheduler.delivery import Outcome
from tests.seed import seed, seed_quiz

WEAK_DIG = {
    "drop_in": 90,
    "tune_in": 90,
    "check_in": 90,
    "move_in": 90,
    "dig_in": 20,
    "shift_in": 90,
    "differentiation": 90,
}


def store(redis: Redis) -> BroadcastStore:
    return BroadcastStore(redis, Keys(), SubscriberStore(redis, Keys()))


async def test_segments_pick_the_right_people(redis: Redis) -> None:
    await seed(redis, 1)  # active, day 0
    await seed(redis, 2, last_sent_day=3, next_day=4)
    await seed(redis, 3, last_sent_day=8, next_day=9, finished_at=1.0)
    await seed(redis, 4, status=Status.PAUSED)
    await seed(redis, 5, status=Status.UNSUBSCRIBED)
    await seed(redis, 6, status=Status.BLOCKED)
    await seed(redis, 7, last_sent_day=5, next_day=6)
    await seed_quiz(redis, 7, WEAK_DIG)
    s = store(redis)
    assert await s.recipients("active", False) == [1, 2, 3, 7]
    assert await s.recipients("active", True) == [1, 2, 3, 4, 7]
    assert await s.recipients("finished", False) == [3]
    assert await s.recipients("day:3", False) == [2]
    assert await s.recipients("area:dig_in", False) == [7]
    assert await s.recipients("area:drop_in", False) == []


async def test_drain_sends_once_marks_blocked_and_respects_unsubscribe(redis: Redis) -> None:
    users = list(range(100, 160))
    for uid in users:
        await seed(redis, uid)
    s = store(redis)
    b = await s.create(Broadcast(id="", html="<b>hi</b>", segment="active"), users)
    sent: Counter[int] = Counter()
    subs = SubscriberStore(redis, Keys())

    async def send(_: Broadcast, uid: int) -> Outcome:
        if uid == 110:  # person 150 unsubscribes while the broadcast runs
            await subs.update(150, status=Status.UNSUBSCRIBED)
        if uid in (120, 121):
            return Outcome.BLOCKED
        sent[uid] += 1
        return Outcome.SENT

    engine = BroadcastEngine(s, ManualClock(1_800_000_000.0), send, concurrency=1)
    await engine.run()
    done = await s.get(b.id)
    assert done is not None and done.status == DONE
    assert (done.sent, done.blocked, done.skipped, done.failed) == (57, 2, 1, 0)
    assert 150 not in sent and all(n == 1 for n in sent.values())
    assert (await subs.get(120)).status == Status.BLOCKED  # type: ignore[union-attr]
    assert await redis.exists(Keys().broadcast(f"{b.id}:q")) == 0
