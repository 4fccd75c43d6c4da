"""Quiz scoring: percentages, reverse items, weakest areas, bars and before/after."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.course.loader import load_content
from bot.course.models import AreaResult, Question, Quiz, ScaleOption
from bot.course.quiz import (
    STRONG_THRESHOLD,
    AreaChange,
    QuizScore,
    compare,
    render_bars,
    render_comparison,
    score_quiz,
)
from bot.course.tools import QUIZ_AREAS

SCALE = ("Never", "Rarely", "Sometimes", "Often", "Always")


def make_quiz(reverse: frozenset[str] = frozenset({"drop_in-2"})) -> Quiz:
    """Two questions per area, ids '<area>-1' and '<area>-2'."""
    questions = tuple(
        Question(id=f"{area}-{n}", text=f"{area} {n}", area=area, reverse=f"{area}-{n}" in reverse)
        for area in QUIZ_AREAS
        for n in (1, 2)
    )
    return Quiz(
        intro="intro",
        scale=tuple(ScaleOption(label=label, value=v) for v, label in enumerate(SCALE)),
        questions=questions,
        results={area: AreaResult(title=area, text="t") for area in QUIZ_AREAS},
    )


def best(quiz: Quiz) -> dict[str, int]:
    return {q.id: 0 if q.reverse else 4 for q in quiz.questions}


def worst(quiz: Quiz) -> dict[str, int]:
    return {q.id: 4 if q.reverse else 0 for q in quiz.questions}


def with_percent(**percent: int) -> QuizScore:
    return QuizScore.from_percent(percent)


def test_all_maximum_is_all_strong() -> None:
    quiz = make_quiz()
    score = score_quiz(quiz, best(quiz))
    assert score.percent == {area: 100 for area in QUIZ_AREAS}
    assert list(score.percent) == list(QUIZ_AREAS)
    assert score.weakest == ()
    assert score.all_strong


def test_all_minimum_ties_go_to_course_order() -> None:
    quiz = make_quiz()
    score = score_quiz(quiz, worst(quiz))
    assert set(score.percent.values()) == {0}
    assert score.weakest == ("drop_in", "tune_in")
    assert not score.all_strong


def test_reverse_items_count_backwards() -> None:
    quiz = make_quiz()
    # drop_in-1 is plain, drop_in-2 reverse: "always" on both is 4 + 0 of 8 points.
    assert score_quiz(quiz, {"drop_in-1": 4, "drop_in-2": 4}).percent == {"drop_in": 50}
    assert score_quiz(quiz, {"drop_in-2": 1}).percent == {"drop_in": 75}
    assert score_quiz(quiz, {"drop_in-2": 0}).percent == {"drop_in": 100}


def test_partial_answers_score_only_what_was_answered() -> None:
    quiz = make_quiz()
    score = score_quiz(quiz, {"tune_in-1": 3, "dig_in-1": 1, "dig_in-2": 2})
    assert score.percent == {"tune_in": 75, "dig_in": 38}  # 3/8 = 37.5 rounds half up
    assert score.weakest == ("dig_in",)
    assert not score.all_strong


def test_no_answers_is_neither_weak_nor_strong() -> None:
    score = score_quiz(make_quiz(), {})
    assert score.percent == {} and score.weakest == () and not score.all_strong
    assert render_bars(score) == ""


def test_unknown_ids_are_ignored_and_bad_values_rejected() -> None:
    quiz = make_quiz()
    assert score_quiz(quiz, {"gone": 4, "move_in-1": 4}).percent == {"move_in": 100}
    with pytest.raises(ValueError, match="not on the scale"):
        score_quiz(quiz, {"move_in-1": 5})


@pytest.mark.parametrize(
    ("percent", "weakest"),
    [
        # lowest alone when the next is more than 10 points higher
        ({"drop_in": 20, "tune_in": 31, "dig_in": 90}, ("drop_in",)),
        # two when the second is within 10 points
        ({"drop_in": 30, "tune_in": 40, "check_in": 45}, ("drop_in", "tune_in")),
        # order is by score, not by course order
        ({"drop_in": 60, "shift_in": 20, "tune_in": 25}, ("shift_in", "tune_in")),
        # ties break by TOOL_ORDER, then differentiation
        ({"differentiation": 50, "shift_in": 50, "move_in": 50}, ("move_in", "shift_in")),
        ({"differentiation": 40, "shift_in": 45}, ("differentiation", "shift_in")),
        # a second area that is already strong is not named, however close
        ({"drop_in": 70, "tune_in": STRONG_THRESHOLD}, ("drop_in",)),
        # nothing below the threshold: nothing to work on
        ({"drop_in": STRONG_THRESHOLD, "tune_in": 100}, ()),
    ],
)
def test_weakest_selection(percent: dict[str, int], weakest: tuple[str, ...]) -> None:
    score = with_percent(**percent)
    assert score.weakest == weakest
    assert score.all_strong == (weakest == ())


def test_score_round_trips_through_storage() -> None:
    quiz = make_quiz()
    score = score_quiz(quiz, {"drop_in-1": 1, "tune_in-1": 2, "tune_in-2": 2})
    assert QuizScore.from_percent(score.to_dict()) == score


def test_bars_render_aligned_lines() -> None:
    score = with_percent(drop_in=80, differentiation=5, shift_in=100)
    assert render_bars(score).splitlines() == [
        "Drop In         ████████░░  80%",
        "Shift In        ██████████ 100%",
        "Differentiation █░░░░░░░░░   5%",
    ]
    custom = render_bars(with_percent(drop_in=0), titles={"drop_in": "DI"}, width=4)
    assert custom == "DI ░░░░   0%"


def test_compare_before_and_after() -> None:
    before = with_percent(drop_in=40, tune_in=70, dig_in=50)
    after = with_percent(drop_in=80, tune_in=65, check_in=90, dig_in=50)
    changes = compare(before, after)
    assert changes == [
        AreaChange("drop_in", 40, 80, 40),
        AreaChange("tune_in", 70, 65, -5),
        AreaChange("dig_in", 50, 50, 0),
    ]
    assert changes[0] == ("drop_in", 40, 80, 40)  # plain tuples for callers that unpack
    assert render_comparison(changes).splitlines() == [
        "Drop In  40% →  80%   +40",
        "Tune In  70% →  65%    -5",
        "Dig In   50% →  50%     0",
    ]


def test_real_quiz_middle_answers_score_fifty_everywhere() -> None:
    content = load_content(Path(__file__).resolve().parents[2] / "content")
    answers = {q.id: 2 for q in content.quiz.questions}
    score = score_quiz(content.quiz, answers)
    assert score.percent == {area: 50 for area in QUIZ_AREAS}
    assert score.weakest == ("drop_in", "tune_in")
