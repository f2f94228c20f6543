"""Problems found in a dialog file, worded for the person who has to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    node: str = ""
    severity: str = "error"  # "error" stops loading; "warning" is reported by validate only

    def __str__(self) -> str:
        where = f"node '{self.node}': " if self.node else ""
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {where}{self.message}"


class DialogError(Exception):
    """A dialog file that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnreadableDialog(DialogError):
    """A dialog file whose text cannot be had at all: unreadable, too big, or not UTF-8.

    `validate` exits 2 for these (input it could not use), and 1 for problems in a file it read.
    """


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' when something close exists, else a pointer to the valid words."""
    pool = sorted(set(candidates))
    close = []
    if word:
        def likeness(candidate: str) -> float:
            # a typo of the start of a long id ('tme' for 'time_check') should still find it
            whole = difflib.SequenceMatcher(None, word, candidate).ratio()
            start = difflib.SequenceMatcher(None, word, candidate[: len(word) + 1]).ratio()
            return max(whole, start)

        best = max(pool, key=likeness, default="")
        if best and likeness(best) >= 0.6:
            close = [best]
    if close:
        return f"; did you mean '{close[0]}'?"
    if len(pool) <= 8:
        return f"; expected one of: {', '.join(pool)}"
    return ""
