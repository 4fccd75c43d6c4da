"""A send budget shared through Redis by every bot process, plugged into PTB as its rate limiter.

    ApplicationBuilder().rate_limiter(RedisRateLimiter(redis, keys, global_rate=30))
    await bot.send_message(chat_id, text, rate_limit_args={"priority": "bulk"})

What counts: every method that puts a message into a chat or changes one - ``send*`` (except
``sendChatAction``), ``copyMessage(s)``, ``forwardMessage(s)``, ``editMessage*`` and
``stopPoll``. Telegram answers floods of edits with 429 as well, and the local Bot API's strict
mode counts them. Everything else (getMe, answerCallbackQuery, deleteMessage, setMyCommands...)
goes straight through; PTB never hands getUpdates to a rate limiter.

The budget (times are the Redis server's TIME, in microseconds, so skewed hosts agree):
- global: at most ``global_rate`` messages/s over all processes (30; up to 1000 for paid
  broadcasts). A GCRA line: one key holds the theoretical arrival time (TAT) of the next send.
  Sends are spaced for ``global_rate * (1 - headroom)`` (headroom 1.5%): requests reach Telegram
  with some ms of jitter after their slot, and at exactly the limit a strict one-second window
  then sees 1001 and answers 429 (bench at 1000/s: 29 429s in 15,000 sends at 0%; none in
  100,000 at 1.5% once no process paused for garbage collection). Headroom h absorbs a stall
  of about h seconds (15 ms): a sender that wakes more than ``late_tolerance`` (10 ms) after its
  slot - the event loop stalled - gives the slot up and takes a new one, so a stall does not
  release its slots as one burst.
- per chat: one send per ``per_chat_interval`` s in a private chat, per ``group_interval`` s in a
  group or channel (Telegram: 20/min). A GCRA line per chat, expiring when idle.
- ``sendMediaGroup`` costs one slot per item.

Acquisition is one Lua call that *reserves* the earliest free slot and returns how long to sleep
until it ({status, wait in us}: us because slots are 1 ms apart at 1000/s), so a sender needs
one round trip per message and concurrent senders do not stampede the key. A reservation is
refused when it lies further ahead than the priority's horizon (the caller then sleeps and asks
again); that is what priority means here:
- ``interactive`` (replies to a user; the default when no rate_limit_args are given) may
  reserve up to 10 s ahead, so it queues ahead of anything lower;
- ``lesson`` (daily drip) up to 0.5 s ahead;
- ``bulk`` (broadcasts) up to 0.25 s ahead.
A lower class can therefore delay a higher one by at most its own horizon.

Fairness: while any interactive or lesson send happened in the last ``active_window`` s (2 s),
bulk is also held to ``1 - reserve_share`` (70%) of the global rate by a second GCRA line, so
at least 30% stays free and lessons and replies find the global line idle instead of queueing
behind broadcasts. When the bulk line binds, the bulk sender keeps its place on that line (a
ticket) and comes back when it is due, so throttled broadcasts cost one extra call each, not a
storm of retries. Lessons and replies may use the whole budget; bulk gets what is left.

On RetryAfter: the sender writes ``Keys.rate("pause")`` = server time + retry_after; every
acquisition in every process waits for it. Senders of this process that already hold a slot
check the pause again after sleeping; those of other processes may still fire the slots they
reserved before the pause (at most a priority horizon's worth). The send is retried up to
``max_retries`` times (``rate_limit_args={"max_retries": n}`` overrides), then the RetryAfter
is re-raised. Every attempt counts against the chat's interval too.

Redis errors propagate for lessons and broadcasts (they wait rather than flood Telegram
unmetered); an interactive reply is paced locally instead, so people still hear "try again".
On Redis Cluster every key shares one slot (Keys.for_deployment), so the script stays legal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final, Literal, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.store.keys import Keys

log = logging.getLogger(__name__)

Priority = Literal["interactive", "lesson", "bulk"]
PRIORITIES: Final[tuple[Priority, ...]] = ("interactive", "lesson", "bulk")
DEFAULT_HORIZONS: Final[Mapping[Priority, float]] = {
    "interactive": 10.0,
    "lesson": 0.5,
    "bulk": 0.25,
}

TELEGRAM_MAX_RATE: Final = 1000.0  # messages/s with paid broadcasts; 30 without
_COUNTED_PREFIXES: Final = ("send", "copyMessage", "forwardMessage", "editMessage", "stopPoll")
_FREE: Final = frozenset({"sendChatAction"})

# Script statuses.
_GO = 0  # slot reserved: sleep wait_us, then send without asking again
_RETRY = 1  # refused: sleep wait_us, then ask again
_TICKET = 2  # bulk share line reserved: sleep wait_us, then ask again holding the ticket
_MAX_VOIDED = 3  # late slots given up per send; then send anyway, or a stalled host never would

# KEYS: 1 global TAT, 2 pause-until, 3 non-bulk activity marker, 4 bulk TAT, [5 chat TAT]
# ARGV: 1 global interval us, 2 cost, 3 horizon us, 4 bulk (0/1), 5 ticket held (0/1),
#       6 bulk interval us while non-bulk is active, 7 activity window ms,
#       8 chat interval us, 9 "now" in us for tests ("" = server TIME)
# Returns {status, wait_us}. Times are stored with %.0f: tostring() would print 1.7e+15.
_ACQUIRE: Final = """
local now
if ARGV[9] ~= '' then
  now = tonumber(ARGV[9])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local T = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local bulk = ARGV[4] == '1'
local ticket = ARGV[5] == '1'

local slot = now
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > slot then slot = pause end
local gtat = tonumber(redis.call('GET', KEYS[1]) or '0')
if gtat > slot then slot = gtat end

local bulk_t = T
if bulk then
  if redis.call('EXISTS', KEYS[3]) == 1 then bulk_t = tonumber(ARGV[6]) end
  if not ticket then
    local btat = tonumber(redis.call('GET', KEYS[4]) or '0')
    if btat > slot then
      -- the bulk share binds: hold a place on the bulk line instead of idling the global one
      local nb = btat + n * bulk_t
      redis.call('SET', KEYS[4], string.format('%.0f', nb), 'PX',
                 math.floor((nb - now) / 1000) + 1000)
      return {2, btat - now}
    end
  end
end

if slot - now > horizon then
  -- wake when the queue ahead has drained to half the horizon, not all at the same instant
  return {1, slot - now - horizon / 2}
end

local chat = #KEYS >= 5
if chat then
  local ctat = tonumber(redis.call('GET', KEYS[5]) or '0')
  if ctat > slot then
    -- the chat binds: do not hold a global slot idle until the chat is free
    return {1, ctat - now}
  end
end

local ng = slot + n * T
redis.call('SET', KEYS[1], string.format('%.0f', ng), 'PX', math.floor((ng - now) / 1000) + 1000)
if bulk then
  if not ticket then
    local nb = slot + n * bulk_t
    redis.call('SET', KEYS[4], string.format('%.0f', nb), 'PX',
               math.floor((nb - now) / 1000) + 1000)
  end
else
  redis.call('SET', KEYS[3], '1', 'PX', tonumber(ARGV[7]))
end
if chat then
  local nc = slot + n * tonumber(ARGV[8])
  redis.call('SET', KEYS[5], string.format('%.0f', nc), 'PX',
             math.floor((nc - now) / 1000) + 1000)
end
return {0, slot - now}
"""

# KEYS: 1 pause-until. ARGV: 1 retry_after us, 2 "now" in us for tests.
# Never shortens a pause another process already wrote. Returns the pause left in us.
_PAUSE: Final = """
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local till = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if till > cur then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX',
             math.floor((till - now) / 1000) + 1000)
  return till - now
end
return cur - now
"""

Callback = Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]]


def is_counted(endpoint: str) -> bool:
    """True for the API methods that Telegram's flood limits count."""
    return endpoint.startswith(_COUNTED_PREFIXES) and endpoint not in _FREE


class RedisRateLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB rate limiter whose budget lives in Redis (see the module docstring for the rules).

    rate_limit_args: ``{"priority": "interactive" | "lesson" | "bulk", "max_retries": int}``,
    both optional.
    """

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        global_rate: float = 30.0,
        per_chat_interval: float = 1.0,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        group_interval: float = 3.0,
        reserve_share: float = 0.3,
        active_window: float = 2.0,
        horizons: Mapping[Priority, float] | None = None,
        default_priority: Priority = "interactive",
        headroom: float = 0.015,
        late_tolerance: float = 0.01,
        now_us: Callable[[], int] | None = None,
        max_rate: float = TELEGRAM_MAX_RATE,
    ) -> None:
        # max_rate guards against a misconfigured budget; only benchmarks that measure the
        # limiter's cost without its pacing raise it.
        if not 0 < global_rate <= max_rate:
            raise ValueError(f"global_rate must be in (0, {max_rate:g}] messages per second")
        if not 0 <= reserve_share < 1:
            raise ValueError("reserve_share must be in [0, 1)")
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if default_priority not in PRIORITIES:
            raise ValueError(f"default_priority must be one of {PRIORITIES}")
        self._redis = redis
        self._keys = keys
        self.global_rate = global_rate
        self.headroom = headroom
        self.per_chat_interval = per_chat_interval
        self.group_interval = group_interval
        self.max_retries = max_retries
        self._sleep = sleep
        self._default_priority: Priority = default_priority
        # None = the Redis server's TIME; tests may pin "now" to make waits exact
        self._now_us = now_us
        self._interval_us = 1_000_000 / (global_rate * (1 - headroom))
        self._bulk_interval_us = self._interval_us / (1 - reserve_share)
        self._active_ms = max(1, round(active_window * 1000))
        merged = {**DEFAULT_HORIZONS, **(horizons or {})}
        self._horizon_us = {p: merged[p] * 1_000_000 for p in PRIORITIES}
        # the script's constant arguments, formatted once rather than on every send
        self._a_interval = f"{self._interval_us:.3f}"
        self._a_bulk_interval = f"{self._bulk_interval_us:.3f}"
        self._a_horizon = {p: f"{self._horizon_us[p]:.0f}" for p in PRIORITIES}
        # monotonic deadline of the last pause this process wrote or met: a sender that
        # already holds a slot re-checks it after sleeping, so no reserved send fires into it
        self._paused_until = 0.0
        self._late_tolerance = late_tolerance
        self.voided_slots = 0  # slots given up because this process woke too late for them
        self._k_global = keys.rate("global")
        self._k_pause = keys.rate("pause")
        self._k_active = keys.rate("active")
        self._k_bulk = keys.rate("bulk")
        self._acquire_script = redis.register_script(_ACQUIRE)
        self._pause_script = redis.register_script(_PAUSE)

    async def initialize(self) -> None:
        """Nothing to open: the Redis client belongs to the caller."""

    async def shutdown(self) -> None:
        """Nothing to close: the Redis client belongs to the caller."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not is_counted(endpoint):
            return await callback(*args, **kwargs)
        priority, max_retries = self._parse_args(rate_limit_args)
        chat_id = data.get("chat_id")
        cost = 1
        if endpoint == "sendMediaGroup":
            media = data.get("media")
            if isinstance(media, list | tuple):
                cost = max(1, len(media))
        for attempt in range(max_retries + 1):
            try:
                await self.acquire(chat_id, priority=priority, cost=cost)
            except (RedisError, OSError):
                if priority != "interactive":
                    raise  # lessons and broadcasts wait for Redis: they must not flood
                # A reply to a person ("try again in a minute") still goes out, paced locally.
                log.warning("rate budget unavailable (Redis); pacing this reply locally")
                await self._sleep(1.0 / self.global_rate)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    log.warning("RetryAfter on %s after %d retries: giving up", endpoint, attempt)
                    raise
                # _retry_after is the timedelta; the public property warns or rounds in PTB 22
                seconds = exc._retry_after.total_seconds()
                log.info("RetryAfter %.1f s on %s: pausing every sender", seconds, endpoint)
                await self.pause(seconds)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _parse_args(self, rate_limit_args: dict[str, Any] | None) -> tuple[Priority, int]:
        if not rate_limit_args:
            return self._default_priority, self.max_retries
        priority = rate_limit_args.get("priority", self._default_priority)
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; use one of {PRIORITIES}")
        max_retries = int(rate_limit_args.get("max_retries", self.max_retries))
        return cast(Priority, priority), max_retries

    def _chat_interval(self, chat_id: object) -> float:
        # Negative ids and @usernames are groups and channels: 20 messages per minute there.
        if isinstance(chat_id, int):
            return self.per_chat_interval if chat_id > 0 else self.group_interval
        text = str(chat_id)
        if text.lstrip("-").isdigit():
            return self.per_chat_interval if not text.startswith("-") else self.group_interval
        return self.group_interval

    async def acquire(
        self, chat_id: object = None, *, priority: Priority = "interactive", cost: int = 1
    ) -> None:
        """Wait until one send (``cost`` slots) to chat_id fits the shared budget, and take it."""
        keys = [self._k_global, self._k_pause, self._k_active, self._k_bulk]
        chat_interval_us = 0.0
        if chat_id is not None:
            keys.append(self._keys.rate(f"chat:{chat_id}"))
            chat_interval_us = self._chat_interval(chat_id) * 1_000_000
        bulk = priority == "bulk"
        ticket = False
        voided = 0
        while True:
            now = "" if self._now_us is None else str(self._now_us())
            status, wait_us = await self._acquire_script(
                keys=keys,
                args=[
                    self._a_interval,
                    cost,
                    self._a_horizon[priority],
                    1 if bulk else 0,
                    1 if ticket else 0,
                    self._a_bulk_interval,
                    self._active_ms,
                    f"{chat_interval_us:.0f}",
                    now,
                ],
            )
            status, wait_us = int(status), int(wait_us)
            # Lateness counts from the reply: a slow round trip is not the loop stalling.
            started = self._local_now()
            if status == _GO:
                if wait_us > 0:
                    await self._sleep(wait_us / 1_000_000)
                woke = self._local_now()
                if woke < self._paused_until:
                    continue  # a RetryAfter arrived while we slept: the slot is void, ask again
                late = woke - started - wait_us / 1_000_000
                if late > self._late_tolerance and voided < _MAX_VOIDED:
                    # The loop stalled past our slot: firing now would bunch with the slots
                    # after it (a stall of 50 ms at 1000/s is 50 sends at once) and a strict
                    # window answers 429. Give the slot up and take a fresh one.
                    voided += 1
                    self.voided_slots += 1
                    if chat_interval_us:
                        # The void slot already moved this chat's line a whole interval on, but
                        # nothing was sent: ask again on the global line only.
                        keys = keys[:4]
                        chat_interval_us = 0.0
                    continue
                return
            if status == _TICKET:
                ticket = True
            await self._sleep(max(wait_us, 1000) / 1_000_000)

    def _local_now(self) -> float:
        # the injected test clock when there is one, so both sides of a wait use one time base
        return time.monotonic() if self._now_us is None else self._now_us() / 1_000_000

    async def pause(self, seconds: float) -> float:
        """Hold every sender in every process for ``seconds``; returns the pause left (s)."""
        now = "" if self._now_us is None else str(self._now_us())
        # measured from before the call: the local deadline may end early, never late
        started = self._local_now()
        left_us = await self._pause_script(
            keys=[self._k_pause], args=[f"{max(seconds, 0.0) * 1_000_000:.0f}", now]
        )
        left = int(left_us) / 1_000_000
        self._paused_until = max(self._paused_until, started + left)
        return left
