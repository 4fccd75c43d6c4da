"""What handlers and jobs are given: built once by bot/app.py, reached through `svc(context)`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis

from bot.course.models import Content
from bot.settings import Settings
from bot.store.keys import Keys
from bot.store.pairs import PairStore
from bot.store.practice import PracticeStore
from bot.store.quizzes import QuizStore
from bot.store.subscribers import SubscriberStore
from scheduler.broadcast import BroadcastStore
from scheduler.clock import Clock
from scheduler.delivery import Sender
from scheduler.duequeue import DueQueue

if TYPE_CHECKING:
    from scheduler.broadcast import BroadcastEngine
    from scheduler.drip import DripEngine


class ContentHolder:
    """The live content; /reload swaps it whole, so a reader never sees half an update."""

    def __init__(self, content: Content) -> None:
        self.current = content

    def __call__(self) -> Content:
        return self.current


@dataclass
class Services:
    settings: Settings
    clock: Clock
    redis: Redis
    keys: Keys
    content: ContentHolder
    subscribers: SubscriberStore
    due: DueQueue
    idle: DueQueue
    sender: Sender
    quizzes: QuizStore
    practice: PracticeStore
    pairs: PairStore
    broadcasts: BroadcastStore
    drip: DripEngine | None = None
    broadcaster: BroadcastEngine | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def is_operator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.OPERATOR_IDS


def svc(context: Any) -> Services:
    services: Services = context.application.services
    return services
