"""Drawing a result's or a team's picture off the event loop.

A picture is 10-20 ms of CPU; drawn on the loop it would hold up every other click waiting for its
acknowledgement. One worker thread draws them one at a time: Pillow's fonts are shared between
calls and FreeType faces are not safe to use from two threads at once.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bot.conversation import picture
from bot.conversation.replies import ResultCard, TeamSummary

_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outsource-check-pictures")


async def picture_of(reply: ResultCard | TeamSummary) -> picture.Picture:
    loop = asyncio.get_running_loop()
    if isinstance(reply, ResultCard):
        return await loop.run_in_executor(_DRAWER, picture.result_picture, reply)
    return await loop.run_in_executor(_DRAWER, picture.team_picture, reply)
