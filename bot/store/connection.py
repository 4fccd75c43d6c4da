"""Building the redis.asyncio client: one blocking pool sized to the bot's concurrency."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis


def make_redis(url: str, *, max_connections: int = 32, timeout: float = 5.0) -> Redis:
    # A blocking pool waits for a free connection instead of raising at the cap (redis-py 8).
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )
    return Redis(connection_pool=pool)
