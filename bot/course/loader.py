"""Read content/ into a validated Content, or raise one ContentError listing every problem.

Layout (see content/README.md):
    content/lessons/*.md   one lesson each: YAML front matter between '---' lines, then a body
    content/quiz.yaml      the CARE & Intimacy Quiz
    content/nudges.yaml    re-engagement texts for quiet subscribers

Line numbers come from the YAML node marks (yaml.compose), so an author is pointed at the
exact field; pydantic checks shapes and types, the cross-checks below check the course.
"""

from __future__ import annotations

import hashlib
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from pydantic import StringConstraints as Str

from bot.course.errors import ContentError, ContentIssue
from bot.course.html import validate_telegram_html, visible_length
from bot.course.markdown import render_body
from bot.course.models import (
    CORE_LAST_DAY,
    MAX_MESSAGES,
    MAX_VISIBLE_CHARS,
    AreaResult,
    Content,
    Course,
    Lesson,
    Question,
    Quiz,
    ScaleOption,
)
from bot.course.tools import QUIZ_AREAS, TOOL_ORDER, Tool

__all__ = ["ContentError", "ContentIssue", "load_content"]

LESSONS_DIR = "lessons"
QUIZ_FILE = "quiz.yaml"
NUDGES_FILE = "nudges.yaml"
MIN_QUESTIONS_PER_AREA = 2
NUDGE_PLACEHOLDERS = frozenset({"name"})

_SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Slug = Annotated[StrictStr, Str(pattern=_SLUG)]
Title = Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=80)]
Summary = Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=140)]
Sentence = Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=200)]
Prompt = Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=300)]
Paragraphs = Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=1000)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _FrontMatter(_Spec):
    id: Slug
    day: Annotated[StrictInt, Field(ge=0)]
    tool: Tool | None = None
    title: Title
    summary: Summary
    example_weak: Sentence | None = None
    example_better: Sentence | None = None
    prompts: Annotated[list[Prompt], Field(max_length=3)] = []
    review_prompt: Prompt | None = None
    bonus: StrictBool = False


class _ScaleSpec(_Spec):
    label: Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=30)]
    value: StrictInt


class _QuestionSpec(_Spec):
    id: Slug
    text: Sentence
    area: StrictStr
    reverse: StrictBool = False


class _ResultSpec(_Spec):
    title: Title
    text: Paragraphs


class _QuizFile(_Spec):
    intro: Paragraphs
    scale: Annotated[list[_ScaleSpec], Field(min_length=2)]
    questions: Annotated[list[_QuestionSpec], Field(min_length=1)]
    results: dict[StrictStr, _ResultSpec]


class _NudgesFile(_Spec):
    nudges: Annotated[
        list[Annotated[StrictStr, Str(strip_whitespace=True, min_length=1, max_length=500)]],
        Field(min_length=1),
    ]


# ---------------------------------------------------------------------------------- YAML


@dataclass
class _Yaml:
    """A parsed YAML document with its node tree, for turning a field path into a line."""

    data: Any
    root: yaml.Node | None
    file: Path
    offset: int  # file line of the document's first line, minus one

    def line(self, loc: Sequence[str | int]) -> int:
        """The line of the field at `loc` (a mapping entry's key line: where the author looks,
        even when the value is a block below it), or of the nearest parent that exists."""
        node = self.root
        line = self.offset + 1
        for step in loc:
            if isinstance(node, yaml.MappingNode):
                pair = next((p for p in node.value if p[0].value == step), None)
                if pair is None:
                    break
                line = pair[0].start_mark.line + 1 + self.offset
                node = pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if step >= len(node.value):
                    break
                node = node.value[step]
                line = node.start_mark.line + 1 + self.offset
            else:
                break
        return line

    def issue(self, loc: Sequence[str | int], message: str) -> ContentIssue:
        return ContentIssue(self.file, self.line(loc), message)


def _parse_yaml(text: str, file: Path, offset: int, issues: list[ContentIssue]) -> _Yaml | None:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        problem = exc.problem or exc.context or "unreadable"
        issues.append(ContentIssue(file, line, f"bad YAML: {problem}"))
        return None
    except yaml.YAMLError as exc:
        issues.append(ContentIssue(file, offset + 1, f"bad YAML: {exc}"))
        return None
    doc = _Yaml(data, root, file, offset)
    # Reported, but the document is still checked: one run should show every problem.
    _check_duplicate_keys(root, doc, issues)
    return doc


def _check_duplicate_keys(node: yaml.Node | None, doc: _Yaml, issues: list[ContentIssue]) -> None:
    # PyYAML silently keeps the last of two equal keys; an author almost never means that.
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                line = key.start_mark.line + 1 + doc.offset
                issues.append(ContentIssue(doc.file, line, f"duplicate key '{key.value}'"))
            seen.add(key.value)
            _check_duplicate_keys(value, doc, issues)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, doc, issues)


_M = TypeVar("_M", bound=BaseModel)


def _validate(model: type[_M], doc: _Yaml, issues: list[ContentIssue]) -> _M | None:
    if not isinstance(doc.data, dict):
        issues.append(ContentIssue(doc.file, doc.offset + 1, "expected a mapping of fields"))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors():
            issues.append(_issue_from_error(model, doc, error["loc"], error["type"], error["msg"]))
        return None


def _issue_from_error(
    model: type[BaseModel], doc: _Yaml, loc: tuple[str | int, ...], kind: str, msg: str
) -> ContentIssue:
    path = ".".join(str(step) for step in loc)
    if kind == "missing":
        return ContentIssue(doc.file, doc.line(loc[:-1]), f"missing required field '{path}'")
    if kind == "extra_forbidden":
        message = f"unknown field '{path}'"
        if len(loc) == 1:
            message += f" (allowed: {', '.join(model.model_fields)})"
        return doc.issue(loc, message)
    return doc.issue(loc, f"{path}: {msg}")


def _read(path: Path, issues: list[ContentIssue]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        issues.append(ContentIssue(path, 0, "file not found"))
    except (OSError, UnicodeDecodeError) as exc:
        issues.append(ContentIssue(path, 0, f"cannot read: {exc}"))
    return None


# ------------------------------------------------------------------------------- lessons


@dataclass
class _Parsed:
    """What a lesson file yielded: its YAML (for line numbers) and, if fully valid, a Lesson."""

    doc: _Yaml | None = None
    front: _FrontMatter | None = None
    lesson: Lesson | None = None

    def raw(self, key: str, kind: type) -> Any:
        """A front matter value of the right type even when other fields are broken, so
        duplicate days and ids are caught across files that fail for other reasons too."""
        data = self.doc.data if self.doc is not None else None
        value = data.get(key) if isinstance(data, dict) else None
        return value if type(value) is kind else None


def _load_lesson(path: Path, issues: list[ContentIssue]) -> _Parsed:
    start = len(issues)
    text = _read(path, issues)
    if text is None:
        return _Parsed()
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        issues.append(ContentIssue(path, 1, "a lesson must start with a '---' line"))
        return _Parsed()
    closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if closing is None:
        issues.append(ContentIssue(path, 1, "front matter is never closed by a '---' line"))
        return _Parsed()

    # Front matter line 1 is file line 2: offset 1 maps YAML marks to file lines.
    doc = _parse_yaml("\n".join(lines[1:closing]), path, 1, issues)
    front = _validate(_FrontMatter, doc, issues) if doc is not None else None
    if front is not None and doc is not None:
        _check_lesson_fields(front, doc, issues)

    # The body is checked even when the front matter is broken: report everything at once.
    title = front.title if front else _Parsed(doc).raw("title", str)
    body = "\n".join(lines[closing + 1 :])
    messages, problems = render_body(body, closing + 2, title=title)
    issues.extend(ContentIssue(path, p.line, p.message) for p in problems)
    if not messages:
        issues.append(ContentIssue(path, closing + 1, "the lesson has no body"))
    if len(messages) > MAX_MESSAGES:
        first_extra = messages[MAX_MESSAGES].line
        issues.append(
            ContentIssue(
                path, first_extra, f"{len(messages)} messages; at most {MAX_MESSAGES} per lesson"
            )
        )
    for message in messages:
        size = visible_length(message.html)
        if size > MAX_VISIBLE_CHARS:
            issues.append(
                ContentIssue(
                    path,
                    message.line,
                    f"message is {size} visible characters; at most {MAX_VISIBLE_CHARS}",
                )
            )
        # Belt and braces: the renderer escapes everything, but a send must never fail.
        problem = validate_telegram_html(message.html)
        if problem and not problems:
            issues.append(ContentIssue(path, message.line, f"invalid Telegram HTML: {problem}"))
    if front is None or len(issues) != start:
        return _Parsed(doc, front)
    lesson = Lesson(
        **front.model_dump(),
        messages=tuple(m.html for m in messages),
        source=path,
    )
    return _Parsed(doc, front, lesson)


def _check_lesson_fields(front: _FrontMatter, doc: _Yaml, issues: list[ContentIssue]) -> None:
    if front.tool is not None:
        for name in ("example_weak", "example_better", "review_prompt"):
            if getattr(front, name) is None:
                issues.append(
                    doc.issue((), f"missing required field '{name}' (required for tool lessons)")
                )
        if not front.prompts:
            issues.append(doc.issue((), "missing required field 'prompts' (1-3 for tool lessons)"))
    if front.day > CORE_LAST_DAY and not front.bonus:
        issues.append(
            doc.issue(("day",), f"day {front.day} is after day {CORE_LAST_DAY}: set bonus: true")
        )
    if front.bonus and front.day <= CORE_LAST_DAY:
        issues.append(
            doc.issue(
                ("bonus",),
                f"bonus lessons come after day {CORE_LAST_DAY}, not on day {front.day}",
            )
        )
    if not front.bonus and front.day <= CORE_LAST_DAY:
        # Core days are fixed: day N teaches the Nth tool; the welcome and wrap-up teach none.
        expected = TOOL_ORDER[front.day - 1] if 1 <= front.day <= len(TOOL_ORDER) else None
        if front.tool != expected and front.tool is not None:
            wanted = f"tool: {expected.value}" if expected else "no tool"
            issues.append(
                doc.issue(
                    ("tool",),
                    f"{front.tool.value} belongs on day {front.tool.day}; "
                    f"day {front.day} needs {wanted}",
                )
            )


def _load_course(lessons_dir: Path, issues: list[ContentIssue]) -> Course | None:
    if not lessons_dir.is_dir():
        issues.append(ContentIssue(lessons_dir, 0, "lessons folder not found"))
        return None
    parsed = [_load_lesson(path, issues) for path in sorted(lessons_dir.glob("*.md"))]
    # Files whose front matter is unreadable cannot say which day or tool they cover.
    unreadable = any(item.front is None for item in parsed)

    found = len(issues)
    days: dict[int, Path] = {}
    ids: dict[str, Path] = {}
    for item in parsed:
        if item.doc is None:
            continue
        day, lesson_id = item.raw("day", int), item.raw("id", str)
        if day is not None and day in days:
            message = f"day {day} is also used by {days[day].name}"
            issues.append(item.doc.issue(("day",), message))
        elif day is not None:
            days[day] = item.doc.file
        if lesson_id is not None and lesson_id in ids:
            message = f"id '{lesson_id}' is also used by {ids[lesson_id].name}"
            issues.append(item.doc.issue(("id",), message))
        elif lesson_id is not None:
            ids[lesson_id] = item.doc.file

    if not unreadable:
        # Only judge what is missing when every file was readable: a typo is not an absence.
        for day in range(CORE_LAST_DAY + 1):
            if day not in days:
                issues.append(ContentIssue(lessons_dir, 0, f"no lesson for day {day}"))
        _check_tools(parsed, lessons_dir, issues)
    lessons = [item.lesson for item in parsed if item.lesson is not None]
    if len(lessons) != len(parsed) or len(issues) != found:
        return None
    return Course(lessons=tuple(sorted(lessons, key=lambda lesson: lesson.day)))


def _check_tools(parsed: list[_Parsed], lessons_dir: Path, issues: list[ContentIssue]) -> None:
    core = [(item.front, item.doc) for item in parsed if item.front and not item.front.bonus]
    teachers = Counter(front.tool for front, _ in core)
    for tool in TOOL_ORDER:
        if teachers[tool]:
            continue  # a second teacher is already reported as a tool on the wrong day
        message = f"no core lesson teaches {tool.label}: day {tool.day} should have tool: {tool}"
        slot = next(((f, d) for f, d in core if f.day == tool.day and d is not None), None)
        if slot is None or slot[1] is None:
            issues.append(ContentIssue(lessons_dir, 0, message))
        else:
            key = "tool" if slot[0].tool is not None else "day"
            issues.append(slot[1].issue((key,), message))


# ---------------------------------------------------------------------------------- quiz


def _load_quiz(path: Path, issues: list[ContentIssue]) -> Quiz | None:
    start = len(issues)
    text = _read(path, issues)
    doc = _parse_yaml(text, path, 0, issues) if text is not None else None
    spec = _validate(_QuizFile, doc, issues) if doc is not None else None
    if spec is None or doc is None:
        return None

    values = [option.value for option in spec.scale]
    if values != sorted(set(values)):
        issues.append(doc.issue(("scale",), "scale values must be distinct and ascending"))
    labels = Counter(option.label.lower() for option in spec.scale)
    if any(count > 1 for count in labels.values()):
        issues.append(doc.issue(("scale",), "scale labels must be distinct"))

    ids: set[str] = set()
    per_area: Counter[str] = Counter()
    for index, question in enumerate(spec.questions):
        if question.id in ids:
            issues.append(doc.issue(("questions", index, "id"), f"duplicate id '{question.id}'"))
        ids.add(question.id)
        if question.area not in QUIZ_AREAS:
            issues.append(
                doc.issue(
                    ("questions", index, "area"),
                    f"unknown area '{question.area}' (known: {', '.join(QUIZ_AREAS)})",
                )
            )
        per_area[question.area] += 1
    for area in QUIZ_AREAS:
        if per_area[area] < MIN_QUESTIONS_PER_AREA:
            issues.append(
                doc.issue(
                    ("questions",),
                    f"area '{area}' has {per_area[area]} question(s); "
                    f"at least {MIN_QUESTIONS_PER_AREA} needed",
                )
            )
    for area in spec.results:
        if area not in QUIZ_AREAS:
            issues.append(doc.issue(("results", area), f"result for unknown area '{area}'"))
    for area in QUIZ_AREAS:
        if area not in spec.results:
            issues.append(doc.issue(("results",), f"no result text for area '{area}'"))
    if len(issues) != start:
        return None
    return Quiz(
        intro=spec.intro,
        scale=tuple(ScaleOption(label=o.label, value=o.value) for o in spec.scale),
        questions=tuple(Question(**q.model_dump()) for q in spec.questions),
        results={
            area: AreaResult(title=spec.results[area].title, text=spec.results[area].text)
            for area in QUIZ_AREAS
        },
    )


# -------------------------------------------------------------------------------- nudges


def _load_nudges(path: Path, issues: list[ContentIssue]) -> tuple[str, ...] | None:
    start = len(issues)
    text = _read(path, issues)
    doc = _parse_yaml(text, path, 0, issues) if text is not None else None
    spec = _validate(_NudgesFile, doc, issues) if doc is not None else None
    if spec is None or doc is None:
        return None
    for index, nudge in enumerate(spec.nudges):
        try:
            names = {field for _, field, _, _ in string.Formatter().parse(nudge) if field}
        except ValueError as exc:
            issues.append(doc.issue(("nudges", index), f"bad placeholder: {exc} (write {{{{ }}}})"))
            continue
        unknown = names - NUDGE_PLACEHOLDERS
        if unknown:
            issues.append(
                doc.issue(
                    ("nudges", index),
                    f"unknown placeholder(s) {', '.join(sorted(unknown))}; only {{name}} is filled",
                )
            )
    return tuple(spec.nudges) if len(issues) == start else None


# --------------------------------------------------------------------------------- entry


def content_files(content_dir: Path) -> list[Path]:
    """Every file that makes up the content, in a stable order (what the version covers)."""
    lessons = sorted((content_dir / LESSONS_DIR).glob("*.md"))
    extra = [content_dir / QUIZ_FILE, content_dir / NUDGES_FILE]
    return [*lessons, *(path for path in extra if path.is_file())]


def content_version(content_dir: Path) -> str:
    """A short hash of every content file's name and bytes: changes whenever content does."""
    digest = hashlib.sha256()
    for path in content_files(content_dir):
        digest.update(path.relative_to(content_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def load_content(content_dir: Path) -> Content:
    """Load and validate everything under `content_dir`; raise ContentError with all issues."""
    issues: list[ContentIssue] = []
    course = _load_course(content_dir / LESSONS_DIR, issues)
    quiz = _load_quiz(content_dir / QUIZ_FILE, issues)
    nudges = _load_nudges(content_dir / NUDGES_FILE, issues)
    if issues or course is None or quiz is None or nudges is None:
        raise ContentError(issues or [ContentIssue(content_dir, 0, "content failed to load")])
    return Content(course=course, quiz=quiz, nudges=nudges, version=content_version(content_dir))
