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


Sample = tuple[str, object]  # (what follows the name: '{type="message"}', "_sum" or "", value)


def _family(name: str, kind: str, text: str, samples: list[Sample]) -> list[str]:
    """One metric family in Prometheus text: HELP, TYPE, then all its samples together."""
    lines = [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{series} {value}" for series, value in samples]
    return lines


async def render(services: Services) -> str:
    metrics: Metrics = services.extras["metrics"]
    sender = services.sender
    now = services.clock.time()
    backlog, oldest = await services.due.backlog(now)
    running = []
    store = services.broadcasts
    for bid in await store.active_ids():
        b = await store.get(bid)
        if b is not None and b.status == RUNNING:
            running.append(b)
    families = [
        _family(
            "icb_updates_total",
            "counter",
            "Updates handled, by type.",
            [(f'{{type="{k}"}}', v) for k, v in sorted(metrics.updates.items())],
        ),
        _family(
            "icb_updates_duplicate_total",
            "counter",
            "Webhook deliveries dropped as already handled.",
            [("", metrics.duplicates)],
        ),
        _family(
            "icb_webhook_rejected_total",
            "counter",
            "Webhook requests with a wrong secret.",
            [("", metrics.rejected)],
        ),
        _family(
            "icb_sends_total",
            "counter",
            "Scheduled sends (lessons, nudges, broadcasts), by outcome.",
            [(f'{{outcome="{k}"}}', v) for k, v in sorted(sender.counts.items())],
        ),
        _family(
            "icb_telegram_429_total",
            "counter",
            "Answers of 429 Too Many Requests seen by the sender.",
            [("", sender.n_429)],
        ),
        _family(
            "icb_send_seconds",
            "summary",
            "Time per delivered send, including retries.",
            [("_sum", f"{sender.latency_sum:.6f}"), ("_count", sender.latency_count)],
        ),
        _family(
            "icb_due_backlog",
            "gauge",
            "Subscribers whose lesson is due now and not yet sent.",
            [("", backlog)],
        ),
        _family(
            "icb_oldest_overdue_seconds",
            "gauge",
            "How late the most overdue lesson is.",
            [("", f"{oldest:.1f}")],
        ),
        # Each family's samples stay together, as the text format requires.
        _family(
            "icb_broadcast_left",
            "gauge",
            "Recipients still to go, per running broadcast.",
            [(f'{{id="{b.id}"}}', b.left) for b in running],
        ),
        _family(
            "icb_broadcast_sent",
            "gauge",
            "Recipients sent so far, per running broadcast.",
            [(f'{{id="{b.id}"}}', b.sent) for b in running],
        ),
    ]
    return "\n".join(line for family in families for line in family) + "\n"
