"""Updates per second, CPU per update and reply latency: bare echo bots vs this bot's full stack.

    .venv/bin/python -m bench.bench_throughput [--updates 3000] [--users 300] [--runs 3]
        [--latency-updates 1000] [--rate 200] [--bots ptb_echo,aiogram,full_stack,...]
    .venv/bin/python -m bench.bench_throughput --profile     # cProfile of one full-stack run

Every process has its own role, so each one's CPU is its own:
- the local Bot API server (bot/sandbox/botapi.py, ``record=False``) runs in a subprocess
  (this module with ``--serve``); it timestamps, with its own monotonic clock, the first
  getUpdates, every update it queues and every reply it records;
- each bot under test runs in a subprocess (this module with ``--bot NAME``); its CPU time is
  read by the parent from /proc/<pid>/stat (utime + stime, all threads);
- the full stack's Redis is a private redis-server on a free port (tests/redis_server.py).
A fresh server and a fresh bot process per bot per run; bots run in the same order each run.

Bots: ``ptb_echo`` (ApplicationBuilder, PTB's default httpx transport, one MessageHandler
replying with the text), ``ptb_echo_aiohttp`` (the same on bot/transport.py's AiohttpRequest),
``aiogram`` (aiogram 3 Dispatcher, its defaults: each update handled as a task),
``aiogram_seq`` (``handle_as_tasks=False``, sequential like PTB), ``aiogram_uvloop`` (the
aiogram bot on uvloop, for comparison) and ``full_stack`` (``build_application`` with a real
Redis, on uvloop as ``python -m bot`` runs by default; every subscriber opted in with an open
Drop In
practice exchange, so each text goes touch -> safety screen -> practice coaching -> stats ->
reply; PER_CHAT_INTERVAL=0 and the production RedisRateLimiter with a 1,000,000/s budget, so it
runs its Redis script per send but never paces (at Telegram's 1000/s it would cap replies at
981/s, while the echo bots have no limiter); no drip ticks; logging unconfigured
(WARNING) in every bot).

Per bot and run:
1. throughput: N updates from U users are queued up front; the bot starts polling; the server
   reports the time from the bot's first getUpdates to the N-th reply: updates/s. CPU per
   update = the bot process's CPU from "go" to the N-th reply, divided by N.
2. latency: the same (now warm) bot gets updates fed at a steady --rate (200/s); per update,
   time from queued to its reply recorded (both server-side; replies match a chat's updates
   in order): p50 / p99.
The last line printed is one JSON object (medians over --runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import IO, Any

from bench.common import commands, redis_url, stdin_reader
from bot import eventloop
from bot.sandbox.botapi import JSON, LocalBotApi, SentMessage, _Chat

TOKEN = "123456:BENCH"
ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 700_000
BOTS = ("ptb_echo", "ptb_echo_aiohttp", "aiogram", "aiogram_seq", "aiogram_uvloop", "full_stack")
# Drop In practice replies: each names a feeling (a "good" verdict) and none trips the safety
# screen, so the full stack answers every one with coaching.
TEXTS = (
    "I feel close to you when we walk together in the evening",
    "When you came home late I felt lonely and I need a hug",
    "Thank you for making coffee this morning, it made me feel cared for",
    "I love the way you laugh at my jokes",
)
CLK_TCK = os.sysconf("SC_CLK_TCK")
UNPACED = 1_000_000.0  # the full stack's limiter budget, messages/s: see bot_full


# ------------------------------------------------------------------ the server subprocess


class BenchApi(LocalBotApi):
    """LocalBotApi that timestamps the first poll, each queued update and each reply."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN, port=0, record=False)
        self.first_poll: float | None = None
        self.pending: dict[int, deque[float]] = {}
        self.latencies: list[float] = []
        self.replies = 0
        self.target = 0
        self.last_reply = 0.0
        self.done = asyncio.Event()

    def reset(self, target: int) -> None:
        self.first_poll = None
        self.pending.clear()
        self.latencies = []
        self.replies = 0
        self.target = target
        self.last_reply = 0.0
        self.done = asyncio.Event()

    async def _get_updates(self, p: JSON) -> list[JSON]:
        if self.first_poll is None:
            self.first_poll = time.monotonic()
        return await super()._get_updates(p)

    def _store(self, chat: _Chat, sm: SentMessage, paid: bool) -> JSON:
        out = super()._store(chat, sm, paid)
        queued = self.pending.get(chat.id)
        if queued:
            self.latencies.append(sm.sent_at - queued.popleft())
        self.replies += 1
        if self.replies == self.target:
            self.last_reply = sm.sent_at
            self.done.set()
        return out

    async def enqueue(self, i: int, users: int) -> None:
        uid = FIRST_USER + i % users
        await self.send_text(uid, TEXTS[i // users % len(TEXTS)], first_name="Sam")
        self.pending.setdefault(uid, deque()).append(time.monotonic())

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def serve() -> None:
    api = BenchApi()
    await api.start()
    print(api.port, flush=True)
    try:
        async for line in commands():
            out: dict[str, Any] = {}
            if line[0] == "queue":  # queue N U: all up front, before the bot polls
                n, users = int(line[1]), int(line[2])
                api.reset(n)
                for i in range(n):
                    await api.enqueue(i, users)
            elif line[0] == "wait":  # wait TIMEOUT: until the N-th reply
                await api.wait(float(line[1]))
                out = {
                    "replies": api.replies,
                    "seconds": (api.last_reply - api.first_poll)
                    if api.first_poll is not None and api.done.is_set()
                    else None,
                }
            elif line[0] == "feed":  # feed N U RATE: steady arrivals, then until the N-th reply
                n, users, rate = int(line[1]), int(line[2]), float(line[3])
                api.reset(n)
                start = time.monotonic()
                for i in range(n):
                    delay = start + i / rate - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    await api.enqueue(i, users)
                fed = time.monotonic() - start
                await api.wait(30.0)
                lat = api.latencies
                served = api.last_reply - start if api.done.is_set() else 0.0
                out = {
                    "replies": api.replies,
                    "fed_per_s": n / fed if fed > 0 else None,
                    # below the fed rate: the bot cannot keep up and a backlog builds
                    "served_per_s": n / served if served > 0 else None,
                    "p50_ms": _percentile(lat, 0.50) * 1e3,
                    "p99_ms": _percentile(lat, 0.99) * 1e3,
                    "max_ms": max(lat, default=float("nan")) * 1e3,
                }
            elif line[0] == "cpu":
                out = {"cpu": time.process_time()}
            print(json.dumps(out), flush=True)
    finally:
        await api.stop()


# ------------------------------------------------------------------ the bots (subprocesses)


async def _drive(
    start: Callable[[], Coroutine[Any, Any, None]], stop: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Say ready; on "go" start polling (profiled if BENCH_PROFILE names a file); on "stop" stop."""
    reader = await stdin_reader()
    profile_path = os.environ.get("BENCH_PROFILE")
    profiler = None
    print("ready", flush=True)
    assert (await reader.readline()).strip() == b"go"
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    await start()
    await reader.readline()  # "stop" (or EOF)
    if profiler is not None and profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)
    await stop()


async def bot_ptb(transport: str, base_url: str) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    from bot.transport import AiohttpRequest

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.text is not None:
            await message.reply_text(message.text)

    builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest(connection_pool_size=64))
        builder = builder.get_updates_request(AiohttpRequest(connection_pool_size=1))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    await app.start()
    updater = app.updater
    assert updater is not None

    async def start() -> None:
        await updater.start_polling()

    async def stop() -> None:
        await updater.stop()
        await app.stop()
        await app.shutdown()

    await _drive(start, stop)


async def bot_aiogram(handle_as_tasks: bool, base_url: str) -> None:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    api_root = base_url.removesuffix("/bot")
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_root)))
    dp = Dispatcher()

    async def echo(message: Message) -> None:
        if message.text is not None:
            await message.answer(message.text)

    dp.message.register(echo, F.text)
    task: asyncio.Task[None] | None = None

    async def start() -> None:
        nonlocal task
        task = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, handle_as_tasks=handle_as_tasks)
        )

    async def stop() -> None:
        await dp.stop_polling()
        if task is not None:
            await task

    await _drive(start, stop)


async def bot_full(base_url: str, redis_url: str, users: int) -> None:
    from telegram import Update

    from bot.app import build_application
    from bot.course.loader import load_content
    from bot.course.subscriber import Status, Subscriber
    from bot.settings import Settings
    from bot.store.connection import make_redis
    from bot.store.keys import Keys
    from bot.store.practice import Exchange, PracticeStore
    from bot.store.subscribers import SubscriberStore
    from scheduler.clock import Clock
    from scheduler.ratelimit import RedisRateLimiter

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        BOT_TOKEN=TOKEN,
        BOT_API_BASE_URL=base_url,
        REDIS_URL=redis_url,
        PER_CHAT_INTERVAL=0.0,
        PAID_BROADCAST=True,
        BROADCAST_RATE=1000.0,
    )
    redis = make_redis(redis_url)
    # Seed (not measured): every user opted in, day 1 delivered, its practice prompt open.
    await redis.flushdb()
    keys = Keys(settings.REDIS_PREFIX)
    subscribers, practice = SubscriberStore(redis, keys), PracticeStore(redis, keys)
    now = time.time()
    for uid in range(FIRST_USER, FIRST_USER + users):
        await subscribers.save(
            Subscriber(
                user_id=uid,
                status=Status.OPTED_IN,
                timezone="Europe/Berlin",
                send_time="08:00",
                consent_at=now - 2 * 86400,
                created_at=now - 2 * 86400,
                updated_at=now - 86400,
                first_name="Sam",
                language="en",
                next_day=2,
                last_sent_day=1,
                last_sent_at=now - 3600,
                last_seen_at=now - 3600,
            )
        )
        await practice.open(uid, Exchange(tool="drop_in", prompt=0, day=1))
    # The production limiter, script and all, with a budget that never paces: at Telegram's
    # 1000/s it would cap the replies at 981/s, and the echo bots have no limiter at all.
    limiter = RedisRateLimiter(
        redis, keys, global_rate=UNPACED, per_chat_interval=0.0, max_rate=UNPACED
    )
    app = build_application(
        settings,
        clock=Clock(),
        redis=redis,
        content=load_content(settings.CONTENT_DIR),
        run_ticks=False,
        rate_limiter=limiter,
    )
    await app.initialize()
    await app.start()
    eventloop.freeze_heap()  # as bot/runner.py does once the app is up
    updater = app.updater
    assert updater is not None

    async def start() -> None:
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)  # as bot/runner.py

    async def stop() -> None:
        await updater.stop()
        await app.stop()
        await app.shutdown()
        await redis.aclose()

    await _drive(start, stop)


def run_bot(args: argparse.Namespace) -> None:
    name: str = args.bot
    if name == "ptb_echo":
        asyncio.run(bot_ptb("httpx", args.base_url))
    elif name == "ptb_echo_aiohttp":
        asyncio.run(bot_ptb("aiohttp", args.base_url))
    elif name == "aiogram":
        asyncio.run(bot_aiogram(True, args.base_url))
    elif name == "aiogram_seq":
        asyncio.run(bot_aiogram(False, args.base_url))
    elif name == "aiogram_uvloop":
        eventloop.run(bot_aiogram(True, args.base_url), "uvloop")
    elif name == "full_stack":
        # the loop `python -m bot` runs on (EVENT_LOOP's default)
        eventloop.run(bot_full(args.base_url, args.redis_url, args.users), "uvloop")
    else:
        raise SystemExit(f"unknown bot {name}")


# ------------------------------------------------------------------ the parent


class Child:
    """A subprocess of this module, talked to line by line over stdin/stdout."""

    def __init__(self, *argv: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_throughput", *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )

    @property
    def stdin(self) -> IO[str]:
        assert self.proc.stdin is not None
        return self.proc.stdin

    def send(self, line: str) -> None:
        self.stdin.write(line + "\n")
        self.stdin.flush()

    def readline(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child {self.proc.args!r} exited ({self.proc.wait()})")
        return line.strip()

    def ask(self, line: str) -> dict[str, Any]:
        self.send(line)
        answer: dict[str, Any] = json.loads(self.readline())
        return answer

    def cpu_seconds(self) -> float:
        """utime + stime of the process (all its threads), from /proc."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def close(self, timeout: float = 20.0) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.stdin.close()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def child(*argv: str, env: dict[str, str] | None = None) -> Iterator[Child]:
    c = Child(*argv, env=env)
    try:
        yield c
    finally:
        c.close()


def redis_commands(url: str, reset: bool = False) -> dict[str, int]:
    """INFO commandstats of the bench's redis-server: calls per command (CONFIG RESETSTAT)."""
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        if reset:
            client.config_resetstat()
            return {}
        stats = client.info("commandstats")
        skip = {"config|resetstat", "hello", "script|load", "info"}
        calls = {k.removeprefix("cmdstat_"): v for k, v in stats.items() if isinstance(v, dict)}
        return {k: int(v["calls"]) for k, v in calls.items() if k not in skip}
    finally:
        client.close()


def measure(
    name: str, args: argparse.Namespace, redis: str, profile: str | None = None
) -> dict[str, Any]:
    with child("--serve") as srv:
        base_url = f"http://127.0.0.1:{int(srv.readline())}/bot"
        argv = ["--bot", name, "--base-url", base_url, "--redis-url", redis]
        argv += ["--users", str(args.users)]
        env = {"BENCH_PROFILE": profile} if profile else None
        with child(*argv, env=env) as bot:
            if bot.readline() != "ready":
                raise RuntimeError(f"{name} did not start")
            srv.ask(f"queue {args.updates} {args.users}")
            if name == "full_stack":
                redis_commands(redis, reset=True)
            cpu0 = bot.cpu_seconds()
            bot.send("go")
            thr = srv.ask(f"wait {max(60.0, args.updates / 20)}")
            cpu = bot.cpu_seconds() - cpu0
            commands = redis_commands(redis) if name == "full_stack" else {}
            result: dict[str, Any] = {"replies": thr["replies"]}
            if thr["seconds"] is None:
                raise RuntimeError(f"{name}: only {thr['replies']}/{args.updates} replies")
            result["updates_per_s"] = args.updates / thr["seconds"]
            result["cpu_ms_per_update"] = cpu / args.updates * 1e3
            if commands:
                result["redis_commands"] = {k: v / args.updates for k, v in commands.items()}
            if args.latency_updates > 0 and profile is None:
                cpu0 = bot.cpu_seconds()
                lat = srv.ask(f"feed {args.latency_updates} {args.users} {args.rate}")
                cpu = bot.cpu_seconds() - cpu0
                if lat["replies"] < args.latency_updates:
                    raise RuntimeError(f"{name}: {lat['replies']} latency replies")
                keep = ("p50_ms", "p99_ms", "max_ms", "fed_per_s", "served_per_s")
                result |= {k: lat[k] for k in keep}
                result["cpu_ms_per_update_at_rate"] = cpu / args.latency_updates * 1e3
            bot.send("stop")
    return result


def print_profile(path: str) -> None:
    # cProfile counts each resumption of a coroutine as a call, and its cumulative time covers
    # only the time it ran (not the awaits it was suspended in).
    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(r"/(bot|scheduler)/", 25)  # the project's own
    stats.strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)


def main_bench(args: argparse.Namespace) -> dict[str, Any]:
    bots = [b for b in args.bots.split(",") if b]
    for b in bots:
        if b not in BOTS:
            raise SystemExit(f"unknown bot {b!r}; choose from {', '.join(BOTS)}")
    print(
        f"{args.updates} updates from {args.users} users queued up front; latency at "
        f"{args.rate:.0f} updates/s over {args.latency_updates} updates; {args.runs} run(s).\n"
        "full_stack: on uvloop, PER_CHAT_INTERVAL=0, the Redis rate limiter runs its script per "
        "send with a 1,000,000/s budget (never paces), no drip ticks, private redis-server.",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {b: [] for b in bots}
    with redis_url() as redis:
        for n in range(args.runs):
            for b in bots:
                r = measure(b, args, redis)
                runs[b].append(r)
                print(
                    f"run {n + 1} {b:17s} {r['updates_per_s']:7.0f} updates/s  "
                    f"cpu {r['cpu_ms_per_update']:5.2f} ms/update  "
                    f"p50 {r.get('p50_ms', float('nan')):6.1f} ms  "
                    f"p99 {r.get('p99_ms', float('nan')):6.1f} ms  "
                    f"(fed {r.get('fed_per_s') or 0:.0f}/s, "
                    f"served {r.get('served_per_s') or 0:.0f}/s)",
                    flush=True,
                )

    def med(b: str, key: str) -> float:
        values = [r[key] for r in runs[b] if key in r]
        return round(statistics.median(values), 2) if values else float("nan")

    keys = ("updates_per_s", "cpu_ms_per_update", "p50_ms", "p99_ms", "cpu_ms_per_update_at_rate")
    figures = {b: {k: med(b, k) for k in keys} for b in bots}
    print()
    print(
        f"| bot | updates/s | CPU ms/update | p50 ms @{args.rate:.0f}/s "
        f"| p99 ms @{args.rate:.0f}/s | CPU ms/update @{args.rate:.0f}/s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for b in bots:
        f = figures[b]
        print(
            f"| {b} | {f['updates_per_s']:.0f} | {f['cpu_ms_per_update']:.2f} | "
            f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['cpu_ms_per_update_at_rate']:.2f} |"
        )
    result: dict[str, Any] = {
        "bench": "throughput",
        "updates": args.updates,
        "users": args.users,
        "runs": args.runs,
        "rate": args.rate,
        "bots": figures,
    }
    if "full_stack" in runs:
        cmds: dict[str, list[float]] = {}
        for r in runs["full_stack"]:
            for k, v in r.get("redis_commands", {}).items():
                cmds.setdefault(k, []).append(v)
        per_update = {k: round(statistics.median(v), 2) for k, v in sorted(cmds.items())}
        print(f"full_stack Redis commands per update (including inside Lua): {per_update}")
        result["full_stack_redis_commands_per_update"] = per_update
        full = figures["full_stack"]["updates_per_s"]
        for base in ("aiogram", "aiogram_seq", "aiogram_uvloop", "ptb_echo", "ptb_echo_aiohttp"):
            if base in figures:
                ratio = round(full / figures[base]["updates_per_s"], 2)
                result[f"full_stack/{base}"] = ratio
                print(f"full_stack / {base}: {ratio:.2f}x")
    return result


def main_profile(args: argparse.Namespace) -> None:
    with redis_url() as redis, tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "full_stack.prof")
        r = measure("full_stack", args, redis, profile=path)
        print(
            f"profiled full_stack: {r['updates_per_s']:.0f} updates/s, "
            f"{r['cpu_ms_per_update']:.2f} CPU ms/update (with cProfile overhead)"
        )
        per_update = {k: round(v, 2) for k, v in r["redis_commands"].items()}
        print(f"Redis commands per update (including those inside Lua scripts): {per_update}")
        print_profile(path)
        if args.profile_out:
            shutil.copy(path, args.profile_out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bot", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-updates", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="latency feed, updates/s")
    parser.add_argument("--bots", default=",".join(BOTS))
    parser.add_argument("--profile", action="store_true", help="cProfile one full_stack run")
    parser.add_argument("--profile-out", help="with --profile: keep the .prof file here")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
    elif args.bot:
        run_bot(args)
    elif args.profile:
        main_profile(args)
    else:
        print(json.dumps(main_bench(args)))


if __name__ == "__main__":
    main()
