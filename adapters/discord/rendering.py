"""Any core reply as a Discord message: the one dispatch delivery.py uses (where it goes is routes.py's)."""

from __future__ import annotations

import discord

from adapters.common.pictures import picture_of
from adapters.discord import followup_render, render, team_render
from adapters.discord.render import Rendered
from adapters.discord.text import clip, inert, safe
from bot.conversation.replies import (
    DecisionRecord,
    FollowUp,
    History,
    Notice,
    NoticeKind,
    Prompt,
    Question,
    Reply,
    ResultCard,
    Retired,
    Review,
    RoundCard,
    TeamSummary,
)


async def drawn(reply: Reply, in_dm: bool = True) -> Rendered:
    """`rendering`, with a result's or a team's picture drawn off the event loop (some 10-20 ms of
    CPU that would otherwise hold up every other click waiting for its acknowledgement)."""
    if isinstance(reply, ResultCard):
        return render.result(reply, shown=await picture_of(reply))
    if isinstance(reply, TeamSummary):
        return team_render.summary(reply, shown=await picture_of(reply))
    return rendering(reply, in_dm)


def rendering(reply: Reply, in_dm: bool = True) -> Rendered:
    if isinstance(reply, Question):
        return render.question(reply, in_dm=in_dm)
    if isinstance(reply, ResultCard):
        return render.result(reply)
    if isinstance(reply, Notice):
        if reply.kind is NoticeKind.CHANGED:
            return render.changed(reply)
        view = render.forget_view() if reply.kind is NoticeKind.CONFIRM_FORGET else None
        return Rendered(inert(clip(reply.text, 2000)), None, view)  # the core's own words (commands in `code`), never a user's
    if isinstance(reply, History):
        return Rendered(None, render.history(reply), None)
    if isinstance(reply, Retired):
        return Rendered(safe(reply.text, 2000), None, None)
    if isinstance(reply, RoundCard):
        return team_render.round_card(reply)
    if isinstance(reply, TeamSummary):
        return team_render.summary(reply)
    if isinstance(reply, Prompt):
        return Rendered(team_render.prompt(reply.number, reply.disagreement), None, None)
    if isinstance(reply, Review):
        return followup_render.review(reply)
    if isinstance(reply, FollowUp):  # delivered as the recipient's turn (adapters/runtime.py), never drawn itself
        return Rendered(None, None, None)
    assert isinstance(reply, DecisionRecord)
    if reply.exported:
        return Rendered(team_render.markdown(reply)[0], None, None)
    return team_render.decision(reply)


def attachment(reply: Reply) -> discord.File | None:
    """A file to send with a reply: the decision record's Markdown when it is too long for a message."""
    if isinstance(reply, DecisionRecord) and reply.exported:
        return team_render.markdown(reply)[1]
    return None
