"""A private redis-server for the test session (REDIS_URL overrides it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bot.store.redis_process import free_port, start_redis_server

__all__ = ["free_port", "redis_server"]


@contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    workdir = tempfile.mkdtemp(prefix="redis-test-")
    url, proc = start_redis_server(workdir)
    try:
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
