"""Couple mode storage: single-use invite tokens (7 days), the pairing on both records, the one
sentence a person chose to share (short TTL), and once-a-day practice notes."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from bot.store.keys import Keys

INVITE_TTL = 7 * 24 * 3600
SHARE_TTL = 2 * 3600  # the last coached sentence, kept only so "share" can work


class PairStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _invite(self, token: str) -> str:
        return f"{self.keys.prefix}:invite:{token}"

    async def new_invite(self, inviter: int) -> str:
        token = secrets.token_urlsafe(12)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._invite(token), str(inviter), ex=INVITE_TTL)
            # Remembered under the inviter's keys, so /forget can void the link too.
            pipe.set(self.keys.user_key(inviter, "invite"), token, ex=INVITE_TTL)
            await pipe.execute()
        return token

    async def void_invite(self, inviter: int) -> None:
        token = await self.redis.get(self.keys.user_key(inviter, "invite"))
        if token:
            await self.redis.delete(self._invite(str(token)))

    async def peek(self, token: str) -> int | None:
        if not token or len(token) > 64:
            return None
        raw = await self.redis.get(self._invite(token))
        return int(raw) if raw else None

    async def redeem(self, token: str) -> int | None:
        """Single use: the first redeem wins, later ones get None."""
        raw = await self.redis.getdel(self._invite(token))
        return int(raw) if raw else None

    async def keep_for_sharing(self, user_id: int, text: str) -> None:
        await self.redis.set(self.keys.user_key(user_id, "share"), text, ex=SHARE_TTL)

    async def take_shared(self, user_id: int) -> str | None:
        raw = await self.redis.getdel(self.keys.user_key(user_id, "share"))
        return str(raw) if raw else None

    async def first_note_today(self, user_id: int, tool: str, day: str) -> bool:
        key = self.keys.user_key(user_id, f"note:{tool}:{day}")
        return bool(await self.redis.set(key, "1", nx=True, ex=2 * 24 * 3600))
