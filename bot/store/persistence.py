"""PTB persistence on redis.asyncio, written through after every update.

PTB keeps conversation states and user data in memory and hands changes to the persistence in
batches; `BotApplication` (bot/app.py) flushes after every update, so a restart or a crash
loses no answer. Start-up cost must not grow with the number of subscribers: user_data lives in
one hash (one HGETALL, and only the few people mid-set-up have any), chat_data is not used.
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
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.redis = redis
        self.keys = keys
        # Who has stored data: PTB hands every update's user to update_user_data, and for
        # almost everyone it is empty, so most calls can skip Redis entirely.
        self._stored: set[int] = set()

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.user_data_all()))
        loaded = {int(uid): json.loads(data) for uid, data in raw.items()}
        self._stored = set(loaded)
        return loaded

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

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

    def note_stored(self, user_id: int) -> None:
        """Another replica stored user_data for this person (bot/replica_state.py): when it
        empties here, the entry in Redis must go too."""
        self._stored.add(user_id)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        if data:
            await self.redis.hset(self.keys.user_data_all(), str(user_id), json.dumps(data))
            self._stored.add(user_id)
        elif user_id in self._stored:
            await self.redis.hdel(self.keys.user_data_all(), str(user_id))
            self._stored.discard(user_id)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self.redis.hdel(self.keys.user_data_all(), str(user_id))
        self._stored.discard(user_id)

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
