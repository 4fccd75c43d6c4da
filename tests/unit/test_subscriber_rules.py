"""The subscriber's pure rules: streaks with one forgiven day a week, course position."""

from __future__ import annotations

from datetime import date

from bot.course.subscriber import (
    Status,
    Subscriber,
    advance_streak,
    after_lesson_sent,
    current_streak,
    has_more_lessons,
)

BASE = Subscriber(
    user_id=1,
    status=Status.OPTED_IN,
    timezone="UTC",
    send_time="08:00",
    consent_at=0.0,
    created_at=0.0,
    updated_at=0.0,
)


def practise_on(days: list[date]) -> Subscriber:
    sub = BASE
    for day in days:
        sub = advance_streak(sub, day)
    return sub


def test_consecutive_days_count_and_same_day_does_not() -> None:
    sub = practise_on([date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)])
    assert sub.streak == 3


def test_one_missed_day_a_week_is_forgiven() -> None:
    # Tue, Wed, (Thu missed), Fri: the catch-up day keeps the streak going.
    sub = practise_on([date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 4)])
    assert sub.streak == 3 and sub.catchup_week == "2026-W49"
    # A second miss in the same ISO week breaks it.
    sub = advance_streak(sub, date(2026, 12, 6))
    assert sub.streak == 1
    # Next week a new catch-up day is available.
    sub = practise_on([date(2026, 12, 7), date(2026, 12, 9)])
    assert sub.streak == 2


def test_two_missed_days_break_the_streak_and_the_view_shows_zero() -> None:
    sub = practise_on([date(2026, 12, 1), date(2026, 12, 2)])
    assert current_streak(sub, date(2026, 12, 3)) == 2
    assert current_streak(sub, date(2026, 12, 4)) == 2  # the catch-up day is still open
    assert current_streak(sub, date(2026, 12, 5)) == 0
    assert advance_streak(sub, date(2026, 12, 5)).streak == 1


def test_course_position_and_bonus_lessons() -> None:
    sub = after_lesson_sent(BASE, 0, 100.0, last_day=8)
    assert (sub.last_sent_day, sub.next_day, sub.finished_at) == (0, 1, 0.0)
    sub = after_lesson_sent(sub, 7, 200.0, last_day=8)
    assert has_more_lessons(sub, last_day=8) and not sub.finished_at
    sub = after_lesson_sent(sub, 8, 300.0, last_day=8)
    assert sub.finished_at == 300.0 and not has_more_lessons(sub, last_day=8)
    # A new bonus lesson appears: they get it, unless they opted out of bonus lessons.
    assert has_more_lessons(sub, last_day=9)
    from dataclasses import replace

    assert not has_more_lessons(replace(sub, bonus_opt_out=True), last_day=9)
