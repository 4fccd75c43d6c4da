"""Practice coaching: one reply to a lesson's prompt -> feedback specific to that day's tool.

Flow: safety screen -> empty / emoji-only / not English -> analyse (analysis.py) -> the
tool's rules produce findings -> the most important finding shapes a short, warm reply.
Verdict "good" means the tool's requirement is met and nothing needs work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.coach.analysis import (
    MAX_CHARS,
    PARTNER,
    SELF,
    THIRD,
    Doc,
    FeelHit,
    Sentence,
    analyse,
)
from bot.coach.lexicons import Lexicon, load_lexicon, normalize
from bot.coach.safety import SafetyResources, default_resources, screen
from bot.course.tools import Tool

MAX_REPLY = 600
MAX_FINDINGS = 12
REAL_KINDS = frozenset({"vuln", "pos", "posflip", "anger", "fverb"})
POS_KINDS = frozenset({"pos", "posflip"})
NOT_ENGLISH_REPLY = (
    "I can only coach English for now. Could you try your sentence in English? "
    "Even a simple one is perfect."
)
EMPTY_REPLY = (
    "I didn't catch any words there. Write one sentence, just as you'd say it to your "
    "partner, and I'll give you feedback."
)

# Most important first: the reply talks about the top one only, to stay short.
PRIORITY = (
    "safety",
    "empty",
    "not_english",
    "emoji_only",
    "sarcasm",
    "blame_frame",
    "faux_feeling",
    "self_judgement",
    "dismissal",
    "defensive",
    "one_up",
    "fixing",
    "thought_not_feeling",
    "wish_not_feeling",
    "urge_not_feeling",
    "we_statement",
    "speaking_for_partner",
    "you_statement",
    "anger_only",
    "negated_feeling",
    "vague_feeling",
    "not_own_feeling",
    "no_feeling",
    "no_acknowledgement",
    "missing_reflection",
    "missing_check",
    "no_i_statement",
)
_RANK = {code: k for k, code in enumerate(PRIORITY)}

QUESTION_LEAD = frozenset(
    [
        "can",
        "could",
        "shall",
        "should",
        "would",
        "will",
        "do",
        "did",
        "does",
        "are",
        "were",
        "have",
        "has",
        "when",
        "where",
        "what",
        "how",
        "why",
        "if",
        "whether",
        "that",
        "which",
        "who",
    ]
)
REPORT_VERBS = frozenset(
    ["thinks", "says", "said", "wants", "feels", "told", "believes", "reckons"]
)
MIND_VERBS = frozenset(
    [
        "think",
        "thinks",
        "want",
        "wants",
        "feel",
        "feels",
        "know",
        "believe",
        "care",
        "hate",
        "love",
        "prefer",
        "mean",
        "wish",
        "assume",
        "expect",
    ]
)
MIND_SKIP = frozenset(
    [
        "don't",
        "never",
        "always",
        "just",
        "really",
        "obviously",
        "clearly",
        "secretly",
        "probably",
        "even",
        "don't",
    ]
)
WE_EDITS: dict[str, str] = {
    "we": "I",
    "we're": "I'm",
    "we've": "I've",
    "we'd": "I'd",
    "we'll": "I'll",
}
WE_MODALS = {
    ("should",): "I'd like us to",
    ("need", "to"): "I'd like us to",
    ("have", "to"): "I'd like us to",
    ("must",): "I'd like us to",
    ("ought", "to"): "I'd like us to",
    ("are",): "I am",
    ("were",): "I was",
    ("both",): "I",
}
NEG_UNDO = {
    "don't": "",
    "do": "",
    "didn't": "",
    "wasn't": "was",
    "isn't": "is",
    "aren't": "are",
    "weren't": "were",
    "not": "",
    "never": "",
}


@dataclass(frozen=True)
class Finding:
    code: str
    span: tuple[int, int]
    suggestion: str | None


@dataclass(frozen=True)
class Feedback:
    tool: str
    text: str
    verdict: Literal["good", "needs_work"]
    findings: tuple[Finding, ...]
    reply: str
    rewrite: str | None


@dataclass
class _Issue:
    code: str
    span: tuple[int, int]
    suggestion: str | None
    word: str = ""
    edits: list[tuple[int, int, str]] = field(default_factory=list)
    rewrite: str | None = None  # a ready rewrite when edits cannot express it


@dataclass
class _Judged:
    issues: list[_Issue]
    met: bool
    praise: str


def _tool(tool: Tool | str) -> Tool:
    try:
        return Tool(tool)
    except ValueError:
        raise ValueError(
            f"unknown tool {tool!r}; expected one of {[t.value for t in Tool]}"
        ) from None


def coach(
    tool: Tool | str,
    text: str,
    *,
    safety: SafetyResources | None = None,
    screened: bool = False,
) -> Feedback:
    """Feedback on one practice reply. Pure apart from reading the word lists once.

    screened: the caller already ran safety.screen() on this very text and it found nothing
    (the chat screens every message before any handler), so it is not screened twice.
    """
    t = _tool(tool)
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    if not text.strip():
        return _fixed(t, text, "empty", (0, len(text)), None, EMPTY_REPLY)
    hit = None if screened else screen(text)
    if hit is not None:
        resources = safety or default_resources()
        return _fixed(t, text, "safety", hit.span, None, resources.render(hit.category))
    lex = load_lexicon()
    doc = analyse(text, lex)
    if not doc.has_letters:
        if doc.emoji:
            pos, ch = doc.emoji[0]
            sug = lex.emoji.get(ch)
            msg = "I see the emoji. Can you put that into words?"
            msg += f' For example: "I feel {sug}."' if sug else ' Try "I feel ...".'
            return _fixed(t, text, "emoji_only", (pos, pos + len(ch)), sug, msg)
        return _fixed(t, text, "empty", (0, len(text)), None, EMPTY_REPLY)
    if _not_english(doc, lex):
        return _fixed(
            t, text, "not_english", (0, min(len(text), MAX_CHARS)), None, NOT_ENGLISH_REPLY
        )
    judged = _RULES[t](doc, lex)
    issues = sorted(judged.issues, key=lambda i: (_RANK[i.code], i.span))
    issues = _dedupe(issues)[:MAX_FINDINGS]
    verdict: Literal["good", "needs_work"] = "good" if judged.met and not issues else "needs_work"
    rewrite = _rewrite(doc, issues) if issues else None
    reply = _compose(t, judged, issues, rewrite)
    findings = tuple(Finding(i.code, i.span, i.suggestion) for i in issues)
    return Feedback(t.value, text, verdict, findings, reply, rewrite)


def _fixed(
    t: Tool, text: str, code: str, span: tuple[int, int], sug: str | None, reply: str
) -> Feedback:
    return Feedback(t.value, text, "needs_work", (Finding(code, span, sug),), reply, None)


def _dedupe(issues: list[_Issue]) -> list[_Issue]:
    """Drop repeats and findings inside a longer one of the same code ("big deal" within
    "not a big deal")."""
    out: list[_Issue] = []
    for i in issues:
        if any(o.code == i.code and o.span[0] <= i.span[0] and i.span[1] <= o.span[1] for o in out):
            continue
        out = [
            o
            for o in out
            if not (o.code == i.code and i.span[0] <= o.span[0] and o.span[1] <= i.span[1])
        ]
        out.append(i)
    return out


# Letters outside Latin script (Cyrillic, Greek, CJK, Arabic...).
_NON_LATIN_RE = re.compile(r"[^\W\d_\u0000-\u024F]")


def _not_english(doc: Doc, lex: Lexicon) -> bool:
    other = len(_NON_LATIN_RE.findall(doc.text))
    if other and other > sum(len(w) for w in doc.all_words) - other:
        return True
    foreign = sum(1 for w in doc.all_words if w in lex.foreign)
    if not foreign:
        return False
    english = sum(1 for w in doc.all_words if normalize(w)[0] in lex.english)
    return foreign >= english


# ---------------------------------------------------------------- shared checks


def _own(doc: Doc) -> list[FeelHit]:
    return [h for s in doc.sentences for h in s.feelings if h.owner == "self" and not h.wrapped]


def _sarcastic(doc: Doc, h: FeelHit) -> bool:
    if h.negated or h.owner not in {"self", "we", "partner"}:
        return False
    if h.kind in POS_KINDS and doc.sarcasm_marker:
        return True
    # "I feel SO appreciated": CAPS stress on a word that only flips when sarcastic
    return h.caps and (h.kind == "posflip" or doc.sarcasm_marker)


def _word(doc: Doc, i: int, j: int) -> str:
    return doc.words(i, j)


def _common(doc: Doc, *, feelings: bool) -> tuple[list[_Issue], set[int]]:
    """Sarcasm, blame, faux and self-judgement: wrong in every tool. Returns issues and the
    ids of hits that were judged here (so tool rules do not count them as real)."""
    issues: list[_Issue] = []
    used: set[int] = set()
    for s in doc.sentences:
        for h in s.feelings:
            if _sarcastic(doc, h):
                used.add(id(h))
                sug = h.value if h.kind in POS_KINDS else None
                issues.append(
                    _Issue(
                        "sarcasm",
                        doc.span(h.i, h.j),
                        sug,
                        _word(doc, h.i, h.j),
                        rewrite=f"I feel {sug}." if sug else None,
                    )
                )
                continue
            if h.owner != "self" or h.wrapped:
                continue
            judged = _judged(h, feelings=feelings)
            if judged is None:
                continue
            category, negated = judged
            used.add(id(h))
            issues.append(
                _Issue(
                    category,
                    doc.span(h.i, h.j),
                    h.value,
                    _negated_words(doc, h) if negated else _word(doc, h.i, h.j),
                    edits=_unnegate(doc, h) if negated else _replace(doc, h.i, h.j, h.value),
                )
            )
        for p in s.phrases:
            if p.category == "blame":
                issues.append(_blame(doc, s, p.i, p.j))
                break
    return issues, used


def _judged(h: FeelHit, *, feelings: bool) -> tuple[str, bool] | None:
    """The issue a feeling of one's own raises in every tool, if any: (category, whether it is
    quoted and mended as a negation)."""
    if h.kind == "faux" and not h.negated:
        return "faux_feeling", False
    if h.kind == "posflip" and h.negated:
        return "faux_feeling", True
    if h.kind == "self_judge" and not h.negated:
        return "self_judgement", False
    if feelings and h.kind == "pos" and h.negated and h.value:
        return "negated_feeling", True
    return None


def _negated_words(doc: Doc, h: FeelHit) -> str:
    """The words quoted back for a negated feeling: "don't feel appreciated"."""
    start = h.neg_tok if 0 <= h.neg_tok < h.i else h.i
    return _word(doc, start, h.j)


def _blame(doc: Doc, s: Sentence, i: int, j: int) -> _Issue:
    toks = doc.tokens
    past = any(t.norm == "made" for t in toks[i:j])
    end = j
    if end < s.t1 and toks[end].norm in {"feel", "feeling"}:
        end += 1
    verb = "I felt" if past else "I feel"
    a, b = toks[i].start, toks[end - 1].end
    return _Issue(
        "blame_frame",
        doc.span(i, j),
        verb,
        doc.text[a : doc.tokens[j - 1].end],
        edits=[(a, b, verb)],
    )


def _replace(doc: Doc, i: int, j: int, new: str | None) -> list[tuple[int, int, str]]:
    if not new:
        return []
    a, b = doc.span(i, j)
    return [(a, b, new)]


def _unnegate(doc: Doc, h: FeelHit) -> list[tuple[int, int, str]]:
    """'I don't feel appreciated' -> 'I feel unimportant'; 'I'm not happy' -> 'I'm sad'."""
    if not h.value or h.neg_tok < 0:
        return _replace(doc, h.i, h.j, h.value)
    neg = doc.tokens[h.neg_tok]
    edits = _replace(doc, h.i, h.j, h.value)
    undo = NEG_UNDO.get(neg.norm, "")
    nxt = doc.tokens[h.neg_tok + 1] if h.neg_tok + 1 < len(doc.tokens) else None
    end = nxt.start if nxt is not None and nxt.start < doc.span(h.i, h.j)[0] else neg.end
    edits.append((neg.start, end, (undo + " ") if undo else ""))
    if neg.norm == "didn't" and nxt is not None and nxt.norm == "feel":
        edits.append((nxt.start, nxt.end, "felt"))
    return edits


def _wrapper_issues(doc: Doc, has_real: bool) -> list[_Issue]:
    out: list[_Issue] = []
    codes = {
        "thought": "thought_not_feeling",
        "wish": "wish_not_feeling",
        "urge": "urge_not_feeling",
        "self_judge": "self_judgement",
    }
    for s in doc.sentences:
        for w in s.wrappers:
            if w.kind in {"wish", "urge"} and has_real:
                continue  # the feeling is named elsewhere; the urge or wish is fine to say
            if w.kind == "self_judge":
                a = doc.tokens[w.feel_tok + 1].start  # "like a failure"
                span = (doc.tokens[w.feel_tok + 2].start, doc.tokens[w.j - 1].end)
                out.append(
                    _Issue(
                        "self_judgement",
                        span,
                        w.value,
                        doc.text[span[0] : span[1]],
                        edits=[(a, span[1], w.value)] if w.value else [],
                    )
                )
                continue
            if w.kind == "urge":
                a = doc.tokens[w.feel_tok + 1].start
                span = (a, doc.tokens[w.j - 1].end)
                out.append(
                    _Issue(
                        "urge_not_feeling",
                        span,
                        w.value,
                        doc.text[span[0] : span[1]],
                        edits=[(a, span[1], w.value)] if w.value else [],
                    )
                )
                continue
            span = doc.span(w.i, w.j if w.kind == "thought" else w.feel_tok + 2)
            issue = _Issue(codes[w.kind], span, w.value, doc.text[span[0] : span[1]])
            if w.value and w.kind == "thought":
                subj = doc.text[doc.tokens[w.i].start : doc.tokens[w.feel_tok].end]
                issue.rewrite = f"{subj} {w.value}."
            out.append(issue)
    return out


def _vague(doc: Doc, used: set[int]) -> list[_Issue]:
    out = []
    for h in _own(doc):
        if h.kind == "vague" and id(h) not in used:
            sug = None if h.negated else h.value
            out.append(
                _Issue(
                    "vague_feeling",
                    doc.span(h.i, h.j),
                    sug,
                    _word(doc, h.i, h.j),
                    edits=_replace(doc, h.i, h.j, sug),
                )
            )
    return out


def _others_feeling(doc: Doc) -> FeelHit | None:
    for s in doc.sentences:
        for h in s.feelings:
            if h.owner in {"partner", "third", "we"} and h.kind in REAL_KINDS | {"faux"}:
                return h
    return None


def _requirement_issue(doc: Doc, default_code: str, sug: str | None = None) -> _Issue:
    other = _others_feeling(doc)
    if other is not None and default_code == "no_feeling":
        return _Issue(
            "not_own_feeling", doc.span(other.i, other.j), sug, _word(doc, other.i, other.j)
        )
    first = doc.sentences[0]
    span = (first.start, doc.sentences[-1].end) if doc.sentences else (0, len(doc.text))
    cue = sug
    if cue is None:
        for s in doc.sentences:
            for p in s.phrases:
                if p.category == "cue" and p.value:
                    cue = p.value
                    break
    return _Issue(default_code, (span[0], min(span[1], len(doc.text))), cue)


# ---------------------------------------------------------------- tools


def _feeling_tool(doc: Doc, need: frozenset[str], tool: Tool) -> _Judged:
    issues, used = _common(doc, feelings=True)
    own = [h for h in _own(doc) if id(h) not in used and not h.negated]
    real = [
        h
        for h in own
        if h.kind in REAL_KINDS
        and not (h.kind == "fverb" and h.value not in {"anger", "vulnerable", "positive"})
    ]
    issues += _wrapper_issues(doc, bool(real))
    issues += _vague(doc, used)
    if tool is Tool.DIG_IN:
        soft = [
            h for h in real if h.kind == "vuln" or (h.kind == "fverb" and h.value == "vulnerable")
        ]
        anger = [h for h in real if h.kind == "anger" or (h.kind == "fverb" and h.value == "anger")]
        met = bool(soft)
        if anger and not soft:
            h = anger[0]
            sug = h.value if h.kind == "anger" else "hurt"
            sent = _sentence_text(doc, h.i)
            issues.append(
                _Issue(
                    "anger_only",
                    doc.span(h.i, h.j),
                    sug,
                    _word(doc, h.i, h.j),
                    rewrite=f"{sent.rstrip(' .!')}, and underneath I feel {sug}.",
                )
            )
        praise = _word(doc, soft[0].i, soft[0].j) if soft else ""
    else:
        met = bool(real)
        praise = _word(doc, real[0].i, real[0].j) if real else ""
    if not met and not issues:
        issues.append(_requirement_issue(doc, "no_feeling"))
    return _Judged(issues, met, praise)


def _sentence_text(doc: Doc, tok: int) -> str:
    s = doc.sentences[doc.tokens[tok].sent]
    return doc.text[s.start : s.end].strip()


def _listening_issues(doc: Doc) -> list[_Issue]:
    out: list[_Issue] = []
    codes = {"dismiss": "dismissal", "fix": "fixing", "one_up": "one_up", "defend": "defensive"}
    for s in doc.sentences:
        for p in s.phrases:
            if p.category not in codes:
                continue
            if p.j - p.i == 1 and p.category == "dismiss" and p.i not in (s.t0,) and (p.j != s.t1):
                continue  # "whatever you need" is kind; a lone "Whatever." is not
            out.append(_Issue(codes[p.category], doc.span(p.i, p.j), None, _word(doc, p.i, p.j)))
        # "I had a hard day too": the spotlight swings back to me
        if (
            s.t1 - s.t0 >= 3
            and doc.tokens[s.t1 - 1].norm == "too"
            and any(doc.tokens[k].norm in SELF for k in range(s.t0, s.t1))
        ):
            out.append(_Issue("one_up", doc.span(s.t1 - 1, s.t1), None, "too"))
    return out


def _partner_feelings(doc: Doc, used: set[int]) -> list[FeelHit]:
    return [
        h
        for s in doc.sentences
        for h in s.feelings
        if h.owner == "partner" and id(h) not in used and h.kind in REAL_KINDS | {"faux", "vague"}
    ]


def _tune_in(doc: Doc, lex: Lexicon) -> _Judged:
    issues, used = _common(doc, feelings=False)
    issues += _listening_issues(doc)
    acks = [p for s in doc.sentences for p in s.phrases if p.category == "ack"]
    partner = _partner_feelings(doc, used)
    met = bool(acks or partner)
    praise = (
        _word(doc, acks[0].i, acks[0].j)
        if acks
        else (_word(doc, partner[0].i, partner[0].j) if partner else "")
    )
    if not met and not issues:
        issues.append(_requirement_issue(doc, "no_acknowledgement"))
    for i in issues:
        if i.code in {"dismissal", "fixing", "one_up", "defensive", "no_acknowledgement"}:
            i.rewrite = "That sounds really hard. Help me understand what it's like for you?"
    return _Judged(issues, met, praise)


def _check_in(doc: Doc, lex: Lexicon) -> _Judged:
    issues, used = _common(doc, feelings=False)
    issues += _listening_issues(doc)
    reflect = [p for s in doc.sentences for p in s.phrases if p.category == "reflect"]
    partner = _partner_feelings(doc, used)
    checks: list[tuple[int, int]] = [
        (p.i, p.j) for s in doc.sentences for p in s.phrases if p.category == "check"
    ]
    for s in doc.sentences:
        # a tag question: "..., right?" / "correct?"
        if (
            s.question
            and s.t1 > s.t0
            and doc.tokens[s.t1 - 1].norm in {"right", "correct", "yeah", "yes", "true"}
        ):
            checks.append((s.t1 - 1, s.t1))
    # "So you'd like me to...": a "so" opening about them reflects what was heard
    so_you = any(
        s.t1 > s.t0
        and doc.tokens[s.t0].norm == "so"
        and any(
            doc.tokens[k].norm in PARTNER or doc.tokens[k].norm == "your"
            for k in range(s.t0 + 1, s.t1)
        )
        for s in doc.sentences
    )
    has_reflect = bool(reflect or partner or so_you)
    met = has_reflect and bool(checks)
    praise = _word(doc, reflect[0].i, reflect[0].j) if reflect else ""
    if not met and not issues:
        if not has_reflect:
            issues.append(_requirement_issue(doc, "missing_reflection"))
        else:
            last = doc.sentences[-1]
            body = doc.text[doc.sentences[0].start : last.end].strip().rstrip(" .!,")
            issue = _requirement_issue(doc, "missing_check", "is that right?")
            issue.rewrite = f"{body} - is that right?"
            issues.append(issue)
    return _Judged(issues, met, praise)


def _move_in(doc: Doc, lex: Lexicon) -> _Judged:
    issues, _used = _common(doc, feelings=False)
    toks = doc.tokens
    has_i = False
    for s in doc.sentences:
        flagged_we = flagged_you = False
        for k in range(s.t0, s.t1):
            t = toks[k].norm
            prev = toks[k - 1].norm if k > s.t0 else ""
            if t in {"i", "i'm", "i've", "i'd", "i'll", "my"} or (t == "me" and prev == "for"):
                has_i = True
            if not flagged_we and _is_we_subject(doc, s, k):
                flagged_we = True
                issues.append(_we_issue(doc, s, k))
            if not flagged_you and t == "you" and prev not in QUESTION_LEAD:
                issue = _you_issue(doc, s, k)
                if issue is not None:
                    flagged_you = True
                    issues.append(issue)
    if not has_i and not issues:
        issues.append(_requirement_issue(doc, "no_i_statement", "I"))
    return _Judged(issues, has_i, "I")


def _is_we_subject(doc: Doc, s: Sentence, k: int) -> bool:
    toks = doc.tokens
    t = toks[k].norm
    prev = toks[k - 1].norm if k > s.t0 else ""
    if t == "our":
        return k == s.t0  # "Our marriage is in a rut" (but "I enjoyed our weekend" is fine)
    if t == "let's":
        return True
    if t not in WE_EDITS:
        return False
    if prev in QUESTION_LEAD and prev not in {"that"}:
        return False  # "can we talk?", "when are we free?"
    # "He thinks we should move": reporting someone else's view
    return not (prev in REPORT_VERBS and k - 2 >= s.t0 and toks[k - 2].norm in THIRD)


def _we_issue(doc: Doc, s: Sentence, k: int) -> _Issue:
    toks = doc.tokens
    t = toks[k].norm
    if t == "our":
        return _Issue("we_statement", (toks[k].start, toks[k].end), "I", toks[k].raw)
    if t == "let's":
        a, b = toks[k].start, toks[k].end
        return _Issue(
            "we_statement", (a, b), "I'd like us to", toks[k].raw, edits=[(a, b, "I'd like us to")]
        )
    for seq, repl in WE_MODALS.items():
        n = len(seq)
        if t == "we" and tuple(x.norm for x in toks[k + 1 : k + 1 + n]) == seq and (k + n < s.t1):
            a, b = toks[k].start, toks[k + n].end
            # "we should go" -> "I'd like us to go"; "we need to talk" -> "I'd like us to talk"
            return _Issue("we_statement", (a, b), repl, doc.text[a:b], edits=[(a, b, repl)])
    repl = WE_EDITS[t]
    a, b = toks[k].start, toks[k].end
    return _Issue("we_statement", (a, b), repl, toks[k].raw, edits=[(a, b, repl)])


def _you_issue(doc: Doc, s: Sentence, k: int) -> _Issue | None:
    toks = doc.tokens
    m = k + 1
    first_adv = ""
    while m < s.t1 and toks[m].norm in MIND_SKIP:
        first_adv = first_adv or toks[m].norm
        m += 1
    if m < s.t1 and toks[m].norm in MIND_VERBS:
        return _Issue("speaking_for_partner", doc.span(k, m + 1), None, _word(doc, k, m + 1))
    if first_adv in {"always", "never"}:
        return _Issue("you_statement", doc.span(k, k + 2), "I'd like", _word(doc, k, k + 2))
    if (m < s.t1 and toks[m].norm in {"should", "must"}) or (
        m + 1 < s.t1 and toks[m].norm in {"need", "have", "ought"} and toks[m + 1].norm == "to"
    ):
        end = m + 1 if toks[m].norm in {"should", "must"} else m + 2
        return _Issue("you_statement", doc.span(k, end), "I'd like", _word(doc, k, end))
    return None


_RULES: dict[Tool, Callable[[Doc, Lexicon], _Judged]] = {
    Tool.DROP_IN: lambda d, lex: _feeling_tool(d, REAL_KINDS, Tool.DROP_IN),
    Tool.TUNE_IN: _tune_in,
    Tool.CHECK_IN: _check_in,
    Tool.MOVE_IN: _move_in,
    Tool.DIG_IN: lambda d, lex: _feeling_tool(d, REAL_KINDS, Tool.DIG_IN),
    Tool.SHIFT_IN: lambda d, lex: _feeling_tool(d, REAL_KINDS, Tool.SHIFT_IN),
}


# ---------------------------------------------------------------- rewrite and reply


def _rewrite(doc: Doc, issues: list[_Issue]) -> str | None:
    top = issues[0]
    if top.rewrite is not None:
        return top.rewrite
    edits = [e for i in issues for e in i.edits]
    if not top.edits:
        return None
    # Short replies are rewritten whole; long ones only in the sentence with the top issue.
    if len(doc.text) <= 300:
        lo, hi = 0, len(doc.text)
    else:
        s = next((s for s in doc.sentences if s.start <= top.span[0] < s.end), None)
        lo, hi = (s.start, s.end) if s else (0, len(doc.text))
    chosen: list[tuple[int, int, str]] = []
    for a, b, r in sorted({e for e in edits if lo <= e[0] and e[1] <= hi}):
        if chosen and a < chosen[-1][1]:
            continue  # overlapping edits: keep the first
        chosen.append((a, b, r))
    out = doc.text[lo:hi]
    for a, b, r in reversed(chosen):
        out = out[: a - lo] + r + out[b - lo :]
    out = " ".join(out.split())
    if out and out[0].islower() and out[0] != "i":
        out = out[0].upper() + out[1:]
    if top.code == "we_statement" and not out.endswith("?"):
        out = out.rstrip(" .!") + ". How is it for you?"
    return out or None


_PRAISE: dict[Tool, str] = {
    Tool.DROP_IN: 'You named a real feeling ("{w}"), not just a thought. That is Drop In.',
    Tool.TUNE_IN: "You tuned in to their feeling instead of rushing to fix it. That's Tune In.",
    Tool.CHECK_IN: "You reflected back what you heard and checked it, which leaves room to "
    "be corrected. That's Check In.",
    Tool.MOVE_IN: 'You spoke from the "I" position, for yourself and not for both of you.',
    Tool.DIG_IN: 'You looked under the anger and found "{w}". That takes courage.',
    Tool.SHIFT_IN: '"{w}" invites your partner closer instead of putting them on trial.',
}
_PARTIAL: dict[Tool, str] = {
    Tool.DROP_IN: 'Good: "{w}" is a real feeling.',
    Tool.TUNE_IN: "Good: you noticed their feeling.",
    Tool.CHECK_IN: "Good start on reflecting.",
    Tool.MOVE_IN: 'Good: you speak as "I" in part of it.',
    Tool.DIG_IN: 'Good: "{w}" goes beneath the anger.',
    Tool.SHIFT_IN: 'Good: "{w}" is a word that connects.',
}

_MESSAGES: dict[str, str] = {
    "sarcasm": '"{w}" sounds sarcastic, and sarcasm hides the real feeling. Say the feeling '
    "underneath straight{s}.",
    "blame_frame": '"{w}" hands your feeling to your partner. Own it: start with "I feel...".',
    "faux_feeling": '"{w}" says what your partner did more than what you feel, so it can land '
    "as blame. Underneath there's often a softer feeling{s}.",
    "self_judgement": '"{w}" is a harsh judgement of yourself, not a feeling. What is the '
    "feeling under it{s}?",
    "dismissal": '"{w}" can brush their feeling aside, even when you mean well. First show '
    "you heard the feeling.",
    "defensive": '"{w}" turns it toward defending yourself. For now, just reflect their side.',
    "one_up": '"{w}" moves the spotlight to you. Stay with their story a little longer.',
    "fixing": '"{w}" jumps to fixing. Listening comes first; advice can wait until they ask.',
    "thought_not_feeling": '"{w}" usually wraps a thought, not a feeling. Try a real emotion '
    "word{s}.",
    "wish_not_feeling": '"{w}" tells what you want to do, not what you feel. What is the '
    "feeling behind it: tired, low, anxious?",
    "urge_not_feeling": '"{w}" says what you want to do. Name the feeling under it{s}.',
    "we_statement": '"{w}" speaks for both of you. Say what is true for you, then ask about them.',
    "speaking_for_partner": '"{w}" speaks for your partner. Say what you feel or want, and '
    "ask what they think.",
    "you_statement": '"{w}" points at your partner. Say what you would like instead: '
    '"I\'d like...".',
    "anger_only": "Anger is real, and it is often the tip of the iceberg. What is underneath "
    '"{w}": hurt, loneliness, fear{s}?',
    "negated_feeling": '"{w}" says what you don\'t feel. Name what you do feel{s}.',
    "vague_feeling": '"{w}" is a bit vague. A more precise word helps your partner understand{s}.',
    "not_own_feeling": 'That is about someone else\'s feeling ("{w}"). This practice is about '
    "yours: how do you feel?",
    "no_acknowledgement": "Try naming their feeling or asking about it: \"It sounds like you're"
    ' ..." or "Help me understand...".',
    "missing_reflection": 'Reflect back what you heard first ("So you\'re saying..."), then '
    'check it ("Is that right?").',
    "missing_check": 'Now check it: add "Is that right?" so they can correct you.',
    "no_i_statement": 'Speak from the "I" position: say what you feel or want, starting with "I".',
}
_NO_FEELING: dict[Tool, str] = {
    Tool.DROP_IN: 'That sounds like a thought. Add a real emotion word: "I feel ..." (lonely, '
    "hopeful, worried, sad?)",
    Tool.DIG_IN: "No feeling named yet. What is under the surface: hurt, sadness, loneliness, "
    "fear?",
    Tool.SHIFT_IN: 'Name your own feeling with a word that connects: "I feel hurt", "I feel '
    'lonely", "I feel unimportant".',
}


def _compose(t: Tool, judged: _Judged, issues: list[_Issue], rewrite: str | None) -> str:
    w = _clip(judged.praise)
    if not issues:
        return _fit([_PRAISE[t].format(w=w), "Try saying it to your partner today."])
    top = issues[0]
    parts: list[str] = []
    if judged.met and w:
        parts.append(_PARTIAL[t].format(w=w))
    elif not judged.met:
        parts.append("Thanks for practising.")
    if top.code == "no_feeling":
        msg = _NO_FEELING.get(t, _MESSAGES["no_acknowledgement"])
        if top.suggestion:
            msg += f' Maybe "{top.suggestion}"?'
    else:
        sug = (
            f' (maybe "{top.suggestion}")'
            if top.suggestion and top.code not in {"blame_frame", "missing_check", "no_i_statement"}
            else ""
        )
        msg = _MESSAGES[top.code].format(w=_clip(top.word), s=sug)
    parts.append(msg)
    if rewrite and len(rewrite) <= 220:
        parts.append(f'Try: "{rewrite}"')
    return _fit(parts)


def _clip(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 3].rstrip() + "..."


def _fit(parts: list[str]) -> str:
    out = " ".join(p for p in parts if p)
    return out if len(out) <= MAX_REPLY else out[: MAX_REPLY - 3].rstrip() + "..."


__all__ = ["Feedback", "Finding", "coach"]
