"""JSON-lines front end: one {"tool", "text"} per line in, one feedback object per line out.

Used by `python -m bot feedback --jsonl` (run_jsonl(sys.stdin, sys.stdout)) and the bench.
A bad line yields {"error": "line N: ..."} and processing continues.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from bot.coach.engine import Feedback, coach
from bot.course.tools import Tool

_TOOLS = frozenset(t.value for t in Tool)


def feedback_to_json(fb: Feedback) -> dict[str, Any]:
    return {
        "tool": fb.tool,
        "text": fb.text,
        "verdict": fb.verdict,
        "findings": [
            {"code": f.code, "span": [f.span[0], f.span[1]], "suggestion": f.suggestion}
            for f in fb.findings
        ],
        "reply": fb.reply,
    }


def _parse(line: str) -> tuple[str, str]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    tool, text = obj.get("tool"), obj.get("text")
    if not isinstance(tool, str) or tool not in _TOOLS:
        raise ValueError(f"unknown tool {tool!r}; expected one of {sorted(_TOOLS)}")
    if not isinstance(text, str):
        raise ValueError('"text" must be a string')
    return tool, text


def run_jsonl(inp: TextIO, out: TextIO) -> int:
    """Returns 0 if every line was fine, 1 if any line was malformed."""
    status = 0
    write = out.write
    for n, line in enumerate(inp, start=1):
        if not line.strip():
            continue  # blank lines (e.g. a trailing newline) are not records
        try:
            tool, text = _parse(line)
            record = feedback_to_json(coach(tool, text))
        except ValueError as exc:
            status = 1
            record = {"error": f"line {n}: {exc}"}
        write(json.dumps(record, ensure_ascii=False) + "\n")
    return status
