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
from typing import TypeVar

import discord

from adapters.common.delivery import Ask, deliver, is_check
from adapters.common.places import Place
from adapters.discord.render import Rendered, drawn, mentioned, thread_name, without_picture
from adapters.discord.render import rendered as message_of
from adapters.discord.text import safe
from bot import words
from bot.conversation import layout
from bot.conversation.replies import Prompt, Reply, Retired, SharedResult, TeamSummary, To
from bot.conversation.routes import Route

log = logging.getLogger("outsource_check.discord")
T = TypeVar("T")

THREAD_ARCHIVE_MINUTES = 10080  # a week of quiet before Discord archives the discussion
# How long a click waits for the core before acknowledging instead: far inside Discord's 3 s,
# leaving room for the gateway's delivery and the response's own round trip.
ANSWER_WITHIN = 2.0


def token_gone(exc: discord.HTTPException) -> bool:
    """401 Invalid Webhook Token, 404 Unknown Interaction / Webhook / Message: the way back is closed."""
    return exc.status in (401, 404)


def place_of(message: discord.Message) -> Place:
    return Place(str(message.channel.id), str(message.id))


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
        self._noted = False  # ever deferred so: the original response is that private note, not the message clicked
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
    def clicked(self) -> bool:
        """Whether the turn is a click on (or a form from) one of our messages."""
        kinds = (discord.InteractionType.component, discord.InteractionType.modal_submit)
        return self.interaction is not None and self.interaction.type in kinds and self.interaction.message is not None

    @property
    def clicked_private(self) -> bool:
        """Whether the click came from a reply only the user sees: where a check runs when DMs are closed."""
        return self.clicked and self.interaction is not None and self.interaction.message is not None and self.interaction.message.flags.ephemeral

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
                self._thinking = self._noted = True
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
        if self.interaction is None or self._noted:  # deferred with "thinking…": the original response is that note
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
        kwargs = Rendered(content, embed, view).send_kwargs()
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

    def message_at(self, place: Place) -> discord.PartialMessage:
        return self.client.get_partial_messageable(int(place.channel)).get_partial_message(int(place.message))

    # --- delivering the core's replies where it routes them (bot/conversation/routes.py) ---------

    async def deliver(self, replies: list[Reply], ask: Ask) -> None:
        await deliver(self, replies, ask)

    async def drawn(self, reply: Reply) -> Rendered:
        return await drawn(reply, in_dm=not self.in_guild)

    async def here(self, reply: Reply) -> Place | None:
        rendered = await self.drawn(reply)
        if is_check(reply):
            clicked = self.interaction.message if self.interaction is not None else None
            if clicked is not None and await self.edit_here(rendered):
                return place_of(clicked)
            return await self.post_new(rendered)  # typed in the DM, or the click can no longer edit: a new message
        if not await self.edit_here(rendered):
            await self.say(rendered.content, embed=rendered.embed, view=rendered.view, file=rendered.file())
        return None

    async def new(self, reply: Reply) -> Place | None:
        rendered = await self.drawn(reply)
        if self.clicked_private and await self.edit_here(rendered):
            return None  # a check with no message of its own (DMs closed) lives in the private reply clicked
        return await self.post_new(rendered)

    async def privately(self, reply: Reply) -> None:
        rendered = await self.drawn(reply)
        await self.say(rendered.content, embed=rendered.embed, view=rendered.view, file=rendered.file())

    async def landed(self, reply: Reply, way: Route, at: Place | None) -> None:
        if isinstance(reply, SharedResult) and at is not None:  # the picker's message says where it went
            await self.edit_here(message_of(layout.shared_in(reply.channel)))
        if way.to is To.NEW and at is not None and (self.in_guild or self.thinking):
            link = f"https://discord.com/channels/@me/{at.channel}/{at.message}"
            await self.say(words.SENT_TO_DM_AT.format(link=link) if self.in_guild else words.CHECK_BELOW)

    async def update(self, reply: Reply, at: Place) -> Place | None:
        """Edit the message in place (the one clicked, through the interaction); a check whose message
        is gone, or a click too late to answer, continues in a fresh DM message at the bottom."""
        if isinstance(reply, Retired):
            await self.retire(at, reply.text)
            return at
        rendered = await self.drawn(reply)
        here = self.interaction is not None and self.interaction.message is not None and str(self.interaction.message.id) == at.message
        if here and await self.edit_here(rendered):
            return at
        if isinstance(reply, TeamSummary):  # the comparison lives in the round's channel; `at` names its thread
            at = Place(Place.channel_of(reply.surface).channel if Place.channel_of(reply.surface) else at.channel, at.message)
        check = is_check(reply)
        if not (check and self.late):
            try:
                try:
                    await self.message_at(at).edit(**rendered.as_kwargs())
                except discord.Forbidden:  # no Attach Files there: the words still change
                    await self.message_at(at).edit(**without_picture(rendered).as_kwargs())
                return at
            except discord.NotFound:
                log.info("message %s is gone", at.message)
                if not check:
                    return at
        fresh = await self.post_new(Rendered(words.FRESH, rendered.embed, rendered.view, rendered.picture))
        await self.retire(at, words.MOVED_ON)
        return fresh

    async def post_new(self, rendered: Rendered) -> Place | None:
        """A new message in our DM; with DMs closed, the same privately where the user is (not reported)."""
        try:
            message = await (await self.dm()).send(**rendered.send_kwargs())
        except discord.Forbidden:
            await self.say(words.DMS_CLOSED, embed=rendered.embed, view=rendered.view, file=rendered.file())
            return None
        return place_of(message)

    async def in_channel(self, reply: Reply, channel: Place) -> Place | None:
        """The round's card, or its comparison with a thread opened on it (the surface names the thread)."""
        rendered = await self.drawn(reply)
        target = self.client.get_channel(int(channel.channel)) or self.client.get_partial_messageable(int(channel.channel))
        try:
            message = await target.send(**rendered.send_kwargs())  # type: ignore[union-attr]
        except discord.Forbidden:
            if isinstance(reply, SharedResult):
                await self.edit_here(Rendered(words.CANNOT_POST, None, None))
                return None
            if rendered.picture is None:
                await self.say(words.CANNOT_POST_ROUND)
                return None
            log.info("may not attach files in channel %s: the comparison goes without its picture", channel.channel)
            rendered = without_picture(rendered)
            message = await target.send(**rendered.send_kwargs())  # type: ignore[union-attr]
        if not isinstance(reply, TeamSummary):
            return place_of(message)
        try:
            data = await self.client.http.start_thread_with_message(
                message.channel.id, message.id, name=thread_name(reply), auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as exc:
            log.warning("could not open a thread for round %s (%s %s); the prompts go in the channel", reply.round_id, exc.status, exc.code)
            return place_of(message)
        return Place(str(data["id"]), str(message.id))

    async def in_thread(self, reply: Reply, thread: Place) -> None:
        """A discussion prompt (it may ping only the members it asks) or the decision record."""
        rendered = await self.drawn(reply)
        named = [discord.Object(i) for i in mentioned(layout.card_of(reply))] if isinstance(reply, Prompt) else []
        allowed = discord.AllowedMentions(everyone=False, roles=False, users=named) if named else discord.AllowedMentions.none()
        kwargs = rendered.send_kwargs()
        await self.client.get_partial_messageable(int(thread.channel)).send(allowed_mentions=allowed, **kwargs)

    async def retire(self, place: Place | None, text: str) -> None:
        """An old living message: keep its embed, drop its buttons. Best effort: it may be gone."""
        if place is None:
            return
        try:
            await self.message_at(place).edit(content=safe(text, 2000), view=None)
        except discord.HTTPException as exc:
            log.info("could not retire message %s (%s)", place.message, exc.status)
