"""Content problems, each pinned to a file and line so an author can jump straight to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ContentError", "ContentIssue"]


@dataclass(frozen=True, order=True)
class ContentIssue:
    """One problem. `line` is 1-based; 0 means the file (or folder) as a whole."""

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised once with every issue found, so one content check shows all of them."""

    def __init__(self, issues: Iterable[ContentIssue]) -> None:
        self.issues: list[ContentIssue] = sorted(issues, key=lambda i: (str(i.file), i.line))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)
