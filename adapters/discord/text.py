"""Making core text safe and short enough for Discord.

Core text is plain. Where Discord renders markdown (message content, embed titles,
descriptions, field names and values) it is escaped, so an agency called "**Buzz**" shows its
asterisks instead of turning bold. Mentions are not escaped here: every message is sent with
`allowed_mentions` set to nothing (see client.py), which is what stops a ping; escaping them
would only show odd characters.
"""

from __future__ import annotations

import re
from functools import lru_cache

import discord

from adapters.common.text import clip  # noqa: F401  (re-exported: this platform's text helpers in one place)

MENTION = re.compile(r"<(@[!&]?|#)(\d+)>|@(everyone|here)")


def inert(text: str) -> str:
    """Mentions a user typed, made plain text: `allowed_mentions` stops the ping, but an embed, a
    title or a thread name would still draw `<@&123>` as a badge. A zero-width space breaks each."""
    return MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>" if m.group(2) else f"@\u200b{m.group(3)}", text)


def escape(text: str) -> str:
    return inert(discord.utils.escape_markdown(text))


@lru_cache(maxsize=4096)  # the dialogs' own texts come back on every turn; the escape's regex is not free
def safe(text: str, limit: int) -> str:
    """Clipped, then escaped, then clipped again: an escape may lengthen the text."""
    return clip(escape(clip(text, limit)), limit)
