"""Which asyncio event loop runs the bot: uvloop by default, the standard one on request.

uvloop halves the event loop's own cost per callback, and this bot is loop-bound: a Redis round
trip costs about 40 us of CPU on uvloop against 65 us on asyncio's loop, and the full stack
handles about a third more updates per second (BENCHMARKS.md). ``EVENT_LOOP=asyncio`` is the
escape hatch (and the fallback where uvloop is not installed, e.g. on Windows).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopName = Literal["uvloop", "asyncio"]

log = logging.getLogger(__name__)


def run(main: Coroutine[Any, Any, T], loop: LoopName = "uvloop") -> T:
    """``asyncio.run`` on the chosen loop."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed; running on asyncio's own event loop")
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def freeze_heap() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    A fresh bot holds ~115,000 tracked objects (PTB, pydantic, content), and a full collection
    walked them all: 50-90 ms with the loop stopped, three times in a 100 s broadcast. Sends
    queued behind such a stall leave as one burst, and a strict one-second window answers 429
    (bench_broadcast at 30/s: 2-3 of them per run). Frozen objects are still freed by reference
    counting; only cycles among them would stay, and start-up objects live as long as the
    process anyway. Called once, by each way of serving, after the app has started.
    """
    gc.collect()
    gc.freeze()
