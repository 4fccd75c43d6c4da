"""Each hard case from the brief, with the verdict, the finding and where it points."""

from __future__ import annotations

import pytest

from bot.coach.engine import Feedback, Finding, coach
from bot.course.tools import Tool


def _finding(fb: Feedback, code: str) -> Finding:
    found = [f for f in fb.findings if f.code == code]
    assert found, (code, fb.findings)
    return found[0]


def _spanned(fb: Feedback, f: Finding) -> str:
    return fb.text[f.span[0] : f.span[1]]


def test_unknown_tool_raises() -> None:
    with pytest.raises(ValueError):
        coach("hug_in", "I feel sad")


def test_accepts_enum_and_string() -> None:
    assert coach(Tool.DROP_IN, "I feel sad").tool == "drop_in"
    assert coach("drop_in", "I feel sad").verdict == "good"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty(text: str) -> None:
    fb = coach("drop_in", text)
    assert fb.verdict == "needs_work"
    assert [f.code for f in fb.findings] == ["empty"]


def test_drop_in_real_feeling_is_good_and_reply_is_warm() -> None:
    fb = coach("drop_in", "I feel lonely when you're on your phone at dinner.")
    assert fb.verdict == "good" and fb.findings == () and fb.rewrite is None
    assert "lonely" in fb.reply and len(fb.reply) <= 600


def test_feel_like_wraps_a_thought() -> None:
    fb = coach("drop_in", "I feel like I'm always alone.")
    assert fb.verdict == "needs_work"
    f = _finding(fb, "thought_not_feeling")
    assert _spanned(fb, f) == "I feel like"
    assert f.suggestion == "lonely"
    assert fb.rewrite == "I feel lonely."


def test_feel_that_and_feel_you_are_thoughts() -> None:
    assert _finding(coach("drop_in", "I feel that we should talk more."), "thought_not_feeling")
    assert _finding(coach("drop_in", "I feel you don't care about my work."), "thought_not_feeling")


def test_negated_wish_is_not_a_feeling() -> None:
    fb = coach("drop_in", "I don't feel like going out tonight.")
    assert fb.verdict == "needs_work"
    assert _finding(fb, "wish_not_feeling")


def test_negated_wish_with_a_named_feeling_is_fine() -> None:
    assert coach("drop_in", "I don't feel like going out tonight, I'm exhausted.").verdict == "good"


def test_negated_appreciated_is_a_faux_feeling() -> None:
    fb = coach("shift_in", "I don't feel appreciated.")
    f = _finding(fb, "faux_feeling")
    assert _spanned(fb, f) == "appreciated"
    assert f.suggestion == "unimportant"
    assert fb.rewrite == "I feel unimportant."


def test_negated_past_tense_rewrite_keeps_tense() -> None:
    fb = coach("drop_in", "I didn't feel listened to at dinner.")
    assert _finding(fb, "faux_feeling").suggestion == "lonely"
    assert fb.rewrite == "I felt lonely at dinner."


def test_feel_like_a_failure_is_self_judgement() -> None:
    fb = coach("drop_in", "I feel like a failure.")
    f = _finding(fb, "self_judgement")
    assert _spanned(fb, f) == "a failure"
    assert f.suggestion == "discouraged"


def test_feel_like_crying_is_an_urge_pointing_at_sadness() -> None:
    # Decision: crying is a behaviour, not an emotion word; it points to sadness. Flagged only
    # when no real feeling is named anywhere in the reply.
    fb = coach("drop_in", "I feel like crying.")
    f = _finding(fb, "urge_not_feeling")
    assert f.suggestion == "sad"
    assert _spanned(fb, f) == "like crying"
    assert coach("drop_in", "I feel like crying. I'm just so sad.").verdict == "good"


def test_past_tense_counts() -> None:
    assert coach("drop_in", "I felt lonely last weekend.").verdict == "good"
    assert coach("shift_in", "I felt hurt when you didn't call back.").verdict == "good"


def test_multi_sentence_judges_each_and_addresses_worst() -> None:
    fb = coach("shift_in", "I felt hurt at first. Then I felt betrayed.")
    assert fb.verdict == "needs_work"
    f = _finding(fb, "faux_feeling")
    assert _spanned(fb, f) == "betrayed"
    assert "betrayed" in fb.reply
    assert coach("drop_in", "Work was long. I feel drained and a bit hopeless.").verdict == "good"


def test_emoji() -> None:
    assert coach("drop_in", "I feel sad 😢").verdict == "good"
    fb = coach("drop_in", "😢")
    assert _finding(fb, "emoji_only").suggestion == "sad"


def test_typos_and_chat_style() -> None:
    for text in ("i feel sad", "im so lonley lately", "feel so lonley without u"):
        assert coach("drop_in", text).verdict == "good", text
    fb = coach("shift_in", "i feel so betrayd")
    f = _finding(fb, "faux_feeling")
    assert f.suggestion == "hurt" and _spanned(fb, f) == "betrayd"


def test_quoted_speech_is_not_the_speakers_claim() -> None:
    fb = coach("shift_in", "She said 'I feel betrayed'.")
    assert fb.verdict == "needs_work"
    assert not [f for f in fb.findings if f.code == "faux_feeling"]
    assert coach("drop_in", "She said 'you never listen' and I felt ashamed.").verdict == "good"
    assert coach("drop_in", "My mum told me “I’m so lonely” on the phone.").verdict == "needs_work"


def test_third_person_is_not_own_feeling() -> None:
    fb = coach("drop_in", "She feels sad about her job.")
    f = _finding(fb, "not_own_feeling")
    assert _spanned(fb, f) == "sad"


def test_sarcasm() -> None:
    fb = coach("shift_in", "Oh great, I feel SO appreciated.")
    f = _finding(fb, "sarcasm")
    assert _spanned(fb, f) == "appreciated" and f.suggestion == "unimportant"
    assert coach("drop_in", "Yeah right, I'm thrilled you invited your boss 🙄").verdict == (
        "needs_work"
    )


def test_long_input_is_bounded_and_judged() -> None:
    text = "I feel lonely in the evenings when the house goes quiet. " * 200
    fb = coach("drop_in", text)
    assert fb.verdict == "good" and len(fb.reply) <= 600
    fb = coach("shift_in", "I feel betrayed that you told your brother. " * 200)
    assert fb.verdict == "needs_work" and len(fb.findings) <= 12
    assert all(f.span[1] <= 4096 for f in fb.findings)


@pytest.mark.parametrize(
    "text", ["Je me sens seule ce soir.", "Me siento muy triste hoy.", "Мне очень грустно."]
)
def test_non_english(text: str) -> None:
    fb = coach("drop_in", text)
    assert fb.verdict == "needs_work"
    assert [f.code for f in fb.findings] == ["not_english"]
    assert fb.reply.startswith("I can only coach English for now")


def test_tune_in() -> None:
    assert coach("tune_in", "I hear that you're sad.").verdict == "good"
    assert coach("tune_in", "Help me understand what's making you sad.").verdict == "good"
    fb = coach("tune_in", "Calm down, it's not a big deal.")
    assert _spanned(fb, _finding(fb, "dismissal")) == "Calm down"
    fb = coach("tune_in", "You should just talk to your boss.")
    assert _spanned(fb, _finding(fb, "fixing")) == "You should"
    assert _finding(coach("tune_in", "That's nothing, my day was way worse."), "one_up")
    assert _finding(coach("tune_in", "At least you still have a job."), "dismissal")
    assert coach("tune_in", "I'm here for whatever you need. What happened?").verdict == "good"


def test_check_in_needs_reflection_and_check() -> None:
    good = "So at the end of the day, a messy kitchen leaves you tired - is that right?"
    assert coach("check_in", good).verdict == "good"
    fb = coach("check_in", "So you're saying you're tired.")
    assert _finding(fb, "missing_check")
    assert fb.rewrite == "So you're saying you're tired - is that right?"
    assert _finding(coach("check_in", "Is that right?"), "missing_reflection")
    assert _finding(coach("check_in", "So you're saying it's my fault?"), "defensive")


def test_move_in() -> None:
    assert coach("move_in", "I really enjoyed our weekend.").verdict == "good"
    assert coach("move_in", "I'd like to plan a date with you - when are you free?").verdict == (
        "good"
    )
    fb = coach("move_in", "We should go on a date.")
    f = _finding(fb, "we_statement")
    assert _spanned(fb, f) == "We should" and f.suggestion == "I'd like us to"
    assert fb.rewrite is not None and fb.rewrite.startswith("I'd like us to go on a date.")
    fb = coach("move_in", "We're stressed about this.")
    assert fb.rewrite == "I'm stressed about this. How is it for you?"
    fb = coach("move_in", "You think I don't care.")
    assert _spanned(fb, _finding(fb, "speaking_for_partner")) == "You think"
    fb = coach("move_in", "You make me feel small.")
    f = _finding(fb, "blame_frame")
    assert _spanned(fb, f) == "You make me feel" and f.suggestion == "I feel"
    assert fb.rewrite == "I feel small."


def test_dig_in() -> None:
    fb = coach("dig_in", "I'm angry about the dishes.")
    f = _finding(fb, "anger_only")
    assert _spanned(fb, f) == "angry" and f.suggestion == "hurt"
    good = "I feel overwhelmed and alone when I come home to a messy kitchen."
    assert coach("dig_in", good).verdict == "good"
    assert coach("dig_in", "I'm annoyed, but really I'm hurt that you forgot.").verdict == "good"


@pytest.mark.parametrize(
    ("word", "alt"),
    [
        ("betrayed", "hurt"),
        ("abandoned", "lonely"),
        ("deprioritized", "unimportant"),
        ("rejected", "hurt"),
        ("ignored", "lonely"),
        ("neglected", "lonely"),
        ("used", "hurt"),
        ("unappreciated", "unimportant"),
        ("judged", "insecure"),
    ],
)
def test_shift_in_swaps(word: str, alt: str) -> None:
    fb = coach("shift_in", f"I feel {word}.")
    f = _finding(fb, "faux_feeling")
    assert f.suggestion == alt and _spanned(fb, f) == word
    assert fb.rewrite == f"I feel {alt}."
    assert alt in fb.reply


def test_safety_overrides_coaching() -> None:
    fb = coach("drop_in", "he hit me last night")
    assert fb.verdict == "needs_work"
    assert [f.code for f in fb.findings] == ["safety"]
    assert "findahelpline.com" in fb.reply and len(fb.reply) <= 600


def test_every_reply_is_short_plain_text() -> None:
    for tool in Tool:
        for text in ("I feel betrayed and you never listen.", "ok", "We should talk."):
            fb = coach(tool, text)
            assert 0 < len(fb.reply) <= 600
            assert "<" not in fb.reply


def test_a_caller_that_already_screened_is_not_screened_twice() -> None:
    from bot.coach.engine import coach as coach_fn

    disclosure = "he hit me last night"
    assert coach_fn("drop_in", disclosure).findings[0].code == "safety"
    assert all(f.code != "safety" for f in coach_fn("drop_in", disclosure, screened=True).findings)
