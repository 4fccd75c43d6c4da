"""Fuzzed updates: random text, commands, entities, button data, odd and huge raw updates.

One bot per test runs every Hypothesis example. Each step is one update; a private message or
a button press must be answered (a message, an edit or a callback answer). After each example a
sentinel /help from both users proves the bot still answers, and since updates are handled in
order, it also proves every fuzzed update was handled: only then are failures collected. A
failure is anything that reached an error handler or was logged at ERROR. The subscriber's fuzz
leaves out what legitimately changes the record (STOP, /settime, /timezone, forget, pause,
snooze, rejoin...), so their status, day, time and zone must come through unchanged.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from telegram import Bot, Update
from telegram.ext import ContextTypes

from bot.sandbox.botapi import QUERY_TOO_OLD, SentMessage
from bot.sandbox.html import utf16_len
from scheduler.ratelimit import RedisRateLimiter
from tests.harness import OPERATOR, BotHarness

JSON = dict[str, Any]

SUBSCRIBER = 7001  # joined before the fuzz; their record must survive it
VISITOR = 7002  # a stranger with no restrictions: may join, stop, forget, block...
GROUP = -1007003
CHANNEL = -1007004
BOT_USERNAME = "intimacy_course_bot"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DATE = int(START.timestamp())
HELP_MARK = "What I can do"
STEP_TIMEOUT = 5.0
# What must come through the subscriber's fuzz unchanged (last_seen_at, busy_until, streaks
# and practice counters legitimately move when they tap quiz or practice buttons).
KEPT = (
    "user_id",
    "status",
    "next_day",
    "last_sent_day",
    "send_time",
    "timezone",
    "consent_at",
    "created_at",
    "paused_until",
)

FUZZ_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    # The bot's state carries over between examples, so shrinking would chase a moving target;
    # a failure names the update that caused it instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ---------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """One fuzzed update: a raw update pushed as is, or a button press through the sandbox."""

    user: int  # whose private chat gets the answer
    update: JSON | None = None
    press: str | None = None  # callback data
    target: int = 0  # press: >= 0 picks one of the bot's messages, < 0 an unknown message id
    answer: str = "none"  # "message" | "callback" | "none" (the bot may answer, or not)

    def describe(self) -> str:
        what = f"press {self.press!r}" if self.press is not None else repr(self.update)
        return _short(f"user {self.user}: {what}", 1500)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# ---------------------------------------------------------------------------- strategies

SPICE = [
    "❤️",
    "👩‍❤️‍👨",
    "🏳️‍🌈",
    "🇺🇦",
    "😀😀😀",
    "e\u0301",
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2066",
    "\u200f",
    "שלום",
    "مرحبا بك",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\r\n",
    "\t",
    " ",
    "<b>",
    "</i>",
    "<a href='x'>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "*bold*",
    "_i_",
    "`code`",
    "[x](tg://user?id=1)",
    "\\",
    "%s",
    "{name}",
    "{0}",
    "I feel",
    "you always",
    "because",
    "he hits me",
    "I want to die",
    "08:00",
    "Europe/Paris",
    "UTC+5",
    "/",
    "@",
    ":",
]
KNOWN_COMMANDS = [
    "start",
    "help",
    "today",
    "lessons",
    "practice",
    "quiz",
    "progress",
    "settime",
    "timezone",
    "pause",
    "resume",
    "stop",
    "forget",
    "cancel",
    "clock",
    "cheatsheet",
]
# What changes a subscriber's record (or opens set-up, where typed text changes it) on purpose.
_CHANGES_RECORD = re.compile(r"stop|settime|timezone", re.IGNORECASE)
ENTITY_TYPES = [
    "bot_command",
    "bold",
    "italic",
    "url",
    "text_link",
    "mention",
    "hashtag",
    "text_mention",
    "pre",
    "code",
    "spoiler",
    "custom_emoji",
    "blockquote",
    "expandable_blockquote",
    "frobnicate",
]
CALLBACK_PREFIXES = [
    "quiz",
    "lesson",
    "snooze",
    "pause",
    "practice",
    "time",
    "tz",
    "forget",
    "optin",
    "notnow",
    "rejoin",
    "unsub",
    "resume",
    "bonus",
    "op",
]
CALLBACK_ARGS = [
    "",
    ":",
    "::::",
    "a:0:3",
    "a:0:1",
    "a:99:1",
    "a:-1:0",
    "a:0:-5",
    "a:0:99999999999999999999",
    "a:0",
    "back:0",
    "back:1",
    "back:x",
    "cancel",
    "start",
    "cont",
    "skip",
    "0",
    "1",
    "7",
    "99",
    "-1",
    "٣",  # an Arabic-Indic digit: str.isdigit() says yes, int() agrees
    "²",  # a superscript two: str.isdigit() says yes, int() does not
    "1h:0",
    "eve:0",
    "tmr:0",
    "1h:x",
    "1h:²",
    "1d",
    "7d",
    "open",
    "forever",
    "custom",
    "08:00",
    "25:99",
    "UTC",
    "Europe/Paris",
    "UTC+99",
    "tool:1",
    "tool:0",
    "tool:²",
    "go:1",
    "again",
    "next",
    "done",
    "yes",
    "no",
    "restart",
    "continue",
]
STATUSES = ["member", "kicked", "left", "administrator", "restricted", "creator"]


def _cap_bytes(text: str, limit: int = 64) -> str:
    return text.encode()[:limit].decode(errors="ignore")


def _repeat(parts: tuple[str, int]) -> str:
    piece, size = parts
    return (piece * (size // len(piece) + 1))[:size]


spicy = st.lists(st.sampled_from(SPICE) | st.text(max_size=6), min_size=1, max_size=30).map("".join)
huge = st.tuples(spicy.filter(bool), st.integers(4090, 6500)).map(_repeat)
any_text = st.one_of(st.text(min_size=1, max_size=300), spicy, huge)


def _no_space(text: str) -> bool:
    return bool(text) and not any(c.isspace() for c in text)


word = st.one_of(
    st.text(min_size=1, max_size=12),
    st.lists(st.sampled_from(SPICE), min_size=1, max_size=4).map("".join),
).filter(_no_space)
command_name = st.one_of(
    st.sampled_from(KNOWN_COMMANDS),
    st.sampled_from(KNOWN_COMMANDS).map(str.upper),
    st.from_regex(r"[A-Za-z0-9_]{1,40}", fullmatch=True),
    word,
)
command_text = st.builds(
    lambda name, to, sep, args: "/" + name + to + (sep + " ".join(args) if args else ""),
    command_name,
    st.sampled_from(["", "", f"@{BOT_USERNAME}", "@Intimacy_Course_Bot", "@OtherBot", "@"]),
    st.sampled_from([" ", "\n", "  ", "\t"]),
    st.lists(st.one_of(word, any_text), max_size=3),
)
names = st.text(min_size=1, max_size=64)  # Telegram caps names at 64 characters
language = st.one_of(
    st.none(),
    st.sampled_from(["en", "de", "pt-br", "EN-GB", "he", "", "zz-ZZ"]),
    st.text(max_size=35),
)


@st.composite
def sender(draw: st.DrawFn, user_id: int) -> JSON:
    user: JSON = {"id": user_id, "is_bot": False, "first_name": draw(names)}
    if draw(st.booleans()):
        user["last_name"] = draw(names)
    if draw(st.booleans()):
        user["username"] = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True))
    code = draw(language)
    if code is not None:
        user["language_code"] = code
    return user


@st.composite
def entity(draw: st.DrawFn) -> JSON:
    e: JSON = {
        "type": draw(st.sampled_from(ENTITY_TYPES)),
        "offset": draw(st.integers(-10, 7000) | st.integers(0, 8)),
        "length": draw(st.integers(-10, 7000) | st.integers(0, 8)),
    }
    extra = draw(st.sampled_from(["", "url", "user", "language", "custom_emoji_id"]))
    if extra == "url":
        e["url"] = draw(st.text(max_size=60))
    elif extra == "user":
        e["user"] = {"id": draw(st.integers(1, 2**40)), "is_bot": False, "first_name": "X"}
    elif extra:
        e[extra] = draw(st.text(max_size=20))
    return e


entities = st.one_of(
    st.lists(entity(), max_size=6),
    st.tuples(entity(), st.integers(100, 300)).map(lambda t: [t[0]] * t[1]),  # a huge array
)


@st.composite
def text_content(draw: st.DrawFn) -> JSON:
    if draw(st.booleans()):
        text = draw(command_text)
        cmd = text.split(maxsplit=1)[0] if text.split() else text
        ents: list[JSON] = [{"type": "bot_command", "offset": 0, "length": utf16_len(cmd)}]
        if draw(st.booleans()):
            ents = draw(entities) + ents if draw(st.booleans()) else ents + draw(entities)
        return {"text": text, "entities": ents}
    content: JSON = {"text": draw(any_text)}
    if draw(st.booleans()):
        content["entities"] = draw(entities)
    return content


def _file(prefix: str, n: int) -> JSON:
    return {"file_id": f"{prefix}{n}", "file_unique_id": f"u{prefix}{n}"}


@st.composite
def media_content(draw: st.DrawFn) -> JSON:
    n = draw(st.integers(0, 10**6))
    kind = draw(
        st.sampled_from(
            ["sticker", "location", "contact", "dice", "photo", "voice", "document", "venue"]
        )
    )
    if kind == "sticker":
        s = {
            **_file("STK", n),
            "type": draw(st.sampled_from(["regular", "mask", "custom_emoji", "weird"])),
            "width": 512,
            "height": 512,
            "is_animated": draw(st.booleans()),
            "is_video": draw(st.booleans()),
        }
        if draw(st.booleans()):
            s["emoji"] = draw(st.sampled_from(SPICE))
        return {"sticker": s}
    if kind == "location":
        lat = draw(st.floats(-90, 90) | st.floats(allow_nan=False, allow_infinity=False))
        lon = draw(st.floats(-180, 180) | st.floats(allow_nan=False, allow_infinity=False))
        return {"location": {"latitude": lat, "longitude": lon}}
    if kind == "contact":
        c: JSON = {"phone_number": draw(st.text(max_size=30)), "first_name": draw(names)}
        if draw(st.booleans()):
            c["user_id"] = draw(st.integers(1, 2**40))
        if draw(st.booleans()):
            c["vcard"] = draw(any_text)
        return {"contact": c}
    if kind == "dice":
        emoji = draw(st.sampled_from(["🎲", "🎯", "🏀", "⚽", "🎳", "🎰", "?"]))
        return {"dice": {"emoji": emoji, "value": draw(st.integers(-5, 100))}}
    if kind == "venue":
        return {
            "venue": {
                "location": {"latitude": 1.5, "longitude": 2.5},
                "title": draw(any_text),
                "address": draw(st.text(max_size=100)),
            }
        }
    if kind == "photo":
        size = st.builds(
            lambda w, h, i: {**_file("PHO", i), "width": w, "height": h},
            st.integers(0, 10**5),
            st.integers(0, 10**5),
            st.integers(0, 10**6),
        )
        content: JSON = {"photo": draw(st.lists(size, max_size=60))}
        if draw(st.booleans()):
            content["caption"] = draw(any_text)
            if draw(st.booleans()):
                content["caption_entities"] = draw(entities)
        return content
    if kind == "voice":
        return {"voice": {**_file("VOI", n), "duration": draw(st.integers(0, 10**6))}}
    doc: JSON = {**_file("DOC", n)}
    if draw(st.booleans()):
        doc["file_name"] = draw(st.text(max_size=300))
    return {"document": doc}


@st.composite
def junk_fields(draw: st.DrawFn) -> JSON:
    """Unknown fields Telegram might add tomorrow: PTB keeps them in api_kwargs."""
    value = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
    return draw(st.dictionaries(st.from_regex(r"x_[a-z]{1,10}", fullmatch=True), value, max_size=3))


def _private(user_id: int) -> JSON:
    return {"id": user_id, "type": "private", "first_name": "Alex"}


GROUP_CHAT = {"id": GROUP, "type": "supergroup", "title": "Couples circle"}
CHANNEL_CHAT = {"id": CHANNEL, "type": "channel", "title": "Course news"}


def _member(status: str, user: JSON) -> JSON:
    """A ChatMember as Telegram sends it for that status (all its required fields)."""
    m: JSON = {"status": status, "user": user}
    if status == "kicked":
        m["until_date"] = 0
    elif status == "creator":
        m["is_anonymous"] = False
    elif status == "administrator":
        m.update(
            dict.fromkeys(
                (
                    "can_be_edited",
                    "is_anonymous",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
        )
    elif status == "restricted":
        m.update(
            dict.fromkeys(
                (
                    "is_member",
                    "can_change_info",
                    "can_invite_users",
                    "can_pin_messages",
                    "can_send_messages",
                    "can_send_polls",
                    "can_send_other_messages",
                    "can_add_web_page_previews",
                    "can_manage_topics",
                    "can_send_audios",
                    "can_send_documents",
                    "can_send_photos",
                    "can_send_videos",
                    "can_send_video_notes",
                    "can_send_voice_notes",
                    "can_edit_tag",
                    "can_react_to_messages",
                ),
                True,
            ),
            until_date=0,
        )
    return m


def _keeps_text(content: JSON) -> bool:
    text = content.get("text")
    return not (isinstance(text, str) and _CHANGES_RECORD.search(text))


def _keeps_record(data: str) -> bool:
    """Button data that cannot change the subscriber's status, day, time or zone."""
    action, colon, arg = data.partition(":")
    if not colon:
        return True
    if action in ("optin", "rejoin", "unsub"):
        return False  # opt-in again enters set-up, where any typed time or zone is taken
    if action == "forget":
        return arg != "yes"
    if action == "pause":
        return arg not in ("1d", "3d", "7d", "open")
    if action == "snooze":
        kind, _, day = arg.partition(":")
        return kind not in ("1h", "eve", "tmr") or not day.isdigit()
    return True


callback_data = st.one_of(
    st.builds(
        lambda p, a: _cap_bytes(f"{p}:{a}"),
        st.sampled_from(CALLBACK_PREFIXES),
        st.sampled_from(CALLBACK_ARGS) | st.text(max_size=64),
    ),
    st.text(max_size=64).map(_cap_bytes),
)


@st.composite
def step(draw: st.DrawFn, user_id: int, keep_record: bool) -> Step:
    """One fuzzed update from user_id; keep_record leaves out what changes their record."""
    content = text_content() if not keep_record else text_content().filter(_keeps_text)
    any_content = st.one_of(content, content, media_content())
    kind = draw(
        st.sampled_from(
            [
                "press",
                "press",
                "press",
                "private",
                "private",
                "private",
                "private",
                "edited",
                "no_from",
                "no_chat",
                "group",
                "group_status",
                "channel",
                "member",
                "other_update",
            ]
        )
    )
    if kind == "press":
        data = draw(callback_data.filter(_keeps_record) if keep_record else callback_data)
        target = draw(st.integers(-3, 40))
        return Step(user_id, press=data, target=target, answer="callback")
    user = draw(sender(user_id))
    msg: JSON = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": DATE}
    msg.update(draw(junk_fields()))
    if kind == "private":
        msg.update({"from": user, "chat": _private(user_id), **draw(any_content)})
        if draw(st.integers(0, 5)) == 0:
            msg["reply_to_message"] = {
                "message_id": draw(st.integers(1, 10**6)),
                "date": DATE,
                "chat": _private(user_id),
                **draw(any_content),
            }
        return Step(user_id, update={"message": msg}, answer="message")
    if kind == "edited":
        msg.update({"from": user, "chat": _private(user_id), "edit_date": DATE + 5})
        msg.update(draw(content))
        return Step(user_id, update={"edited_message": msg})
    if kind == "no_from":
        msg.update({"chat": _private(user_id), **draw(any_content)})
        return Step(user_id, update={"message": msg})
    if kind == "no_chat":
        msg.update({"from": user, **draw(any_content)})
        return Step(user_id, update={"message": msg})
    if kind == "group":
        msg.update({"from": user, "chat": GROUP_CHAT, **draw(any_content)})
        return Step(user_id, update={"message": msg})
    if kind == "group_status":
        other = {
            "id": draw(st.integers(1, 2**40)),
            "is_bot": draw(st.booleans()),
            "first_name": "Z",
        }
        statuses: list[JSON] = [
            {"new_chat_members": [user, other]},
            {"left_chat_member": other},
            {"new_chat_title": draw(names)},
            {"group_chat_created": True},
            {"pinned_message": {"message_id": 1, "date": 0, "chat": GROUP_CHAT}},
        ]
        status = draw(st.sampled_from(statuses))
        msg.update({"from": user, "chat": GROUP_CHAT, **status})
        return Step(user_id, update={"message": msg})
    if kind == "channel":
        msg.update({"chat": CHANNEL_CHAT, "sender_chat": CHANNEL_CHAT, **draw(content)})
        key = draw(st.sampled_from(["channel_post", "edited_channel_post"]))
        return Step(user_id, update={key: msg})
    if kind == "member":
        chat = draw(st.sampled_from([_private(user_id), GROUP_CHAT]))
        new_statuses = STATUSES
        if keep_record and chat["type"] == "private":
            new_statuses = ["member", "administrator", "restricted", "creator"]
        bot_user = {"id": 123456, "is_bot": True, "first_name": "Intimacy Course"}
        change: JSON = {
            "chat": chat,
            "from": user,
            "date": DATE,
            "old_chat_member": _member(draw(st.sampled_from(STATUSES)), bot_user),
            "new_chat_member": _member(draw(st.sampled_from(new_statuses)), bot_user),
        }
        return Step(user_id, update={"my_chat_member": change})
    other = draw(
        st.sampled_from(
            [
                {
                    "message_reaction": {
                        "chat": _private(user_id),
                        "message_id": 1,
                        "date": DATE,
                        "user": user,
                        "old_reaction": [],
                        "new_reaction": [{"type": "emoji", "emoji": "❤"}],
                    }
                },
                {"inline_query": {"id": "iq1", "from": user, "query": "x" * 300, "offset": ""}},
                {
                    "poll_answer": {
                        "poll_id": "p1",
                        "option_ids": [0, 99],
                        "option_persistent_ids": ["a", "zz"],
                        "user": user,
                    }
                },
                {"frobnicate": {"anything": [1, {"deep": None}]}},  # an update type from the future
            ]
        )
    )
    return Step(user_id, update=other)


steps = st.lists(
    st.one_of(step(SUBSCRIBER, keep_record=True), step(VISITOR, keep_record=False)),
    min_size=3,
    max_size=30,
)


# ---------------------------------------------------------------------------- running


# A known, not yet fixed failure can be listed here so the fuzz counts it instead of failing;
# every failure found so far is fixed and pinned by a test below, so the list is empty.
KNOWN_BUGS: dict[str, tuple[str, ...]] = {}


def known_bug(error: str) -> str | None:
    for name, marks in KNOWN_BUGS.items():
        if all(mark in error for mark in marks):
            return name
    return None


@dataclass
class Failures:
    """Whatever reached an error handler, or any log record at ERROR and above."""

    errors: list[str] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)

    def new(self) -> list[str]:
        fresh = []
        for error in self.errors:
            name = known_bug(error)
            if name is None:
                fresh.append(error)
            else:
                self.known[name] = self.known.get(name, 0) + 1
        self.errors.clear()
        return fresh

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        shown = update.to_dict() if isinstance(update, Update) else update
        tb = "".join(traceback.format_exception(context.error)) if context.error else ""
        self.errors.append(f"update {_short(repr(shown), 1500)}\n{tb}")


class _ErrorLog(logging.Handler):
    def __init__(self, failures: Failures) -> None:
        super().__init__(level=logging.ERROR)
        self.failures = failures

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "bot.handlers.errors":
            return  # the error handler's own log: Failures.on_error has the update
        self.failures.errors.append(f"log {record.name}: {_short(self.format(record), 3000)}")


@dataclass
class Fuzz:
    bot: BotHarness
    failures: Failures
    ptb_bot: Bot
    n_steps: int = 0

    def _seen(self, chat_id: int) -> set[tuple[int, int]]:
        return {(m.message_id, m.edits) for m in self.bot.api.sent(chat_id)}

    async def run(self, s: Step) -> None:
        api = self.bot.api
        seen = self._seen(s.user)
        answers = len(api.callback_answers(s.user))
        if s.press is not None:
            sent = api.sent(s.user)
            if s.target >= 0 and sent:
                message_id = sent[s.target % len(sent)].message_id
            else:
                message_id = 10**6 - s.target  # a message the bot never sent
            await api.press_data(s.user, message_id, s.press)
        else:
            assert s.update is not None
            # A generator bug must not wedge the polling loop (PTB retries an unparseable batch).
            Update.de_json({"update_id": 1, **s.update}, self.ptb_bot)
            await api.push_update(s.update)
        self.n_steps += 1
        try:
            if s.answer == "message":

                def new(m: SentMessage) -> bool:
                    return (m.message_id, m.edits) not in seen

                await api.wait_for_message(s.user, predicate=new, timeout=STEP_TIMEOUT)
            elif s.answer == "callback":
                await api.wait_for_callback_answer(s.user, after=answers, timeout=STEP_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no answer ({s.answer}) to {s.describe()}") from None

    async def sentinel(self) -> None:
        """Both users still get /help; every update before it has been handled."""
        for user in (SUBSCRIBER, VISITOR):
            await self.bot.say(user, "/help", HELP_MARK)

    def check(self) -> None:
        fresh = self.failures.new()
        if fresh:
            shown = "\n\n".join(fresh[:3])
            raise AssertionError(f"{len(fresh)} failure(s):\n{shown}")


def kept(record: dict[str, str]) -> dict[str, str | None]:
    return {k: record.get(k) for k in KEPT}


@pytest.fixture
async def fuzz(redis_url: str, redis: Redis) -> AsyncIterator[Fuzz]:
    failures = Failures()
    log_handler = _ErrorLog(failures)
    root = logging.getLogger()
    async with BotHarness(redis_url, start=START) as bot:
        assert bot.app is not None
        await bot.join(SUBSCRIBER)
        # Like PER_CHAT_INTERVAL in the harness: behaviour, not Telegram's pace. At the real
        # 3 s per group message (the group test below checks that groups are ignored now).
        limiter = bot.app.bot.rate_limiter
        assert isinstance(limiter, RedisRateLimiter)
        limiter.group_interval = 0.01
        bot.app.add_error_handler(failures.on_error)
        root.addHandler(log_handler)
        fuzz = Fuzz(bot, failures, bot.app.bot)
        try:
            yield fuzz
        finally:
            root.removeHandler(log_handler)
            # shown with -s: how much ran, and which known bugs the fuzz ran into again
            print(f"fuzz: {fuzz.n_steps} updates; known bugs hit: {failures.known or 'none'}")


@FUZZ_SETTINGS
@given(batch=steps)
async def test_fuzzed_updates_are_answered_and_change_nothing(
    fuzz: Fuzz, batch: list[Step]
) -> None:
    bot = fuzz.bot
    fuzz.failures.new()  # handled before the last sentinel: reported then
    before = kept(await bot.record(SUBSCRIBER))
    due_before = await bot.services.due.when(SUBSCRIBER)
    for s in batch:
        await fuzz.run(s)
    await fuzz.sentinel()
    fuzz.check()
    assert kept(await bot.record(SUBSCRIBER)) == before
    assert await bot.services.due.when(SUBSCRIBER) == due_before


# ---------------------------------------------------------------------------- bugs found


@dataclass
class Watched:
    bot: BotHarness
    failures: Failures


@pytest.fixture
async def watched(redis_url: str, redis: Redis) -> AsyncIterator[Watched]:
    """A bot at Telegram's real pace whose handler errors are collected."""
    failures = Failures()
    async with BotHarness(redis_url, start=START) as bot:
        assert bot.app is not None
        bot.app.add_error_handler(failures.on_error)
        yield Watched(bot, failures)


def _anything(m: SentMessage) -> bool:
    return True


async def test_unknown_command_with_html_characters_gets_its_answer(watched: Watched) -> None:
    answer = await watched.bot.say(VISITOR, "/foo<b>", _anything)
    assert answer.plain.startswith("I don't know /foo<b>"), answer.plain
    assert not watched.failures.errors


async def test_a_group_chat_does_not_hold_back_private_answers(watched: Watched) -> None:
    bot = watched.bot
    for n in range(2):
        group_message = {
            "message_id": 100 + n,
            "date": DATE,
            "from": {"id": VISITOR, "is_bot": False, "first_name": "Sam"},
            "chat": GROUP_CHAT,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        }
        await bot.api.push_update({"message": group_message})
    await bot.say(SUBSCRIBER, "/help", HELP_MARK, timeout=1.5)


async def test_a_message_without_chat_reaches_no_error_handler(watched: Watched) -> None:
    message = {
        "message_id": 1,
        "date": DATE,
        "from": {"id": VISITOR, "is_bot": False, "first_name": "Sam"},
        "sticker": {
            **_file("STK", 1),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    }
    await watched.bot.api.push_update({"message": message})
    await watched.bot.say(VISITOR, "/help", HELP_MARK)  # handled in order: the sticker is done
    assert not watched.failures.errors, watched.failures.errors[0]


async def test_a_press_whose_query_expired_still_takes_effect(watched: Watched) -> None:
    bot = watched.bot
    await bot.say(VISITOR, "/start", "Would you like to join")
    bot.api.fail_next("answerCallbackQuery", status=400, description=QUERY_TOO_OLD)
    await bot.press(VISITOR, "Yes, sign me up", "When would you like", timeout=2)
    await bot.record(VISITOR, status="opted_in")


async def test_operator_clock_with_a_huge_jump_gets_the_usage_line(watched: Watched) -> None:
    await watched.bot.say(OPERATOR, "/clock +99999999d", "Usage", timeout=2)
    assert not watched.failures.errors, watched.failures.errors[0]


@pytest.mark.parametrize("data", ["lesson:²", "snooze:1h:²", "practice:tool:²", "quiz:back:²"])
async def test_forged_superscript_digits_get_a_polite_answer(watched: Watched, data: str) -> None:
    bot = watched.bot
    await bot.join(SUBSCRIBER)
    message = bot.api.last(SUBSCRIBER)  # the quiz offer
    if data.startswith("quiz:"):
        await bot.press(SUBSCRIBER, "Take the quiz", "1 /")  # the quiz is on this message now
    seen = len(bot.api.callback_answers(SUBSCRIBER))
    await bot.api.press_data(SUBSCRIBER, message.message_id, data)
    answer = await bot.api.wait_for_callback_answer(SUBSCRIBER, after=seen)
    await bot.say(SUBSCRIBER, "/help", HELP_MARK)  # handled in order: the press is done
    assert not watched.failures.errors, watched.failures.errors[0]
    assert "went wrong" not in (answer.text or "")
