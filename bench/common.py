"""What the benchmarks share: a Redis to measure against (REDIS_URL, else a private one)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

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
