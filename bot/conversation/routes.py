"""Where each reply goes: decided once here, so every adapter delivers the same flow its own way.

Adapters keep opaque *surfaces*: their own address of a message, written channel first
("C123:1700000000.1" on Slack, "81234:99001" on Discord), and "C123:" for a channel where nothing
is posted yet. The core stores them and hands them back in replies; it never reads a platform's
ids, only whether a surface names a message yet.

Some deliveries make a new message the core must know about (a check moved into a DM, the round's
comparison whose thread holds the discussion). Their route carries a `report` token: the adapter
posts, then sends `Delivered(token, surface)` into the same port, and delivers whatever comes back
(the check re-drawn for its new message, the discussion prompts for the new thread). Updates of a
round's shared messages report too: if another process drew a newer version meanwhile, the core
answers with it, so a message shared by many turns always ends at the newest version.

A due follow-up (`RunFollowUp`) is no one's turn: its replies are `FollowUp` envelopes routed
`To.RECIPIENT`, each holding one user's replies, which the adapter delivers as that user's turn
(a reminder or nudge is the user's check moved to a new DM message, a review a post in a thread).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.replies import (
    DecisionRecord,
    FollowUp,
    History,
    Notice,
    Prompt,
    Question,
    Reply,
    ResultCard,
    Retired,
    Review,
    RoundCard,
    SharedResult,
    TeamSummary,
    To,
)

SESSION = "s"  # report token kinds: "s:<session>", "card:<round>", "cmp:<round>", "seen-card:<round>:<version>", ...
CARD = "card"
COMPARISON = "cmp"
SEEN_CARD = "seen-card"
SEEN_COMPARISON = "seen-cmp"


@dataclass(frozen=True)
class Route:
    to: To
    at: str = ""  # the surface the route refers to: the message to update, or whose channel / thread to post in
    report: str = ""  # after posting or updating: send `Delivered(report, surface)` and deliver its replies


def is_posted(surface: str) -> bool:
    """Whether a surface names a message yet ("C123:1700.1"), not only a channel ("C123:")."""
    channel, _, message = surface.partition(":")
    return bool(channel and message)


def channel_of(surface: str) -> str:
    """The channel part of a surface, as the surface prefix a channel's rounds share ("C123:")."""
    return surface.partition(":")[0] + ":"


def route(reply: Reply) -> Route:
    if isinstance(reply, (Question, ResultCard)):
        if reply.surface:
            return Route(To.MESSAGE, reply.surface)
        if reply.here:  # clicked before the adapter's report of where it landed: in place, and report that place
            return Route(To.HERE, report=f"{SESSION}:{reply.session_id}")
        return Route(To.NEW, report=f"{SESSION}:{reply.session_id}")
    if isinstance(reply, Notice):
        return Route(reply.to)
    if isinstance(reply, History):
        return Route(To.USER)
    if isinstance(reply, Retired):
        return Route(To.MESSAGE, reply.surface)
    if isinstance(reply, RoundCard):
        if is_posted(reply.surface):
            return Route(To.MESSAGE, reply.surface, report=f"{SEEN_CARD}:{reply.round_id}:{reply.version}")
        return Route(To.CHANNEL, reply.surface, report=f"{CARD}:{reply.round_id}")
    if isinstance(reply, TeamSummary):
        if reply.thread:
            return Route(To.MESSAGE, reply.thread, report=f"{SEEN_COMPARISON}:{reply.round_id}:{reply.version}")
        if reply.here:  # clicked on before the adapter's report of where it is: in place, and report that place
            return Route(To.HERE, report=f"{COMPARISON}:{reply.round_id}")
        return Route(To.CHANNEL, reply.surface, report=f"{COMPARISON}:{reply.round_id}")
    if isinstance(reply, Prompt):
        return Route(To.THREAD, reply.thread)
    if isinstance(reply, FollowUp):  # another user's replies: delivered as their turn (each routed in turn)
        return Route(To.RECIPIENT, reply.user)
    if isinstance(reply, Review):
        return Route(To.THREAD, reply.thread or reply.surface)
    if isinstance(reply, SharedResult):
        return Route(To.CHANNEL, reply.channel)
    assert isinstance(reply, DecisionRecord)
    if reply.exported:
        return Route(To.USER)
    return Route(To.THREAD, reply.thread or reply.surface)
