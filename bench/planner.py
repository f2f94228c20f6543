"""Fresh checks for a turn benchmark, planned offline and saved to the store before they are clicked.

A click only counts once per session version, so every block needs checks no one has answered
yet; both the Slack and the Discord benchmark plan them the same way, with their own clicks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any


class Planner:
    def __init__(self, plan: Callable[[int, random.Random], Any], store: Any = None) -> None:
        """`plan(number, rng)` returns a planned check with `.session` and `.clicks`; `store` may be None (bare apps)."""
        self.plan = plan
        self.store = store
        self.number = 0
        self.rng = random.Random(7)

    async def checks(self, clicks: int) -> list[Any]:
        """Enough new checks for `clicks` clicks, each one's first session already in the store."""
        planned: list[Any] = []
        total = 0
        while total < clicks:
            self.number += 1
            check = self.plan(self.number, self.rng)
            if not check.clicks:
                continue
            if self.store is not None:
                await self.store.save(check.session, expected_version=0)
            planned.append(check)
            total += len(check.clicks)
        return planned
