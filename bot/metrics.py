"""In-process metrics, exposed as Prometheus text on /metrics (webhook mode)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from telegram import Update

from bot.handlers.common import Context
from bot.services import Services, svc
from scheduler.broadcast import RUNNING


@dataclass
class Metrics:
    updates: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    rejected: int = 0


def update_kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "my_chat_member", "channel_post"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def count_update(update: Update, context: Context) -> None:
    metrics: Metrics = svc(context).extras["metrics"]
    metrics.updates[update_kind(update)] += 1


async def render(services: Services) -> str:
    metrics: Metrics = services.extras["metrics"]
    sender = services.sender
    now = services.clock.time()
    backlog, oldest = await services.due.backlog(now)
    lines = [
        "# HELP icb_updates_total Updates handled, by type.",
        "# TYPE icb_updates_total counter",
    ]
    lines += [f'icb_updates_total{{type="{k}"}} {v}' for k, v in sorted(metrics.updates.items())]
    lines += [
        "# HELP icb_updates_duplicate_total Webhook deliveries dropped as already handled.",
        "# TYPE icb_updates_duplicate_total counter",
        f"icb_updates_duplicate_total {metrics.duplicates}",
        "# HELP icb_webhook_rejected_total Webhook requests with a wrong secret.",
        "# TYPE icb_webhook_rejected_total counter",
        f"icb_webhook_rejected_total {metrics.rejected}",
        "# HELP icb_sends_total Scheduled sends (lessons, nudges, broadcasts), by outcome.",
        "# TYPE icb_sends_total counter",
    ]
    lines += [f'icb_sends_total{{outcome="{k}"}} {v}' for k, v in sorted(sender.counts.items())]
    lines += [
        "# HELP icb_telegram_429_total Answers of 429 Too Many Requests seen by the sender.",
        "# TYPE icb_telegram_429_total counter",
        f"icb_telegram_429_total {sender.n_429}",
        "# HELP icb_send_seconds Time per delivered send, including retries.",
        "# TYPE icb_send_seconds summary",
        f"icb_send_seconds_sum {sender.latency_sum:.6f}",
        f"icb_send_seconds_count {sender.latency_count}",
        "# HELP icb_due_backlog Subscribers whose lesson is due now and not yet sent.",
        "# TYPE icb_due_backlog gauge",
        f"icb_due_backlog {backlog}",
        "# HELP icb_oldest_overdue_seconds How late the most overdue lesson is.",
        "# TYPE icb_oldest_overdue_seconds gauge",
        f"icb_oldest_overdue_seconds {oldest:.1f}",
        "# HELP icb_broadcast_left Recipients still to go, per running broadcast.",
        "# TYPE icb_broadcast_left gauge",
    ]
    store = services.broadcasts
    for bid in await store.active_ids():
        b = await store.get(bid)
        if b is not None and b.status == RUNNING:
            lines.append(f'icb_broadcast_left{{id="{b.id}"}} {b.left}')
            lines.append(f'icb_broadcast_sent{{id="{b.id}"}} {b.sent}')
    return "\n".join(lines) + "\n"
