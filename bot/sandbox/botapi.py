"""A local Telegram Bot API server: the project's stand-in for Telegram.

python-telegram-bot runs unchanged against it (``ApplicationBuilder().base_url(api.base_url)``),
so tests exercise PTB's real request path, error mapping, updater and rate limiter. The test
(or the sandbox terminal) acts as the users: ``send_text``, ``press``, ``block``... and reads what
the bot did through ``sent``, ``wait_for_message``, ``calls``. Faults (``fail_next``,
``set_latency``, ``set_timeout_next``, ``strict``) reproduce what Telegram does under load.

Responses are shaped like Telegram's: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {"retry_after": N}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.html import HtmlParseError, parse_html, utf16_len

__all__ = [
    "ApiCall",
    "BotEvent",
    "Button",
    "CallbackAnswer",
    "LocalBotApi",
    "SentFile",
    "SentMessage",
    "WebhookConfig",
    "WebhookDelivery",
]

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Telegram's default when allowed_updates was never set: everything but these three.
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Button:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(slots=True)
class SentFile:
    """A file the bot sent: an upload (``data`` holds its bytes), a file_id or a URL."""

    file_id: str
    filename: str | None
    size: int
    data: bytes | None = None
    mime_type: str | None = None
    url: str | None = None


@dataclass(slots=True, eq=False)
class SentMessage:
    """A message the bot sent, kept up to date by edits and deletions."""

    message_id: int
    chat_id: int
    kind: str  # "text" / "document" / "photo"
    text: str  # as sent (HTML source for parse_mode HTML); the caption for media
    plain: str  # what the user reads: tags stripped, entities unescaped
    parse_mode: str | None
    buttons: list[list[Button]] = field(default_factory=list)
    entities: list[JSON] = field(default_factory=list)
    keyboard: list[list[str]] | None = None  # reply keyboard texts, [] once removed
    edits: int = 0
    deleted: bool = False
    document: SentFile | None = None
    photo: SentFile | None = None
    sent_at: float = 0.0  # time.monotonic()
    date: int = 0
    edit_date: int | None = None
    index: int = -1  # position in sent(chat_id)
    params: JSON = field(default_factory=dict)  # the request as received (file bytes excluded)
    reply_markup: JSON | None = None  # current inline markup as Telegram echoes it back


@dataclass(slots=True)
class ApiCall:
    method: str
    params: JSON
    at: float  # time.monotonic() on arrival
    status: int = 0  # HTTP status answered; 0 while pending or never answered


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int = 0
    callback_query_id: str = ""
    at: float = 0.0


@dataclass(slots=True)
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    @property
    def secret(self) -> str | None:
        return self.secret_token


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    update_id: int
    status: int  # 0 when the connection failed
    attempt: int


@dataclass(frozen=True, slots=True)
class BotEvent:
    """What listeners (the terminal chat) are told: kind is sent/edited/deleted/answer."""

    kind: str
    chat_id: int
    message: SentMessage | None = None
    answer: CallbackAnswer | None = None


class _ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass(slots=True)
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass(slots=True)
class _Hang:
    times: int
    apply: bool


@dataclass(slots=True)
class _Callback:
    user_id: int
    chat_id: int
    answered: bool = False


class _Chat:
    """Per-chat state, so no operation scans all chats."""

    __slots__ = ("actions", "by_id", "count", "first_name", "id", "messages", "next_id", "times")

    def __init__(self, chat_id: int, first_name: str | None = None) -> None:
        self.id = chat_id
        self.first_name = first_name
        self.next_id = 1  # private chats number messages per chat, shared by both sides
        self.messages: list[SentMessage] = []
        self.by_id: dict[int, SentMessage] = {}
        self.actions: list[str] = []
        self.count = 0
        self.times: deque[float] = deque()  # strict mode sliding window

    def new_id(self) -> int:
        mid = self.next_id
        self.next_id += 1
        return mid

    def to_json(self) -> JSON:
        if self.id > 0:
            return {"id": self.id, "type": "private", "first_name": self.first_name or "User"}
        kind = "supergroup" if str(self.id).startswith("-100") else "group"
        return {"id": self.id, "type": kind, "title": f"Chat {self.id}"}


# ---------------------------------------------------------------------------- param helpers


def _int(p: JSON, name: str, *, required: bool = False) -> int | None:
    v = p.get(name)
    if v is None or v == "":
        if required:
            raise _ApiError(400, f"Bad Request: {name} is empty")
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    try:
        return int(str(v))
    except ValueError:
        raise _ApiError(400, f"Bad Request: invalid {name} specified") from None


def _chat_id(p: JSON) -> int:
    v = p.get("chat_id")
    if v is None or v == "":
        raise _ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(v, str) and v.startswith("@"):
        raise _ApiError(400, "Bad Request: chat not found")  # no public usernames here
    n = _int(p, "chat_id")
    assert n is not None
    return n


def _str(p: JSON, name: str) -> str | None:
    v = p.get(name)
    return None if v is None else str(v)


def _bool(p: JSON, name: str) -> bool:
    v = p.get(name)
    return v is True or v == 1 or (isinstance(v, str) and v.lower() in ("true", "1"))


def _json(p: JSON, name: str) -> Any:
    v = p.get(name)
    if isinstance(v, str | bytes):
        if not v:
            return None
        try:
            return json.loads(v)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise _ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
    return v


def _parse_text(text: str, parse_mode: str | None) -> tuple[str, list[JSON]]:
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        try:
            return parse_html(text)
        except HtmlParseError as exc:
            raise _ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if mode in ("markdown", "markdownv2"):
        return text, []  # accepted but not parsed (the project uses HTML)
    raise _ApiError(400, "Bad Request: unsupported parse_mode")


def _valid_url(url: str) -> bool:
    return url.startswith(("http://", "https://", "tg://")) and len(url) > 8


def _parse_markup(
    raw: Any, *, inline_only: bool = False
) -> tuple[JSON | None, list[list[str]] | None]:
    """Validate reply_markup like Telegram; returns (inline markup, reply keyboard texts)."""
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                "InlineKeyboardButton must be an Object",
            )
        for row in rows:
            for b in row:
                if not isinstance(b, dict) or not isinstance(b.get("text"), str):
                    raise _ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        'Field "text" must be of type String',
                    )
                actions = [k for k in b if k != "text"]
                if not actions:
                    raise _ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = b.get("callback_data")
                if data is not None and (
                    not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA
                ):
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = b.get("url")
                if url is not None and not _valid_url(str(url)):
                    raise _ApiError(
                        400,
                        f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                        "Wrong HTTP URL",
                    )
        return {"inline_keyboard": rows}, None
    if inline_only:
        raise _ApiError(400, "Bad Request: inline keyboard expected")
    if "keyboard" in raw:
        texts = [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in raw["keyboard"]
        ]
        return None, texts
    if raw.get("remove_keyboard"):
        return None, []
    if "force_reply" in raw:
        return None, None
    raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")


def _buttons(markup: JSON | None) -> list[list[Button]]:
    if not markup:
        return []
    return [
        [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]


def _short(text: str, n: int = 70) -> str:
    text = text.replace("\n", " / ")
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------- the server


class LocalBotApi:
    """An in-process Telegram Bot API server on aiohttp (see the module docstring)."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        username: str = "intimacy_course_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        first_name: str = "Intimacy Course",
        record: bool = True,
        now: Callable[[], float] = time.time,
        hang_seconds: float = 30.0,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        self.token = token
        self.username = username
        self.host = host
        self.port = port
        # record=False keeps only counts and timestamps: for benchmarks pushing 100k sends
        self.record = record
        self._now = now  # source of message dates (the sandbox may time-travel)
        self.hang_seconds = hang_seconds
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        try:
            bot_id = int(token.split(":", 1)[0])
        except ValueError:
            bot_id = 1
        self.me: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._me_short = {k: self.me[k] for k in ("id", "is_bot", "first_name", "username")}

        self.calls: list[ApiCall] = []
        self.call_counts: Counter[str] = Counter()
        self.n_429 = 0
        self.sent_total = 0
        self.send_times: list[float] = []  # monotonic time of every successful new message
        self.webhook = WebhookConfig()
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self.settings: dict[str, JSON] = {}  # last params of setMyDescription & co.

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JSON] = {}
        self._blocked: set[int] = set()
        self._forgotten: set[int] = set()
        self._files: dict[str, SentFile] = {}
        self._file_paths: dict[str, SentFile] = {}
        self._file_seq = itertools.count(1)
        self._callbacks: dict[str, _Callback] = {}
        self._cb_seq = itertools.count(4_200_000_000_000_000_001)
        self._answers: dict[int, list[CallbackAnswer]] = {}

        self._updates: deque[JSON] = deque()
        self._next_update_id = 1
        self._allowed: frozenset[str] | None = None  # None = Telegram's default set
        self._update_event = asyncio.Event()
        self._poll_gen = 0

        self._faults: dict[str, list[_Fault]] = {}
        self._hangs: dict[str, _Hang] = {}
        self._latency: dict[str | None, float] = {}
        self._strict = False
        self._global_rate: float | None = None
        self._chat_rate: float | None = None
        self._burst: int | None = None
        self._group_per_minute: float | None = None
        self._global_times: deque[float] = deque()
        self._group_times: dict[int, deque[float]] = {}
        self._paid_rate = 1000.0

        self._waiters: dict[tuple[str, int], asyncio.Event] = {}
        self._listeners: list[Callable[[BotEvent], None]] = []
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

        h: dict[str, Callable[[JSON], Awaitable[Any]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getchat": self._get_chat,
            "getfile": self._get_file,
            "close": self._ok,
            "logout": self._ok,
            # bot profile settings a post_init may touch: remembered in `settings`
            **{
                m.lower(): self._setting(m)
                for m in (
                    "setMyDescription",
                    "setMyShortDescription",
                    "setMyName",
                    "setChatMenuButton",
                )
            },
        }
        self._handlers = h

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)  # 50 MB uploads + margin
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that gave up (timeout fault, cancelled long poll)
        # must not leave a handler behind; shutdown_timeout: stop() wakes everything anyway
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        self._closing.set()
        self._wake_updates()
        for ev in self._waiters.values():
            ev.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    def _response(status: int, body: JSON) -> web.Response:
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
        )

    def _error(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: JSON = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return self._response(status, body)

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query) if request.query_string else {}
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON") from None
            if not isinstance(body, dict):
                raise _ApiError(400, "Bad Request: can't parse JSON")
            params.update(body)
        else:
            post = await request.post()
            for key in post:
                params[key] = post[key]
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        method_name = info["method"]
        if info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = method_name.lower()
        handler = self._handlers.get(method)
        if handler is None:
            return self._error(404, "Not Found")
        self.call_counts[method] += 1
        if self._waiters:
            self._notify(("call", 0))
        try:
            params = await self._read_params(request)
        except _ApiError as exc:
            return self._error(exc.status, exc.description)
        call: ApiCall | None = None
        if self.record:
            call = ApiCall(method_name, self._loggable(params), time.monotonic())
            self.calls.append(call)
        try:
            if self._faults:
                self._apply_fault(method, params)
            if self._latency:
                delay = self._latency.get(method, self._latency.get(None, 0.0))
                if delay > 0:
                    await asyncio.sleep(delay)
            hang = self._hangs.get(method) if self._hangs else None
            if hang is not None:
                hang.times -= 1
                if hang.times <= 0:
                    del self._hangs[method]
                if hang.apply:
                    with contextlib.suppress(_ApiError):
                        await handler(params)
                # never answer: wait for stop() or the safety cap; the client times out first
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
                return self._error(504, "Gateway Timeout")
            result = await handler(params)
        except _ApiError as exc:
            if call is not None:
                call.status = exc.status
            if exc.status == 429:
                self.n_429 += 1
            return self._error(exc.status, exc.description, exc.retry_after)
        if call is not None:
            call.status = 200
        return self._response(200, {"ok": True, "result": result})

    @staticmethod
    def _loggable(params: JSON) -> JSON:
        if not any(isinstance(v, web.FileField) for v in params.values()):
            return params
        return {
            k: (f"<file {v.filename}>" if isinstance(v, web.FileField) else v)
            for k, v in params.items()
        }

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        f = self._file_paths.get(request.match_info["path"])
        if f is None or f.data is None:
            return self._error(404, "Not Found")
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")

    def _apply_fault(self, method: str, params: JSON) -> None:
        faults = self._faults.get(method)
        if not faults:
            return
        for fault in faults:
            if fault.chat_id is not None:
                try:
                    if _int(params, "chat_id") != fault.chat_id:
                        continue
                except _ApiError:
                    continue
            fault.times -= 1
            if fault.times <= 0:
                faults.remove(fault)
                if not faults:
                    del self._faults[method]
            raise _ApiError(fault.status, fault.description, fault.retry_after)

    # ------------------------------------------------------------------ notifications

    def _notify(self, key: tuple[str, int]) -> None:
        ev = self._waiters.pop(key, None)
        if ev is not None:
            ev.set()

    def _emit(self, event: BotEvent) -> None:
        self._notify(("chat", event.chat_id))
        for listener in list(self._listeners):
            listener(event)

    def subscribe(self, listener: Callable[[BotEvent], None]) -> Callable[[], None]:
        """Call listener on every bot message sent/edited/deleted and callback answer."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _wake_updates(self) -> None:
        ev = self._update_event
        self._update_event = asyncio.Event()
        ev.set()

    async def _wait(self, key: tuple[str, int], deadline: float) -> bool:
        """Wait for a change on key until deadline; False on timeout."""
        ev = self._waiters.get(key)
        if ev is None:
            ev = self._waiters[key] = asyncio.Event()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(ev.wait(), remaining)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ chats and updates

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            user = self._users.get(chat_id)
            name = user["first_name"] if user else f"User{chat_id}"
            chat = self._chats[chat_id] = _Chat(chat_id, name)
        return chat

    def _check_chat(self, chat_id: int) -> _Chat:
        if chat_id in self._forgotten:
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return self._chat(chat_id)

    def _queue(self, kind: str, payload: JSON) -> bool:
        allowed = self._allowed
        if (kind in _NOT_DEFAULT_UPDATES) if allowed is None else (kind not in allowed):
            return False  # Telegram never creates updates the bot did not ask for
        self._updates.append({"update_id": self._next_update_id, kind: payload})
        self._next_update_id += 1
        self._wake_updates()
        return True

    def _user(
        self, user_id: int, first_name: str | None = None, language_code: str | None = None
    ) -> JSON:
        user = self._users.get(user_id)
        if user is None or first_name is not None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or "Alex"}
            if language_code:
                user["language_code"] = language_code
            self._users[user_id] = user
            chat = self._chats.get(user_id)
            if chat is not None:
                chat.first_name = user["first_name"]
        return user

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        user = self._user(user_id)
        bot = dict(self._me_short)
        new_member: JSON = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: JSON = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        self._queue(
            "my_chat_member",
            {
                "chat": self._chat(user_id).to_json(),
                "from": user,
                "date": int(self._now()),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    async def _user_message(
        self, user_id: int, first_name: str | None, language_code: str | None, content: JSON
    ) -> JSON:
        user = self._user(user_id, first_name, language_code)
        self._forgotten.discard(user_id)
        if user_id in self._blocked:
            # a Telegram client unblocks the bot before the user can write to it again
            await self.unblock(user_id)
        chat = self._chat(user_id)
        msg: JSON = {
            "message_id": chat.new_id(),
            "from": user,
            "chat": chat.to_json(),
            "date": int(self._now()),
            **content,
        }
        self._queue("message", msg)
        return msg

    def _fake_file(self, prefix: str, name: str, mime: str, size: int) -> SentFile:
        n = next(self._file_seq)
        f = SentFile(f"{prefix}{n:08d}", name, size, b"\0" * size, mime)
        self._files[f.file_id] = f
        return f

    # ------------------------------------------------------------------ acting as a user

    async def send_text(
        self, user_id: int, text: str, *, first_name: str = "Alex", language_code: str | None = "en"
    ) -> JSON:
        """The user writes text; a leading /command gets a bot_command entity."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            cmd = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(cmd)}]
        return await self._user_message(user_id, first_name, language_code, content)

    async def send_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "❤️",
        first_name: str = "Alex",
        language_code: str | None = "en",
    ) -> JSON:
        f = self._fake_file("STK", "sticker.webp", "image/webp", 64)
        sticker = {
            "file_id": f.file_id,
            "file_unique_id": "u" + f.file_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": f.size,
        }
        return await self._user_message(user_id, first_name, language_code, {"sticker": sticker})

    async def send_voice(
        self,
        user_id: int,
        *,
        duration: int = 3,
        first_name: str = "Alex",
        language_code: str | None = "en",
    ) -> JSON:
        f = self._fake_file("VOI", "voice.ogg", "audio/ogg", 256)
        voice = {
            "file_id": f.file_id,
            "file_unique_id": "u" + f.file_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": f.size,
        }
        return await self._user_message(user_id, first_name, language_code, {"voice": voice})

    async def send_photo_from_user(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        first_name: str = "Alex",
        language_code: str | None = "en",
    ) -> JSON:
        f = self._fake_file("PHU", "photo.jpg", "image/jpeg", 128)
        content: JSON = {
            "photo": [
                {
                    "file_id": f.file_id,
                    "file_unique_id": "u" + f.file_id,
                    "width": 640,
                    "height": 480,
                    "file_size": f.size,
                }
            ]
        }
        if caption:
            content["caption"] = caption
        return await self._user_message(user_id, first_name, language_code, content)

    async def push_update(self, update: JSON) -> None:
        """Queue a raw update as is (no allowed_updates filter); update_id is filled if absent."""
        update = dict(update)
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        else:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        self._updates.append(update)
        self._wake_updates()

    def _find_button(
        self, user_id: int, label: str, message_id: int | None
    ) -> tuple[SentMessage, Button]:
        chat = self._chats.get(user_id)
        candidates: list[SentMessage] = []
        if chat is not None:
            if message_id is not None:
                m = chat.by_id.get(message_id)
                candidates = [m] if m is not None and not m.deleted else []
            else:
                candidates = [m for m in reversed(chat.messages) if m.buttons and not m.deleted]
        for match in (lambda b: b.text == label, lambda b: label.casefold() in b.text.casefold()):
            for m in candidates:
                for row in m.buttons:
                    for b in row:
                        if match(b):
                            return m, b
        seen = [
            f"message {m.message_id}: " + " | ".join(b.text for r in m.buttons for b in r)
            for m in candidates
            if m.buttons
        ]
        raise LookupError(
            f"no button {label!r} in chat {user_id}; available: "
            + ("; ".join(seen) if seen else "none")
        )

    async def press(self, user_id: int, label: str, *, message_id: int | None = None) -> str:
        """Press an inline button by its label on the newest bot message showing it."""
        msg, button = self._find_button(user_id, label, message_id)
        if button.callback_data is None:
            raise LookupError(f"button {button.text!r} is not a callback button (url={button.url})")
        return self._callback(user_id, msg.message_id, button.callback_data)

    async def press_data(self, user_id: int, message_id: int, data: str) -> str:
        """Queue a callback query with arbitrary (forged or stale) data."""
        return self._callback(user_id, message_id, data)

    def _callback(self, user_id: int, message_id: int, data: str) -> str:
        user = self._user(user_id)
        chat = self._chat(user_id)
        cb_id = str(next(self._cb_seq))
        self._callbacks[cb_id] = _Callback(user_id, user_id)
        sm = chat.by_id.get(message_id)
        message = (
            self._message_json(sm, chat)
            if sm is not None and not sm.deleted
            # Telegram sends an inaccessible message (date 0) for what it no longer has
            else {"message_id": message_id, "chat": chat.to_json(), "date": 0}
        )
        self._queue(
            "callback_query",
            {
                "id": cb_id,
                "from": user,
                "message": message,
                "chat_instance": str(1_000_000 + abs(user_id)),
                "data": data,
            },
        )
        return cb_id

    async def block(self, user_id: int) -> None:
        """The user blocks the bot: sends get 403 and a my_chat_member (kicked) is queued."""
        if user_id in self._blocked:
            return
        self._blocked.add(user_id)
        self._member_update(user_id, "member", "kicked")

    async def unblock(self, user_id: int) -> None:
        if user_id not in self._blocked:
            return
        self._blocked.discard(user_id)
        self._member_update(user_id, "kicked", "member")

    def forget_chat(self, chat_id: int) -> None:
        """Telegram no longer knows the chat: every call on it gets 400 chat not found."""
        self._forgotten.add(chat_id)

    # ------------------------------------------------------------------ what the bot did

    def sent(self, chat_id: int) -> list[SentMessage]:
        chat = self._chats.get(chat_id)
        return list(chat.messages) if chat else []

    def last(self, chat_id: int) -> SentMessage:
        chat = self._chats.get(chat_id)
        if not chat or not chat.messages:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return chat.messages[-1]

    def sent_count(self, chat_id: int) -> int:
        """New messages sent to the chat (kept even with record=False)."""
        chat = self._chats.get(chat_id)
        return chat.count if chat else 0

    def chat_actions(self, chat_id: int) -> list[str]:
        chat = self._chats.get(chat_id)
        return list(chat.actions) if chat else []

    def dump(self, chat_id: int) -> str:
        """A readable transcript of what the bot sent to the chat."""
        msgs = self.sent(chat_id)
        lines = [f"chat {chat_id}: {len(msgs)} message(s)"]
        for m in msgs:
            flags = "".join(
                [f" edited×{m.edits}" if m.edits else "", " DELETED" if m.deleted else ""]
            )
            body = _short(m.plain)
            if m.document:
                body = f"[file {m.document.filename}, {m.document.size} B] " + body
            if m.photo:
                body = "[photo] " + body
            lines.append(f"  [{m.index}] id={m.message_id}{flags}: {body}")
            if m.buttons:
                labels = " | ".join(b.text for row in m.buttons for b in row)
                lines.append(f"        buttons: {labels}")
        return "\n".join(lines)

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        predicate: Callable[[SentMessage], bool] | None = None,
        after: int = 0,
        timeout: float = 5.0,
    ) -> SentMessage:
        """First message with index >= after matching predicate; edits re-check too."""
        deadline = time.monotonic() + timeout
        while True:
            chat = self._chats.get(chat_id)
            if chat is not None:
                for m in itertools.islice(chat.messages, after, None):
                    if predicate is None or predicate(m):
                        return m
            if not await self._wait(("chat", chat_id), deadline) or self._closing.is_set():
                raise TimeoutError(
                    f"no matching message (index >= {after}) within {timeout}s\n"
                    + self.dump(chat_id)
                )

    async def wait_for_count(self, chat_id: int, n: int, timeout: float = 5.0) -> list[SentMessage]:
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.sent(chat_id)
            if len(msgs) >= n:
                return msgs
            if not await self._wait(("chat", chat_id), deadline) or self._closing.is_set():
                raise TimeoutError(
                    f"expected {n} message(s) within {timeout}s\n" + self.dump(chat_id)
                )

    def callback_answers(self, user_id: int) -> list[CallbackAnswer]:
        return list(self._answers.get(user_id, ()))

    async def wait_for_callback_answer(
        self, user_id: int, *, after: int = 0, timeout: float = 5.0
    ) -> CallbackAnswer:
        """The answer with index >= after to this user's button presses."""
        deadline = time.monotonic() + timeout
        while True:
            answers = self._answers.get(user_id, [])
            if len(answers) > after:
                return answers[after]
            if not await self._wait(("cb", user_id), deadline) or self._closing.is_set():
                raise TimeoutError(
                    f"no callback answer #{after} for user {user_id} within {timeout}s "
                    f"(answers so far: {answers})"
                )

    async def wait_for_calls(self, method: str, n: int = 1, timeout: float = 5.0) -> None:
        """Wait until method has been called n times (e.g. a long poll is in flight)."""
        deadline = time.monotonic() + timeout
        while self.call_counts[method.lower()] < n:
            if not await self._wait(("call", 0), deadline) or self._closing.is_set():
                raise TimeoutError(f"{method} called {self.count(method)} time(s), expected {n}")

    async def wait_for_webhook_deliveries(
        self, n: int, timeout: float = 5.0
    ) -> list[WebhookDelivery]:
        """Wait until n webhook POST attempts (successful or not) were made."""
        deadline = time.monotonic() + timeout
        while len(self.webhook_deliveries) < n:
            if not await self._wait(("webhook", 0), deadline) or self._closing.is_set():
                raise TimeoutError(
                    f"{len(self.webhook_deliveries)} webhook deliveries, expected {n}: "
                    f"{self.webhook_deliveries}"
                )
        return list(self.webhook_deliveries)

    def count(self, method: str) -> int:
        return self.call_counts[method.lower()]

    @property
    def commands(self) -> list[JSON]:
        """Commands set for the default scope and no language."""
        return list(self._commands.get(("default", ""), []))

    def commands_for(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        scope_key = "default" if key == '{"type": "default"}' else key
        return list(self._commands.get((scope_key, language_code), []))

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of method (in chat_id, if given) fail with status."""
        if status == 429 and retry_after is None:
            retry_after = 1  # PTB maps 429 to RetryAfter only with parameters.retry_after
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            )
        self._faults.setdefault(method.lower(), []).append(
            _Fault(status, description, retry_after, times, chat_id)
        )

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Answer after `seconds` (every method, or just one); 0 removes it."""
        key = method.lower() if method else None
        if seconds > 0:
            self._latency[key] = seconds
        else:
            self._latency.pop(key, None)

    def set_timeout_next(self, method: str, times: int = 1, *, apply: bool = False) -> None:
        """Never answer the next `times` calls; apply=True still performs them (a lost answer)."""
        self._hangs[method.lower()] = _Hang(times, apply)

    def strict(
        self,
        *,
        global_rate: float | None = 30.0,
        per_chat_rate: float | None = 1.0,
        burst: int | None = None,
        group_per_minute: float | None = 20.0,
    ) -> None:
        """Enforce Telegram's flood limits on sends and edits with 429 + retry_after.

        Sliding windows: at most ceil(global_rate) sends in any second (1000 with
        allow_paid_broadcast), at most `burst` (default ceil(per_chat_rate)) in one chat per
        burst/per_chat_rate seconds, and group_per_minute in a group per minute.
        strict(global_rate=None, per_chat_rate=None) turns all of it off (groups included).
        """
        self._global_rate = global_rate
        self._chat_rate = per_chat_rate
        self._burst = burst
        self._group_per_minute = group_per_minute
        self._strict = global_rate is not None or per_chat_rate is not None
        self._global_times.clear()
        for chat in self._chats.values():
            chat.times.clear()
        self._group_times.clear()

    @staticmethod
    def _window_check(times: deque[float], cap: int, window: float, now: float) -> None:
        limit = now - window
        while times and times[0] <= limit:
            times.popleft()
        if len(times) >= cap:
            retry = max(1, math.ceil(times[len(times) - cap] + window - now))
            raise _ApiError(429, f"Too Many Requests: retry after {retry}", retry)

    def _rate_check(self, chat: _Chat, paid: bool) -> None:
        now = time.monotonic()
        if self._global_rate is not None:
            rate = max(self._global_rate, self._paid_rate) if paid else self._global_rate
            self._window_check(self._global_times, max(1, math.ceil(rate)), 1.0, now)
        if self._chat_rate is not None:
            cap = self._burst or max(1, math.ceil(self._chat_rate))
            self._window_check(chat.times, cap, cap / self._chat_rate, now)
        if self._group_per_minute is not None and chat.id < 0:
            gt = self._group_times.setdefault(chat.id, deque())
            self._window_check(gt, max(1, math.ceil(self._group_per_minute)), 60.0, now)

    def _rate_record(self, chat: _Chat) -> None:
        now = time.monotonic()
        if self._global_rate is not None:
            self._global_times.append(now)
        if self._chat_rate is not None:
            chat.times.append(now)
        if self._group_per_minute is not None and chat.id < 0:
            self._group_times.setdefault(chat.id, deque()).append(now)

    # ------------------------------------------------------------------ message building

    def _message_json(self, sm: SentMessage, chat: _Chat) -> JSON:
        msg: JSON = {
            "message_id": sm.message_id,
            "from": self._me_short,
            "chat": chat.to_json(),
            "date": sm.date,
        }
        if sm.edit_date is not None:
            msg["edit_date"] = sm.edit_date
        if sm.kind == "text":
            msg["text"] = sm.plain
            if sm.entities:
                msg["entities"] = sm.entities
        else:
            if sm.plain:
                msg["caption"] = sm.plain
                if sm.entities:
                    msg["caption_entities"] = sm.entities
            f = sm.document or sm.photo
            assert f is not None
            if sm.kind == "document":
                doc: JSON = {
                    "file_id": f.file_id,
                    "file_unique_id": "u" + f.file_id,
                    "file_size": f.size,
                }
                if f.filename:
                    doc["file_name"] = f.filename
                if f.mime_type:
                    doc["mime_type"] = f.mime_type
                msg["document"] = doc
            else:
                msg["photo"] = [
                    {
                        "file_id": f.file_id,
                        "file_unique_id": "u" + f.file_id,
                        "width": 1280,
                        "height": 720,
                        "file_size": f.size,
                    }
                ]
        if sm.reply_markup:
            msg["reply_markup"] = sm.reply_markup
        return msg

    def _store(self, chat: _Chat, sm: SentMessage, paid: bool) -> JSON:
        """Commit a new bot message (after every check passed) and answer it."""
        if self._strict:
            self._rate_record(chat)
        now = time.monotonic()
        sm.sent_at = now
        self.sent_total += 1
        self.send_times.append(now)
        chat.count += 1
        if self.record:
            sm.index = len(chat.messages)
            chat.messages.append(sm)
            chat.by_id[sm.message_id] = sm
            self._emit(BotEvent("sent", chat.id, sm))
        elif self._waiters or self._listeners:
            self._emit(BotEvent("sent", chat.id, sm))
        return self._message_json(sm, chat)

    # ------------------------------------------------------------------ methods

    async def _ok(self, p: JSON) -> bool:
        return True

    def _setting(self, method: str) -> Callable[[JSON], Awaitable[bool]]:
        async def store(p: JSON) -> bool:
            self.settings[method] = p
            return True

        return store

    async def _get_me(self, p: JSON) -> JSON:
        return self.me

    async def _get_updates(self, p: JSON) -> list[JSON]:
        if self.webhook.url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(p, "offset") or 0
        limit = min(max(_int(p, "limit") or 100, 1), 100)
        timeout = max(_int(p, "timeout") or 0, 0)
        allowed = _json(p, "allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None
        q = self._updates
        if offset > 0:
            while q and q[0]["update_id"] < offset:
                q.popleft()
        elif offset < 0:
            while len(q) > -offset:
                q.popleft()
        self._poll_gen += 1
        gen = self._poll_gen
        self._wake_updates()  # an older long poll must learn it was superseded
        deadline = time.monotonic() + timeout
        while True:
            if gen != self._poll_gen:
                raise _ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            if self.webhook.url:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is "
                    "active; use deleteWebhook to delete the webhook first",
                )
            if q:
                return list(itertools.islice(q, limit))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing.is_set():
                return []
            ev = self._update_event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ev.wait(), remaining)

    async def _set_webhook(self, p: JSON) -> bool:
        url = _str(p, "url") or ""
        if not url:
            return await self._delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = _str(p, "secret_token")
        if secret is not None and (
            not 1 <= len(secret) <= 256
            or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)
        ):
            raise _ApiError(
                400, "Bad Request: bad webhook: secret token contains unallowed characters"
            )
        allowed = _json(p, "allowed_updates")
        if allowed is not None:
            self._allowed = frozenset(allowed) if allowed else None
        if _bool(p, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=_int(p, "max_connections") or 40,
            allowed_updates=list(allowed) if allowed else None,
        )
        self._wake_updates()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop())
        return True

    async def _delete_webhook(self, p: JSON) -> bool:
        if _bool(p, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = WebhookConfig()
        self._wake_updates()
        return True

    async def _get_webhook_info(self, p: JSON) -> JSON:
        w = self.webhook
        info: JSON = {
            "url": w.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if w.url:
            info["max_connections"] = w.max_connections
            info["ip_address"] = self.host
            if w.allowed_updates:
                info["allowed_updates"] = w.allowed_updates
        if w.last_error_date is not None:
            info["last_error_date"] = w.last_error_date
            info["last_error_message"] = w.last_error_message
        return info

    async def _webhook_loop(self) -> None:
        """POST queued updates to the webhook one at a time, retrying a bounded number of times."""
        while not self._closing.is_set() and self.webhook.url:
            if not self._updates:
                ev = self._update_event
                await ev.wait()
                continue
            update = self._updates[0]
            for attempt in range(1, self.webhook_max_attempts + 1):
                config = self.webhook
                if not config.url or self._session is None:
                    return
                headers = {"Content-Type": "application/json"}
                if config.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
                try:
                    async with self._session.post(
                        config.url, data=json.dumps(update).encode(), headers=headers
                    ) as resp:
                        status, reason = resp.status, resp.reason
                        await resp.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, reason = 0, f"Connection failed: {exc!r}"
                self.webhook_deliveries.append(
                    WebhookDelivery(int(update["update_id"]), status, attempt)
                )
                self._notify(("webhook", 0))
                if 200 <= status < 300:
                    break
                config.last_error_date = int(self._now())
                config.last_error_message = (
                    f"Wrong response from the webhook: {status} {reason}" if status else reason
                )
                if attempt < self.webhook_max_attempts:
                    await asyncio.sleep(self.webhook_retry_delay * attempt)
            # delivered, or given up on after the bounded retries
            if self._updates and self._updates[0] is update:
                self._updates.popleft()

    async def _send_message(self, p: JSON) -> JSON:
        chat = self._check_chat(_chat_id(p))
        text = _str(p, "text") or ""
        parse_mode = _str(p, "parse_mode")
        plain, entities = _parse_text(text, parse_mode)
        if not plain.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(plain) > MAX_TEXT:
            raise _ApiError(400, "Bad Request: message is too long")
        if not entities and not parse_mode:
            raw_entities = _json(p, "entities")
            if isinstance(raw_entities, list):
                entities = raw_entities
        markup, keyboard = _parse_markup(_json(p, "reply_markup"))
        paid = _bool(p, "allow_paid_broadcast")
        if self._strict:
            self._rate_check(chat, paid)
        sm = SentMessage(
            message_id=chat.new_id(),
            chat_id=chat.id,
            kind="text",
            text=text,
            plain=plain,
            parse_mode=parse_mode,
            buttons=_buttons(markup),
            entities=entities,
            keyboard=keyboard,
            date=int(self._now()),
            params=p if self.record else {},
            reply_markup=markup,
        )
        return self._store(chat, sm, paid)

    def _file_param(self, p: JSON, name: str, prefix: str) -> SentFile:
        v = p.get(name)
        if isinstance(v, str) and v.startswith("attach://"):
            v = p.get(v[len("attach://") :])
        if isinstance(v, web.FileField):
            data = v.file.read()
            if not data:
                raise _ApiError(400, "Bad Request: file must be non-empty")
            n = next(self._file_seq)
            f = SentFile(
                file_id=f"{prefix}{n:08d}",
                filename=v.filename,
                size=len(data),
                data=data if self.record else None,
                mime_type=v.content_type,
            )
            self._files[f.file_id] = f
            return f
        if isinstance(v, str) and v:
            if v.startswith(("http://", "https://")):
                name_part = v.rstrip("/").rsplit("/", 1)[-1] or "file"
                n = next(self._file_seq)
                return SentFile(f"{prefix}{n:08d}", name_part, 0, None, None, url=v)
            known = self._files.get(v)
            if known is None:
                raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return known
        raise _ApiError(400, f"Bad Request: there is no {name} in the request")

    async def _send_media(self, p: JSON, kind: str) -> JSON:
        chat = self._check_chat(_chat_id(p))
        f = self._file_param(p, kind, "DOC" if kind == "document" else "PHO")
        caption = _str(p, "caption") or ""
        parse_mode = _str(p, "parse_mode")
        plain, entities = _parse_text(caption, parse_mode)
        if len(plain) > MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        markup, keyboard = _parse_markup(_json(p, "reply_markup"))
        paid = _bool(p, "allow_paid_broadcast")
        if self._strict:
            self._rate_check(chat, paid)
        sm = SentMessage(
            message_id=chat.new_id(),
            chat_id=chat.id,
            kind=kind,
            text=caption,
            plain=plain,
            parse_mode=parse_mode,
            buttons=_buttons(markup),
            entities=entities,
            keyboard=keyboard,
            document=f if kind == "document" else None,
            photo=f if kind == "photo" else None,
            date=int(self._now()),
            params=self._loggable(p) if self.record else {},
            reply_markup=markup,
        )
        return self._store(chat, sm, paid)

    async def _send_document(self, p: JSON) -> JSON:
        return await self._send_media(p, "document")

    async def _send_photo(self, p: JSON) -> JSON:
        return await self._send_media(p, "photo")

    def _editable(self, p: JSON) -> tuple[_Chat, SentMessage | None]:
        if p.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: inline messages are not supported here")
        chat = self._check_chat(_chat_id(p))
        mid = _int(p, "message_id")
        if mid is None:
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        if not self.record:
            return chat, None
        sm = chat.by_id.get(mid)
        if sm is None or sm.deleted:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return chat, sm

    def _commit_edit(self, chat: _Chat, sm: SentMessage) -> JSON:
        if self._strict:
            self._rate_record(chat)
        sm.edits += 1
        sm.edit_date = int(self._now())
        self._emit(BotEvent("edited", chat.id, sm))
        return self._message_json(sm, chat)

    def _blind_edit(self, chat: _Chat, p: JSON, plain: str) -> JSON:
        """record=False: nothing to compare against, answer as if the edit worked."""
        mid = _int(p, "message_id") or 0
        if self._strict:
            self._rate_record(chat)
        return {
            "message_id": mid,
            "from": self._me_short,
            "chat": chat.to_json(),
            "date": int(self._now()),
            "edit_date": int(self._now()),
            "text": plain,
        }

    async def _edit_message_text(self, p: JSON) -> JSON:
        return self._edit_content(p, "text")

    async def _edit_message_caption(self, p: JSON) -> JSON:
        return self._edit_content(p, "caption")

    def _edit_content(self, p: JSON, field: str) -> JSON:
        """editMessageText (field "text") and editMessageCaption ("caption")."""
        chat, sm = self._editable(p)
        text = _str(p, field) or ""
        parse_mode = _str(p, "parse_mode")
        plain, entities = _parse_text(text, parse_mode)
        if field == "text":
            if not plain.strip():
                raise _ApiError(400, "Bad Request: message text is empty")
            if len(plain) > MAX_TEXT:
                raise _ApiError(400, "Bad Request: message is too long")
        elif len(plain) > MAX_CAPTION:
            raise _ApiError(400, "Bad Request: message caption is too long")
        # Telegram drops the inline keyboard when an edit does not repeat it
        markup, _ = _parse_markup(_json(p, "reply_markup"), inline_only=True)
        if self._strict:
            self._rate_check(chat, False)
        if sm is None:
            return self._blind_edit(chat, p, plain)
        if (sm.kind == "text") != (field == "text"):
            raise _ApiError(400, f"Bad Request: there is no {field} in the message to edit")
        if sm.plain == plain and sm.entities == entities and sm.reply_markup == markup:
            raise _ApiError(400, NOT_MODIFIED)
        sm.text, sm.plain, sm.entities, sm.parse_mode = text, plain, entities, parse_mode
        sm.reply_markup, sm.buttons = markup, _buttons(markup)
        return self._commit_edit(chat, sm)

    async def _edit_message_reply_markup(self, p: JSON) -> JSON:
        chat, sm = self._editable(p)
        markup, _ = _parse_markup(_json(p, "reply_markup"), inline_only=True)
        if self._strict:
            self._rate_check(chat, False)
        if sm is None:
            return self._blind_edit(chat, p, "")
        if sm.reply_markup == markup:
            raise _ApiError(400, NOT_MODIFIED)
        sm.reply_markup, sm.buttons = markup, _buttons(markup)
        return self._commit_edit(chat, sm)

    async def _delete_message(self, p: JSON) -> bool:
        chat = self._check_chat(_chat_id(p))
        mid = _int(p, "message_id", required=True)
        if not self.record:
            return True
        sm = chat.by_id.get(mid or 0)
        if sm is None or sm.deleted:
            raise _ApiError(400, "Bad Request: message to delete not found")
        sm.deleted = True
        self._emit(BotEvent("deleted", chat.id, sm))
        return True

    async def _answer_callback_query(self, p: JSON) -> bool:
        cb_id = _str(p, "callback_query_id") or ""
        cb = self._callbacks.get(cb_id)
        if cb is None or cb.answered:
            raise _ApiError(400, QUERY_TOO_OLD)
        cb.answered = True
        answer = CallbackAnswer(
            text=_str(p, "text"),
            show_alert=_bool(p, "show_alert"),
            url=_str(p, "url"),
            cache_time=_int(p, "cache_time") or 0,
            callback_query_id=cb_id,
            at=time.monotonic(),
        )
        self._answers.setdefault(cb.user_id, []).append(answer)
        self._notify(("cb", cb.user_id))
        for listener in list(self._listeners):
            listener(BotEvent("answer", cb.chat_id, answer=answer))
        return True

    async def _send_chat_action(self, p: JSON) -> bool:
        chat = self._check_chat(_chat_id(p))
        action = _str(p, "action") or ""
        if action not in CHAT_ACTIONS:
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        if self.record:
            chat.actions.append(action)
        return True

    def _commands_key(self, p: JSON) -> tuple[str, str]:
        scope = _json(p, "scope") or {"type": "default"}
        key = json.dumps(scope, sort_keys=True)
        return ("default" if key == '{"type": "default"}' else key, _str(p, "language_code") or "")

    async def _set_my_commands(self, p: JSON) -> bool:
        commands = _json(p, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for c in commands:
            name = c.get("command", "") if isinstance(c, dict) else ""
            if not 1 <= len(name) <= 32 or not set(name) <= _COMMAND_CHARS:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: JSON) -> list[JSON]:
        return list(self._commands.get(self._commands_key(p), []))

    async def _delete_my_commands(self, p: JSON) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    async def _get_chat(self, p: JSON) -> JSON:
        chat_id = _chat_id(p)
        if chat_id in self._forgotten:
            raise _ApiError(400, "Bad Request: chat not found")
        info = self._chat(chat_id).to_json()
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": True,
                    "limited_gifts": True,
                    "unique_gifts": True,
                    "premium_subscription": True,
                    "gifts_from_channels": True,
                },
            }
        )
        return info

    async def _get_file(self, p: JSON) -> JSON:
        file_id = _str(p, "file_id") or ""
        f = self._files.get(file_id)
        if f is None:
            raise _ApiError(
                400, "Bad Request: wrong file_id or the file is temporarily unavailable"
            )
        path = f"files/{f.file_id}/{f.filename or 'file'}"
        self._file_paths[path] = f
        return {
            "file_id": f.file_id,
            "file_unique_id": "u" + f.file_id,
            "file_size": f.size,
            "file_path": path,
        }
