"""Starting a private redis-server: the sandbox (data under ./var/) and the test session."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Sequence


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis_server(
    data_dir: str,
    *,
    port: int | None = None,
    durable: bool = False,
    extra_args: Sequence[str] = (),
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start redis-server on loopback and wait until it answers PING; returns (url, process).

    durable: append-only file fsynced on every write, so a stop and a start keep everything.
    Raises RuntimeError when the binary is missing or the server does not come up.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH: apt-get install -y redis-server")
    port = port or free_port()
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "always"] if durable else ["--appendonly", "no"]
    )
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            data_dir,
            "--save",
            "",
            *persistence,
            *extra_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("redis-server did not start")
        time.sleep(0.02)  # an external process starting up
