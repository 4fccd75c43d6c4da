"""The small Markdown subset lesson bodies are written in, rendered to Telegram HTML.

Authors never write HTML: every character of text goes through html.escape, and only the
markers below become tags. Anything that looks like it wanted more (headings, raw tags,
"* " bullets, an unclosed marker) is reported instead of being shown to readers as junk.

    paragraph lines    joined with spaces; a blank line starts a new paragraph
    - item             a bullet line (rendered "• item"); indented or plain lines continue it
    > quote            a quote line; consecutive ones form one <blockquote>, one line each
    **bold**  _italic_ inline, inside any of the above (not across lines of a list or quote)
    +++                alone on a line: the next Telegram message starts here
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.course.html import validate_telegram_html

__all__ = ["SEPARATOR", "BodyProblem", "RenderedMessage", "render_body", "render_inline"]

SEPARATOR = "+++"

_BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC_RE = re.compile(r"(?<![\w*])_(?=\S)(.+?)(?<=\S)_(?!\w)")
# An underscore that is not inside a word (snake_case stays literal) was meant as a marker.
_LONE_UNDERSCORE_RE = re.compile(r"(?<!\w)_|_(?!\w)")
_RAW_HTML_RE = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


@dataclass(frozen=True)
class RenderedMessage:
    html: str
    line: int  # the body's first line of this message, as a line number in the file


@dataclass(frozen=True)
class BodyProblem:
    line: int
    message: str


@dataclass
class _Segment:
    kind: str  # "text", "item" or "quote"
    line: int
    parts: list[str]


def render_inline(text: str) -> tuple[str, str | None]:
    """Escape `text` and turn **bold** / _italic_ into tags; returns (html, problem)."""
    out = html.escape(text, quote=False)
    out = _BOLD_RE.sub(r"<b>\1</b>", out)
    out = _ITALIC_RE.sub(r"<i>\1</i>", out)
    if "**" in out:
        return out, "unclosed ** (bold)"
    if _LONE_UNDERSCORE_RE.search(_strip_tags(out)):
        return out, "unclosed _ (italic)"
    return out, validate_telegram_html(out)


def _strip_tags(text: str) -> str:
    return re.sub(r"</?[bi]>", " ", text)


def render_body(
    body: str, first_line: int, title: str | None = None
) -> tuple[list[RenderedMessage], list[BodyProblem]]:
    """Render a lesson body. `first_line` is the file line number of the body's first line;
    `title`, when given, opens the first message in bold."""
    problems: list[BodyProblem] = []
    chunks: list[tuple[int, list[tuple[int, str]]]] = [(first_line, [])]
    for offset, raw in enumerate(body.splitlines()):
        number = first_line + offset
        if raw.strip() == SEPARATOR:
            chunks.append((number + 1, []))
        else:
            chunks[-1][1].append((number, raw.rstrip()))

    messages: list[RenderedMessage] = []
    for start, lines in chunks:
        blocks = _blocks(lines)
        if not blocks:
            problems.append(BodyProblem(start, "empty message (stray or doubled separator)"))
            continue
        rendered = [_render_block(block, problems) for block in blocks]
        text = "\n\n".join(rendered)
        if title is not None and not messages:
            text = f"<b>{html.escape(title, quote=False)}</b>\n\n{text}"
        messages.append(RenderedMessage(text, blocks[0][0][0]))
    return messages, problems


def _blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, text in lines:
        if text.strip():
            blocks[-1].append((number, text))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _render_block(block: list[tuple[int, str]], problems: list[BodyProblem]) -> str:
    segments: list[_Segment] = []
    for number, text in block:
        stripped = text.strip()
        if _RAW_HTML_RE.search(stripped):
            problems.append(
                BodyProblem(number, "raw HTML is not allowed in lessons; use **bold** or _italic_")
            )
        if stripped.startswith("#"):
            problems.append(BodyProblem(number, "headings are not supported; use **bold**"))
        elif stripped.startswith(("* ", "+ ")):
            problems.append(BodyProblem(number, "write bullet lines as '- item'"))

        if text.startswith("- "):
            segments.append(_Segment("item", number, [text[2:].strip()]))
        elif text.startswith(">"):
            if segments and segments[-1].kind == "quote":
                segments[-1].parts.append(text[1:].strip())
            else:
                segments.append(_Segment("quote", number, [text[1:].strip()]))
        elif segments and segments[-1].kind in ("text", "item"):
            segments[-1].parts.append(stripped)
        else:
            segments.append(_Segment("text", number, [stripped]))

    rendered: list[str] = []
    for segment in segments:
        if segment.kind == "quote":
            lines = [_inline(part, segment.line, problems) for part in segment.parts]
            rendered.append("<blockquote>" + "\n".join(lines) + "</blockquote>")
        else:
            text = _inline(" ".join(segment.parts), segment.line, problems)
            rendered.append(f"• {text}" if segment.kind == "item" else text)
    return "\n".join(rendered)


def _inline(text: str, line: int, problems: list[BodyProblem]) -> str:
    out, problem = render_inline(text)
    if problem:
        problems.append(BodyProblem(line, problem))
    return out
