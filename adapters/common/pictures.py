"""Drawing a result's or a team's picture off the event loop.

A picture is 10-20 ms of CPU; drawn on the loop it would hold up every other click waiting for its
acknowledgement. One worker thread draws them one at a time: Pillow's fonts are shared between
calls and FreeType faces are not safe to use from two threads at once.
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
    return await asyncio.get_running_loop().run_in_executor(_DRAWER, draw, reply)


def draw(reply: ResultCard | TeamSummary) -> Picture:
    """Pillow is imported on the first picture, not at start-up (some 40 ms a process need not pay to listen)."""
    from bot.conversation import picture

    return picture.result_picture(reply) if isinstance(reply, ResultCard) else picture.team_picture(reply)
