"""Command line: `python -m bot [run|sandbox|content check|feedback --jsonl|broadcast|stats]`.

With no BOT_TOKEN, `python -m bot` starts the local sandbox: a Bot API stand-in, the bot, and a
chat in this terminal.
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot import eventloop
from bot.coach.safety import SafetyContentError
from bot.course.errors import ContentError
from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the sandbox when BOT_TOKEN is not set)")
    sub.add_parser("sandbox", help="run the local sandbox even if BOT_TOKEN is set")
    content = sub.add_parser("content", help="content tools")
    content.add_argument("action", choices=["check"])
    sub.add_parser("health", help="exit 0 when settings, content and Redis are fine")
    bc = sub.add_parser("broadcast", help="send an HTML message to a segment")
    bc.add_argument("--file", required=True, help="the message, Telegram HTML")
    bc.add_argument(
        "--segment", default="active", help="active | finished | day:N | area:AREA (default active)"
    )
    bc.add_argument("--include-paused", action="store_true")
    bc.add_argument("--dry-run", action="store_true", help="only count the recipients")
    bc.add_argument("--at", help="start time, ISO 8601 (UTC if no zone), e.g. 2026-12-01T09:00Z")
    stats = sub.add_parser("stats", help="operator statistics")
    stats.add_argument("--csv", action="store_true", help="CSV on stdout")
    feedback = sub.add_parser("feedback", help="coach practice sentences (JSON lines)")
    feedback.add_argument("--jsonl", action="store_true", required=True)
    return parser


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print("Configuration error:", file=sys.stderr)
        for line in str(exc).splitlines():
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "feedback":
        from bot.coach.cli import run_jsonl

        return run_jsonl(sys.stdin, sys.stdout)
    settings = _settings()
    setup_logging(settings.LOG_LEVEL, json_logs=settings.LOG_JSON)
    try:
        if command == "content":
            return _content_check(settings)
        if command == "health":
            return _health(settings)
        if command == "broadcast":
            from bot.cli_ops import broadcast

            return eventloop.run(broadcast(settings, args), settings.EVENT_LOOP)
        if command == "stats":
            from bot.cli_ops import stats

            return eventloop.run(stats(settings, csv=args.csv), settings.EVENT_LOOP)
        from bot import runner

        if command == "sandbox" or settings.sandbox:
            return eventloop.run(runner.run_sandbox(settings), settings.EVENT_LOOP)
        return runner.run_real(settings)
    except (ContentError, SafetyContentError) as exc:
        print(f"Content error:\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _content_check(settings: Settings) -> int:
    from bot.cheatsheet import render_cheatsheet
    from bot.coach.safety import load_safety_resources
    from bot.course.loader import load_content

    content = load_content(settings.CONTENT_DIR)
    load_safety_resources(settings.CONTENT_DIR / "safety.yaml")
    # A cheat sheet that no longer fits one page fails the check (CheatSheetError is a
    # ContentError).
    pdf = render_cheatsheet(content)
    course = content.course
    print(
        f"content OK: {len(course.lessons)} lessons (days {course.lessons[0].day}-"
        f"{course.last_day}), {len(content.quiz.questions)} quiz questions, version "
        f"{content.version}, cheat sheet 1 page ({len(pdf) // 1024} KB)"
    )
    logging.getLogger(__name__).debug("content check passed")
    return 0


def _health(settings: Settings) -> int:
    from bot.course.loader import load_content
    from bot.runner import redis_reachable

    load_content(settings.CONTENT_DIR)
    if not eventloop.run(redis_reachable(settings.REDIS_URL), settings.EVENT_LOOP):
        print(f"Redis not reachable at {settings.REDIS_URL}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
