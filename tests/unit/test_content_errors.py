"""Broken content is rejected with every problem pinned to the right file and line.

Each test copies the real content into tmp_path and breaks one thing, so the fixtures never
drift from the real format; expected line numbers are found by searching the broken file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.course.errors import ContentError, ContentIssue
from bot.course.loader import load_content

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "broken_content"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit(path: Path, change: Callable[[str], str]) -> None:
    before = path.read_text()
    after = change(before)
    assert after != before, "the edit did not apply"
    path.write_text(after)


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line containing `needle`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def issues_of(content_dir: Path) -> list[ContentIssue]:
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    return caught.value.issues


def assert_issue(issues: list[ContentIssue], file: Path, line: int, fragment: str) -> None:
    matches = [i for i in issues if i.file == file and i.line == line and fragment in i.message]
    assert matches, f"no issue {file.name}:{line} ~ {fragment!r} in:\n" + "\n".join(
        map(str, issues)
    )


def test_unknown_field(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "01-drop-in.md"
    edit(lesson, lambda t: t.replace("day: 1\n", "day: 1\ncolour: blue\n"))
    assert_issue(
        issues_of(content_dir), lesson, line_of(lesson, "colour:"), "unknown field 'colour'"
    )


def test_missing_field(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "02-tune-in.md"
    edit(lesson, lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("summary:")))
    # A missing field is reported at the top of the front matter (line 2, after '---').
    assert_issue(issues_of(content_dir), lesson, 2, "missing required field 'summary'")


def test_tool_lesson_needs_practice_fields(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "03-check-in.md"
    edit(lesson, lambda t: "\n".join(x for x in t.splitlines() if "review_prompt:" not in x))
    assert_issue(issues_of(content_dir), lesson, 2, "'review_prompt'")


def test_wrong_type(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "04-move-in.md"
    edit(lesson, lambda t: t.replace("day: 4\n", 'day: "four"\n'))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "day:"), "day")


def test_duplicate_day(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "03-check-in.md"
    edit(lesson, lambda t: t.replace("day: 3\n", "day: 2\n"))
    issues = issues_of(content_dir)
    assert_issue(issues, lesson, line_of(lesson, "day:"), "day 2 is also used by 02-tune-in.md")
    assert_issue(issues, content_dir / "lessons", 0, "no lesson for day 3")


def test_duplicate_id(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "05-dig-in.md"
    edit(lesson, lambda t: t.replace("id: dig-in\n", "id: move-in\n"))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "id:"), "id 'move-in' is also")


def test_missing_tool(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "05-dig-in.md"
    edit(lesson, lambda t: t.replace("tool: dig_in\n", ""))
    assert_issue(
        issues_of(content_dir), lesson, line_of(lesson, "day:"), "no core lesson teaches Dig In"
    )


def test_tool_on_the_wrong_day(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "06-shift-in.md"
    edit(lesson, lambda t: t.replace("tool: shift_in\n", "tool: drop_in\n"))
    issues = issues_of(content_dir)
    assert_issue(issues, lesson, line_of(lesson, "tool:"), "drop_in belongs on day 1")
    assert_issue(issues, lesson, line_of(lesson, "tool:"), "no core lesson teaches Shift In")


def test_late_lesson_must_be_bonus(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "08-bonus-one-conversation.md"
    edit(lesson, lambda t: t.replace("bonus: true\n", ""))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "day:"), "set bonus: true")


def test_unclosed_bold_is_unbalanced_html(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "02-tune-in.md"
    edit(lesson, lambda t: t.replace("Two simple ways in:", "Two **simple ways in:"))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "Two **simple"), "unclosed **")


def test_raw_html_is_refused(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "02-tune-in.md"
    edit(lesson, lambda t: t.replace("Two simple ways in:", "Two <b>simple ways in:"))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "<b>simple"), "raw HTML")


def test_message_over_limit(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "04-move-in.md"
    filler = " ".join(["Lots of words here."] * 60)
    edit(lesson, lambda t: t.replace("**Be direct, too**\n", f"**Be direct, too**\n\n{filler}\n"))
    assert_issue(
        issues_of(content_dir), lesson, line_of(lesson, "**Be direct, too**"), "visible characters"
    )


def test_too_many_messages(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "00-welcome.md"
    edit(lesson, lambda t: t + "\n+++\n\nA fourth message.\n")
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "A fourth message."), "4 messages")


def test_bad_yaml_in_front_matter(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "05-dig-in.md"
    edit(lesson, lambda t: t.replace("example_weak: \"I'm", "example_weak: [\"I'm"))
    line = line_of(lesson, "example_weak:")
    issues = [i for i in issues_of(content_dir) if i.file == lesson]
    assert len(issues) == 1 and "bad YAML" in issues[0].message
    # PyYAML notices an unclosed flow sequence where the next key starts.
    assert issues[0].line in (line, line + 1)


def test_bad_yaml_in_quiz(content_dir: Path) -> None:
    quiz = content_dir / "quiz.yaml"
    edit(quiz, lambda t: t.replace("  - {label: Rarely, value: 1}", "  - {label: Rarely, value: 1"))
    issues = issues_of(content_dir)
    assert [i.file for i in issues] == [quiz]
    assert "bad YAML" in issues[0].message
    assert issues[0].line == line_of(quiz, "{label: Sometimes")


def test_duplicate_yaml_key(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "07-wrap-up.md"
    edit(lesson, lambda t: t.replace("day: 7\n", "day: 7\nday: 7\n"))
    assert_issue(issues_of(content_dir), lesson, line_of(lesson, "day:") + 1, "duplicate key")


def test_unknown_quiz_area(content_dir: Path) -> None:
    quiz = content_dir / "quiz.yaml"
    edit(quiz, lambda t: t.replace("area: dig_in\n", "area: dig_out\n", 1))
    issues = issues_of(content_dir)
    assert_issue(issues, quiz, line_of(quiz, "area: dig_out"), "unknown area 'dig_out'")
    assert_issue(issues, quiz, line_of(quiz, "questions:"), "area 'dig_in' has 1 question")


def test_missing_quiz_result(content_dir: Path) -> None:
    quiz = content_dir / "quiz.yaml"
    edit(quiz, lambda t: t.replace("  shift_in:\n", "  shift_out:\n"))
    issues = issues_of(content_dir)
    assert_issue(issues, quiz, line_of(quiz, "results:"), "no result text for area 'shift_in'")
    assert_issue(issues, quiz, line_of(quiz, "shift_out:"), "unknown area 'shift_out'")


def test_quiz_question_field_error(content_dir: Path) -> None:
    quiz = content_dir / "quiz.yaml"
    edit(quiz, lambda t: t.replace("    reverse: true\n", "    reverse: yes please\n", 1))
    assert_issue(issues_of(content_dir), quiz, line_of(quiz, "yes please"), "reverse")


def test_nudge_placeholder(content_dir: Path) -> None:
    nudges = content_dir / "nudges.yaml"
    edit(nudges, lambda t: t.replace("Hey {name}.", "Hey {first_name}."))
    assert_issue(issues_of(content_dir), nudges, line_of(nudges, "{first_name}"), "first_name")


def test_all_issues_are_collected_and_printed_one_per_line(content_dir: Path) -> None:
    lesson = content_dir / "lessons" / "01-drop-in.md"
    quiz = content_dir / "quiz.yaml"
    edit(lesson, lambda t: t.replace("day: 1\n", "day: 1\ncolour: blue\n"))
    edit(quiz, lambda t: t.replace("area: tune_in\n", "area: tuna\n", 1))
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    lines = str(caught.value).splitlines()
    assert f"{lesson}:{line_of(lesson, 'colour:')}: unknown field 'colour'" in " ".join(lines)
    assert any(
        line.startswith(f"{quiz}:{line_of(quiz, 'area: tuna')}: unknown area") for line in lines
    )
    assert len(lines) == len(caught.value.issues) >= 3


def test_static_fixture_reports_each_problem() -> None:
    """A small hand-made broken tree, readable on its own (tests/data/broken_content)."""
    issues = issues_of(FIXTURES)
    lessons = FIXTURES / "lessons"
    assert_issue(issues, lessons / "00-welcome.md", 4, "unknown field 'mood'")
    assert_issue(issues, lessons / "01-drop-in.md", 2, "missing required field 'title'")
    assert_issue(issues, lessons / "02-tune-in.md", 3, "day 1 is also used by 01-drop-in.md")
    assert_issue(issues, FIXTURES / "quiz.yaml", 9, "unknown area 'romance'")
    assert_issue(issues, FIXTURES / "nudges.yaml", 2, "bad YAML")
