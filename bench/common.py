"""What the benchmarks share: a Redis to measure against (REDIS_URL, else a private one) and
the local Bot API in a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from bot.store.redis_process import start_redis_server


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """REDIS_URL when given (its database gets flushed), else a private redis-server on a
    free port without persistence, stopped afterwards."""
    given = os.environ.get("REDIS_URL")
    if given:
        print(f"using REDIS_URL={given} (its database is flushed)", flush=True)
        yield given
        return
    workdir = tempfile.mkdtemp(prefix="redis-bench-")
    url, proc = start_redis_server(workdir)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


async def stdin_reader() -> asyncio.StreamReader:
    """This process's stdin as an asyncio stream: the subprocess side of ServerProcess."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def commands() -> AsyncIterator[list[str]]:
    """The command lines a ServerProcess sends, split into words, until stdin closes."""
    reader = await stdin_reader()
    while line := (await reader.readline()).decode().split():
        yield line


class ServerProcess:
    """A bench's local Bot API in its own process (so its CPU is not the client's), started
    on a free port and driven line by line over stdin/stdout. `python -m <module> --serve`
    prints its port first."""

    def __init__(self, module: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def ask(self, line: str) -> dict[str, Any]:
        """Send a command that answers with one JSON line."""
        self.command(line)
        assert self.proc.stdout is not None
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@contextlib.contextmanager
def server_process(module: str) -> Iterator[ServerProcess]:
    srv = ServerProcess(module)
    try:
        yield srv
    finally:
        srv.close()


class GcPauses:
    """Garbage-collector pauses of this process (at least ``threshold`` s): a pause stalls the
    event loop, and under a strict rate window a stall turns into 429s."""

    def __init__(self, threshold: float = 0.005) -> None:
        self.threshold = threshold
        self.pauses: list[tuple[int, float]] = []  # (generation, seconds)
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        if took >= self.threshold:
            self.pauses.append((info["generation"], took))

    def summary(self) -> dict[str, float]:
        longest = max((p for _, p in self.pauses), default=0.0)
        return {"gc_pauses": len(self.pauses), "gc_max_ms": round(longest * 1000, 1)}


class LoopLag:
    """How late this process's event loop wakes a task that sleeps 5 ms at a time: lags of at
    least ``threshold`` s are stalls (the process descheduled, a long callback, a GC pause)."""

    def __init__(self, threshold: float = 0.010, period: float = 0.005) -> None:
        self.threshold = threshold
        self.period = period
        self.stalls: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period)
            lag = time.perf_counter() - before - self.period
            if lag >= self.threshold:
                self.stalls.append(lag)

    def start(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict[str, float]:
        longest = max(self.stalls, default=0.0)
        return {"stalls": len(self.stalls), "stall_max_ms": round(longest * 1000, 1)}
