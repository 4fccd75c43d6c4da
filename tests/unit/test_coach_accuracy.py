"""The labelled set (written from the course's rules before tuning) keeps the coach honest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bot.coach.engine import coach
from bot.course.tools import Tool

DATA = Path(__file__).resolve().parents[1] / "data" / "coach_labelled.jsonl"
HARD_CASES = {
    "negation",
    "feel_like_failure",
    "feel_like_crying",
    "feel_like_thought",
    "past_tense",
    "multi_sentence",
    "emoji",
    "typo_chat",
    "quoted_speech",
    "third_person",
    "sarcasm",
    "long_input",
    "non_english",
    "empty",
}


def _rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def test_labelled_set_shape() -> None:
    rows = _rows()
    assert len(rows) >= 300
    per_tool = Counter(r["tool"] for r in rows)
    assert all(per_tool[t.value] >= 40 for t in Tool), per_tool
    assert {r["label"] for r in rows} == {"good", "needs_work"}
    assert {r["case"] for r in rows} >= HARD_CASES


def test_accuracy_and_precision_of_good() -> None:
    rows = _rows()
    correct = good_right = good_said = 0
    wrong: list[str] = []
    for r in rows:
        verdict = coach(r["tool"], r["text"]).verdict
        correct += verdict == r["label"]
        if verdict == "good":
            good_said += 1
            good_right += r["label"] == "good"
        if verdict != r["label"]:
            wrong.append(f"{r['tool']}: {r['text'][:60]!r} expected {r['label']}")
    accuracy = correct / len(rows)
    precision = good_right / good_said
    assert accuracy >= 0.95, (accuracy, wrong)
    assert precision >= 0.97, (precision, wrong)
