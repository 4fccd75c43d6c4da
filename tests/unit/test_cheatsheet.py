"""The cheat sheet PDF: one page, made from the real lessons, cached per content version, and
refused (naming the lesson file) when the lessons no longer fit or can't be printed."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.cheatsheet import CheatSheetCache, CheatSheetError, render_cheatsheet
from bot.course.errors import ContentError
from bot.course.loader import load_content
from bot.course.models import Content, Course
from bot.course.tools import TOOL_ORDER, Tool

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


def flat(text: str) -> str:
    # PDF text comes back with the layout's line breaks: compare word sequences only.
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), flat("\n".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def lesson_file(content_dir: Path, tool: Tool) -> Path:
    (path,) = content_dir.glob(f"lessons/0{tool.day}-*.md")
    return path


def set_field(path: Path, field: str, value: str) -> None:
    text = path.read_text()
    # A JSON string is a valid YAML double-quoted scalar.
    line = f"{field}: {json.dumps(value, ensure_ascii=False)}"
    changed, count = re.subn(rf"^{field}: .*$", lambda _: line, text, flags=re.M)
    assert count == 1, f"{field} not found in {path.name}"
    path.write_text(changed)


def with_lesson(content: Content, tool: Tool, **changes: str) -> Content:
    """The same content with one lesson's fields changed (bypassing the loader's limits)."""
    lessons = tuple(
        lesson.model_copy(update=changes) if lesson.tool == tool else lesson
        for lesson in content.course.lessons
    )
    return content.model_copy(
        update={"course": Course(lessons=lessons), "version": f"{content.version}-{tool}"}
    )


def test_the_real_lessons_make_one_page_with_every_tool(content: Content) -> None:
    pages, text = pdf_text(render_cheatsheet(content))
    assert pages == 1
    assert "Six tools for closeness" in text
    for tool in TOOL_ORDER:
        lesson = content.course.by_tool(tool)
        assert tool.label in text
        assert flat(lesson.title) in text
        assert flat(lesson.summary) in text
        assert lesson.example_weak and flat(lesson.example_weak) in text
        assert lesson.example_better and flat(lesson.example_better) in text
    # Course order on the page, too.
    positions = [text.index(flat(content.course.by_tool(t).title)) for t in TOOL_ORDER]
    assert positions == sorted(positions)


def test_the_pdf_is_a4_portrait_and_deterministic(content: Content) -> None:
    pdf = render_cheatsheet(content)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert render_cheatsheet(content) == pdf


def test_the_cache_renders_once_per_content_version(content: Content) -> None:
    calls: list[str] = []

    def render(c: Content) -> bytes:
        calls.append(c.version)
        return render_cheatsheet(c)

    cache = CheatSheetCache(render)
    first = cache.get(content)
    assert cache.get(content) is first
    assert calls == [content.version]

    changed = with_lesson(content, Tool.DIG_IN, summary="Look under the anger for the hurt.")
    second = cache.get(changed)
    assert calls == [content.version, changed.version]
    assert second != first
    assert "Look under the anger for the hurt." in pdf_text(second)[1]
    assert cache.get(changed) is second


def test_the_cache_forgets_the_upload_when_the_content_changes(content: Content) -> None:
    cache = CheatSheetCache()
    cache.get(content)
    cache.remember_file_id(content, "DOC1")
    assert cache.file_id(content) == "DOC1"
    changed = with_lesson(content, Tool.DROP_IN, summary="Say the feeling.")
    assert cache.file_id(changed) is None
    cache.get(changed)
    assert cache.file_id(changed) is None and cache.file_id(content) is None


def test_an_overlong_summary_is_refused_naming_its_file(content_dir: Path) -> None:
    # Within the loader's 140 characters, but long lessons everywhere no longer fit one page.
    summary = (
        "Reflect back what you heard, slowly and in your own words, then ask gently whether "
        "you got it right, so your partner can correct you."
    )
    example = (
        "So when you come home after a long and difficult day and the kitchen is a mess, you "
        "feel drained, overwhelmed and a bit alone with it all, and you wish I had noticed?"
    )
    long_tools = (Tool.TUNE_IN, Tool.CHECK_IN, Tool.MOVE_IN)
    for tool in long_tools:
        path = lesson_file(content_dir, tool)
        set_field(path, "summary", summary)
        set_field(path, "example_weak", example)
        set_field(path, "example_better", example)
    content = load_content(content_dir)  # the loader's own limits are all met

    with pytest.raises(CheatSheetError) as caught:
        render_cheatsheet(content)
    message = str(caught.value)
    assert isinstance(caught.value, ContentError)  # so `content check` reports it the same way
    for tool in long_tools:
        assert lesson_file(content_dir, tool).name in message
    assert "one page" in message
    assert lesson_file(content_dir, Tool.DROP_IN).name not in message  # short ones are fine


def test_one_very_long_summary_names_only_that_file(content: Content) -> None:
    long = with_lesson(content, Tool.DIG_IN, summary="Name the hurt under the anger. " * 40)
    with pytest.raises(CheatSheetError) as caught:
        render_cheatsheet(long)
    issues = caught.value.issues
    assert [issue.file.name for issue in issues] == ["05-dig-in.md"]
    assert "Dig In" in issues[0].message


def test_text_the_font_cannot_print_is_refused_naming_its_file(content_dir: Path) -> None:
    path = lesson_file(content_dir, Tool.SHIFT_IN)
    set_field(path, "example_better", "I felt lonely when you went out on Saturday 🌱")
    with pytest.raises(CheatSheetError) as caught:
        render_cheatsheet(load_content(content_dir))
    assert path.name in str(caught.value)
    assert "🌱" in str(caught.value)
