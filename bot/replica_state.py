"""Conversation steps and user_data read fresh from Redis on every update, so replicas agree.

PTB keeps both in the process's memory and reads its persistence only at start-up; the bot
writes them through after every update (bot/app.py). With several replicas behind one webhook
URL (or after the polling lease moves), a person's next update can reach a process whose copy
is older: it would ask a set-up step again or lose a broadcast draft. So the `touch` round trip
(bot/handlers/common.py), which every update with a user makes anyway, also reads this person's
user_data and conversation states, and they replace the local copies before any conversation
looks at the update. Same chat updates never run concurrently in one process
(bot/updates.py), and Redis holds the newest state once an update has finished.
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Callable
from typing import Any, cast

from telegram import Update
from telegram.ext import Application, ConversationHandler
from telegram.ext._utils.trackingdict import TrackingDict

from bot.store.keys import Keys
from bot.store.persistence import RedisPersistence

Apply = Callable[[str | None], None]


_FOUND: weakref.WeakKeyDictionary[Any, list[ConversationHandler]] = weakref.WeakKeyDictionary()


def _conversations(app: Application[Any, Any, Any, Any, Any, Any]) -> list[ConversationHandler]:
    # Handlers are all added by build_application before the first update: look once per app.
    found = _FOUND.get(app)
    if found is None:
        found = [
            handler
            for group in app.handlers.values()
            for handler in group
            if isinstance(handler, ConversationHandler) and handler.persistent and handler.name
        ]
        _FOUND[app] = found
    return found


def reads(
    app: Application[Any, Any, Any, Any, Any, Any], update: Update, keys: Keys, user_id: int
) -> tuple[list[tuple[str, str]], list[Apply]]:
    """The (hash, field) pairs to read for this update and, for each, how to apply the value."""
    pairs: list[tuple[str, str]] = [(keys.user_data_all(), str(user_id))]
    appliers: list[Apply] = [functools.partial(_apply_user_data, app, user_id)]
    for handler in _conversations(app):
        try:
            key = handler._get_key(update)  # PTB's own key for this update (private API)
        except RuntimeError:  # per_message without a button, say: this handler cannot match
            continue
        assert handler.name is not None
        pairs.append((keys.conversation(handler.name), json.dumps(list(key))))
        appliers.append(functools.partial(_apply_state, handler, key))
    return pairs, appliers


def _apply_user_data(
    app: Application[Any, Any, Any, Any, Any, Any], user_id: int, raw: str | None
) -> None:
    fresh = json.loads(raw) if raw else {}
    if fresh and isinstance(app.persistence, RedisPersistence):
        # Stored by another replica: if a step here empties it, the Redis entry must go too.
        app.persistence.note_stored(user_id)
    if (app.user_data.get(user_id) or {}) == fresh:
        return
    # In place: a CallbackContext made for this update may already hold this dict.
    local = app._user_data[user_id]
    local.clear()
    local.update(fresh)


def _apply_state(handler: ConversationHandler, key: tuple[Any, ...], raw: str | None) -> None:
    # PTB's TrackingDict; writes not tracked: Redis has these states already
    states = cast("TrackingDict[tuple[Any, ...], object]", handler._conversations)
    if raw is None:
        states.data.pop(key, None)
        return
    fresh = json.loads(raw)
    if states.get(key) != fresh:
        states.update_no_track({key: fresh})
