"""Logging set-up: plain or JSON lines. Message texts are never logged at INFO."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in ("update_id", "user", "outcome", "ms"):
            if hasattr(record, field):
                out[field] = getattr(record, field)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str, *, json_logs: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_logs
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL (with the token) at INFO: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # "skipped: maximum number of running instances" only says a tick outlasted the interval.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # One line per update is the JSON access log; in plain mode it is DEBUG detail.
    if not json_logs and level != "DEBUG":
        logging.getLogger("bot.updates").setLevel(logging.WARNING)
