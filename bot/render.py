"""What the person sees: texts (Telegram HTML, every inserted text escaped) and keyboards."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot import callbacks as cb
from bot.course.models import Lesson
from bot.course.subscriber import LAST_CORE_DAY, Subscriber

TIME_PRESETS = (
    ("🌅 Morning 08:00", "08:00"),
    ("☀️ Midday 12:30", "12:30"),
    ("🌙 Evening 19:30", "19:30"),
)
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
)
# Telegram tells us the app language, not the place: a guess to offer first, never a decision.
LANGUAGE_ZONES = {
    "de": "Europe/Berlin",
    "fr": "Europe/Paris",
    "es": "Europe/Madrid",
    "it": "Europe/Rome",
    "nl": "Europe/Amsterdam",
    "pl": "Europe/Warsaw",
    "pt": "Europe/Lisbon",
    "pt-br": "America/Sao_Paulo",
    "uk": "Europe/Kyiv",
    "ru": "Europe/Moscow",
    "tr": "Europe/Istanbul",
    "hi": "Asia/Kolkata",
    "ja": "Asia/Tokyo",
    "ko": "Asia/Seoul",
    "zh": "Asia/Shanghai",
    "en-gb": "Europe/London",
    "en-us": "America/New_York",
    "en-au": "Australia/Sydney",
    "sv": "Europe/Stockholm",
    "he": "Asia/Jerusalem",
    "id": "Asia/Jakarta",
}

HELP = (
    "<b>What I can do</b>\n"
    "/today – today's lesson again\n"
    "/lessons – reread any lesson you have\n"
    "/practice – practise a tool you have learned\n"
    "/quiz – the CARE &amp; Intimacy Quiz\n"
    "/progress – how far you are\n"
    "/cheatsheet – the six tools on one page (PDF)\n"
    "/invite – do the course with your partner; /partner, /unpair\n"
    "/settime – change when lessons arrive\n"
    "/timezone – change your time zone\n"
    "/pause and /resume – take a break\n"
    "/stop – unsubscribe (or just write STOP)\n"
    "/forget – erase everything I store about you\n"
    "/start – join, or rejoin"
)

COMMANDS = (
    ("today", "Today's lesson again"),
    ("lessons", "Reread your lessons"),
    ("practice", "Practise a tool"),
    ("quiz", "CARE & Intimacy Quiz"),
    ("progress", "Your progress"),
    ("cheatsheet", "The six tools on one page"),
    ("invite", "Invite your partner"),
    ("partner", "You and your partner"),
    ("settime", "Change the delivery time"),
    ("timezone", "Change your time zone"),
    ("pause", "Take a break"),
    ("resume", "Resume lessons"),
    ("stop", "Unsubscribe"),
    ("forget", "Erase my data"),
    ("help", "What I can do"),
)


def welcome(first_name: str) -> str:
    name = escape(first_name) if first_name else "there"
    return (
        f"Hi {name} 👋\n\n"
        "This is a 7-day course in <b>emotional intimacy</b> for people in a relationship: "
        "the kind of closeness where you both feel understood and can lean on each other.\n\n"
        "<b>What you get:</b> one short lesson a day at a time you choose, six practical "
        "communication tools, small practice sentences with instant feedback, and an "
        "optional quiz that shows where to focus.\n\n"
        "<b>What I store:</b> your Telegram id, first name and language, your delivery time "
        "and time zone, where you are in the course, your quiz answers, and your practice "
        "replies only for as long as the feedback needs. Nothing is shared with anyone.\n\n"
        "<b>Leaving is easy:</b> /stop or the word STOP at any time, and /forget erases "
        "everything.\n\nWould you like to join?"
    )


def welcome_keyboard() -> Markup:
    return Markup(
        [
            [Button("✅ Yes, sign me up", callback_data=cb.data(cb.OPT_IN))],
            [Button("Not now", callback_data=cb.data(cb.NOT_NOW))],
        ]
    )


def time_question() -> str:
    return "When would you like your daily lesson? Pick a time, or type one like <b>07:45</b>."


def time_keyboard() -> Markup:
    rows = [[Button(label, callback_data=cb.data(cb.TIME, hhmm))] for label, hhmm in TIME_PRESETS]
    rows.append([Button("⌨️ Type a time", callback_data=cb.data(cb.TIME, cb.CUSTOM))])
    return Markup(rows)


def guess_zone(language: str | None) -> str | None:
    if not language:
        return None
    lang = language.lower()
    return LANGUAGE_ZONES.get(lang) or LANGUAGE_ZONES.get(lang.split("-")[0])


def zone_question(send_time: str) -> str:
    return (
        f"Lessons will come at <b>{escape(send_time)}</b>. Which time zone are you in? "
        "Pick one, or type a zone like <b>Europe/Paris</b> or an offset like <b>UTC+2</b>."
    )


def zone_keyboard(guess: str | None) -> Markup:
    zones = list(COMMON_ZONES)
    if guess:
        zones = [guess] + [z for z in zones if z != guess]
    rows = [
        [Button(("📍 " if z == guess else "") + z, callback_data=cb.data(cb.TZ, z))] for z in zones
    ]
    rows.append([Button("⌨️ Type my zone", callback_data=cb.data(cb.TZ, cb.CUSTOM))])
    return Markup(rows)


def lesson_keyboard(lesson: Lesson, has_practice: bool, drill: Lesson | None = None) -> Markup:
    rows = []
    if drill is not None and drill.tool:
        label = f"🎯 Practise {escape(drill.title.split(':')[0])}"[:60]
        rows.append([Button(label, callback_data=cb.data(cb.PRACTICE, f"tool:{drill.day}"))])
    if has_practice:
        rows.append(
            [Button("✍️ Practise now", callback_data=cb.data(cb.PRACTICE, f"go:{lesson.day}"))]
        )
    rows.append(
        [
            Button("⏰ 1 hour", callback_data=cb.data(cb.SNOOZE, f"1h:{lesson.day}")),
            Button("🌙 This evening", callback_data=cb.data(cb.SNOOZE, f"eve:{lesson.day}")),
            Button("📅 Tomorrow", callback_data=cb.data(cb.SNOOZE, f"tmr:{lesson.day}")),
        ]
    )
    if lesson.bonus:
        rows.append([Button("No more bonus lessons", callback_data=cb.data(cb.BONUS, "off"))])
    rows.append([Button("Unsubscribe", callback_data=cb.data(cb.UNSUBSCRIBE))])
    return Markup(rows)


def lesson_messages(lesson: Lesson, prompt: str | None, extra: str | None = None) -> list[str]:
    """The lesson's messages, with the practice prompt (if any) added to the last one, and
    the adaptive path's extra prompt or review drill after it."""
    messages = list(lesson.messages)
    # The title is already the first line of the lesson; this only says where we are.
    header = (
        f"🎁 <i>Bonus · Day {lesson.day}</i>\n" if lesson.bonus else f"📅 <i>Day {lesson.day}</i>\n"
    )
    messages[0] = header + messages[0]
    if prompt:
        messages[-1] += (
            f"\n\n✍️ <b>Practice:</b> {escape(prompt)}\n<i>Reply to me with one sentence.</i>"
        )
    if extra:
        messages[-1] += f"\n\n🎯 {extra}"
    return messages


def prompt_text(lesson: Lesson, index: int) -> str:
    """Prompt `index` of a lesson; -1 is its review prompt (the adaptive path's extra)."""
    if index < 0 and lesson.review_prompt:
        return lesson.review_prompt
    return lesson.prompts[index % len(lesson.prompts)]


def progress_line(sub: Subscriber) -> str:
    day = max(0, sub.last_sent_day)
    if sub.last_sent_day > LAST_CORE_DAY:
        return f"You have finished the course, plus {sub.last_sent_day - LAST_CORE_DAY} bonus."
    if sub.last_sent_day < 0:
        return "Your first lesson is on its way."
    return f"Day {day} of {LAST_CORE_DAY}"


def lessons_keyboard(lessons: list[Lesson]) -> Markup:
    return Markup(
        [
            [Button(f"Day {ls.day} · {ls.title}"[:60], callback_data=cb.data(cb.LESSON, ls.day))]
            for ls in lessons
        ]
    )
