"""Scheduler benchmark: tick cost, Redis memory per subscriber and bot start-up time vs N.

    .venv/bin/python -m bench.bench_scheduler [--sizes 10000,100000,1000000] [--runs 3]

For each N the database is flushed and N subscribers are written straight into Redis (the
`<p>:{u<id>}:sub` hashes encoded by `to_fields(Subscriber(...))`, the `<p>:subs` set and the
`<p>:due` zset), with a realistic spread of time zones and send times: everyone is due in the
future except exactly `--due` (1,000) people due now. A small share (`--ud-fraction`) also has
PTB user_data (`<p>:{u<id>}:ud`, as during set-up), so the persistence scan at start-up has
something real to find. Then:

1. tick: `DripEngine.tick()` wall time with sends stubbed to return Outcome.SENT at once, so
   only the scheduler's own Redis work is timed (claim, record reads, record writes, next-due
   booking). One warm-up tick, then the median of `--runs` ticks; the due people and their
   records are restored before every tick.
2. memory: INFO used_memory after minus before loading, divided by N, plus MEMORY USAGE of a
   sample of each structure.
3. start-up: `build_application(...)` to `await app.initialize()` done, against an in-process
   LocalBotApi: this includes RedisPersistence scanning for user_data/chat_data keys.

Redis: a private redis-server on a free port (no persistence), unless REDIS_URL is set, in
which case THAT DATABASE IS FLUSHED. Ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse

from redis.asyncio import Redis

from bench.common import redis_url
from bot import eventloop
from bot.app import build_application, build_services
from bot.course.loader import load_content
from bot.course.models import Content, Lesson
from bot.course.subscriber import Status, Subscriber
from bot.sandbox.botapi import LocalBotApi
from bot.settings import Settings
from bot.store.connection import make_redis
from bot.store.keys import Keys
from bot.store.persistence import RedisPersistence
from bot.store.subscribers import to_fields
from scheduler.clock import Clock, ManualClock
from scheduler.delivery import Outcome
from scheduler.drip import DripEngine, first_due

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
CHUNK = 2_000  # subscribers per pipeline: 2,000 HSET + 1 SADD + 1 ZADD
TARGET_TICK_MS = 50.0
TARGET_BYTES = 500.0
TARGET_STARTUP_S = 2.0
DAY = 86_400.0

# (zone, weight): roughly where an English-language course finds its readers.
ZONES: tuple[tuple[str, int], ...] = (
    ("America/New_York", 14),
    ("America/Chicago", 7),
    ("America/Los_Angeles", 9),
    ("America/Mexico_City", 3),
    ("America/Sao_Paulo", 4),
    ("Europe/London", 10),
    ("Europe/Berlin", 10),
    ("Europe/Paris", 5),
    ("Europe/Madrid", 3),
    ("Europe/Istanbul", 2),
    ("Europe/Kyiv", 2),
    ("Africa/Lagos", 2),
    ("Asia/Kolkata", 6),
    ("Asia/Singapore", 2),
    ("Asia/Manila", 3),
    ("Asia/Tokyo", 2),
    ("Australia/Sydney", 4),
    ("Pacific/Auckland", 1),
    ("UTC", 4),
    ("UTC+05:30", 1),
    ("UTC-03:00", 1),
)
# Send times every 15 minutes from 06:00 to 22:45, peaking in the morning and the evening.
SEND_TIMES: tuple[str, ...] = tuple(
    f"{h:02d}:{m:02d}" for h in range(6, 23) for m in (0, 15, 30, 45)
)
SEND_WEIGHTS: tuple[int, ...] = tuple(
    (6 if int(t[:2]) in (7, 8, 20, 21) else 3 if int(t[:2]) in (6, 9, 19, 22) else 1)
    * (3 if t.endswith(":00") else 2 if t.endswith(":30") else 1)
    for t in SEND_TIMES
)
# fmt: off
NAMES = (
    "Anna", "Ben", "Chloé", "David", "Elif", "Fatima", "Gabriel", "Hana", "Ivan", "Julia",
    "Kwame", "Lena", "Mateo", "Nadia", "Oliver", "Priya", "Quinn", "Rosa", "Sam", "Tomás",
    "Uma", "Victor", "Wei", "Ximena", "Yusuf", "Zoë", "Alexandra", "Christopher", "Анна", "",
)
# fmt: on
LANGUAGES = ("en", "en", "en", "de", "es", "pt-br", "fr", "ru", "")
TOOLS = ("drop_in", "tune_in", "check_in", "move_in", "dig_in", "shift_in")
FIELD_NAMES = frozenset(f.name for f in fields(Subscriber))


# ------------------------------------------------------------------ population


@dataclass
class Population:
    """What was loaded: enough to re-arm the people due now before each tick."""

    n: int
    now: float
    ids: list[int] = field(default_factory=list)
    due_now: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    sample_ids: list[int] = field(default_factory=list)
    ud_ids: list[int] = field(default_factory=list)


def _subscriber(rng: random.Random, uid: int, now: float, due_now: bool) -> Subscriber:
    age_days = rng.uniform(0.0, 90.0)
    created = now - age_days * DAY
    next_day = 0 if due_now and rng.random() < 0.1 else min(8, int(age_days) + 1)
    if due_now:
        next_day = min(next_day, 6)
    last_sent_day = next_day - 1
    paused = not due_now and rng.random() < 0.05
    streak = rng.randint(1, 7) if last_sent_day > 0 and rng.random() < 0.6 else 0
    today = datetime.fromtimestamp(now, tz=UTC).date()
    practised = tuple(t for t in TOOLS[: max(0, last_sent_day)] if rng.random() < 0.7)
    kwargs: dict[str, Any] = {
        "user_id": uid,
        "status": Status.PAUSED if paused else Status.OPTED_IN,
        "timezone": rng.choices([z for z, _ in ZONES], weights=[w for _, w in ZONES])[0],
        "send_time": rng.choices(SEND_TIMES, weights=SEND_WEIGHTS)[0],
        "consent_at": created + rng.uniform(5.0, 300.0),
        "created_at": created,
        "updated_at": now - rng.uniform(0.0, min(age_days, 3.0) * DAY),
        "first_name": rng.choice(NAMES),
        "language": rng.choice(LANGUAGES),
        "next_day": next_day,
        "last_sent_day": last_sent_day,
        "last_sent_at": now - rng.uniform(0.0, DAY) if last_sent_day >= 0 else 0.0,
        "last_seen_at": now - rng.uniform(0.0, min(age_days, 5.0) * DAY),
        "paused_until": now + rng.randint(1, 7) * DAY + rng.random() if paused else 0.0,
        "busy_until": 0.0,
        "streak": streak,
        "streak_date": (today - timedelta(days=rng.randint(0, 1))).isoformat() if streak else "",
        "catchup_week": f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
        if streak > 2 and rng.random() < 0.3
        else "",
        "practised": practised,
        "bonus_opt_out": rng.random() < 0.05,
        "finished_at": 0.0,
    }
    # Only the fields the record has today: the bench must follow schema changes, not break.
    return Subscriber(**{k: v for k, v in kwargs.items() if k in FIELD_NAMES})


def _resp(args: Sequence[str]) -> bytes:
    """One command in the Redis wire protocol."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)


class RawPipe:
    """A bare RESP connection for bulk loading: redis-py packs ~20 fields per HSET slowly."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> RawPipe:
        parsed = urlparse(url)
        reader, writer = await asyncio.open_connection(
            parsed.hostname or "127.0.0.1", parsed.port or 6379, limit=1 << 20
        )
        pipe = cls(reader, writer)
        setup: list[bytes] = []
        if parsed.password:
            user = unquote(parsed.username) if parsed.username else "default"
            setup.append(_resp(["AUTH", user, unquote(parsed.password)]))
        db = parsed.path.strip("/")
        if db:
            setup.append(_resp(["SELECT", db]))
        if setup:
            await pipe.send(setup)
        return pipe

    async def send(self, commands: list[bytes]) -> None:
        """Write a batch and read its replies; every command used here answers in one line."""
        self.writer.write(b"".join(commands))
        await self.writer.drain()
        chunks: list[bytes] = []
        lines = 0
        while lines < len(commands):
            chunk = await self.reader.read(1 << 16)
            if not chunk:
                raise ConnectionError("redis closed the connection during bulk load")
            chunks.append(chunk)
            lines += chunk.count(b"\r\n")
        errors = [ln for ln in b"".join(chunks).split(b"\r\n") if ln.startswith(b"-")]
        if errors:
            raise RuntimeError(f"bulk load failed: {errors[0].decode(errors='replace')}")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def load_population(
    url: str, keys: Keys, n: int, *, due: int, now: float, seed: int
) -> Population:
    """Write N subscriber hashes, the subs set and the due zset in raw pipelines."""
    rng = random.Random(seed)
    ids = rng.sample(range(100_000_000, 8_000_000_000), n)  # Telegram-sized user ids
    due_idx = set(rng.sample(range(n), min(due, n)))
    pop = Population(n=n, now=now, ids=ids)
    regular: dict[tuple[str, str], float] = {}  # (zone, time) -> next due after now
    pipe = await RawPipe.open(url)
    try:
        for start in range(0, n, CHUNK):
            commands: list[bytes] = []
            members: list[str] = []
            scored: list[str] = []
            for i in range(start, min(start + CHUNK, n)):
                uid = ids[i]
                is_due = i in due_idx
                sub = _subscriber(rng, uid, now, is_due)
                fields_ = to_fields(sub)
                args = ["HSET", keys.sub(uid)]
                for name, value in fields_.items():
                    args += (name, value)
                commands.append(_resp(args))
                if is_due:
                    score = now - rng.uniform(0.0, 240.0)  # fell due during the last minutes
                    pop.due_now.append((uid, fields_, score))
                else:
                    combo = (sub.timezone, sub.send_time)
                    if combo not in regular:
                        regular[combo] = first_due(now, sub.send_time, sub.timezone)
                    score = regular[combo]
                    if sub.paused_until:
                        score += round((sub.paused_until - now) / DAY) * DAY
                members.append(str(uid))
                scored += (repr(score), str(uid))
            commands.append(_resp(["SADD", keys.subscribers(), *members]))
            commands.append(_resp(["ZADD", keys.due(), *scored]))
            await pipe.send(commands)
    finally:
        await pipe.close()
    pop.sample_ids = rng.sample(ids, min(200, n))
    return pop


async def load_user_data(url: str, keys: Keys, pop: Population, fraction: float) -> None:
    """PTB user_data for people in the middle of set-up (what the persistence scan finds)."""
    rng = random.Random(pop.n)
    pop.ud_ids = rng.sample(pop.ids, int(pop.n * fraction))
    payload = json.dumps({"setup_mode": "join"})
    pipe = await RawPipe.open(url)
    try:
        for start in range(0, len(pop.ud_ids), CHUNK):
            batch = pop.ud_ids[start : start + CHUNK]
            await pipe.send(
                [_resp(["HSET", keys.user_data_all(), str(uid), payload]) for uid in batch]
            )
    finally:
        await pipe.close()


# ------------------------------------------------------------------ measurements


async def _sent_lesson(sub: Subscriber, lesson: Lesson) -> Outcome:
    return Outcome.SENT


async def _sent_nudge(sub: Subscriber, user_id: int) -> Outcome:
    return Outcome.SENT


async def rearm(redis: Redis, keys: Keys, pop: Population) -> None:
    """Put the due people back as they were: record fields and a due time in the past."""
    async with redis.pipeline(transaction=False) as pipe:
        for uid, fields_, _ in pop.due_now:
            pipe.hset(keys.sub(uid), mapping=cast(Any, fields_))
        pipe.zadd(keys.due(), {str(uid): score for uid, _, score in pop.due_now})
        await pipe.execute()


async def commandstats(redis: Redis) -> dict[str, int]:
    info = await redis.info("commandstats")
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in info.items()}


@dataclass
class TickResult:
    median_ms: float
    runs_ms: list[float]
    sent: list[int]
    commands: dict[str, int]
    profile: str = ""


async def measure_tick(
    url: str,
    settings: Settings,
    content: Content,
    pop: Population,
    runs: int,
    profile: str,
) -> TickResult:
    """`profile`: "always", "if_slow" (median above target) or "never": one extra tick."""
    redis = make_redis(url)
    try:
        services = build_services(
            settings, clock=ManualClock(pop.now), redis=redis, content=content
        )
        engine = DripEngine(
            clock=services.clock,
            subscribers=services.subscribers,
            due=services.due,
            idle=services.idle,
            content=services.content,
            send_lesson=_sent_lesson,
            send_nudge=_sent_nudge,
        )
        keys = services.keys
        await rearm(redis, keys, pop)
        await engine.tick()  # warm-up: script loading, first zone look-ups
        # As a serving bot freezes its start-up heap; here that also hides this benchmark's
        # own population tables, which no bot holds, from the collector during the ticks.
        eventloop.freeze_heap()
        times: list[float] = []
        sent: list[int] = []
        commands: dict[str, int] = {}
        for run in range(runs):
            await rearm(redis, keys, pop)
            before = await commandstats(redis) if run == 0 else {}
            t0 = time.perf_counter()
            report = await engine.tick()
            times.append((time.perf_counter() - t0) * 1000)
            sent.append(report.sent)
            if run == 0:
                after = await commandstats(redis)
                commands = {
                    k: after[k] - before.get(k, 0)
                    for k in after
                    if after[k] - before.get(k, 0) and k != "info"
                }
            left = await redis.zcount(keys.due(), "-inf", repr(pop.now))
            if left:
                raise RuntimeError(f"tick left {left} people due")
        median = statistics.median(times)
        text = ""
        if profile == "always" or (profile == "if_slow" and median > TARGET_TICK_MS):
            await rearm(redis, keys, pop)
            prof = cProfile.Profile()
            prof.enable()
            await engine.tick()
            prof.disable()
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("tottime").print_stats(12)
            stats.sort_stats("cumulative").print_stats(r"scheduler/|bot/store/|redis/asyncio", 14)
            text = out.getvalue()
        await rearm(redis, keys, pop)  # leave the data as loaded
        return TickResult(median, times, sent, commands, text)
    finally:
        await redis.aclose()


@dataclass
class MemoryResult:
    bytes_per_sub: float
    used_before: int
    used_after: int
    hash_avg: float
    zset_per_member: float
    set_per_member: float
    encodings: dict[str, str]
    ud_per_key: float = 0.0


async def measure_memory(
    redis: Redis, keys: Keys, pop: Population, before: int, after: int
) -> MemoryResult:
    n = pop.n
    hash_sizes = [int(await redis.memory_usage(keys.sub(uid)) or 0) for uid in pop.sample_ids]
    zset = int(await redis.memory_usage(keys.due(), samples=0) or 0)
    subs = int(await redis.memory_usage(keys.subscribers(), samples=0) or 0)
    encodings = {
        "hash": str(await redis.object("encoding", keys.sub(pop.sample_ids[0]))),
        "zset": str(await redis.object("encoding", keys.due())),
        "set": str(await redis.object("encoding", keys.subscribers())),
    }
    return MemoryResult(
        bytes_per_sub=(after - before) / n,
        used_before=before,
        used_after=after,
        hash_avg=statistics.fmean(hash_sizes),
        zset_per_member=zset / n,
        set_per_member=subs / n,
        encodings=encodings,
    )


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


@dataclass
class StartupResult:
    median_s: float
    runs_s: list[float]
    user_data_loaded: int
    scan_s: float


async def measure_startup(
    api: LocalBotApi, url: str, content: Content, runs: int, expect_ud: int
) -> StartupResult:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, BOT_TOKEN=api.token, BOT_API_BASE_URL=api.base_url, REDIS_URL=url
    )
    times: list[float] = []
    loaded = 0
    for _ in range(runs):
        redis = make_redis(url)
        try:
            t0 = time.perf_counter()
            app = build_application(settings, clock=Clock(), redis=redis, content=content)
            await app.initialize()
            times.append(time.perf_counter() - t0)
            loaded = len(app.user_data)
            await app.shutdown()
        finally:
            await redis.aclose()
    if loaded != expect_ud:
        raise RuntimeError(f"start-up loaded user_data of {loaded} people, expected {expect_ud}")
    # The part of start-up that grows with the keyspace: PTB's persistence load.
    redis = make_redis(url)
    try:
        persistence = RedisPersistence(redis, Keys(settings.REDIS_PREFIX))
        t0 = time.perf_counter()
        await persistence.get_user_data()
        await persistence.get_chat_data()
        scan = time.perf_counter() - t0
    finally:
        await redis.aclose()
    return StartupResult(statistics.median(times), times, loaded, scan)


# ------------------------------------------------------------------ driver


def _parse_sizes(text: str) -> list[int]:
    sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 10000,100000")
    return sizes


def _fmt_commands(commands: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(commands.items(), key=lambda kv: -kv[1]))


@dataclass
class SizeResult:
    n: int
    load_s: float
    tick: TickResult
    memory: MemoryResult
    startup: StartupResult


async def bench_size(
    n: int,
    url: str,
    api: LocalBotApi,
    content: Content,
    args: argparse.Namespace,
    profile: str,
) -> SizeResult:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, BOT_TOKEN=api.token, BOT_API_BASE_URL=api.base_url, REDIS_URL=url
    )
    keys = Keys(settings.REDIS_PREFIX)
    admin = make_redis(url)
    try:
        await admin.flushdb()
        before = await used_memory(admin)
        now = time.time()
        t0 = time.perf_counter()
        pop = await load_population(url, keys, n, due=args.due, now=now, seed=args.seed + n)
        load_s = time.perf_counter() - t0
        after = await used_memory(admin)
        memory = await measure_memory(admin, keys, pop, before, after)
        print(
            f"N={n:,}: loaded in {load_s:.1f} s ({n / load_s:,.0f} subscribers/s); "
            f"due now {await admin.zcount(keys.due(), '-inf', repr(now)):,}",
            flush=True,
        )
        ud_before = await used_memory(admin)
        await load_user_data(url, keys, pop, args.ud_fraction)
        if pop.ud_ids:
            memory.ud_per_key = (await used_memory(admin) - ud_before) / len(pop.ud_ids)
    finally:
        await admin.aclose()
    m = memory
    print(
        f"  memory: {m.bytes_per_sub:,.0f} bytes/subscriber (used_memory "
        f"{m.used_before / 2**20:,.1f} -> {m.used_after / 2**20:,.1f} MiB); MEMORY USAGE: "
        f"hash {m.hash_avg:,.0f} B ({m.encodings['hash']}), due zset "
        f"{m.zset_per_member:,.0f} B/member ({m.encodings['zset']}), subs set "
        f"{m.set_per_member:,.0f} B/member ({m.encodings['set']}); "
        f"+{len(pop.ud_ids):,} user_data keys at {m.ud_per_key:,.0f} B each",
        flush=True,
    )
    tick = await measure_tick(url, settings, content, pop, args.runs, profile)
    print(
        f"  tick ({args.due:,} due, sends stubbed): {tick.median_ms:,.1f} ms median "
        f"({', '.join(f'{t:,.1f}' for t in tick.runs_ms)}), "
        f"{tick.median_ms * 1000 / args.due:,.0f} us per subscriber; sent {tick.sent}",
        flush=True,
    )
    print(
        "  redis commands in one tick (calls made inside Lua included): "
        + _fmt_commands(tick.commands),
        flush=True,
    )
    if tick.profile:
        print("  cProfile of one tick:\n" + _indent(tick.profile), flush=True)
    startup = await measure_startup(api, url, content, args.runs, len(pop.ud_ids))
    print(
        f"  start-up (build_application -> initialize): {startup.median_s:.3f} s median "
        f"({', '.join(f'{t:.3f}' for t in startup.runs_s)}); loaded user_data of "
        f"{startup.user_data_loaded:,} people; persistence scans alone {startup.scan_s:.3f} s",
        flush=True,
    )
    return SizeResult(n, load_s, tick, memory, startup)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    content = load_content(CONTENT_DIR)
    results: list[SizeResult] = []
    with redis_url() as url:
        async with LocalBotApi(record=False) as api:
            redis = make_redis(url)
            try:
                version = (await redis.info("server"))["redis_version"]
            finally:
                await redis.aclose()
            print(
                f"scheduler bench: sizes {args.sizes}, runs {args.runs}, {args.due:,} due, "
                f"python {sys.version.split()[0]}, redis-server {version}, "
                f"{os.cpu_count()} cpus",
                flush=True,
            )
            for i, n in enumerate(args.sizes):
                if args.profile:
                    mode = "always"
                elif args.no_profile or i < len(args.sizes) - 1:
                    mode = "never"
                else:
                    mode = "if_slow"  # the largest N says where the time goes, if above target
                results.append(await bench_size(n, url, api, content, args, mode))
            redis = make_redis(url)
            try:
                await redis.flushdb()
            finally:
                await redis.aclose()
    verdicts = []
    for r in results:
        verdicts.append(
            f"N={r.n:,}: tick {r.tick.median_ms:.1f} ms "
            f"({'ok' if r.tick.median_ms < TARGET_TICK_MS else 'ABOVE'} {TARGET_TICK_MS:.0f}), "
            f"{r.memory.bytes_per_sub:.0f} B/sub "
            f"({'ok' if r.memory.bytes_per_sub <= TARGET_BYTES else 'ABOVE'} {TARGET_BYTES:.0f}), "
            f"start-up {r.startup.median_s:.2f} s "
            f"({'ok' if r.startup.median_s < TARGET_STARTUP_S else 'ABOVE'} "
            f"{TARGET_STARTUP_S:.0f})"
        )
    print("\n".join(verdicts), flush=True)
    return {
        "bench": "scheduler",
        "sizes": [r.n for r in results],
        "tick_ms_1000_due": {str(r.n): round(r.tick.median_ms, 1) for r in results},
        "bytes_per_subscriber": {str(r.n): round(r.memory.bytes_per_sub, 1) for r in results},
        "startup_s": {str(r.n): round(r.startup.median_s, 3) for r in results},
        "runs": args.runs,
    }


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=_parse_sizes, default=list(DEFAULT_SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--due", type=int, default=1_000, help="people due now at each tick")
    parser.add_argument("--ud-fraction", type=float, default=0.01, help="share with user_data")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--profile", action="store_true", help="cProfile one tick at every N")
    parser.add_argument("--no-profile", action="store_true", help="never profile")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    figures = eventloop.run(main_async(args))  # the loop `python -m bot` runs on
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
