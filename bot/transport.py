"""PTB's HTTP transport on aiohttp: the same contract as HTTPXRequest, at several times the speed.

PTB's default HTTPXRequest spends most of a bot's CPU inside httpx/httpcore (ARCHITECTURE.md:
raw aiohttp sends 1,200-2,700 requests/s here where httpx sends 350-740), so this is the lever
for throughput and for 1000 msg/s paid broadcasts.

    request = AiohttpRequest(connection_pool_size=32)
    ApplicationBuilder().token(...).request(request)
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=...))

Semantics mirror telegram/request/_httpxrequest.py:
- timeouts: ``connect_timeout`` -> aiohttp connect/sock_connect, ``read_timeout`` -> sock_read
  (aiohttp starts it once the body is written, as httpx's read timeout), ``pool_timeout`` -> the
  wait for a free connection (our own semaphore, so the message matches PTB's "Pool timeout").
  aiohttp has no socket write timeout: ``write_timeout`` (``media_write_timeout`` for uploads)
  bounds sending the request and receiving the response headers together with the connect and
  read timeouts (deadline = connect + write + read), which also ends a stalled upload.
- any timeout -> telegram.error.TimedOut; other aiohttp/socket errors -> NetworkError.
- InputFile uploads as multipart/form-data; other parameters go as one JSON object of the same
  string values that httpx would url-encode (Telegram accepts both).
- ``do_request`` returns (status, body bytes); PTB's BaseRequest maps statuses to errors.
- the ClientSession is created in ``initialize`` (it must belong to the running loop) and
  closed in ``shutdown``; ``initialize`` after ``shutdown`` makes a fresh one.
Differences: no HTTP/2 (aiohttp speaks HTTP/1.1), proxies only through ``proxy`` (environment
proxy variables are read only with ``trust_env=True``; httpx reads them by default).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """Implementation of :class:`telegram.request.BaseRequest` on aiohttp."""

    __slots__ = (
        "_connect_timeout",
        "_limit",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_session_kwargs",
        "_trust_env",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        trust_env: bool = False,
        session_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be >= 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._trust_env = trust_env
        # like httpx_kwargs: passed to ClientSession last, overriding our defaults
        self._session_kwargs = dict(session_kwargs or {})
        self._session: aiohttp.ClientSession | None = None
        self._pool: asyncio.Semaphore | None = None
        self._limit: aiohttp.ClientTimeout | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds, as passed to the constructor."""
        return self._read_timeout

    @property
    def connection_pool_size(self) -> int:
        return self._pool_size

    async def initialize(self) -> None:
        """Create the ClientSession in the running loop (again after a shutdown)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        self._pool = asyncio.Semaphore(self._pool_size)
        self._limit = self._timeout(self._connect_timeout, self._read_timeout)
        kwargs: dict[str, Any] = {
            "connector": connector,
            "timeout": self._limit,
            "trust_env": self._trust_env,
        }
        if self._proxy is not None:  # a session-wide proxy needs aiohttp >= 3.10
            kwargs["proxy"] = self._proxy
        kwargs.update(self._session_kwargs)
        self._session = aiohttp.ClientSession(**kwargs)

    async def shutdown(self) -> None:
        """Close the ClientSession and its connections."""
        if self._session is None or self._session.closed:
            log.debug("This AiohttpRequest is already shut down. Returning.")
            return
        await self._session.close()

    @staticmethod
    def _timeout(connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=None, connect=connect, sock_connect=connect, sock_read=read
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        session, pool = self._session, self._pool
        if session is None or session.closed or pool is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        files = request_data.multipart_data if request_data else None
        # Same fallbacks as HTTPXRequest: an unset (DEFAULT_NONE) timeout means the default.
        read = _pick(read_timeout, self._read_timeout)
        connect = _pick(connect_timeout, self._connect_timeout)
        pool_wait = _pick(pool_timeout, self._pool_timeout)
        write = _pick(write_timeout, self._media_write_timeout if files else self._write_timeout)
        timeout = (
            self._limit
            if read == self._read_timeout and connect == self._connect_timeout
            else self._timeout(connect, read)
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: bytes | aiohttp.FormData | None = None
        if files:
            form = aiohttp.FormData(quote_fields=True)
            assert request_data is not None  # files come from request_data
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None and request_data.parameters:
            # One JSON object of the same string values httpx would url-encode: Telegram reads
            # both, and json.dumps is C where urlencode quotes every value in Python (3% CPU).
            body = request_data.json_payload
            headers.update(_JSON)

        # A deadline for connect + upload + response headers stands in for a write timeout.
        deadline = None
        if connect is not None and write is not None and read is not None:
            deadline = connect + write + read
        await self._acquire(pool, pool_wait)
        try:
            async with asyncio.timeout(deadline):
                response = await session.request(
                    method, url, data=body, headers=headers, timeout=timeout
                )
            async with response:
                payload = await response.read()
                return response.status, payload
        except TimeoutError as err:
            # aiohttp's ServerTimeoutError/ConnectionTimeoutError subclass TimeoutError too
            raise TimedOut from err
        except (aiohttp.ClientError, OSError) as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            pool.release()

    @staticmethod
    async def _acquire(pool: asyncio.Semaphore, wait: float | None) -> None:
        if not pool.locked():
            await pool.acquire()  # free slot: returns without suspending
            return
        try:
            async with asyncio.timeout(wait):
                await pool.acquire()
        except TimeoutError as err:
            raise TimedOut(
                message=(
                    "Pool timeout: All connections in the connection pool are occupied. "
                    "Request was *not* sent to Telegram. Consider adjusting the connection "
                    "pool size or the pool timeout."
                )
            ) from err


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value
