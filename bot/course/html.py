"""Telegram HTML: a strict validator and a visible-length counter.

Telegram rejects a whole message when its HTML does not parse, so every lesson is checked at
load time instead of failing at send time. The rules are deliberately stricter than Telegram's
own parser (it tolerates a bare ">"): one rule set that is always safe beats guessing.
"""

from __future__ import annotations

import html
import re

__all__ = ["ALLOWED_TAGS", "validate_telegram_html", "visible_length"]

# Tag -> attributes it may carry (Telegram's documented HTML subset).
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "a": frozenset({"href"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
    "tg-spoiler": frozenset(),
}
# Telegram allows no entities inside code blocks, and no blockquote or link inside itself.
_NO_CHILDREN = frozenset({"code"})
_NO_SELF_NESTING = frozenset({"a", "blockquote", "pre"})

_TAG_RE = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s+[A-Za-z-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([A-Za-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def validate_telegram_html(text: str) -> str | None:
    """Return why `text` is not safe Telegram HTML, or None when it is."""
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "&":
            entity = _ENTITY_RE.match(text, pos)
            if entity is None:
                return f"unescaped '&' at character {pos} (write &amp;)"
            pos = entity.end()
            continue
        if char == ">":
            return f"unescaped '>' at character {pos} (write &gt;)"
        if char != "<":
            pos += 1
            continue
        tag = _TAG_RE.match(text, pos)
        if tag is None:
            return f"unescaped '<' at character {pos} (write &lt;)"
        name = tag["name"].lower()
        if name not in ALLOWED_TAGS:
            return f"tag <{name}> is not supported by Telegram"
        if tag["close"]:
            if tag["attrs"].strip():
                return f"closing tag </{name}> cannot carry attributes"
            if not stack:
                return f"closing tag </{name}> has no opening tag"
            if stack[-1] != name:
                return f"closing tag </{name}> does not match open <{stack[-1]}>"
            stack.pop()
        else:
            problem = _check_open_tag(name, tag["attrs"], stack)
            if problem:
                return problem
            stack.append(name)
        pos = tag.end()
    if stack:
        return f"unclosed tag <{stack[-1]}>"
    return None


def _check_open_tag(name: str, raw_attrs: str, stack: list[str]) -> str | None:
    if stack and stack[-1] in _NO_CHILDREN:
        return f"<{name}> cannot be nested inside <{stack[-1]}>"
    if name in _NO_SELF_NESTING and name in stack:
        return f"<{name}> cannot be nested inside another <{name}>"
    if stack and stack[-1] == "pre" and name != "code":
        return f"only <code> may appear inside <pre>, not <{name}>"
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw_attrs):
        key = match[1].lower()
        if key not in ALLOWED_TAGS[name]:
            return f"attribute '{key}' is not allowed on <{name}>"
        if key in attrs:
            return f"attribute '{key}' repeated on <{name}>"
        value = match[2] if match[2] is not None else (match[3] or "")
        if "&" in value and _ENTITY_RE.sub("", value).count("&"):
            return f"unescaped '&' in attribute '{key}' of <{name}>"
        attrs[key] = value
    if name == "a" and not attrs.get("href", "").strip():
        return "<a> needs a non-empty href"
    if name == "code" and "class" in attrs and not attrs["class"].startswith("language-"):
        return "<code class> must look like 'language-xyz'"
    return None


def visible_length(text: str) -> int:
    """Characters the reader sees: tags dropped, entities counted as one character.

    Counts code points, not Telegram's UTF-16 units: the limit this serves is a phone-screen
    budget (far below Telegram's 4096), not the API's hard cap.
    """
    return len(html.unescape(_ANY_TAG_RE.sub("", text)))
