"""Talk to the bot from a terminal, as one subscriber, through the local Bot API.

Every bot message (new, edited, deleted) and callback answer in the user's chat is printed as
it happens; inline buttons are numbered so typing a number presses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from html.parser import HTMLParser
from typing import TextIO

from bot.sandbox.botapi import BotEvent, LocalBotApi, SentFile, SentMessage

__all__ = ["format_size", "render_html", "render_message", "run_terminal_chat"]

BANNER = """\
== Sandbox chat with @{username} as {first_name} (user id {user_id}) ==
Type a message or a /command (try /start) and press Enter.
Type a number to press that button of the latest message with buttons.
/quit or Ctrl-D leaves.
"""

_STYLE = {
    "b": "1", "strong": "1",
    "i": "3", "em": "3",
    "u": "4", "ins": "4",
    "s": "9", "strike": "9", "del": "9",
    "tg-spoiler": "2", "span": "2",
}  # fmt: skip


class _TerminalHtml(HTMLParser):
    """Telegram HTML -> terminal text; the server already validated the markup."""

    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.parts: list[str] = []
        self.active: list[str] = []  # open ANSI styles, re-applied after each reset
        self.links: list[tuple[str | None, int]] = []  # (href, index of the link text start)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _STYLE:
            self.active.append(_STYLE[tag])
            if self.ansi:
                self.parts.append(f"\x1b[{_STYLE[tag]}m")
        elif tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _STYLE and _STYLE[tag] in self.active:
            self.active.remove(_STYLE[tag])
            if self.ansi:
                self.parts.append("\x1b[0m" + "".join(f"\x1b[{c}m" for c in self.active))
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.parts[start:])
            if href and href != shown:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def render_html(text: str, *, ansi: bool = False) -> str:
    """Telegram HTML as terminal text: bold/italic as ANSI (or plain), links as 'text (url)'."""
    parser = _TerminalHtml(ansi)
    parser.feed(text)
    parser.close()
    out = "".join(parser.parts)
    return out + "\x1b[0m" if ansi and parser.active else out


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _file_line(label: str, f: SentFile) -> str:
    if f.url:
        return f"[{label}: {f.url}]"
    return f"[{label}: {f.filename or 'unnamed'}, {format_size(f.size)}]"


def render_message(m: SentMessage, *, ansi: bool = False, edited: bool = False) -> str:
    """One bot message as terminal lines, buttons numbered from 1."""
    if m.parse_mode and m.parse_mode.lower() == "html":
        body = render_html(m.text, ansi=ansi)
    else:
        body = m.plain
    lines: list[str] = []
    if m.document is not None:
        lines.append(_file_line("file", m.document))
    if m.photo is not None:
        lines.append(_file_line("photo", m.photo))
    if body:
        lines.extend(body.split("\n"))
    n = 0
    for row in m.buttons:
        cells = []
        for b in row:
            n += 1
            cells.append(f"[{n}] {b.text}" + (f" ({b.url})" if b.url else ""))
        lines.append("  ".join(cells))
    if m.keyboard:
        lines.append("keyboard: " + "  ".join(f"[{t}]" for row in m.keyboard for t in row))
    head = "bot (edited) > " if edited else "bot > "
    pad = " " * len(head)
    return "\n".join(head + line if i == 0 else pad + line for i, line in enumerate(lines))


def _start_reader(inp: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Read lines in a daemon thread: stdin never blocks the loop nor the interpreter's exit."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        # OSError/ValueError: a closed stream ends the chat like EOF;
        # RuntimeError: the loop is already gone (the program is exiting)
        with contextlib.suppress(RuntimeError):
            try:
                while line := inp.readline():
                    loop.call_soon_threadsafe(queue.put_nowait, line)
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="terminal-input", daemon=True).start()
    return queue


async def run_terminal_chat(
    api: LocalBotApi,
    *,
    user_id: int,
    first_name: str,
    language_code: str | None,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    reply_timeout: float = 10.0,
    settle: float = 0.3,
) -> None:
    """Chat with the bot until /quit or EOF.

    After each input, waits (up to reply_timeout) for the bot to react and until it has been
    quiet for `settle` seconds, so the next line (e.g. a button number) sees its answer.
    """
    ansi = out.isatty()
    activity = asyncio.Event()

    def write(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def on_event(ev: BotEvent) -> None:
        if ev.chat_id != user_id:
            return
        activity.set()
        if ev.kind == "answer" and ev.answer is not None:
            if ev.answer.text:
                write(("bot [alert] > " if ev.answer.show_alert else "bot (i) > ") + ev.answer.text)
        elif ev.message is not None and ev.kind == "deleted":
            write(f"bot deleted: {ev.message.plain[:60]!r}")
        elif ev.message is not None:
            write(render_message(ev.message, ansi=ansi, edited=ev.kind == "edited"))

    async def await_reply() -> None:
        try:
            await asyncio.wait_for(activity.wait(), reply_timeout)
        except TimeoutError:
            write(f"(no reply within {reply_timeout:g}s)")
            return
        while True:  # the bot may send several messages for one input
            activity.clear()
            try:
                await asyncio.wait_for(activity.wait(), settle)
            except TimeoutError:
                return

    def latest_with_buttons() -> SentMessage | None:
        for m in reversed(api.sent(user_id)):
            if m.buttons and not m.deleted:
                return m
        return None

    unsubscribe = api.subscribe(on_event)
    queue = _start_reader(inp, asyncio.get_running_loop())
    write(BANNER.format(username=api.username, first_name=first_name, user_id=user_id))
    try:
        while True:
            if ansi:
                out.write("> ")
                out.flush()
            line = await queue.get()
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text == "/quit":
                break
            activity.clear()
            target = latest_with_buttons() if text.isdigit() else None
            if target is not None:
                buttons = [b for row in target.buttons for b in row]
                n = int(text)
                if not 1 <= n <= len(buttons):
                    write(f"(no button {n}; the latest message has buttons 1-{len(buttons)})")
                    continue
                button = buttons[n - 1]
                if button.callback_data is None:
                    write(f"(button {n} opens {button.url})")
                    continue
                write(f"you pressed [{button.text}]")
                await api.press_data(user_id, target.message_id, button.callback_data)
            else:
                await api.send_text(
                    user_id, text, first_name=first_name, language_code=language_code
                )
            await await_reply()
    finally:
        unsubscribe()
        write("bye")
