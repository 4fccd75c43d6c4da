"""Operators' /broadcast walk-through and /broadcasts list. Everyone else is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.broadcasting import progress_text, send_broadcast_message
from bot.course.html import validate_telegram_html
from bot.course.tools import AREA_TITLES, QUIZ_AREAS
from bot.handlers.common import Context, answer, edit_or_send, reply
from bot.handlers.operator import operators_only
from bot.services import svc
from scheduler.broadcast import RUNNING, SCHEDULED, Broadcast

MESSAGE, BUTTON, BUTTON_URL, SEGMENT, PREVIEW, SCHEDULE = range(10, 16)
DRAFT = "broadcast_draft"


def op(arg: str) -> str:
    return cb.data(cb.OPERATOR, arg)


def draft(context: Context) -> dict[str, Any]:
    data: dict[str, Any] = context.user_data.setdefault(DRAFT, {})  # type: ignore[union-attr]
    return data


def as_broadcast(d: dict[str, Any], user_id: int, now: float) -> Broadcast:
    return Broadcast(
        id="",
        html=d.get("html", ""),
        segment=d.get("segment", "active"),
        include_paused=bool(d.get("include_paused", False)),
        button_kind=d.get("button_kind", ""),
        button_label=d.get("button_label", ""),
        button_value=str(d.get("button_value", "")),
        media_kind=d.get("media_kind", ""),
        media_id=d.get("media_id", ""),
        created_by=user_id,
        created_at=now,
        start_at=now,
    )


@operators_only
async def start(update: Update, context: Context) -> int:
    context.user_data[DRAFT] = {}  # type: ignore[index]
    await reply(
        update,
        "📣 <b>New broadcast</b>\nSend me the message. Formatting and HTML tags work; you may "
        "also send a photo or a document with a caption. /cancel stops.",
    )
    return MESSAGE


@operators_only
async def got_message(update: Update, context: Context) -> int:
    message = update.effective_message
    if message is None:
        return MESSAGE
    d = draft(context)
    if message.photo:
        d.update(media_kind="photo", media_id=message.photo[-1].file_id)
        html = message.caption_html or ""
    elif message.document:
        d.update(media_kind="document", media_id=message.document.file_id)
        html = message.caption_html or ""
    else:
        # Formatting made in the app arrives as entities; typed tags arrive as text.
        html = message.text_html if message.entities else (message.text or "")
    problem = validate_telegram_html(html) if html else None
    if problem or (not html and not d.get("media_id")):
        await reply(update, f"That can't be sent: {escape(problem or 'empty message')}. Try again.")
        return MESSAGE
    d["html"] = html
    await reply(
        update,
        "Add a button under it?",
        Markup(
            [
                [Button("No button", callback_data=op("btn:none"))],
                [Button("🔗 Link button", callback_data=op("btn:url"))],
                [Button("📖 Open a lesson", callback_data=op("btn:lesson"))],
            ]
        ),
    )
    return BUTTON


@operators_only
async def button_choice(update: Update, context: Context) -> int:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    d = draft(context)
    if arg == "btn:url":
        await edit_or_send(update, "Send the button as <code>Label | https://example.com</code>.")
        return BUTTON_URL
    if arg == "btn:lesson":
        lessons = svc(context).content().course.lessons
        rows = [
            [Button(f"Day {ls.day} · {ls.title}"[:60], callback_data=op(f"lesson:{ls.day}"))]
            for ls in lessons
        ]
        await edit_or_send(update, "Which lesson should the button open?", Markup(rows))
        return BUTTON
    if arg.startswith("lesson:") and cb.number(arg[7:]) is not None:
        d.update(button_kind="lesson", button_value=arg[7:], button_label="")
    else:
        d.update(button_kind="", button_value="", button_label="")
    return await ask_segment(update, context)


@operators_only
async def button_url(update: Update, context: Context) -> int:
    text = update.effective_message.text if update.effective_message else ""
    label, _, url = (text or "").partition("|")
    label, url = label.strip(), url.strip()
    if not label or not url.startswith("https://") or len(label) > 64:
        await reply(update, "Please send it as <code>Label | https://example.com</code>.")
        return BUTTON_URL
    draft(context).update(button_kind="url", button_label=label, button_value=url)
    return await ask_segment(update, context)


async def ask_segment(update: Update, context: Context) -> int:
    d = draft(context)
    paused = "✅" if d.get("include_paused") else "⬜"
    rows = [
        [Button("Everyone active", callback_data=op("seg:active"))],
        [Button("Finished the course", callback_data=op("seg:finished"))],
        [Button("By course day…", callback_data=op("seg:day"))],
        [Button("By weakest quiz area…", callback_data=op("seg:area"))],
        [Button(f"{paused} Include paused people", callback_data=op("paused"))],
    ]
    await edit_or_send(update, "Who should get it?", Markup(rows))
    return SEGMENT


@operators_only
async def segment_choice(update: Update, context: Context) -> int:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    d = draft(context)
    s = svc(context)
    if arg == "paused":
        d["include_paused"] = not d.get("include_paused", False)
        return await ask_segment(update, context)
    if arg == "seg:day":
        last = s.content().course.last_day
        rows = [
            [
                Button(f"Day {n}", callback_data=op(f"seg:day:{n}"))
                for n in range(i, min(i + 4, last + 1))
            ]
            for i in range(0, last + 1, 4)
        ]
        await edit_or_send(update, "People whose latest lesson is day…", Markup(rows))
        return SEGMENT
    if arg == "seg:area":
        rows = [[Button(AREA_TITLES[a], callback_data=op(f"seg:area:{a}"))] for a in QUIZ_AREAS]
        await edit_or_send(
            update, "People whose latest quiz says this area is weakest:", Markup(rows)
        )
        return SEGMENT
    valid = (
        arg in ("seg:active", "seg:finished")
        or (arg.startswith("seg:day:") and cb.number(arg[8:]) is not None)
        or (arg.startswith("seg:area:") and arg[9:] in QUIZ_AREAS)
    )
    if not valid:
        return await ask_segment(update, context)
    d["segment"] = arg[4:]
    return await preview(update, context)


async def preview(update: Update, context: Context) -> int:
    s = svc(context)
    d = draft(context)
    user = update.effective_user
    assert user is not None
    recipients = await s.broadcasts.recipients(
        d.get("segment", "active"), bool(d.get("include_paused"))
    )
    d["count"] = len(recipients)
    await edit_or_send(update, "Preview: this is what people will see 👇")
    await send_broadcast_message(
        context.bot, s, as_broadcast(d, user.id, s.clock.time()), user.id, priority="interactive"
    )
    rows = [
        [Button("📤 Send a test to me", callback_data=op("test"))],
        [Button(f"✅ Send now to {len(recipients)}", callback_data=op("send"))],
        [Button("🕒 Schedule…", callback_data=op("schedule"))],
        [Button("✖ Cancel", callback_data=op("cancel"))],
    ]
    paused = " (paused people included)" if d.get("include_paused") else ""
    await reply(
        update,
        f"Segment <b>{escape(d.get('segment', 'active'))}</b>{paused}: "
        f"<b>{len(recipients)}</b> recipient(s). Unsubscribed and blocked people never get it.",
        Markup(rows),
    )
    return PREVIEW


@operators_only
async def preview_choice(update: Update, context: Context) -> int:
    await answer(update)
    arg = cb.arg_of(update.callback_query.data if update.callback_query else "")
    s = svc(context)
    user = update.effective_user
    assert user is not None
    d = draft(context)
    if arg == "test":
        b = as_broadcast(d, user.id, s.clock.time())
        await send_broadcast_message(context.bot, s, b, user.id, priority="interactive")
        await reply(update, "Test sent to you. Send now, schedule, or cancel?")
        return PREVIEW
    if arg == "schedule":
        await edit_or_send(
            update, "When? Type the time in UTC, e.g. <code>2026-12-01 09:00</code>."
        )
        return SCHEDULE
    if arg == "send":
        await create(update, context, s.clock.time())
        return ConversationHandler.END
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await edit_or_send(update, "Broadcast cancelled. Nothing was sent.")
    return ConversationHandler.END


@operators_only
async def schedule_typed(update: Update, context: Context) -> int:
    text = (update.effective_message.text if update.effective_message else "") or ""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        await reply(update, "I couldn't read that. Please use <code>2026-12-01 09:00</code> (UTC).")
        return SCHEDULE
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if when.timestamp() <= svc(context).clock.time():
        await reply(update, "That's in the past. Please give a future time (UTC).")
        return SCHEDULE
    await create(update, context, when.timestamp())
    return ConversationHandler.END


async def create(update: Update, context: Context, start_at: float) -> None:
    s = svc(context)
    user = update.effective_user
    assert user is not None
    d = draft(context)
    bstore = s.broadcasts
    recipients = await bstore.recipients(d.get("segment", "active"), bool(d.get("include_paused")))
    b = replace(as_broadcast(d, user.id, s.clock.time()), start_at=start_at)
    b = await bstore.create(b, recipients)
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    if start_at > s.clock.time():
        when = datetime.fromtimestamp(start_at, tz=UTC)
        await reply(
            update,
            f"🕒 Broadcast <code>{b.id}</code> to {b.total} scheduled for "
            f"{when:%Y-%m-%d %H:%M} UTC.",
        )
        return
    progress = await context.bot.send_message(
        user.id,
        progress_text(b, s.clock.time()),
        rate_limit_args={"priority": "interactive"},  # type: ignore[arg-type]
    )
    await bstore.set(b.id, progress_chat=user.id, progress_message=progress.message_id)
    kick = s.extras.get("kick_broadcasts")
    if kick is not None:
        kick()


@operators_only
async def list_broadcasts(update: Update, context: Context) -> None:
    s = svc(context)
    recent = await s.broadcasts.recent(10)
    if not recent:
        await reply(update, "No broadcasts yet. /broadcast starts one.")
        return
    lines, rows = [], []
    for b in recent:
        when = datetime.fromtimestamp(b.start_at or b.created_at, tz=UTC)
        lines.append(
            f"<code>{b.id}</code> {b.status} {when:%m-%d %H:%M} · {escape(b.segment)} · "
            f"sent {b.sent}/{b.total}, blocked {b.blocked}, failed {b.failed}"
        )
        if b.status in (SCHEDULED, RUNNING):
            rows.append([Button(f"✖ Cancel {b.id}", callback_data=op(f"bccancel:{b.id}"))])
    await reply(update, "\n".join(lines), Markup(rows) if rows else None)


@operators_only
async def cancel_broadcast(update: Update, context: Context) -> None:
    s = svc(context)
    bid = cb.arg_of(update.callback_query.data if update.callback_query else "")[9:]
    ok = await s.broadcasts.cancel(bid, s.clock.time())
    await answer(update, "Cancelled." if ok else "It has already ended.")
    if ok:
        await reply(
            update, f"Broadcast <code>{escape(bid)}</code> cancelled. Nothing more goes out."
        )


@operators_only
async def cancel(update: Update, context: Context) -> int:
    context.user_data.pop(DRAFT, None)  # type: ignore[union-attr]
    await reply(update, "Broadcast cancelled. Nothing was sent.")
    return ConversationHandler.END


def handlers() -> list[object]:
    pattern = cb.pattern(cb.OPERATOR)
    conversation = ConversationHandler(
        entry_points=[CommandHandler("broadcast", start)],
        states={
            MESSAGE: [
                MessageHandler(
                    (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL,
                    got_message,
                )
            ],
            BUTTON: [CallbackQueryHandler(button_choice, pattern=r"^op:(btn|lesson):")],
            BUTTON_URL: [MessageHandler(filters.TEXT & ~filters.COMMAND, button_url)],
            SEGMENT: [CallbackQueryHandler(segment_choice, pattern=r"^op:(seg|paused)")],
            PREVIEW: [
                CallbackQueryHandler(preview_choice, pattern=r"^op:(test|send|schedule|cancel)$")
            ],
            SCHEDULE: [MessageHandler(filters.TEXT & ~filters.COMMAND, schedule_typed)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        name="broadcast",
        persistent=True,
        allow_reentry=True,
    )
    return [
        conversation,
        CommandHandler("broadcasts", list_broadcasts),
        CallbackQueryHandler(cancel_broadcast, pattern=r"^op:bccancel:"),
        # Any other operator button (stale, or pressed by someone else) gets the gate's answer.
        CallbackQueryHandler(operators_only(_stale), pattern=pattern),
    ]


async def _stale(update: Update, context: Context) -> None:
    await answer(update, "That button has expired.")
