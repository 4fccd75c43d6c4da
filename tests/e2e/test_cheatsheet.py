"""/cheatsheet: subscribers (active or paused) get the six tools as a one-page PDF; anyone else
is pointed to /start."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from pypdf import PdfReader
from redis.asyncio import Redis

from bot.course.tools import TOOL_ORDER
from bot.sandbox.botapi import SentMessage
from tests.harness import BotHarness

USER = 1301
OTHER = 1302
STRANGER = 1309
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FILENAME = "six-tools-cheat-sheet.pdf"


def is_cheatsheet(m: SentMessage) -> bool:
    return m.document is not None and m.document.filename == FILENAME


def assert_one_page_of_six_tools(pdf: bytes | None) -> None:
    assert pdf is not None and pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for tool in TOOL_ORDER:
        assert tool.label in text


async def test_a_subscriber_gets_the_one_page_cheat_sheet(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        await bot.join(USER)
        sheet = await bot.say(USER, "/cheatsheet", is_cheatsheet)
        assert sheet.document is not None
        assert_one_page_of_six_tools(sheet.document.data)
        assert sheet.document.mime_type == "application/pdf"
        assert "six tools" in sheet.plain.lower()  # the caption

        # Another subscriber gets the same sheet; the upload is reused, not sent again.
        await bot.join(OTHER)
        again = await bot.say(OTHER, "/cheatsheet", is_cheatsheet)
        assert again.document is not None
        assert again.document.file_id == sheet.document.file_id

        # Taking a break doesn't take the course material away.
        await bot.say(USER, "/pause", "How long")
        await bot.press(USER, "Until I resume", "until you send /resume")
        await bot.record(USER, status="paused")
        paused = await bot.say(USER, "/cheatsheet", is_cheatsheet)
        assert paused.document is not None
        assert paused.document.data == sheet.document.data


async def test_people_outside_the_course_are_pointed_to_start(redis_url: str, redis: Redis) -> None:
    async with BotHarness(redis_url, start=START) as bot:
        answer = await bot.say(STRANGER, "/cheatsheet", "/start")
        assert "comes with the course" in answer.plain
        assert not any(m.document for m in bot.api.sent(STRANGER))

        await bot.join(USER)
        await bot.say(USER, "/stop", "You're unsubscribed")
        await bot.say(USER, "/cheatsheet", "comes with the course")
        assert not any(m.document for m in bot.api.sent(USER))
