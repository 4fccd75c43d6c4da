"""Send throughput of PTB's HTTPXRequest vs our AiohttpRequest, and the shared rate limiter.

    .venv/bin/python -m bench.bench_transport [--messages 5000] [--concurrency 32] [--runs 3]
    .venv/bin/python -m bench.bench_transport --limiter [--messages 100000] [--concurrency 64]

The local Bot API server runs in a subprocess (this module with --serve), so the client's CPU
is measured on its own; the parent talks to it over stdin/stdout ("strict G C", "stats").
Transport mode: N sendMessage calls by `concurrency` tasks through a PTB Bot with (a) its
default HTTPXRequest and (b) AiohttpRequest, both with connection_pool_size = concurrency;
runs alternate a/b and the medians are reported. Limiter mode: an ExtBot on AiohttpRequest with
RedisRateLimiter(global_rate=1000) sends one bulk message to each of N chats against the server
in strict mode (1000/s global, 1/s per chat). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bench.common import ServerProcess, commands, redis_url, server_process
from bot.transport import AiohttpRequest

TOKEN = "123456:BENCH"


# ------------------------------------------------------------------ the server subprocess


async def serve() -> None:
    from bot.sandbox.botapi import LocalBotApi

    api = LocalBotApi(token=TOKEN, port=0, record=False)
    await api.start()
    print(api.port, flush=True)
    try:
        async for line in commands():
            if line[0] == "strict":
                api.strict(global_rate=float(line[1]), per_chat_rate=float(line[2]))
            elif line[0] == "stats":
                stats = {"n_429": api.n_429, "sent": api.sent_total, "cpu": time.process_time()}
                print(json.dumps(stats), flush=True)
    finally:
        await api.stop()


# ------------------------------------------------------------------ transport mode


async def run_transport(
    srv: ServerProcess, transport: str, messages: int, concurrency: int
) -> dict[str, float]:
    request: BaseRequest = (
        HTTPXRequest(connection_pool_size=concurrency)
        if transport == "httpx"
        else AiohttpRequest(connection_pool_size=concurrency)
    )
    bot = Bot(TOKEN, base_url=srv.base_url, request=request)
    counter = iter(range(messages))
    errors = 0

    async def sender() -> None:
        nonlocal errors
        for i in counter:
            try:
                await bot.send_message(1000 + i % 1000, f"message {i}")
            except TelegramError:
                errors += 1

    async with bot:
        server_cpu = srv.ask("stats")["cpu"]
        cpu, start = time.process_time(), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        server_cpu = srv.ask("stats")["cpu"] - server_cpu
    return {
        "sends_per_s": messages / elapsed,
        "client_cpu_us_per_send": cpu / messages * 1e6,
        "server_cpu_us_per_send": server_cpu / messages * 1e6,
        "errors": errors,
    }


async def transport_mode(args: argparse.Namespace) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"httpx": [], "aiohttp": []}
    with server_process("bench.bench_transport") as srv:
        await run_transport(srv, "aiohttp", min(500, args.messages), args.concurrency)  # warm-up
        for n in range(args.runs):
            for transport in ("httpx", "aiohttp"):
                r = await run_transport(srv, transport, args.messages, args.concurrency)
                runs[transport].append(r)
                print(
                    f"run {n + 1} {transport:8s} {r['sends_per_s']:8.0f} sends/s  "
                    f"client {r['client_cpu_us_per_send']:5.0f} us/send  "
                    f"server {r['server_cpu_us_per_send']:5.0f} us/send  errors {r['errors']:.0f}",
                    flush=True,
                )

    def median(transport: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[transport])

    a, b = median("httpx", "sends_per_s"), median("aiohttp", "sends_per_s")
    print(f"median httpx {a:.0f} sends/s, aiohttp {b:.0f} sends/s, ratio b/a {b / a:.2f}")
    return {
        "bench": "transport",
        "messages": args.messages,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "httpx_sends_per_s": round(a, 1),
        "aiohttp_sends_per_s": round(b, 1),
        "ratio": round(b / a, 2),
        "httpx_client_cpu_us_per_send": round(median("httpx", "client_cpu_us_per_send"), 1),
        "aiohttp_client_cpu_us_per_send": round(median("aiohttp", "client_cpu_us_per_send"), 1),
        "errors": sum(r["errors"] for rs in runs.values() for r in rs),
    }


# ------------------------------------------------------------------ limiter mode


async def limiter_mode(args: argparse.Namespace) -> dict[str, Any]:
    from bot.store.connection import make_redis
    from bot.store.keys import Keys
    from scheduler.ratelimit import RedisRateLimiter

    rate = 1000.0
    with redis_url() as url, server_process("bench.bench_transport") as srv:
        srv.command(f"strict {rate} 1")
        redis = make_redis(url, max_connections=args.concurrency)
        keys = Keys(f"bench{os.getpid()}")  # a fresh budget, even on a shared REDIS_URL
        limiter = RedisRateLimiter(redis, keys, global_rate=rate)
        if args.headroom is not None:
            limiter = RedisRateLimiter(redis, keys, global_rate=rate, headroom=args.headroom)
        bot: ExtBot[Any] = ExtBot(
            TOKEN,
            base_url=srv.base_url,
            request=AiohttpRequest(connection_pool_size=args.concurrency),
            rate_limiter=limiter,
        )
        counter = iter(range(args.messages))
        failed = 0

        async def sender() -> None:
            nonlocal failed
            for i in counter:
                try:
                    await bot.send_message(
                        10_000_000 + i, "news", rate_limit_args={"priority": "bulk"}
                    )
                except TelegramError:
                    failed += 1

        async def progress() -> None:
            while True:
                await asyncio.sleep(10)
                s = srv.ask("stats")
                print(f"  ... sent {s['sent']}, 429s {s['n_429']}", flush=True)

        async with bot:
            before = srv.ask("stats")
            ticker = asyncio.create_task(progress())
            cpu, start = time.process_time(), time.perf_counter()
            await asyncio.gather(*(sender() for _ in range(args.concurrency)))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            ticker.cancel()
            after = srv.ask("stats")
        await redis.aclose()

    sent = after["sent"] - before["sent"]
    result = {
        "bench": "limiter",
        "global_rate": rate,
        "headroom": limiter.headroom,
        "chats": args.messages,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 2),
        "achieved_per_s": round(sent / elapsed, 1),
        "sent": sent,
        "n_429": after["n_429"] - before["n_429"],
        "failed": failed,
        "client_cpu_us_per_send": round(cpu / max(sent, 1) * 1e6, 1),
        "voided_slots": limiter.voided_slots,
    }
    print(
        f"limiter: {result['achieved_per_s']} msg/s of {rate:.0f}, sent {sent}, "
        f"429s {result['n_429']}, failed {failed}, {elapsed:.1f} s"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limiter", action="store_true", help="benchmark RedisRateLimiter")
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--headroom", type=float, default=None, help="limiter headroom share")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve())
        return
    if args.limiter:
        args.messages = args.messages or 100_000
        args.concurrency = args.concurrency or 64
        result = asyncio.run(limiter_mode(args))
    else:
        args.messages = args.messages or 5_000
        args.concurrency = args.concurrency or 32
        result = asyncio.run(transport_mode(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
