"""Operator statistics: the same figures for /stats and `python -m bot stats --csv`."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import cast

from bot.course.subscriber import Status
from bot.course.tools import AREA_TITLES, TOOL_ORDER
from bot.services import Services


@dataclass
class Stats:
    by_status: dict[str, int] = field(default_factory=dict)
    reached_day: dict[int, int] = field(default_factory=dict)  # people whose lesson n arrived
    practised: dict[str, int] = field(default_factory=dict)  # coached replies per tool
    practised_good: dict[str, int] = field(default_factory=dict)
    quiz_completed: int = 0
    quiz_weakest: dict[str, int] = field(default_factory=dict)
    broadcasts: list[dict[str, object]] = field(default_factory=list)
    safety: dict[str, int] = field(default_factory=dict)


async def collect(s: Services) -> Stats:
    stats = Stats(by_status={st.value: 0 for st in Status})
    reached: Counter[int] = Counter()
    ids: list[int] = []

    async def flush() -> None:
        for sub in (await s.subscribers.get_many(ids)).values():
            stats.by_status[sub.status.value] += 1
            for day in range(0, sub.last_sent_day + 1):
                reached[day] += 1
        ids.clear()

    async for raw in s.redis.sscan_iter(s.keys.subscribers(), count=1000):
        ids.append(int(raw))
        if len(ids) >= 1000:
            await flush()
    await flush()
    stats.reached_day = dict(sorted(reached.items()))
    counters = s.keys.counters
    practice = await s.redis.hgetall(counters("practice"))
    good = await s.redis.hgetall(counters("practice_good"))
    stats.practised = {t.value: int(practice.get(t.value, 0)) for t in TOOL_ORDER}
    stats.practised_good = {t.value: int(good.get(t.value, 0)) for t in TOOL_ORDER}
    quiz = await s.redis.hgetall(counters("quiz"))
    stats.quiz_completed = int(quiz.get("completed", 0))
    weakest = cast(dict[str, str], await s.redis.hgetall(counters("quiz_weakest")))
    stats.quiz_weakest = {k: int(v) for k, v in sorted(weakest.items())}
    safety = cast(dict[str, str], await s.redis.hgetall(counters("safety")))
    stats.safety = {k: int(v) for k, v in sorted(safety.items())}
    for b in await s.broadcasts.recent(10):
        stats.broadcasts.append(
            {
                "id": b.id,
                "status": b.status,
                "segment": b.segment,
                "total": b.total,
                "sent": b.sent,
                "blocked": b.blocked,
                "failed": b.failed,
                "skipped": b.skipped,
            }
        )
    return stats


def render(stats: Stats) -> str:
    lines = ["<b>📊 Subscribers</b>"]
    lines += [f"{k.replace('_', ' ')}: {v}" for k, v in stats.by_status.items()]
    lines.append("\n<b>Funnel: reached day</b>")
    lines.append(" · ".join(f"{d}: {n}" for d, n in stats.reached_day.items()) or "nobody yet")
    lines.append("\n<b>Practice (coached replies, good)</b>")
    lines += [
        f"{t.label}: {stats.practised[t.value]} ({stats.practised_good[t.value]} good)"
        for t in TOOL_ORDER
    ]
    lines.append(f"\n<b>Quiz</b>: {stats.quiz_completed} completed; weakest area:")
    lines.append(
        " · ".join(f"{AREA_TITLES.get(a, a)}: {n}" for a, n in stats.quiz_weakest.items())
        or "no results yet"
    )
    lines.append("\n<b>Broadcasts</b>")
    lines += [
        f"<code>{b['id']}</code> {b['status']} {escape(str(b['segment']))}: sent {b['sent']}/"
        f"{b['total']}, blocked {b['blocked']}, failed {b['failed']}"
        for b in stats.broadcasts
    ] or ["none"]
    total_safety = sum(stats.safety.values())
    lines.append(f"\n<b>Safety replies</b>: {total_safety}")
    if stats.safety:
        lines.append(" · ".join(f"{k}: {v}" for k, v in stats.safety.items()))
    return "\n".join(lines)


def to_csv(stats: Stats) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    for k, v in stats.by_status.items():
        writer.writerow(["status", k, v])
    for d, n in stats.reached_day.items():
        writer.writerow(["reached_day", d, n])
    for t, n in stats.practised.items():
        writer.writerow(["practised", t, n])
    for t, n in stats.practised_good.items():
        writer.writerow(["practised_good", t, n])
    writer.writerow(["quiz", "completed", stats.quiz_completed])
    for a, n in stats.quiz_weakest.items():
        writer.writerow(["quiz_weakest", a, n])
    for b in stats.broadcasts:
        for key in ("total", "sent", "blocked", "failed", "skipped"):
            writer.writerow([f"broadcast:{b['id']}", key, b[key]])
    for k, v in stats.safety.items():
        writer.writerow(["safety", k, v])
    return out.getvalue()
