"""The cheat sheet: the six tools on one A4 page, built from the lesson files.

Pure (no Telegram, no Redis), so `python -m bot content check` can render it too: a content
change that would push the sheet onto a second page fails the check instead of shipping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont

from bot.course.errors import ContentError, ContentIssue
from bot.course.models import Content, Lesson
from bot.course.tools import TOOL_ORDER, Tool

__all__ = ["FILENAME", "CheatSheetCache", "CheatSheetError", "render_cheatsheet"]

FILENAME = "six-tools-cheat-sheet.pdf"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"  # a Unicode TTF: lesson text may hold curly quotes, dashes, accents

HEADING = "Six tools for closeness"
SUBHEADING = (
    "Small ways to say what you feel and to hear what your partner feels. "
    "Keep this page close and reach for one tool when it matters."
)
FOOTER = "You don't need perfect words, just honest ones. One tool at a time is plenty."

# A fixed date keeps the bytes identical for identical content (cache, tests, reproducibility).
CREATION_DATE = datetime(2026, 1, 1, tzinfo=UTC)

# Geometry in mm (A4 portrait). One column: on a phone the page is read zoomed to its width,
# and a single column keeps every line as long, and so the text as large, as the page allows.
PAGE_H = 297.0
MARGIN_X = 14.0
MARGIN_TOP = 13.0
MARGIN_BOTTOM = 11.0
GUTTER = 11.0  # the tool's number sits here
LABEL_W = 25.0  # "Instead of" / "Try"
MIN_GAP = 4.0  # between two tools; spare space on the page widens it up to MAX_GAP
MAX_GAP = 9.0
PT = 25.4 / 72  # mm per point
LEADING = 1.3

# Sizes in pt: nothing under 10, so the sheet stays legible zoomed to a phone's width.
HEADING_SIZE = 22.0
SUBHEADING_SIZE = 11.0
NUMBER_SIZE = 18.0
TITLE_SIZE = 14.0
SUMMARY_SIZE = 11.5
EXAMPLE_SIZE = 11.0
LABEL_SIZE = 10.0
FOOTER_SIZE = 10.0

INK = (40, 36, 44)
MUTED = (112, 106, 116)
ACCENT = (168, 66, 86)  # a warm rose: the course's voice is warm, not clinical
BETTER = (46, 122, 92)
RULE = (226, 216, 220)


class CheatSheetError(ContentError):
    """The lessons don't make a good one-page sheet. A ContentError, so the content check and
    the loader's callers report it the same way: one line per lesson file at fault."""


@dataclass(frozen=True)
class _Entry:
    number: int
    tool: Tool
    lesson: Lesson


def _clean(text: str | None) -> str:
    # Front matter may fold lines; the sheet wants each field as one flowing paragraph.
    return " ".join((text or "").split())


class _Sheet(FPDF):
    """FPDF plus the few text primitives the layout needs, each able to measure only."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        # Overflow is our check to make; fpdf2 would silently start page two.
        self.set_auto_page_break(False)
        self.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_creation_date(CREATION_DATE)
        self.set_title("Six tools for closeness: cheat sheet")
        self.set_lang("en")
        self.add_page()

    @property
    def text_w(self) -> float:
        return self.w - 2 * MARGIN_X

    def missing_glyphs(self, text: str, style: str) -> set[str]:
        self.set_font(FONT, style, 10)
        font = self.current_font
        if not isinstance(font, TTFFont):  # pragma: no cover - we only load TTFs
            return set()
        return {ch for ch in text if not ch.isspace() and ord(ch) not in font.cmap}

    def para(
        self,
        text: str,
        *,
        x: float,
        y: float,
        w: float,
        size: float,
        style: str = "",
        color: tuple[int, int, int] = INK,
        align: str = "L",
        line_size: float | None = None,
        draw: bool,
    ) -> float:
        """Lay out `text` at (x, y); draw it only if `draw`. Returns its height either way,
        so measuring and drawing share one code path and can never disagree. `line_size`
        spaces lines as for that font size (to sit a smaller label level with its text)."""
        self.set_font(FONT, style, size)
        self.set_text_color(*color)
        self.set_xy(x, y)
        height = self.multi_cell(
            w,
            (line_size or size) * PT * LEADING,
            text,
            align=align,
            dry_run=not draw,
            output=MethodReturnValue.HEIGHT,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        return float(height)  # type: ignore[arg-type]

    def rule(self, y: float) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.3)
        self.line(MARGIN_X, y, self.w - MARGIN_X, y)


def _entry_height(sheet: _Sheet, entry: _Entry, top: float, *, draw: bool) -> float:
    lesson = entry.lesson
    x = MARGIN_X + GUTTER
    w = sheet.text_w - GUTTER
    if draw:
        sheet.para(
            str(entry.number),
            x=MARGIN_X,
            y=top - 1.2,  # the larger numeral lines up with the title's cap height
            w=GUTTER,
            size=NUMBER_SIZE,
            style="B",
            color=ACCENT,
            draw=True,
        )
    y = top
    y += sheet.para(_clean(lesson.title), x=x, y=y, w=w, size=TITLE_SIZE, style="B", draw=draw)
    y += 0.8
    y += sheet.para(_clean(lesson.summary), x=x, y=y, w=w, size=SUMMARY_SIZE, draw=draw)
    y += 1.6
    examples = (
        ("Instead of", lesson.example_weak, MUTED, MUTED),
        ("Try", lesson.example_better, BETTER, INK),
    )
    for index, (label, text, label_color, text_color) in enumerate(examples):
        y += 0.8 if index else 0.0
        label_h = sheet.para(
            label,
            x=x,
            y=y,
            w=LABEL_W,
            size=LABEL_SIZE,
            style="B",
            color=label_color,
            line_size=EXAMPLE_SIZE,
            draw=draw,
        )
        text_h = sheet.para(
            f"\u201c{_clean(text)}\u201d",
            x=x + LABEL_W,
            y=y,
            w=w - LABEL_W,
            size=EXAMPLE_SIZE,
            color=text_color,
            draw=draw,
        )
        y += max(label_h, text_h)
    return y - top


def _entries(content: Content) -> list[_Entry]:
    course = content.course
    return [_Entry(n, tool, course.by_tool(tool)) for n, tool in enumerate(TOOL_ORDER, start=1)]


def _glyph_issues(sheet: _Sheet, entries: list[_Entry]) -> list[ContentIssue]:
    issues = []
    for entry in entries:
        lesson = entry.lesson
        missing = sheet.missing_glyphs(lesson.title, "B")
        for text in (lesson.summary, lesson.example_weak or "", lesson.example_better or ""):
            missing |= sheet.missing_glyphs(text, "")
        if missing:
            shown = " ".join(sorted(missing))
            issues.append(
                ContentIssue(
                    lesson.source,
                    0,
                    f"the cheat sheet can't print {shown} (no glyph in its font): use plain text",
                )
            )
    return issues


def render_cheatsheet(content: Content) -> bytes:
    """The one-page PDF of the six tools. Raises CheatSheetError (naming the lesson files)
    if the text can't be printed or the tools don't fit on one page."""
    sheet = _Sheet()
    sheet.set_subject(f"The six tools of the course (content {content.version})")
    entries = _entries(content)
    issues = _glyph_issues(sheet, entries)
    if issues:
        raise CheatSheetError(issues)

    # Header.
    y = MARGIN_TOP
    y += sheet.para(
        HEADING,
        x=MARGIN_X,
        y=y,
        w=sheet.text_w,
        size=HEADING_SIZE,
        style="B",
        color=ACCENT,
        draw=True,
    )
    y += 1.0
    y += sheet.para(
        SUBHEADING, x=MARGIN_X, y=y, w=sheet.text_w, size=SUBHEADING_SIZE, color=MUTED, draw=True
    )
    y += 3.0
    sheet.rule(y)
    body_top = y + 5.0

    # Footer, bottom-anchored, so the body knows where it must stop.
    footer_h = sheet.para(FOOTER, x=MARGIN_X, y=0, w=sheet.text_w, size=FOOTER_SIZE, draw=False)
    footer_top = PAGE_H - MARGIN_BOTTOM - footer_h
    body_bottom = footer_top - 4.0

    heights = [_entry_height(sheet, e, body_top, draw=False) for e in entries]
    gaps = len(entries) - 1
    room = body_bottom - body_top
    if sum(heights) + gaps * MIN_GAP > room:
        # Blame the tools that take more than their share: shortening them is what fixes it.
        share = (room - gaps * MIN_GAP) / len(entries)
        over = [(h, e) for h, e in zip(heights, entries, strict=True) if h > share]
        raise CheatSheetError(
            ContentIssue(
                e.lesson.source,
                0,
                f"the cheat sheet would run past one page: {e.tool.label} takes {h:.0f} mm, "
                f"more than its {share:.0f} mm share; shorten its title, summary or examples",
            )
            for h, e in over
        )

    gap = min(MAX_GAP, MIN_GAP + (room - sum(heights) - gaps * MIN_GAP) / max(gaps, 1))
    y = body_top
    for index, (entry, height) in enumerate(zip(entries, heights, strict=True)):
        _entry_height(sheet, entry, y, draw=True)
        y += height
        if index < gaps:
            sheet.rule(y + gap / 2)
            y += gap

    sheet.rule(footer_top - 2.0)
    sheet.para(
        FOOTER,
        x=MARGIN_X,
        y=footer_top,
        w=sheet.text_w,
        size=FOOTER_SIZE,
        color=MUTED,
        align="C",
        draw=True,
    )
    if sheet.pages_count != 1:  # pragma: no cover - auto page break is off; belt and braces
        raise CheatSheetError(
            [ContentIssue(entries[0].lesson.source.parent, 0, "the cheat sheet is not one page")]
        )
    return bytes(sheet.output())


class CheatSheetCache:
    """The rendered sheet for the live content version: rebuilt only when content changes.

    Also remembers Telegram's file_id for the uploaded PDF, so later sends reuse it instead
    of uploading the same bytes again.
    """

    def __init__(self, render: Callable[[Content], bytes] = render_cheatsheet) -> None:
        self._render = render
        self._version: str | None = None
        self._pdf = b""
        self._file_id: str | None = None

    def get(self, content: Content) -> bytes:
        if content.version != self._version:
            pdf = self._render(content)  # may raise: then the old entry stays, unused
            self._version, self._pdf, self._file_id = content.version, pdf, None
        return self._pdf

    def file_id(self, content: Content) -> str | None:
        return self._file_id if content.version == self._version else None

    def remember_file_id(self, content: Content, file_id: str | None) -> None:
        if content.version == self._version:
            self._file_id = file_id
