"""Drawing a result's or a team's picture: on the event loop when it is quick, else off it.

A result's picture is drawn over a cached base and only its changed scanlines are compressed
(bot/conversation/png.py): under 1 ms, less than handing it to a thread costs when the loop is
busy (every GIL hand-over between the two is a forced switch; measured under benchmark 1's load,
the thread cost 0.12 ms more CPU per turn than drawing in place). A base not drawn yet (the first
result of each outcome, an agency's by its name) and a team's picture take 10-20 ms, which on the
loop would hold up every other click waiting for its acknowledgement: one worker thread draws
those. (Each thread draws with fonts of its own: FreeType faces are not safe to share.)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bot.conversation.replies import ResultCard, TeamSummary

if TYPE_CHECKING:
    from bot.conversation.picture import Picture

_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outsource-check-pictures")


async def picture_of(reply: ResultCard | TeamSummary) -> Picture:
    if isinstance(reply, ResultCard) and _is_quick(reply):
        return draw(reply)
    return await asyncio.get_running_loop().run_in_executor(_DRAWER, draw, reply)


def _is_quick(card: ResultCard) -> bool:
    """A result whose base is drawn already (bot/conversation/picture.py); the first of each goes to the worker."""
    from bot.conversation import picture

    return picture.is_quick(card)


def draw(reply: ResultCard | TeamSummary) -> Picture:
    """Pillow is imported on the first picture, not at start-up (some 40 ms a process need not pay to listen)."""
    from bot.conversation import picture

    return picture.result_picture(reply) if isinstance(reply, ResultCard) else picture.team_picture(reply)
