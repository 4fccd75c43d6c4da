"""What the benchmarks share: a Redis to measure against (REDIS_URL, else a private one) and
the local Bot API in a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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
