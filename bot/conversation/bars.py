"""Score bars as plain text: the same picture on every platform.

Unicode block characters are text, not markup, so they belong with the core; each adapter only
decides how to frame them (a code span on Slack and Discord, brackets in a terminal).
"""

from __future__ import annotations

from bot.conversation.replies import ScoreLine, Spread

WIDTH = 10


def score_bar(line: ScoreLine, width: int = WIDTH, full: str = "█", empty: str = "░") -> str:
    filled = round(line.fraction * width)
    return full * filled + empty * (width - filled)


def spread_bar(spread: Spread, width: int = WIDTH) -> str:
    """The team's range: ░ outside, ▒ between lowest and highest, █ at the median."""
    span = max(1, spread.range_high - spread.range_low)

    def cell(value: float) -> int:
        return min(width - 1, max(0, round((value - spread.range_low) / span * (width - 1))))

    low, median, high = cell(spread.low), cell(spread.median), cell(spread.high)
    return "".join("█" if i == median else "▒" if low <= i <= high else "░" for i in range(width))
