"""The one loop that puts the core's replies where the core routes them, for every platform.

Each reply's route (bot/conversation/routes.py) says where it goes in platform-neutral words; a
platform says how, through the seven methods of `Surface`. After posting, a route may ask for a
report: the loop sends `Delivered(token, where it landed)` into the core and delivers what comes
back (the check re-drawn for its new message, the prompts for a new thread) the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Protocol

from adapters.common.places import Place
from bot.conversation.events import Delivered
from bot.conversation.replies import Question, Reply, ResultCard, To
from bot.conversation.routes import SESSION, Route, route

Ask = Callable[[object], Awaitable[list[Reply]]]  # the core's port, bound to this turn's user


class Surface(Protocol):
    """How one platform, in one turn, carries out each kind of route; each returns where the reply
    landed (a new message), or None where that is not known or does not matter."""

    async def update(self, reply: Reply, at: Place) -> Place | None: ...  # To.MESSAGE
    async def here(self, reply: Reply) -> Place | None: ...  # To.HERE: in place of the message clicked
    async def new(self, reply: Reply) -> Place | None: ...  # To.NEW: a new message in the user's DM
    async def in_channel(self, reply: Reply, channel: Place) -> Place | None: ...  # To.CHANNEL
    async def in_thread(self, reply: Reply, thread: Place) -> None: ...  # To.THREAD
    async def privately(self, reply: Reply) -> None: ...  # To.USER, or nowhere better known
    async def landed(self, reply: Reply, way: Route, at: Place | None) -> None: ...  # after each reply (and its report)


def is_check(reply: Reply) -> bool:
    return isinstance(reply, (Question, ResultCard))


async def deliver(surface: Surface, replies: list[Reply], ask: Ask) -> None:
    for reply in replies:
        way = route(reply)
        landed: Place | None = None
        if way.to is To.MESSAGE and (at := Place.parse(way.at)) is not None:
            landed = await surface.update(reply, at)
            if landed != at and isinstance(reply, (Question, ResultCard)):  # it continues in a fresh message: the core must learn where
                way = replace(way, report=f"{SESSION}:{reply.session_id}")
        elif way.to is To.HERE:
            landed = await surface.here(reply)
        elif way.to is To.NEW:
            landed = await surface.new(reply)
        elif way.to is To.CHANNEL and (channel := Place.channel_of(way.at)) is not None:
            landed = await surface.in_channel(reply, channel)
        elif way.to is To.THREAD and (thread := Place.parse(way.at)) is not None:
            await surface.in_thread(reply, thread)
        else:
            await surface.privately(reply)
        if way.report:
            await deliver(surface, await ask(Delivered(way.report, landed.surface if landed else "")), ask)
        await surface.landed(reply, way, landed)
