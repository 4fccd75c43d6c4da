"""Loads the coach's word lists once and indexes them for token-level phrase matching.

Every phrase is tokenised with the same normaliser as user text, so chat spellings
("im", "u", "lonley") and curly apostrophes meet the lexicon in one canonical form.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")

# Words (letters/digits with inner apostrophes). Emoji are handled separately so they never
# break the adjacency of words around them.
TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_RUN_RE = re.compile(r"(.)\1{2,}")


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file."""


def read_list(name: str) -> list[str]:
    path = LEXICON_DIR / name
    entries: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            entries.append(entry)
    return entries


def read_map(name: str) -> dict[str, str | None]:
    path = LEXICON_DIR / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping of word -> word")
    out: dict[str, str | None] = {}
    for key, value in data.items():
        if not isinstance(key, str | int) or not (value is None or isinstance(value, str)):
            raise LexiconError(f"{path}: bad entry {key!r}: {value!r}")
        out[str(key)] = value
    return out


@functools.cache
def _typos() -> dict[str, tuple[str, ...]]:
    return {k.lower(): tuple(str(v).split()) for k, v in read_map("typos.yaml").items()}


@functools.cache
def _known_words() -> frozenset[str]:
    """Every word that appears in some list: lets the normaliser undo "soooo" -> "so"."""
    words: set[str] = set()
    for name in sorted(p.name for p in LEXICON_DIR.iterdir()):
        if name.endswith(".txt"):
            items = read_list(name)
        elif name.endswith(".yaml"):
            mapping = read_map(name)
            items = [*mapping, *(v for v in mapping.values() if v)]
        else:
            continue
        for item in items:
            words.update(m.group(0).lower().replace("’", "'") for m in TOKEN_RE.finditer(item))
    return frozenset(words)


@functools.lru_cache(maxsize=65536)
def normalize(raw: str) -> tuple[str, ...]:
    """One raw word -> its canonical token(s). Cached: chat vocabulary repeats a lot."""
    word = raw.lower().replace("’", "'")
    typos = _typos()
    if word in typos:
        return typos[word]
    if _RUN_RE.search(word) and word not in _known_words():
        # Stretched words ("sooo sadddd"): try two letters, then one.
        for repl in (r"\1\1", r"\1"):
            cand = _RUN_RE.sub(repl, word)
            if cand in _known_words() or cand in typos:
                return typos.get(cand, (cand,))
    return (word,)


def tokenize_phrase(phrase: str) -> tuple[str, ...]:
    out: list[str] = []
    for m in TOKEN_RE.finditer(phrase):
        out.extend(normalize(m.group(0)))
    return tuple(out)


Entry = tuple[tuple[str, ...], str, str | None]  # (tokens, category, value)


@dataclass
class PhraseIndex:
    """first token -> entries, longest first, so a scan is a few dict hits per token."""

    by_first: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, phrase: str, category: str, value: str | None = None) -> None:
        toks = tokenize_phrase(phrase)
        if toks:
            self.by_first.setdefault(toks[0], []).append((toks, category, value))

    def finish(self) -> None:
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))


# Feeling kinds, strongest claim first: when a phrase sits in two lists the earlier wins.
FEELING_KINDS = ("faux", "self_judge", "anger", "vague", "vuln", "pos", "posflip", "fverb")


@dataclass(eq=False)  # hashed by identity: it is built once and cached
class Lexicon:
    feelings: PhraseIndex
    phrases: PhraseIndex
    faux_negated: dict[str, str | None]
    emoji: dict[str, str | None]
    english: frozenset[str]
    foreign: frozenset[str]
    feeling_words: frozenset[str]  # single feeling tokens, so "tired and sad" chains


@functools.cache
def load_lexicon() -> Lexicon:
    feelings = PhraseIndex()
    seen: set[tuple[str, ...]] = set()

    def add_feeling(phrase: str, kind: str, value: str | None) -> None:
        toks = tokenize_phrase(phrase)
        if toks in seen:
            return
        seen.add(toks)
        feelings.add(phrase, kind, value)

    for word, alt in read_map("faux.yaml").items():
        add_feeling(word, "faux", alt)
    for word, alt in read_map("self_judgement.yaml").items():
        add_feeling(word, "self_judge", alt)
    for word, alt in read_map("anger.yaml").items():
        add_feeling(word, "anger", alt)
    for word, alt in read_map("vague.yaml").items():
        add_feeling(word, "vague", alt)
    for word in read_list("feelings_vulnerable.txt"):
        add_feeling(word, "vuln", None)
    faux_negated = read_map("faux_negated.yaml")
    for word in read_list("feelings_positive.txt"):
        add_feeling(word, "pos", faux_negated.get(word))
    for word, alt in faux_negated.items():
        # only-when-flipped words ("appreciated") are kept apart: CAPS alone marks sarcasm
        add_feeling(word, "posflip", alt)
    for word, family in read_map("feeling_verbs.yaml").items():
        add_feeling(word, "fverb", family)
    feelings.finish()

    phrases = PhraseIndex()
    for name, cat in (
        ("acknowledgement.txt", "ack"),
        ("dismissal.txt", "dismiss"),
        ("fixing.txt", "fix"),
        ("one_up.txt", "one_up"),
        ("defensive.txt", "defend"),
        ("reflection.txt", "reflect"),
        ("checking.txt", "check"),
        ("sarcasm.txt", "sarcasm"),
        ("blame.txt", "blame"),
    ):
        for phrase in read_list(name):
            phrases.add(phrase, cat)
    for name, cat in (("urges.yaml", "urge"), ("thought_cues.yaml", "cue")):
        for phrase, value in read_map(name).items():
            phrases.add(phrase, cat, value)
    for phrase, value in read_map("faux.yaml").items():
        phrases.add(phrase, "cue", value)
    phrases.finish()

    english = {t for w in read_list("english.txt") for t in tokenize_phrase(w)}
    english |= _known_words() - set(read_list("foreign.txt"))
    return Lexicon(
        feelings=feelings,
        phrases=phrases,
        faux_negated=faux_negated,
        emoji=read_map("emoji.yaml"),
        english=frozenset(english),
        foreign=frozenset(w.lower() for w in read_list("foreign.txt")),
        feeling_words=frozenset(
            e[0][0]
            for entries in feelings.by_first.values()
            for e in entries
            if len(e[0]) == 1 and e[1] != "fverb"
        ),
    )
