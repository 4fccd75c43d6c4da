"""The Redis client of bot/store/connection.py: the pool's cap holds and waits like redis-py's
BlockingConnectionPool, and hiredis packs exactly the bytes redis-py's own packer would."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.store.connection import CappedConnectionPool, HiredisPackConnection, make_redis


async def test_the_cap_holds_and_a_waiting_command_runs_once_a_connection_frees(
    redis_url: str, redis: Redis
) -> None:
    client = make_redis(redis_url, max_connections=2)
    try:
        # Two commands hold both connections until something is pushed.
        held = [asyncio.create_task(client.blpop(["icb:test:q"], timeout=0)) for _ in range(2)]
        await _blocked(redis, 2)
        third = asyncio.create_task(client.set("icb:test:x", "1"))
        done, _ = await asyncio.wait({third}, timeout=0.3)
        assert not done, "a third connection was opened past the cap"
        await redis.rpush("icb:test:q", "a")  # frees one of them
        assert await asyncio.wait_for(third, 5) is True
        await redis.rpush("icb:test:q", "b")
        assert sorted(v for _, v in await asyncio.gather(*held)) == ["a", "b"]
        pool = client.connection_pool
        assert isinstance(pool, CappedConnectionPool)
        assert len(pool._available_connections) + len(pool._in_use_connections) <= 2
    finally:
        await client.aclose()


async def test_waiting_longer_than_the_timeout_is_a_connection_error(
    redis_url: str, redis: Redis
) -> None:
    # socket_timeout unset: only the pool's wait may end the ping
    pool = CappedConnectionPool.from_url(redis_url, max_connections=1, timeout=0.2)
    client = Redis(connection_pool=pool)
    try:
        holder = asyncio.create_task(client.blpop(["icb:test:never"], timeout=0))
        await _blocked(redis, 1)
        with pytest.raises(RedisConnectionError, match="No connection available"):
            await client.ping()
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
    finally:
        await client.aclose()


async def _blocked(redis: Redis, n: int) -> None:
    """Until n clients of the server sit in BLPOP (polling another task's progress)."""
    async with asyncio.timeout(5):
        while len([c for c in await redis.client_list() if c["cmd"] == "blpop"]) < n:
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    "args",
    [
        ("SET", "icb:v2:{u1}:sub", "Grüße 💛"),
        ("HSET", b"k", b"\x00\xff", 42, -7, 1.5, 1e20, 0.1 + 0.2),
        ("CONFIG GET", "maxmemory"),
        ("EVALSHA", "a" * 40, 2, "k1", "k2", "", "x" * 70_000),
    ],
)
def test_hiredis_packs_the_same_bytes_as_redis_py(args: tuple[object, ...]) -> None:
    ours = b"".join(HiredisPackConnection().pack_command(*args))
    theirs = b"".join(Connection().pack_command(*args))
    assert ours == theirs
