"""PTB persistence on redis.asyncio, written through after every update.

PTB keeps conversation states and user/chat data in memory and hands changes to the persistence
in batches; `WriteThroughApplication` (bot/app.py) flushes after every update, so a restart or a
crash loses no answer. Data is stored as JSON: keep user_data/chat_data JSON-friendly.
"""

from __future__ import annotations

import json
from typing import Any, cast

from redis.asyncio import Redis
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.store.keys import Keys


class RedisPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, redis: Redis, keys: Keys, *, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.redis = redis
        self.keys = keys

    async def _load_pattern(self, pattern: str, id_of: Any) -> dict[int, dict[Any, Any]]:
        out: dict[int, dict[Any, Any]] = {}
        async for key in self.redis.scan_iter(match=pattern, count=1000):
            raw = await self.redis.get(key)
            if raw:
                out[id_of(key)] = json.loads(raw)
        return out

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        # Per-user data is small and rarely used: PTB asks once at start-up.
        return await self._load_pattern(
            self.keys.user_data_pattern(), lambda k: int(k.split("{u", 1)[1].split("}", 1)[0])
        )

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load_pattern(
            self.keys.chat_data_pattern(), lambda k: int(k.rsplit(":", 1)[1])
        )

    async def get_bot_data(self) -> dict[Any, Any]:
        raw = await self.redis.get(self.keys.bot_data())
        return cast(dict[Any, Any], json.loads(raw)) if raw else {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        raw = await self.redis.hgetall(self.keys.conversation(name))
        return {tuple(json.loads(k)): json.loads(v) for k, v in raw.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        field = json.dumps(list(key))
        if new_state is None:
            await self.redis.hdel(self.keys.conversation(name), field)
        else:
            await self.redis.hset(self.keys.conversation(name), field, json.dumps(new_state))

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._put(self.keys.user_data(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._put(self.keys.chat_data(chat_id), data)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        await self._put(self.keys.bot_data(), data)

    async def _put(self, key: str, data: dict[Any, Any]) -> None:
        if data:
            await self.redis.set(key, json.dumps(data))
        else:
            await self.redis.delete(key)

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self.redis.delete(self.keys.chat_data(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self.redis.delete(self.keys.user_data(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None

    async def drop_conversation(self, name: str, key: ConversationKey) -> None:
        await self.update_conversation(name, key, None)
