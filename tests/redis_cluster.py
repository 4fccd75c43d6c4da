"""A private three-node Redis Cluster (real redis-server processes in cluster mode)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis

from bot.store.redis_process import free_port, start_redis_server

SLOTS = 16384


@contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[str]:
    """Start `nodes` masters, give each a third of the slots, join them; yields a seed URL."""
    workdirs: list[str] = []
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    bus_ports: list[int] = []
    try:
        for _ in range(nodes):
            workdir = tempfile.mkdtemp(prefix="redis-cluster-")
            port, bus_port = free_port(), free_port()
            _url, proc = start_redis_server(
                workdir,
                port=port,
                extra_args=[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    str(bus_port),
                    "--cluster-node-timeout",
                    "3000",
                ],
            )
            workdirs.append(workdir)
            procs.append(proc)
            ports.append(port)
            bus_ports.append(bus_port)
        admins = [Redis(host="127.0.0.1", port=p) for p in ports]
        share = SLOTS // nodes
        for i, admin in enumerate(admins):
            last = SLOTS - 1 if i == nodes - 1 else (i + 1) * share - 1
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", i * share, last)
        for admin in admins[1:]:
            admin.execute_command("CLUSTER", "MEET", "127.0.0.1", ports[0], bus_ports[0])
        deadline = time.monotonic() + 30
        while not all(_ready(a, nodes) for a in admins):
            if time.monotonic() > deadline:
                raise RuntimeError("the test Redis Cluster did not come up within 30 s")
            time.sleep(0.1)
        for admin in admins:
            admin.close()
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)


def _ready(admin: Redis, nodes: int) -> bool:
    info = admin.execute_command("CLUSTER", "INFO")
    text = info.decode() if isinstance(info, bytes) else str(info)
    return "cluster_state:ok" in text and f"cluster_known_nodes:{nodes}" in text
