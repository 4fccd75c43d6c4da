"""The six tools of the course: ids, display names, and the day each one is taught."""

from __future__ import annotations

from enum import StrEnum


class Tool(StrEnum):
    DROP_IN = "drop_in"
    TUNE_IN = "tune_in"
    CHECK_IN = "check_in"
    MOVE_IN = "move_in"
    DIG_IN = "dig_in"
    SHIFT_IN = "shift_in"

    @property
    def label(self) -> str:
        return TOOL_TITLES[self]

    @property
    def day(self) -> int:
        return TOOL_ORDER.index(self) + 1


TOOL_ORDER: tuple[Tool, ...] = (
    Tool.DROP_IN,
    Tool.TUNE_IN,
    Tool.CHECK_IN,
    Tool.MOVE_IN,
    Tool.DIG_IN,
    Tool.SHIFT_IN,
)

TOOL_TITLES: dict[Tool, str] = {
    Tool.DROP_IN: "Drop In",
    Tool.TUNE_IN: "Tune In",
    Tool.CHECK_IN: "Check In",
    Tool.MOVE_IN: "Move In",
    Tool.DIG_IN: "Dig In",
    Tool.SHIFT_IN: "Shift In",
}

# The quiz measures the six tools plus the ground they stand on.
DIFFERENTIATION = "differentiation"
QUIZ_AREAS: tuple[str, ...] = (*(t.value for t in TOOL_ORDER), DIFFERENTIATION)
AREA_TITLES: dict[str, str] = {
    **{t.value: t.label for t in TOOL_ORDER},
    DIFFERENTIATION: "Differentiation of self",
}
# For narrow, monospace layouts (the quiz bar chart on a phone).
AREA_SHORT_TITLES: dict[str, str] = {
    **{t.value: t.label for t in TOOL_ORDER},
    DIFFERENTIATION: "Differentiation",
}
