"""Safety screen: spots disclosures of violence, abuse, coercion, threats or self-harm.

Runs before any coaching. Patterns are narrow on purpose: the course's everyday anger
("you make me so angry", "I could kill him for eating my fries") must pass through, while
a real disclosure gets a caring reply with support resources instead of feedback.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

Category = Literal["violence", "abuse", "coercion", "threat", "self_harm"]
CATEGORIES: tuple[Category, ...] = ("violence", "abuse", "coercion", "threat", "self_harm")

DEFAULT_SAFETY_PATH = Path(__file__).resolve().parents[2] / "content" / "safety.yaml"

# Who can be the one doing harm. "I" is left out: "I could kill him" is the hyperbole case.
_AGENT = (
    r"(?:he|she|they|he's|she's|they've|he'd|she'd|my (?:husband|wife|partner|boyfriend|"
    r"girlfriend|bf|gf|ex|fianc[eé]e?|spouse)|(?:husband|wife|partner|boyfriend|girlfriend))"
)
_ADV = r"(?:\s+(?:\w+ly|just|always|sometimes|often|even|also|then|again|still))*"
_HARM_VERBS = (
    r"(?:hit|hits|hitting|slap(?:s|ped|ping)?|punch(?:es|ed|ing)?|kick(?:s|ed|ing)?|beat|"
    r"beats|beating|beaten|chok(?:e|es|ed|ing)|strangl(?:e|es|ed|ing)|shov(?:e|es|ed|ing)|"
    r"push(?:es|ed|ing)?|grab(?:s|bed|bing)?|bit|bites|burn(?:s|ed|t)|smack(?:s|ed)?|"
    r"attack(?:s|ed)|stab(?:s|bed)?)"
)

_PATTERNS: dict[Category, tuple[str, ...]] = {
    "violence": (
        rf"\b{_AGENT}{_ADV}\s+{_HARM_VERBS}\s+me\b",
        rf"\b{_AGENT}{_ADV}\s+(?:threw|throws|throwing)\s+(?:\w+\s+){{0,3}}at me\b",
        rf"\b{_AGENT}{_ADV}\s+(?:hurts|keeps hurting|is hurting)\s+me\b",
        rf"\b{_AGENT}\s+(?:is\s+|'s\s+)?(?:going to|gonna|will|might)\s+(?:hurt|hit|kill)\s+me\b",
        r"\bhurt me again\b",
        r"\bi(?:'m| am) (?:scared|afraid|terrified) (?:of )?"
        r"(?:him|her|my partner|my husband|my wife)\b",
        r"\bi (?:want to|am going to|'m going to|will) (?:hit|hurt|kill|stab) (?:him|her)\b",
    ),
    "abuse": (
        r"\b(?:raped|rapes|molest(?:s|ed)?|sexually assault(?:s|ed)?)\b",
        r"\bforc(?:es|ed|ing) me to (?:have sex|sleep with|do things)\b",
        r"\b(?:being|been|was|am) abused\b|\babus(?:es|ed|ing) me\b|\babusive\b",
        r"\bcalls? me (?:worthless|names|useless|stupid|pathetic|ugly|fat|a whore|a slut|"
        r"disgusting|nothing)\b",
        r"\blocks? me (?:in|out)\b|\blocked me (?:in|out)\b",
        r"\bmakes? me sleep (?:in the car|outside|on the floor)\b",
        r"\bspits? on me\b",
        r"\b(?:hurts|hurt) me and then says\b",
    ),
    "coercion": (
        r"\b(?:won't|doesn't|does not|will not|never) let me (?:see|have|go|leave|talk|use|work|"
        r"visit|call|keep|out)\b",
        r"\b(?:not|never) allowed to (?:see|talk|leave|go|have|work|use|call|visit)\b",
        r"\b(?:takes|took|keeps|kept) my (?:bank ?card|card|money|wages|pay|paycheck|passport|"
        r"phone|keys|id)\b",
        r"\bcontrols? (?:all )?(?:of )?(?:our |my |the )?(?:money|finances|bank)\b",
        r"\b(?:tracks|tracking|monitors) my (?:location|phone)\b",
        r"\bchecks my phone\b",
        r"\bgives me an allowance\b",
        r"\bkeeps me from (?:seeing|talking|leaving|going)\b",
    ),
    "threat": (
        r"\bthreat(?:en|ens|ened|ening) to (?:take|kill|hurt|harm|throw me|kick me|ruin|report|"
        r"leave me with nothing|tell|take away|post)\b",
        r"\bthreat(?:en|ens|ened|ening) me\b",
        r"\b(?:kill|hurt|harm|ruin|destroy)\s+(?:me|my life|the kids|himself|herself|themselves)"
        r" if i (?:ever )?(?:leave|left|go|tell|call|report)\b",
        r"\b(?:gun|knife|weapon)\b.*\bme\b|\bme\b.*\b(?:gun|knife|weapon)\b",
        r"\b(?:kill|hurt) (?:himself|herself) if i\b",
    ),
    "self_harm": (
        r"\b(?:don't|do not) want to (?:be alive|live|exist|be here|wake up)\b",
        r"\b(?:want|wanna|going) to die\b(?! (?:of|laughing|from laughing))|\bwanna die\b(?! of)",
        r"\bkill(?:ing)? myself\b|\bend(?:ing)? (?:it all|my life)\b|\bsuicid(?:e|al)\b",
        r"\b(?:cut|cutting|hurt|hurting|harm|harming) myself\b|\bself[- ]harm",
        r"\bbetter off without me\b",
        r"\b(?:no|any|the) point (?:in|of) (?:living|being alive|going on)\b",
        r"\bnever wake up\b",
        r"\bpills\b.*\b(?:saved|take them|taking them|all of them|overdose)\b|\boverdose\b",
        r"\bnot (?:be|being) (?:here|around|alive) anymore\b",
    ),
}
# Scan order: the most urgent reading wins when a message fits several.
_ORDER: tuple[Category, ...] = ("self_harm", "threat", "abuse", "violence", "coercion")
_COMPILED: dict[Category, re.Pattern[str]] = {
    cat: re.compile("|".join(f"(?:{p})" for p in pats)) for cat, pats in _PATTERNS.items()
}
# "he never hit me", "she didn't threaten me": a denial is not a disclosure.
_DENIAL = re.compile(r"\b(?:never|not|didn't|doesn't|hasn't|wouldn't|has never|have never)\s*$")
_APOS = str.maketrans({"’": "'", "‘": "'"})
MAX_SCREEN_CHARS = 4096
MAX_REPLY_CHARS = 600


@dataclass(frozen=True)
class SafetyHit:
    category: Category
    span: tuple[int, int]
    text: str


def screen(text: str) -> SafetyHit | None:
    """First disclosure found, or None. Same length text, so spans map back."""
    low = text[:MAX_SCREEN_CHARS].translate(_APOS).lower()
    for cat in _ORDER:
        for m in _COMPILED[cat].finditer(low):
            if cat != "self_harm" and _DENIAL.search(low[max(0, m.start() - 25) : m.start()]):
                continue
            return SafetyHit(cat, m.span(), text[m.start() : m.end()])
    return None


class Resource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    detail: str = Field(min_length=1)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("https://", "http://")):
            raise ValueError("url must start with https:// or http://")
        return v


class SafetyResources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: str = Field(min_length=1)
    intros: dict[Category, str] = Field(default_factory=dict)
    resources: list[Resource] = Field(min_length=1)
    closing: str = ""

    @model_validator(mode="after")
    def _short_enough(self) -> SafetyResources:
        # The reply goes out as one chat message; keep it readable on a phone.
        for cat in (None, *CATEGORIES):
            if len(self.render(cat)) > MAX_REPLY_CHARS:
                raise ValueError(
                    f"reply with resources for {cat or 'any category'} is longer than "
                    f"{MAX_REPLY_CHARS} characters"
                )
        return self

    def render(self, category: Category | None = None) -> str:
        """Plain text; the bot escapes it."""
        parts = [self.reply.strip()]
        if category is not None and category in self.intros:
            parts.append(self.intros[category].strip())
        for r in self.resources:
            line = f"- {r.name}: {r.detail.strip()}"
            if r.url:
                line += f" {r.url}"
            parts.append(line)
        if self.closing:
            parts.append(self.closing.strip())
        return "\n".join(parts)


# Used only if content/safety.yaml is absent (e.g. an installed wheel without content/).
FALLBACK = SafetyResources(
    reply="Thank you for telling me. What you wrote sounds serious, and your safety matters "
    "more than any practice.",
    resources=[
        Resource(
            name="Emergency services",
            detail="If you are in danger now, call your local emergency number.",
        ),
        Resource(
            name="Find A Helpline",
            detail="Free, confidential helplines in many countries.",
            url="https://findahelpline.com",
        ),
    ],
)


class SafetyContentError(ValueError):
    """content/safety.yaml is invalid; the message is "file:line: problem"."""

    def __init__(self, file: Path, line: int, message: str) -> None:
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")


def _node_line(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """1-based line of the YAML node at a pydantic error location (deepest that exists)."""
    line = node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if nxt is None:
                break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_safety_resources(path: Path) -> SafetyResources:
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SafetyContentError(path, 0, f"cannot read: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(source)
        data: Any = yaml.safe_load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise SafetyContentError(path, line, f"YAML syntax: {exc.problem}") from exc
    if node is None or not isinstance(data, dict):
        raise SafetyContentError(path, 1, "expected a mapping with reply and resources")
    try:
        return SafetyResources.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        line = _node_line(node, tuple(err["loc"]))
        raise SafetyContentError(path, line, f"{where}: {err['msg']}") from exc


@functools.cache
def default_resources() -> SafetyResources:
    """The project's safety.yaml, read once; the built-in fallback if it is not shipped."""
    if DEFAULT_SAFETY_PATH.is_file():
        return load_safety_resources(DEFAULT_SAFETY_PATH)
    return FALLBACK
