"""The real content in content/ loads and keeps the course's promises."""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import pytest

from bot.course.html import validate_telegram_html, visible_length
from bot.course.loader import load_content
from bot.course.models import CORE_LAST_DAY, MAX_MESSAGES, MAX_VISIBLE_CHARS, Content
from bot.course.tools import DIFFERENTIATION, QUIZ_AREAS, TOOL_ORDER, Tool

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR)


def test_core_days_run_from_welcome_to_wrap_up(content: Content) -> None:
    core = content.course.core_lessons
    assert [lesson.day for lesson in core] == list(range(CORE_LAST_DAY + 1))
    assert content.course.core_last_day == CORE_LAST_DAY == 7
    assert core[0].tool is None and core[-1].tool is None


def test_every_tool_is_taught_once_on_its_day(content: Content) -> None:
    for tool in TOOL_ORDER:
        lesson = content.course.by_tool(tool)
        assert lesson.day == tool.day
        assert content.course.by_day(tool.day) == lesson
        assert [les.tool for les in content.course.core_lessons].count(tool) == 1


def test_lessons_are_phone_sized_and_valid_html(content: Content) -> None:
    for lesson in content.course.lessons:
        assert 1 <= len(lesson.messages) <= MAX_MESSAGES, lesson.id
        for message in lesson.messages:
            assert validate_telegram_html(message) is None, lesson.id
            assert visible_length(message) <= MAX_VISIBLE_CHARS, lesson.id
        # Markers that escaped the renderer would show as literal junk.
        text = "".join(lesson.messages)
        assert "**" not in text and "+++" not in text, lesson.id


def test_tool_lessons_have_practice(content: Content) -> None:
    for tool in Tool:
        lesson = content.course.by_tool(tool)
        assert 1 <= len(lesson.prompts) <= 3
        # The coach expects a one-sentence reply, so every prompt must ask for a sentence.
        assert all("sentence" in prompt.lower() for prompt in lesson.prompts)
        assert lesson.review_prompt and lesson.example_weak and lesson.example_better
        assert lesson.example_weak != lesson.example_better
        assert len(lesson.summary) <= 140


def test_bonus_lessons_follow_the_core(content: Content) -> None:
    for lesson in content.course.bonus_lessons:
        assert lesson.bonus and lesson.day > CORE_LAST_DAY
    assert content.course.last_day >= CORE_LAST_DAY


def test_quiz_covers_every_area(content: Content) -> None:
    quiz = content.quiz
    assert 14 <= len(quiz.questions) <= 16
    assert [(o.label, o.value) for o in quiz.scale] == [
        ("Never", 0),
        ("Rarely", 1),
        ("Sometimes", 2),
        ("Often", 3),
        ("Always", 4),
    ]
    for area in QUIZ_AREAS:
        assert sum(q.area == area for q in quiz.questions) >= 2, area
        assert quiz.results[area].text
    assert any(q.reverse for q in quiz.questions)
    assert all(len(q.text) <= 200 for q in quiz.questions)
    assert len({q.id for q in quiz.questions}) == len(quiz.questions)


def test_weak_areas_point_to_lessons(content: Content) -> None:
    for tool in Tool:
        assert content.course.lessons_for_area(tool.value) == (content.course.by_tool(tool),)
    days = [lesson.day for lesson in content.course.lessons_for_area(DIFFERENTIATION)]
    assert days == [0, Tool.MOVE_IN.day]


def test_nudges_are_gentle_plain_text(content: Content) -> None:
    assert 5 <= len(content.nudges) <= 7
    for nudge in content.nudges:
        fields = {f for _, f, _, _ in string.Formatter().parse(nudge) if f}
        assert fields <= {"name"}
        assert not re.search(r"<[a-z/]", nudge)
        assert nudge.format(name="Sam")


def test_version_is_a_stable_content_hash(content: Content, tmp_path: Path) -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", content.version)
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy)
    assert load_content(copy).version == content.version
    nudges = copy / "nudges.yaml"
    nudges.write_text(nudges.read_text() + '  - "One more, {name}."\n')
    assert load_content(copy).version != content.version
