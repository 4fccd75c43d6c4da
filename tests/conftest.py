"""Shared fixtures: a real redis-server per session, flushed per test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import uvloop
from redis.asyncio import Redis

from tests.redis_cluster import redis_cluster
from tests.redis_server import redis_server


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Tests run on the event loop production runs on (bot/eventloop.py)."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    with redis_server() as (url, _proc):
        yield url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    # Function-scoped: an async client is bound to the loop that made it.
    client: Redis = Redis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """A private three-node Redis Cluster, started on first use (REDIS_CLUSTER_URL overrides)."""
    given = os.environ.get("REDIS_CLUSTER_URL")
    if given:
        yield given
        return
    with redis_cluster() as url:
        yield url
