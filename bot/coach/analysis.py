"""Turns one reply into tokens, sentences, feeling hits and phrase hits.

Pure and tool-agnostic: engine.py decides what each tool makes of the facts found here.
Spans are character offsets into the original text, so findings can point at the
user's own words even after typo and contraction normalisation.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from bot.coach.lexicons import TOKEN_RE, Lexicon, normalize

MAX_CHARS = 4096
# Bounded work on very long replies: only the first MAX_SENTENCES - TAIL_SENTENCES and the
# last TAIL_SENTENCES are judged (a Check In question usually comes at the very end).
MAX_SENTENCES = 24
TAIL_SENTENCES = 2

Owner = Literal["self", "partner", "third", "we", "thing"]

_SENT_END_RE = re.compile(r"[.!?…;\n]+")
# Quoted speech is someone else's words, not the speaker's own claim. A straight single quote
# counts only when it is not an apostrophe inside a word.
_QUOTE_RE = re.compile(
    r"\"[^\"\n]*\"|“[^”\n]*”|‘.*?’(?![A-Za-z])"
    r"|(?<![A-Za-z])'(?:[^'\n]|'(?=[A-Za-z]))+?'(?![A-Za-z])"
)

MODIFIERS = frozenset(
    [
        "so",
        "really",
        "very",
        "quite",
        "pretty",
        "a",
        "bit",
        "little",
        "kind",
        "sort",
        "of",
        "super",
        "totally",
        "completely",
        "deeply",
        "incredibly",
        "extremely",
        "utterly",
        "just",
        "also",
        "still",
        "too",
        "more",
        "most",
        "less",
        "even",
        "rather",
        "somewhat",
        "honestly",
        "actually",
        "mostly",
        "almost",
        "increasingly",
        "always",
        "often",
        "sometimes",
        "already",
        "all",
        "lot",
        "slightly",
        "fairly",
        "genuinely",
        "truly",
        "absolutely",
        "awfully",
        "terribly",
        "now",
        "again",
        "both",
        "and",
        "or",
        "then",
        "lately",
        "literally",
        "properly",
        "starting",
        "beginning",
        "to",
        "bloody",
        "damn",
        "fucking",
        "kinda",
        "sorta",
        "tonight",
        "today",
        "this",
        "week",
        "right",
        "maybe",
        "probably",
        "mainly",
        "underneath",
    ]
)
NEGATORS = frozenset(
    [
        "not",
        "never",
        "don't",
        "didn't",
        "doesn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "no",
        "hardly",
        "can't",
        "won't",
        "haven't",
        "hasn't",
    ]
)
LINKS = frozenset(
    [
        "feel",
        "feels",
        "felt",
        "feeling",
        "am",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "get",
        "gets",
        "got",
        "getting",
        "become",
        "becomes",
        "became",
        "becoming",
        "seem",
        "seems",
        "seemed",
        "sound",
        "sounds",
        "sounded",
        "look",
        "looks",
        "looked",
        "stay",
        "stayed",
        "remain",
        "remained",
        "grow",
        "grew",
        "growing",
    ]
)
FEEL_VERBS = frozenset({"feel", "feels", "felt", "feeling"})
CAUSATIVES = frozenset(
    [
        "make",
        "makes",
        "made",
        "making",
        "leave",
        "leaves",
        "left",
        "leaving",
        "keep",
        "keeps",
        "kept",
    ]
)
SELF = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "myself"})
PARTNER = frozenset({"you", "you're", "you've", "you'd", "you'll", "yourself"})
WE = frozenset({"we", "we're", "we've", "we'd", "we'll", "us"})
THIRD = frozenset(
    [
        "he",
        "she",
        "they",
        "he's",
        "she's",
        "they're",
        "him",
        "her",
        "them",
        "it",
        "it's",
        "this",
        "that",
        "that's",
        "there",
        "there's",
        "everyone",
        "everybody",
        "nobody",
        "someone",
        "everything",
        "who",
        "which",
    ]
)
# Subject contractions that already contain "to be": "I'm sad" needs no separate link verb.
LINKED_SUBJECTS = frozenset(
    {"i'm", "you're", "we're", "he's", "she's", "they're", "it's", "that's", "there's"}
)
OBJECTS = frozenset({"me", "you", "him", "her", "them", "us"})
# Words that are feelings only after a link verb ("I was hurt" vs "I hurt my back",
# "calm down", "I used the car"): never credited to an implicit speaker.
AMBIGUOUS = frozenset(
    [
        "down",
        "low",
        "blue",
        "close",
        "small",
        "light",
        "free",
        "warm",
        "lost",
        "empty",
        "raw",
        "flat",
        "heavy",
        "used",
        "hurt",
        "cross",
        "off",
        "good",
        "great",
        "fine",
        "ok",
        "okay",
        "alright",
        "bad",
        "whatever",
        "sorry",
        "safe",
        "sensitive",
        "stuck",
        "moved",
        "touched",
        "seen",
        "heard",
        "wanted",
        "loved",
        "important",
        "mad",
        "judged",
        "attacked",
        "controlled",
        "ignored",
        "rejected",
        "cheated",
        "dismissed",
        "interrupted",
        "blamed",
        "replaced",
        "forgotten",
        "trapped",
        "calm",
        "secure",
        "content",
    ]
)
# After "feel": these begin a thought, not an emotion word.
THOUGHT_STARTERS = frozenset(
    [
        "like",
        "that",
        "as",
        "you",
        "he",
        "she",
        "they",
        "we",
        "it",
        "this",
        "nobody",
        "everyone",
        "everything",
        "i",
        "i'm",
        "you're",
        "he's",
        "she's",
        "they're",
        "we're",
        "it's",
        "there's",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "the",
        "no",
    ]
)


@dataclass(slots=True)
class Tok:
    norm: str
    start: int
    end: int
    raw: str
    sent: int


@dataclass(slots=True)
class FeelHit:
    kind: str  # faux, self_judge, anger, vague, vuln, pos, fverb
    value: str | None  # suggestion (faux/anger/...) or family (fverb)
    i: int  # first token index
    j: int  # one past the last token index
    owner: Owner | None
    negated: bool
    neg_tok: int  # index of the negating token, -1 if none
    frame_tok: int  # index of the link verb, -1 if none
    caps: bool  # an ALL-CAPS intensifier ("SO appreciated") sits right before it
    wrapped: bool = False  # inside an "I feel like ..." thought


@dataclass(slots=True)
class PhraseHit:
    category: str
    value: str | None
    i: int
    j: int


@dataclass(slots=True)
class Wrapper:
    """'I feel like/that/you ...' said by the speaker."""

    feel_tok: int
    kind: Literal["thought", "wish", "urge", "self_judge"]
    i: int  # span start token (the feel verb)
    j: int  # span end token
    value: str | None  # suggested feeling
    negated_tok: int


@dataclass
class Sentence:
    index: int
    start: int  # char offsets
    end: int
    question: bool
    t0: int  # token range
    t1: int
    feelings: list[FeelHit] = field(default_factory=list)
    phrases: list[PhraseHit] = field(default_factory=list)
    wrappers: list[Wrapper] = field(default_factory=list)


@dataclass
class Doc:
    text: str
    tokens: list[Tok]
    sentences: list[Sentence]
    all_words: list[str]  # every word incl. quoted, for language detection
    has_letters: bool
    emoji: list[tuple[int, str]]  # (char offset, emoji)
    sarcasm_marker: bool

    def span(self, i: int, j: int) -> tuple[int, int]:
        return (self.tokens[i].start, self.tokens[j - 1].end)

    def words(self, i: int, j: int) -> str:
        a, b = self.span(i, j)
        return self.text[a:b]


def _sentences(text: str) -> list[tuple[int, int, bool]]:
    out: list[tuple[int, int, bool]] = []
    pos = 0
    for m in _SENT_END_RE.finditer(text):
        if m.start() > pos and text[pos : m.start()].strip():
            out.append((pos, m.end(), "?" in m.group(0)))
        pos = m.end()
    if pos < len(text) and text[pos:].strip():
        out.append((pos, len(text), False))
    if len(out) > MAX_SENTENCES:
        out = out[: MAX_SENTENCES - TAIL_SENTENCES] + out[-TAIL_SENTENCES:]
    return out


def _quoted(text: str) -> list[tuple[int, int]]:
    if not any(q in text for q in "\"“‘'"):
        return []
    return [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text)]


def analyse(text: str, lex: Lexicon) -> Doc:
    text = text[:MAX_CHARS]
    sents = _sentences(text)
    limit = sents[-1][1] if sents else 0
    quotes = _quoted(text)
    tokens: list[Tok] = []
    all_words: list[str] = []
    sentences = [Sentence(k, a, b, q, 0, 0) for k, (a, b, q) in enumerate(sents)]
    sidx = 0
    for m in TOKEN_RE.finditer(text, 0, limit):
        start, end = m.span()
        raw = m.group(0)
        all_words.append(raw.lower())
        if quotes and any(a <= start < b for a, b in quotes):
            continue
        while sidx < len(sentences) - 1 and start >= sentences[sidx].end:
            sidx += 1
        if start < sentences[sidx].start:
            continue  # in the unjudged middle of a very long reply
        for norm in normalize(raw):
            tokens.append(Tok(norm, start, end, raw, sidx))
    # token ranges per sentence
    k = 0
    for s in sentences:
        s.t0 = k
        while k < len(tokens) and tokens[k].sent == s.index:
            k += 1
        s.t1 = k
    emoji = [(m.start(), m.group(0)) for m in _emoji_re(lex).finditer(text, 0, limit)]
    doc = Doc(
        text=text,
        tokens=tokens,
        sentences=sentences,
        all_words=all_words,
        has_letters=bool(all_words),
        emoji=emoji,
        sarcasm_marker=any(ch in "🙄😒" for _, ch in emoji) or text.rstrip().endswith("/s"),
    )
    mostly_caps = _mostly_caps(tokens)
    for s in sentences:
        _scan_sentence(doc, s, lex, mostly_caps)
        if any(p.category == "sarcasm" for p in s.phrases):
            doc.sarcasm_marker = True
    return doc


@functools.cache
def _emoji_re(lex: Lexicon) -> re.Pattern[str]:
    chars = sorted({*lex.emoji, "🙄", "😒"}, key=len, reverse=True)
    return re.compile("|".join(re.escape(c) for c in chars))


def _mostly_caps(tokens: list[Tok]) -> bool:
    letters = [t.raw for t in tokens if len(t.raw) > 1]
    return bool(letters) and sum(r.isupper() for r in letters) * 2 > len(letters)


def _match(
    index: dict[str, list[tuple[tuple[str, ...], str, str | None]]],
    norms: list[str],
    k: int,
    end: int,
) -> list[tuple[tuple[str, ...], str, str | None]]:
    cands = index.get(norms[k])
    if not cands:
        return []
    return [e for e in cands if k + len(e[0]) <= end and tuple(norms[k : k + len(e[0])]) == e[0]]


def _scan_sentence(doc: Doc, s: Sentence, lex: Lexicon, mostly_caps: bool) -> None:
    toks = doc.tokens
    norms = [t.norm for t in toks[s.t0 : s.t1]]
    base = s.t0
    n = len(norms)
    # phrases: all matches, overlapping allowed across categories
    for k in range(n):
        for toks_, cat, val in _match(lex.phrases.by_first, norms, k, n):
            s.phrases.append(PhraseHit(cat, val, base + k, base + k + len(toks_)))
    # feelings: longest match, non-overlapping
    k = 0
    while k < n:
        found = _match(lex.feelings.by_first, norms, k, n)
        if not found:
            k += 1
            continue
        ptoks, kind, value = found[0]
        j = k + len(ptoks)
        hit = _own(norms, k, j, kind, value, lex.feeling_words)
        if hit is not None:
            prev = toks[base + k - 1] if k > 0 else None
            hit.caps = (
                prev is not None
                and not mostly_caps
                and prev.raw.isupper()
                and len(prev.raw) > 1
                and prev.norm in MODIFIERS
            )
            hit.i += base
            hit.j += base
            hit.neg_tok = hit.neg_tok + base if hit.neg_tok >= 0 else -1
            hit.frame_tok = hit.frame_tok + base if hit.frame_tok >= 0 else -1
            s.feelings.append(hit)
        k = j
    _find_wrappers(doc, s, norms, base, lex)


def _own(
    norms: list[str], k: int, j: int, kind: str, value: str | None, chain: frozenset[str]
) -> FeelHit | None:
    """Who is said to feel this? Scan back from the word to its subject."""
    negated = False
    neg_tok = -1
    frame = -1
    m = k - 1
    while m >= 0:
        t = norms[m]
        if t in NEGATORS:
            negated, neg_tok = True, (neg_tok if neg_tok >= 0 else m)
        elif t in LINKS:
            frame = m if frame < 0 else frame
        elif t in MODIFIERS:
            pass
        elif t in OBJECTS and m > 0 and norms[m - 1] in CAUSATIVES:
            # "it makes me sad", "leaves you tired"
            return FeelHit(kind, value, k, j, _owner_of(t), negated, neg_tok, m - 1, False)
        elif t in SELF or t in PARTNER or t in WE or t in THIRD:
            if kind == "fverb":
                # "I (really) hate it when...": the verb itself carries the feeling
                if frame < 0 and neg_tok < 0 and _only_mods(norms, m, k):
                    return FeelHit(kind, value, k, j, _owner_of(t), False, -1, -1, False)
                return None
            if frame < 0 and t not in LINKED_SUBJECTS:
                if m > 0 and norms[m - 1] in LINKS:
                    frame = m - 1  # question inversion: "are you okay?"
                else:
                    return None  # "I hurt my back", "you betrayed me": not a feeling claim
            return FeelHit(kind, value, k, j, _owner_of(t), negated, neg_tok, frame, False)
        elif t in chain:  # "tired and sad"
            pass
        else:
            # A noun subject before a link verb ("the movie was sad") is not a feeling claim.
            if frame >= 0:
                return FeelHit(kind, value, k, j, "thing", negated, neg_tok, frame, False)
            return None
        m -= 1
    # Reached the sentence start without a subject: chat style "so lonely", "feeling low".
    if kind == "fverb":
        return None
    first = norms[k]
    if frame < 0 and (first in AMBIGUOUS or (len(norms[k:j]) > 1 and norms[k] in AMBIGUOUS)):
        return None
    if frame >= 0 and norms[frame] not in FEEL_VERBS and norms[frame] not in {"was", "been"}:
        return None
    return FeelHit(kind, value, k, j, "self", negated, neg_tok, frame, False)


def _only_mods(norms: list[str], m: int, k: int) -> bool:
    return all(norms[x] in MODIFIERS for x in range(m + 1, k))


def _owner_of(t: str) -> Owner:
    if t in SELF:
        return "self"
    if t in PARTNER:
        return "partner"
    if t in WE:
        return "we"
    return "third"


def _subject_before(norms: list[str], k: int) -> tuple[Owner | None, int, int]:
    """Subject of a feel verb at k: (owner, subject index or -1, negator index or -1)."""
    neg = -1
    m = k - 1
    while m >= 0:
        t = norms[m]
        if t in NEGATORS:
            neg = m
        elif t in MODIFIERS or t in LINKS:
            pass
        elif t in SELF or t in PARTNER or t in WE or t in THIRD:
            return _owner_of(t), m, neg
        else:
            return None, -1, neg
        m -= 1
    return "self", -1, neg


def _find_wrappers(doc: Doc, s: Sentence, norms: list[str], base: int, lex: Lexicon) -> None:
    n = len(norms)
    for k in range(n - 1):
        if norms[k] not in FEEL_VERBS:
            continue
        nxt = norms[k + 1]
        if nxt not in THOUGHT_STARTERS:
            continue
        if nxt == "as" and (k + 2 >= n or norms[k + 2] not in {"if", "though"}):
            continue
        owner, subj, neg = _subject_before(norms, k)
        if owner != "self":
            continue  # "you feel like..." is a reflection, "she feels..." a report
        after = k + 2 if nxt != "as" else k + 3
        kind: Literal["thought", "wish", "urge", "self_judge"] = "thought"
        value: str | None = None
        end = after
        if nxt == "like" and after < n:
            sj = _match(lex.feelings.by_first, norms, after, n)
            urge = [p for p in _match(lex.phrases.by_first, norms, after, n) if p[1] == "urge"]
            if sj and sj[0][1] == "self_judge":
                kind, value, end = "self_judge", sj[0][2], after + len(sj[0][0])
            elif urge:
                kind, value, end = "urge", urge[0][2], after + len(urge[0][0])
            elif neg >= 0:
                kind = "wish"
            elif sj and sj[0][1] in {"vuln", "pos", "anger"}:
                continue  # "I feel like, sad": clumsy, but a real feeling word
        if kind == "thought":
            for p in s.phrases:  # a cue to the feeling under the thought
                if p.category == "cue" and p.i >= base + after and p.value:
                    value = p.value
                    break
        first = base + (subj if subj >= 0 else k)
        w = Wrapper(base + k, kind, first, base + end, value, base + neg if neg >= 0 else -1)
        s.wrappers.append(w)
        # Feelings inside the wrapped thought are not claims, up to the next clause break.
        w_end = doc.tokens[base + end - 1].end
        for h in s.feelings:
            if base + k < h.i < base + end:
                h.wrapped = True
            elif kind == "thought" and h.i >= base + end:
                gap = doc.text[w_end : doc.tokens[h.i].start]
                h.wrapped = not any(c in gap for c in ",-–—")
        break
