"""One chat's updates stay in order; different chats' updates overlap."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.updates import PerChatUpdateProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_same_chat_in_order_other_chats_concurrently() -> None:
    processor = PerChatUpdateProcessor(8)
    events: list[str] = []
    first_started = asyncio.Event()
    release = asyncio.Event()

    async def slow(name: str) -> None:
        events.append(f"start {name}")
        first_started.set()
        await release.wait()
        events.append(f"end {name}")

    async def quick(name: str) -> None:
        events.append(f"run {name}")

    a1 = asyncio.create_task(processor.process_update(update(1, 10), slow("a1")))
    await first_started.wait()
    a2 = asyncio.create_task(processor.process_update(update(2, 10), quick("a2")))
    b1 = asyncio.create_task(processor.process_update(update(3, 20), quick("b1")))
    await b1  # another chat is not held up by a1
    assert events == ["start a1", "run b1"]
    release.set()
    await asyncio.gather(a1, a2)
    assert events == ["start a1", "run b1", "end a1", "run a2"]  # a2 waited for a1
    assert processor._locks == {}  # nothing kept for idle chats
