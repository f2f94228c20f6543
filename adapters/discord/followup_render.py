"""A decision's review as a Discord message (bot/conversation/replies.py `Review`): the questions the
team is asked on its review date, and a button that runs the round's dialog again for whoever clicks.
Pure, like render.py: everything from the core is escaped, and nothing pings anyone (client.py)."""

from __future__ import annotations

import discord

from adapters.discord import components as c
from adapters.discord.render import COLOUR, Rendered, fit, new_view
from adapters.discord.text import safe
from bot import words
from bot.conversation.replies import Review


def review(reply: Review) -> Rendered:
    title = safe(words.REVIEW_TITLE.format(decision=reply.decision), 256)
    embed = discord.Embed(title=title, description="\n\n".join(safe(q, 1000) for q in reply.questions), colour=COLOUR)
    return Rendered(None, fit(embed), new_view().add_item(c.RunAgain(reply.dialog_id)))
