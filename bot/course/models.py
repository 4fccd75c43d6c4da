"""The loaded course: immutable models the rest of the bot reads (and never writes)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.course.tools import DIFFERENTIATION, TOOL_ORDER, Tool

__all__ = [
    "CORE_LAST_DAY",
    "MAX_MESSAGES",
    "MAX_VISIBLE_CHARS",
    "AreaResult",
    "Content",
    "Course",
    "Lesson",
    "Question",
    "Quiz",
    "ScaleOption",
]

# Day 0 welcomes, days 1..6 teach one tool each, the day after the last tool wraps up.
CORE_LAST_DAY = len(TOOL_ORDER) + 1
# A lesson must read comfortably on a phone: a few short messages, not a wall of text.
MAX_MESSAGES = 3
MAX_VISIBLE_CHARS = 1000


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lesson(_Frozen):
    id: str
    day: int
    tool: Tool | None = None
    title: str
    summary: str  # one line: used by /lessons and the cheat sheet
    example_weak: str | None = None
    example_better: str | None = None
    prompts: tuple[str, ...] = ()  # plain text; each asks for a one-sentence reply
    review_prompt: str | None = None  # extra practice when the quiz says this tool is weakest
    bonus: bool = False
    messages: tuple[str, ...]  # Telegram HTML, validated, ready for parse_mode=HTML
    source: Path


class Course(_Frozen):
    lessons: tuple[Lesson, ...]  # sorted by day

    def by_day(self, day: int) -> Lesson | None:
        for lesson in self.lessons:
            if lesson.day == day:
                return lesson
        return None

    def by_tool(self, tool: Tool) -> Lesson:
        """The core lesson that teaches `tool` (the loader guarantees exactly one)."""
        for lesson in self.lessons:
            if lesson.tool == tool and not lesson.bonus:
                return lesson
        raise KeyError(tool)

    @property
    def core_last_day(self) -> int:
        return CORE_LAST_DAY

    @property
    def last_day(self) -> int:
        """The newest lesson that exists, bonus included."""
        return self.lessons[-1].day

    @property
    def core_lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if not lesson.bonus)

    @property
    def bonus_lessons(self) -> tuple[Lesson, ...]:
        return tuple(lesson for lesson in self.lessons if lesson.bonus)

    def lessons_for_area(self, area: str) -> tuple[Lesson, ...]:
        """Where to send someone whose quiz area is weak: the tool's lesson, or for
        differentiation the welcome (S.O.F.T.) and Move In (the "I" position)."""
        if area == DIFFERENTIATION:
            welcome = self.by_day(0)
            return (*((welcome,) if welcome else ()), self.by_tool(Tool.MOVE_IN))
        return (self.by_tool(Tool(area)),)


class ScaleOption(_Frozen):
    label: str
    value: int


class Question(_Frozen):
    id: str
    text: str
    area: str  # one of tools.QUIZ_AREAS
    reverse: bool = False  # agreeing means a weaker area: scored max - value


class AreaResult(_Frozen):
    title: str
    text: str  # what a low score means and which lesson helps


class Quiz(_Frozen):
    intro: str
    scale: tuple[ScaleOption, ...]  # ascending values
    questions: tuple[Question, ...]
    results: dict[str, AreaResult]  # area -> result, every area present

    @property
    def min_value(self) -> int:
        return min(option.value for option in self.scale)

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.scale)

    def question(self, question_id: str) -> Question | None:
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


class Content(_Frozen):
    course: Course
    quiz: Quiz
    nudges: tuple[str, ...]  # plain text; may contain {name}
    version: str  # short hash of every content file: a cache key for derived artefacts
