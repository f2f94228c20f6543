"""Getting replies back to one user in one turn: through the interaction while its token lives,
else through the bot's own DM with them.

Discord gives an interaction 3 seconds for its first response and its token 15 minutes for
follow-ups. A click's turn lets the core answer first for up to `ANSWER_WITHIN` seconds
(`in_time`): then the reply itself is the first response (the message edited in place, or a
private notice), one call instead of two and seen sooner. A core slower than that (a store under
strain) is acknowledged at once and the reply follows as an edit, still inside the 3 seconds.
Other turns acknowledge first. When the token no longer works (a click handled too late, or a
follow-up past 15 minutes) the turn goes on through the bot's DM channel instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import discord

from adapters.discord.render import Rendered

log = logging.getLogger("outsource_check.discord")
T = TypeVar("T")

# How long a click waits for the core before acknowledging instead: far inside Discord's 3 s,
# leaving room for the gateway's delivery and the response's own round trip.
ANSWER_WITHIN = 2.0


def token_gone(exc: discord.HTTPException) -> bool:
    """401 Invalid Webhook Token, 404 Unknown Interaction / Webhook / Message: the way back is closed."""
    return exc.status in (401, 404)


@dataclass(frozen=True)
class Place:
    """A message a conversation lives in; its surface string is what the core keeps."""

    channel: int
    message: int

    @property
    def surface(self) -> str:
        return f"{self.channel}:{self.message}"

    @classmethod
    def of(cls, message: discord.Message) -> Place:
        return cls(message.channel.id, message.id)

    @classmethod
    def parse(cls, surface: str) -> Place | None:
        channel, _, message = surface.partition(":")
        return cls(int(channel), int(message)) if channel.isdigit() and message.isdigit() else None


class Delivery:
    def __init__(
        self,
        *,
        client: discord.Client,
        user: discord.User | discord.Member,
        interaction: discord.Interaction | None = None,
        dm: discord.abc.Messageable | None = None,
    ) -> None:
        self.client = client
        self.user = user
        self.interaction = interaction
        self._dm = dm
        self._thinking = False  # deferred with a "thinking…" ephemeral message that `say` replaces once
        self.late = False  # the interaction's token stopped working: the turn goes on by DM

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Delivery:
        dm = interaction.channel if interaction.guild is None and isinstance(interaction.channel, discord.DMChannel) else None
        return cls(client=interaction.client, user=interaction.user, interaction=interaction, dm=dm)

    @property
    def thinking(self) -> bool:
        """Whether a "thinking…" response is still waiting to be replaced by what `say` says."""
        return self.interaction is not None and self._thinking

    @property
    def in_guild(self) -> bool:
        return self.interaction is not None and self.interaction.guild_id is not None

    async def acknowledge(self, *, thinking: bool = False) -> None:
        """The first response, before any other work: Discord allows 3 seconds for it."""
        if self.interaction is None or self.interaction.response.is_done():
            return
        try:
            if thinking:
                await self.interaction.response.defer(ephemeral=True, thinking=True)
                self._thinking = True
            else:
                await self.interaction.response.defer()
        except discord.HTTPException as exc:
            if not token_gone(exc):
                raise
            log.info("interaction %s came too late to answer (%s); replying by DM", self.interaction.id, exc.status)
            self.interaction, self.late = None, True

    async def in_time(self, work: Awaitable[T], within: float = ANSWER_WITHIN) -> T:
        """The core's answer, acknowledging the interaction only if it is not ready `within` seconds.

        Ready in time, the reply becomes the interaction's first response (see `edit_here` and
        `say`); otherwise Discord's clock is stopped by a deferral and the reply follows.
        """
        if within <= 0:
            await self.acknowledge()
        if self.interaction is None or self.interaction.response.is_done():
            return await work
        # a timer, not a task racing the core: nearly every turn finishes long before it fires
        loop = asyncio.get_running_loop()
        deferral: list[asyncio.Task] = []
        timer = loop.call_later(within, lambda: deferral.append(loop.create_task(self.acknowledge())))
        try:
            return await work
        finally:
            timer.cancel()
            if deferral:
                await deferral[0]  # the reply must follow the deferral, never overtake it

    async def edit_here(self, rendered: Rendered) -> bool:
        """Edit the message the interaction came from; False when the interaction can no longer do it.

        As the first response this is a single "update message" callback; after a deferral it
        edits the original response.
        """
        if self.interaction is None:
            return False
        response = self.interaction.response
        if not response.is_done() and self.interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            await self.acknowledge()
            if self.interaction is None:
                return False
        try:
            if self.interaction.response.is_done():
                await self.interaction.edit_original_response(**rendered.as_kwargs())
            else:
                await self.interaction.response.edit_message(**rendered.as_kwargs())
        except discord.HTTPException as exc:
            if not token_gone(exc):
                raise
            log.info("interaction token no longer valid (%s); falling back to a fresh message", exc.status)
            self.interaction, self.late = None, True
            return False
        return True

    async def say(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        """Tell the user privately: ephemeral while the interaction lives, else in our DM."""
        kwargs = _message_kwargs(content, embed, view)
        if file is not None:
            kwargs["file"] = file
        if self.interaction is not None:
            try:
                if not self.interaction.response.is_done():
                    await self.interaction.response.send_message(ephemeral=True, **kwargs)
                elif self._thinking:
                    self._thinking = False
                    attachments = {"attachments": [file]} if file is not None else {}
                    await self.interaction.edit_original_response(content=content, embed=embed, view=view, **attachments)
                else:
                    await self.interaction.followup.send(ephemeral=True, **kwargs)
                return
            except discord.HTTPException as exc:
                if not token_gone(exc):
                    raise
                self.interaction = None
        channel = await self.dm()
        await channel.send(**kwargs)

    async def dm(self) -> discord.abc.Messageable:
        if self._dm is None:
            self._dm = await self.user.create_dm()
        return self._dm

    async def post_dm(self, content: str) -> discord.Message:
        """A new message in our DM (raises Forbidden when the user's DMs are closed to us)."""
        channel = await self.dm()
        return await channel.send(content)

    def message_at(self, place: Place) -> discord.PartialMessage:
        return self.client.get_partial_messageable(place.channel).get_partial_message(place.message)

    async def delete(self, message: discord.Message) -> None:
        """A placeholder whose conversation never came: remove it. Best effort: it may be gone."""
        try:
            await message.delete()
        except discord.HTTPException as exc:
            log.info("could not remove the placeholder %s (%s)", message.id, exc.status)

    async def retire(self, place: Place | None, text: str) -> None:
        """An old living message: keep its embed, drop its buttons. Best effort: it may be gone."""
        if place is None:
            return
        try:
            await self.message_at(place).edit(content=text, view=None)
        except discord.HTTPException as exc:
            log.info("could not retire message %s (%s)", place.message, exc.status)


def _message_kwargs(content: str | None, embed: discord.Embed | None, view: discord.ui.View | None) -> dict:
    """Only what is there: Discord refuses a message with an empty content and nothing else."""
    kwargs: dict = {}
    if content:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    return kwargs
