"""run_jsonl: the exact JSON-lines contract."""

from __future__ import annotations

import io
import json

from bot.coach.cli import run_jsonl


def _run(lines: list[str]) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    code = run_jsonl(io.StringIO("\n".join(lines) + "\n"), out)
    return code, [json.loads(x) for x in out.getvalue().splitlines()]


def test_good_and_needs_work_records() -> None:
    code, recs = _run(
        [
            json.dumps({"tool": "drop_in", "text": "I feel lonely tonight."}),
            json.dumps({"tool": "shift_in", "text": "I feel betrayed."}),
        ]
    )
    assert code == 0
    assert recs[0] == {
        "tool": "drop_in",
        "text": "I feel lonely tonight.",
        "verdict": "good",
        "findings": [],
        "reply": recs[0]["reply"],
    }
    assert recs[1]["verdict"] == "needs_work"
    assert recs[1]["findings"] == [{"code": "faux_feeling", "span": [7, 15], "suggestion": "hurt"}]
    assert set(recs[1]) == {"tool", "text", "verdict", "findings", "reply"}


def test_malformed_lines_are_reported_and_processing_continues() -> None:
    code, recs = _run(
        [
            "not json",
            json.dumps({"tool": "nope", "text": "x"}),
            json.dumps({"tool": "drop_in"}),
            json.dumps(["drop_in", "x"]),
            json.dumps({"tool": "drop_in", "text": "I feel sad"}),
        ]
    )
    assert code == 1
    assert [r.get("error", "")[:7] for r in recs[:4]] == [
        "line 1:",
        "line 2:",
        "line 3:",
        "line 4:",
    ]
    assert recs[4]["verdict"] == "good"


def test_safety_record() -> None:
    code, recs = _run([json.dumps({"tool": "tune_in", "text": "he hit me last night"})])
    assert code == 0
    assert recs[0]["verdict"] == "needs_work"
    assert [f["code"] for f in recs[0]["findings"]] == ["safety"]  # type: ignore[union-attr]
    assert "findahelpline.com" in str(recs[0]["reply"])


def test_unicode_round_trips() -> None:
    _, recs = _run([json.dumps({"tool": "drop_in", "text": "I feel sad 😢"}, ensure_ascii=False)])
    assert recs[0]["text"] == "I feel sad 😢"


def test_empty_text_and_blank_lines() -> None:
    code, recs = _run(["", json.dumps({"tool": "drop_in", "text": "  "}), ""])
    assert code == 0 and len(recs) == 1
    assert recs[0]["findings"] == [{"code": "empty", "span": [0, 2], "suggestion": None}]
