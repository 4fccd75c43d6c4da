"""Telegram's HTML parse mode: text + entities, with Telegram's own error messages.

The local Bot API uses it to reject what real Telegram rejects (a lesson with a stray ``<``
must fail in tests, not in production) and to count message length after parsing.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HtmlParseError", "parse_html", "utf16_len"]


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; str(exc) is the part after "can't parse entities: "."""


# Tag -> entity type, as documented in https://core.telegram.org/bots/api#html-style
_TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Telegram supports only these named entities (plus all numeric ones); others stay literal.
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z][a-zA-Z0-9]{0,31});")
_TAG_NAME = re.compile(r"[^\s>]*")  # like TDLib: the name runs to a space or '>'
_ATTR_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_-]*")
_UNQUOTED = re.compile(r"[^\s>]+")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(s) if s.isascii() else len(s.encode("utf-16-le")) // 2


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    m = _ENTITY.match(text, i)
    if m is None:
        return None
    name = m.group(1)
    if name[0] == "#":
        try:
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        except ValueError:
            return None
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), m.end()
    ch = _NAMED.get(name)
    return (ch, m.end()) if ch is not None else None


def _unescape_attr(value: str) -> str:
    if "&" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&" and (dec := _decode_entity(value, i)) is not None:
            out.append(dec[0])
            i = dec[1]
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _parse_attrs(text: str, k: int, tag: str, start: int) -> tuple[dict[str, str], int]:
    """Parse attributes from k up to and including '>'; returns (attrs, index after '>')."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, start)}")
        if text[k] == ">":
            return attrs, k + 1
        m = _ATTR_NAME.match(text, k)
        if m is None:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, k)}'
            )
        attr = m.group(0).lower()
        k = m.end()
        while k < n and text[k].isspace():
            k += 1
        if k < n and text[k] == "=":
            k += 1
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                )
            if text[k] in "\"'":
                end = text.find(text[k], k + 1)
                if end < 0:
                    raise HtmlParseError(
                        f"Unclosed end of attribute value at byte offset {_byte_offset(text, k)}"
                    )
                attrs[attr] = _unescape_attr(text[k + 1 : end])
                k = end + 1
            else:
                mv = _UNQUOTED.match(text, k)
                value = mv.group(0) if mv else ""
                attrs[attr] = _unescape_attr(value)
                k += len(value)
        else:
            attrs[attr] = ""


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities with UTF-16 offsets).

    Raises HtmlParseError with a Telegram-style reason for unknown or unbalanced tags.
    """
    if "<" not in text and "&" not in text:  # the common case: nothing to do
        return text, []
    out: list[str] = []
    pos = 0  # UTF-16 length of the plain text produced so far
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    while i < n:
        m = _SPECIAL.search(text, i)
        j = m.start() if m else n
        if j > i:
            chunk = text[i:j]
            out.append(chunk)
            pos += utf16_len(chunk)
            i = j
            if i >= n:
                break
        if text[i] == "&":
            dec = _decode_entity(text, i)
            if dec is None:
                out.append("&")
                pos += 1
                i += 1
            else:
                out.append(dec[0])
                pos += utf16_len(dec[0])
                i = dec[1]
            continue
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            tag, attrs, start = stack.pop()
            if name != tag:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
            _close(tag, attrs, start, pos, stack, entities)
            i = end + 1
            continue
        tm = _TAG_NAME.match(text, i + 1)
        assert tm is not None  # the pattern matches the empty string
        tag = tm.group(0).lower()
        if tag not in _TAG_ENTITY:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, i)}'
            )
        attrs, k = _parse_attrs(text, tm.end(), tag, i)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        stack.append((tag, attrs, pos))
        i = k
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close(
    tag: str,
    attrs: dict[str, str],
    start: int,
    pos: int,
    stack: list[tuple[str, dict[str, str], int]],
    entities: list[dict[str, Any]],
) -> None:
    length = pos - start
    if tag == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            stack[-1][1]["\0language"] = lang[len("language-") :]
            return
    if length <= 0:
        return  # Telegram drops empty entities
    etype = _TAG_ENTITY[tag]
    entity: dict[str, Any] = {"type": etype, "offset": start, "length": length}
    if tag == "a":
        href = attrs.get("href", "")
        if not href:
            return
        entity["url"] = href
    elif tag == "pre" and "\0language" in attrs:
        entity["language"] = attrs["\0language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    entities.append(entity)
