"""Telegram HTML validation, visible length, and the lesson Markdown subset."""

from __future__ import annotations

import pytest

from bot.course.html import validate_telegram_html, visible_length
from bot.course.markdown import render_body, render_inline


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>",
        "<strong><em>nested</em></strong>",
        '<a href="https://example.org/?a=1&amp;b=2">link</a>',
        '<pre><code class="language-python">x = 1 &lt; 2</code></pre>',
        "<blockquote expandable>quote</blockquote>",
        "fish &amp; chips &lt;3 &#8594; &#x2192; &quot;",
        "",
    ],
)
def test_valid_html(text: str) -> None:
    assert validate_telegram_html(text) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("<b>open", "unclosed tag <b>"),
        ("close</b>", "no opening tag"),
        ("<b><i>x</b></i>", "does not match"),
        ("<div>x</div>", "not supported"),
        ("<br>", "not supported"),
        ("a & b", "unescaped '&'"),
        ("a < b", "unescaped '<'"),
        ("a > b", "unescaped '>'"),
        ("<a>x</a>", "href"),
        ('<b class="x">x</b>', "attribute 'class'"),
        ("<code><b>x</b></code>", "nested"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "nested"),
        ("<pre><b>x</b></pre>", "only <code>"),
        ("&nbsp;", "unescaped '&'"),
    ],
)
def test_invalid_html(text: str, fragment: str) -> None:
    problem = validate_telegram_html(text)
    assert problem is not None and fragment in problem


def test_visible_length_ignores_tags_and_counts_entities_once() -> None:
    assert visible_length("<b>hi</b> &amp; <i>bye</i>") == len("hi & bye")
    assert visible_length('<a href="https://x.org">x</a>') == 1


def test_inline_escapes_then_formats() -> None:
    out, problem = render_inline("**Me** & _you_ <3 snake_case")
    assert problem is None
    assert out == "<b>Me</b> &amp; <i>you</i> &lt;3 snake_case"


@pytest.mark.parametrize(
    ("text", "fragment"), [("**open", "unclosed **"), ("an _open one", "unclosed _")]
)
def test_inline_unclosed_markers(text: str, fragment: str) -> None:
    assert fragment in (render_inline(text)[1] or "")


def test_body_blocks_messages_and_lines() -> None:
    body = "Hello\nworld.\n\n- one\n- two\n  more\n\n> a\n> b\n+++\n\nSecond **part**."
    messages, problems = render_body(body, first_line=10, title="T & U")
    assert problems == []
    assert [m.line for m in messages] == [10, 21]
    assert messages[0].html == (
        "<b>T &amp; U</b>\n\nHello world.\n\n• one\n• two more\n\n<blockquote>a\nb</blockquote>"
    )
    assert messages[1].html == "Second <b>part</b>."


def test_body_reports_author_mistakes_with_lines() -> None:
    body = "ok\n\n# Heading\n\n* star\n\n<b>raw</b>\n+++\n+++\nend"
    _, problems = render_body(body, first_line=1)
    found = {(p.line, p.message.split(";")[0].split(" ")[0]) for p in problems}
    assert (3, "headings") in found
    assert (5, "write") in found
    assert (7, "raw") in found
    assert (9, "empty") in found
