"""Quiz scoring: pure functions from answers to per-area percentages, the weakest areas,
a text bar chart and a before/after comparison."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from bot.course.models import Quiz
from bot.course.tools import AREA_SHORT_TITLES, QUIZ_AREAS

__all__ = [
    "CLOSE_GAP",
    "STRONG_THRESHOLD",
    "AreaChange",
    "QuizScore",
    "compare",
    "render_bars",
    "render_comparison",
    "score_quiz",
]

# At or above this an area needs no particular attention.
STRONG_THRESHOLD = 75
# A second weak area is worth naming only when it is about as weak as the first.
CLOSE_GAP = 10
BAR_WIDTH = 10


@dataclass(frozen=True)
class QuizScore:
    percent: Mapping[str, int]  # area -> 0..100, in QUIZ_AREAS order; unanswered areas absent
    weakest: tuple[str, ...]  # zero, one or two areas, weakest first
    all_strong: bool  # at least one area answered and every answered area is strong

    def to_dict(self) -> dict[str, int]:
        """A plain copy for storage; feed it back through `from_percent`."""
        return dict(self.percent)

    @classmethod
    def from_percent(cls, percent: Mapping[str, int]) -> QuizScore:
        """Rebuild a score from stored percentages (weakest/all_strong are derived)."""
        return _finish({area: percent[area] for area in QUIZ_AREAS if area in percent})


class AreaChange(NamedTuple):
    area: str
    before: int
    after: int
    delta: int


def score_quiz(quiz: Quiz, answers: Mapping[str, int]) -> QuizScore:
    """Score `answers` (question id -> scale value).

    Reverse items count as (max - value) so every percentage reads "higher is healthier".
    Answers to unknown question ids are ignored (content may have changed since they were
    given); a value outside the scale raises ValueError. An area with no answers is left out.
    """
    low, high = quiz.min_value, quiz.max_value
    valid = {option.value for option in quiz.scale}
    points: dict[str, list[int]] = {}
    for question in quiz.questions:
        if question.id not in answers:
            continue
        value = answers[question.id]
        if value not in valid:
            raise ValueError(f"answer {value!r} to {question.id!r} is not on the scale")
        earned = (high - value) if question.reverse else (value - low)
        points.setdefault(question.area, []).append(earned)
    span = high - low
    percent = {
        area: _round_half_up(100 * sum(points[area]) / (span * len(points[area])))
        for area in QUIZ_AREAS
        if area in points
    }
    return _finish(percent)


def _round_half_up(value: float) -> int:
    # round() rounds halves to even (62.5 -> 62); people expect 63.
    return math.floor(value + 0.5)


def _finish(percent: dict[str, int]) -> QuizScore:
    order = {area: index for index, area in enumerate(QUIZ_AREAS)}
    # Ties go to the earlier area in course order (TOOL_ORDER, then differentiation): the
    # earlier tool is the foundation the later ones build on.
    weak = sorted(
        (area for area, value in percent.items() if value < STRONG_THRESHOLD),
        key=lambda area: (percent[area], order[area]),
    )
    weakest = tuple(weak[:1])
    if len(weak) > 1 and percent[weak[1]] - percent[weak[0]] <= CLOSE_GAP:
        weakest = (weak[0], weak[1])
    return QuizScore(percent=percent, weakest=weakest, all_strong=bool(percent) and not weak)


def _bar(value: int, width: int) -> str:
    filled = _round_half_up(value * width / 100)
    return "█" * filled + "░" * (width - filled)


def render_bars(
    score: QuizScore, titles: Mapping[str, str] = AREA_SHORT_TITLES, width: int = BAR_WIDTH
) -> str:
    """One line per answered area, e.g. "Drop In          ████████░░  80%".

    Plain text, meant for a <pre> block (escape it first): the padding assumes monospace.
    """
    if not score.percent:
        return ""
    names = {area: titles.get(area, area) for area in score.percent}
    pad = max(len(name) for name in names.values())
    return "\n".join(
        f"{names[area]:<{pad}} {_bar(value, width)} {value:>3}%"
        for area, value in score.percent.items()
    )


def compare(before: QuizScore, after: QuizScore) -> list[AreaChange]:
    """Per-area change for areas scored both times, in QUIZ_AREAS order."""
    return [
        AreaChange(
            area,
            before.percent[area],
            after.percent[area],
            after.percent[area] - before.percent[area],
        )
        for area in QUIZ_AREAS
        if area in before.percent and area in after.percent
    ]


def render_comparison(
    changes: list[AreaChange], titles: Mapping[str, str] = AREA_SHORT_TITLES
) -> str:
    """e.g. "Drop In          40% →  80%  +40" per line; plain text for a <pre> block."""
    if not changes:
        return ""
    names = {change.area: titles.get(change.area, change.area) for change in changes}
    pad = max(len(name) for name in names.values())
    lines = []
    for c in changes:
        delta = f"{c.delta:+d}" if c.delta else "0"
        lines.append(f"{names[c.area]:<{pad}} {c.before:>3}% → {c.after:>3}%  {delta:>4}")
    return "\n".join(lines)
