"""The subscriber record and the pure rules that move it: status, course position, streak."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    OPTED_IN = "opted_in"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    BLOCKED = "blocked"


CORE_DAYS = 8  # day 0 (welcome) to day 7 (wrap-up)
LAST_CORE_DAY = CORE_DAYS - 1


@dataclass(frozen=True)
class Subscriber:
    user_id: int
    status: Status
    timezone: str
    send_time: str  # local "HH:MM"
    consent_at: float
    created_at: float
    updated_at: float
    first_name: str = ""
    language: str = ""
    next_day: int = 0  # the lesson that goes out next
    last_sent_day: int = -1  # the newest lesson delivered (-1: none yet)
    last_sent_at: float = 0.0
    last_seen_at: float = 0.0
    paused_until: float = 0.0  # 0 with status paused: until they resume
    busy_until: float = 0.0  # a quiz or practice is open: lessons wait until then
    deferred_since: float = 0.0  # when the lesson now waiting for that quiz/practice fell due
    streak: int = 0
    streak_date: str = ""  # ISO local date of the last practice day
    catchup_week: str = ""  # ISO year-week whose one catch-up day is used
    practised: tuple[str, ...] = field(default_factory=tuple)  # tools practised, in order
    bonus_opt_out: bool = False
    partner: int = 0  # the paired partner's user id (couple mode)
    finished_at: float = 0.0

    @property
    def active(self) -> bool:
        return self.status == Status.OPTED_IN

    def unlocked_days(self) -> range:
        return range(0, self.last_sent_day + 1)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def advance_streak(sub: Subscriber, today: date) -> Subscriber:
    """Count consecutive practice days; one missed day a week is forgiven (the catch-up day)."""
    if not sub.streak_date:
        return replace(sub, streak=1, streak_date=today.isoformat())
    last = date.fromisoformat(sub.streak_date)
    gap = (today - last).days
    if gap <= 0:
        return sub
    if gap == 1:
        return replace(sub, streak=sub.streak + 1, streak_date=today.isoformat())
    week = iso_week(today)
    if gap == 2 and sub.catchup_week != week:
        return replace(sub, streak=sub.streak + 1, streak_date=today.isoformat(), catchup_week=week)
    return replace(sub, streak=1, streak_date=today.isoformat())


def current_streak(sub: Subscriber, today: date) -> int:
    """The streak as the person sees it today: 0 once it can no longer be continued."""
    if not sub.streak_date:
        return 0
    gap = (today - date.fromisoformat(sub.streak_date)).days
    if gap <= 1:
        return sub.streak
    if gap == 2 and sub.catchup_week != iso_week(today):
        return sub.streak
    return 0


def lesson_sent_changes(sub: Subscriber, day: int, now: float, last_day: int) -> dict[str, object]:
    """The fields that change when lesson `day` went out (`last_day`: the newest lesson)."""
    finished = day >= LAST_CORE_DAY and day >= last_day
    return {
        "last_sent_day": max(sub.last_sent_day, day),
        "next_day": day + 1,
        "last_sent_at": now,
        "finished_at": sub.finished_at or (now if finished else 0.0),
    }


def after_lesson_sent(sub: Subscriber, day: int, now: float, last_day: int) -> Subscriber:
    """The record after lesson `day` went out."""
    return replace(sub, **lesson_sent_changes(sub, day, now, last_day), updated_at=now)  # type: ignore[arg-type]


def has_more_lessons(sub: Subscriber, last_day: int, next_day: int | None = None) -> bool:
    """Whether another lesson is waiting: core days always, bonus days unless opted out."""
    day = sub.next_day if next_day is None else next_day
    if day <= LAST_CORE_DAY:
        return True
    return day <= last_day and not sub.bonus_opt_out


def record_practice(sub: Subscriber, tool: str, today: date, now: float) -> Subscriber:
    practised = sub.practised if tool in sub.practised else (*sub.practised, tool)
    return replace(advance_streak(sub, today), practised=practised, updated_at=now)
