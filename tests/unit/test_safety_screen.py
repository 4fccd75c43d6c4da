"""The safety screen: real disclosures caught, hyperbole and everyday anger left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.coach.safety import (
    DEFAULT_SAFETY_PATH,
    SafetyContentError,
    default_resources,
    load_safety_resources,
    screen,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "safety_labelled.jsonl"


def test_recall_and_false_positive_rate() -> None:
    rows = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines() if x]
    pos = [r for r in rows if r["category"]]
    neg = [r for r in rows if not r["category"]]
    assert len(pos) >= 40 and len(neg) >= 40
    missed = [r["text"] for r in pos if screen(r["text"]) is None]
    flagged = [r["text"] for r in neg if screen(r["text"]) is not None]
    assert 1 - len(missed) / len(pos) >= 0.95, missed
    assert len(flagged) / len(neg) <= 0.10, flagged


@pytest.mark.parametrize(
    "text",
    [
        "I could kill him for eating my fries",
        "this traffic is killing me",
        "I'm dying to see you",
        "You make me so angry.",
        "I'm furious that you forgot.",
    ],
)
def test_hyperbole_passes(text: str) -> None:
    assert screen(text) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("he hit me last night", "violence"),
        ("she threatens to take the kids if I leave", "threat"),
        ("I don't want to be alive anymore", "self_harm"),
        ("he won't let me see my friends or have money", "coercion"),
        ("He calls me worthless every day.", "abuse"),
    ],
)
def test_disclosures_hit(text: str, category: str) -> None:
    hit = screen(text)
    assert hit is not None and hit.category == category


def test_denial_is_not_a_disclosure() -> None:
    assert screen("he has never hit me, he just goes quiet") is None


def test_project_file_loads_with_international_default() -> None:
    res = load_safety_resources(DEFAULT_SAFETY_PATH)
    text = res.render("self_harm")
    assert "findahelpline.com" in text and "emergency number" in text
    assert len(text) <= 600
    assert default_resources() == res


def test_bad_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "safety.yaml"
    bad.write_text(
        "reply: hi\nresources:\n  - name: X\n    detail: y\n    url: ftp://nope\n",
        encoding="utf-8",
    )
    with pytest.raises(SafetyContentError) as exc:
        load_safety_resources(bad)
    assert str(exc.value).startswith(f"{bad}:5:")
    assert exc.value.line == 5


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    bad = tmp_path / "safety.yaml"
    bad.write_text("reply: hi\nresources: [\n  - oops: {\n", encoding="utf-8")
    with pytest.raises(SafetyContentError) as exc:
        load_safety_resources(bad)
    assert str(exc.value).startswith(f"{bad}:")
    assert exc.value.line > 0


def test_missing_field(tmp_path: Path) -> None:
    bad = tmp_path / "safety.yaml"
    bad.write_text("reply: hi\n", encoding="utf-8")
    with pytest.raises(SafetyContentError, match="resources"):
        load_safety_resources(bad)
