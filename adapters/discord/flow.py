"""Discord events in, core events out: the one place that calls the core.

Each handler turns an interaction (or a DM) into one core event, adding the Discord facts the core
cannot know (who is a member of the channel, who is an admin), and hands the replies to
`Delivery.deliver`, which puts each where the core routes it. No flow is decided here: starting,
resuming, forgetting, the whole team round are sequences of the core's replies.

Every turn is tracked for a graceful shutdown and ends in an apology rather than silence when
Discord refuses a call; the core has saved (or left untouched) the session by then.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import discord

from adapters.common.turns import Turns
from adapters.discord import components, sharing
from adapters.discord.delivery import ANSWER_WITHIN, Ask, Delivery
from adapters.logs import new_turn
from bot import words
from bot.conversation.buttons import Forged, decode
from bot.conversation.clicks import Facts, event_of, round_of
from bot.conversation.events import (
    Action,
    Answer,
    CloseRound,
    Event,
    LatestRound,
    OpenRound,
    RoundAction,
    TakePosition,
    TypedReply,
)
from bot.conversation.replies import Notice, NoticeKind, Reply
from bot.conversation.service import ConversationService

log = logging.getLogger("outsource_check.discord")


def user_key(user: discord.abc.User) -> str:
    return f"discord:{user.id}"


def display_name(user: discord.abc.User) -> str:
    return getattr(user, "display_name", "") or user.name


def is_member(interaction: discord.Interaction) -> bool:
    """A member of the channel the click came from: a server member, past screening, who can see it."""
    user = interaction.user
    if interaction.guild_id is None or not isinstance(user, discord.Member) or user.pending:
        return False
    return interaction.permissions.view_channel


def is_admin(interaction: discord.Interaction) -> bool:
    """Manage Server or Administrator, as Discord resolved it for this member in this channel."""
    permissions = interaction.permissions
    return interaction.guild_id is not None and (permissions.administrator or permissions.manage_guild)


class Flow:
    def __init__(self, *, service: ConversationService, client: discord.Client) -> None:
        self.service = service
        self.client = client
        self.answer_within = ANSWER_WITHIN  # seconds a click waits for the core before deferring
        self.turns = Turns(log)  # a shutdown waits for these, and refuses turns that begin meanwhile

    def asker(self, user: discord.abc.User) -> Ask:
        async def ask(action: object) -> list[Reply]:
            if self.turns.is_late():  # begun during shutdown: say so rather than start what may not finish
                return [Notice(NoticeKind.UNAVAILABLE, words.RESTARTING)]
            return await self.service.handle(Event(user_key(user), action))  # type: ignore[arg-type]

        return ask

    async def ask(self, user: discord.abc.User, action: Action | RoundAction) -> list[Reply]:
        return await self.asker(user)(action)

    @asynccontextmanager
    async def turn(self, delivery: Delivery) -> AsyncIterator[None]:
        """One user's turn: a correlation id for the logs, tracked for a graceful shutdown, and an
        apology instead of silence."""
        async with self.turns.turn():
            try:
                yield
            except (discord.HTTPException, aiohttp.ClientError) as exc:
                status = getattr(exc, "status", type(exc).__name__)
                log.warning("Discord refused a call for user %s: %s %s", delivery.user.id, status, getattr(exc, "code", ""))
                try:
                    await delivery.say(words.APOLOGY)
                except (discord.HTTPException, aiohttp.ClientError) as again:
                    log.warning("could not deliver the apology to %s either: %s", delivery.user.id, getattr(again, "status", again))

    async def command(self, interaction: discord.Interaction, action: Action | RoundAction) -> None:
        """A slash command: "thinking…" at once (only for the user), then the core's replies."""
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            await delivery.acknowledge(thinking=True)
            ask = self.asker(interaction.user)
            await delivery.deliver(await ask(action), ask)
            if delivery.thinking:  # nothing was said to the user: never leave "thinking…" behind
                await delivery.say(words.DONE)

    async def click(self, interaction: discord.Interaction, action: Action | RoundAction, typed: bool = False) -> None:
        """A button: the core's answer is the interaction's first response when it is ready in time."""
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            ask = self.asker(interaction.user)
            replies = await delivery.in_time(ask(action), self.answer_within)
            if not typed and any(isinstance(r, Notice) and r.kind == "invalid" for r in replies):
                # a component only offers valid answers: one that does not fit was not made by us
                log.warning("refused a click from %s on %s that does not fit its question", interaction.user.id, type(action).__name__)
            await delivery.deliver(replies, ask)
            await delivery.acknowledge()  # nothing shown through the interaction (e.g. a team card): stop its clock

    # --- clicks and forms -------------------------------------------------------------------------

    async def clicked(self, interaction: discord.Interaction, act: str, payload: str, picks: tuple[str, ...] = ()) -> None:
        """Any component: what it asks for is the core's (clicks.py); a form opens first where one is needed."""
        try:
            if act == "text":  # a modal must be the first response: it opens without asking the core
                decode(payload)
                new_turn()
                await interaction.response.send_modal(components.text_modal(payload))
            elif act == "round.position":
                _, stance = round_of(payload)
                if not stance:
                    raise Forged("a position names its stance")
                await interaction.response.send_modal(components.position_modal(payload, stance))
            elif act == "share":
                await sharing.offer(self, interaction, decode(payload).session, payload)
            elif act == "share_to":
                await sharing.post(self, interaction, decode(payload).session, list(picks))
            elif act == "round.close":
                await self.close(interaction, payload)
            else:
                facts = Facts(name=display_name(interaction.user), is_member=is_member(interaction), is_admin=is_admin(interaction), picks=picks)
                event = event_of(act, payload, facts)
                await (self.command if act in PRIVATE else self.click)(interaction, event)
        except Forged as exc:
            log.warning("refused a forged click from %s (%s): %s", interaction.user.id, act, exc)
            if not interaction.response.is_done():
                await interaction.response.send_message(words.FORGED, ephemeral=True)

    async def form_submitted(self, interaction: discord.Interaction, custom_id: str, text: str) -> bool:
        """A modal's answer (a typed answer, a position with its reason, why a round closes early); False if not ours."""
        try:
            if (typed := components.TEXT_MODAL.fullmatch(custom_id)) is not None:
                at = decode(typed["payload"])
                await self.click(interaction, Answer(at.session, at.node, text, at.version), typed=True)
                return True
            if (form := components.ROUND_MODAL.fullmatch(custom_id)) is not None:
                round_id, stance = round_of(form["payload"])
                if form["kind"] == "rcm" and not stance:
                    await self.close(interaction, round_id, reason=text)
                    return True
                if form["kind"] == "rpm" and stance:
                    await self.click(interaction, TakePosition(round_id, stance, text))
                    return True
        except Forged:
            return False
        return False

    async def typed(self, message: discord.Message) -> None:
        """A DM typed to the bot: "hi" (the check, resumed or new), or an answer to the running check."""
        if message.author.bot or message.guild is not None:
            return
        delivery = Delivery(client=self.client, user=message.author, dm=message.channel)
        async with self.turn(delivery):
            ask = self.asker(message.author)
            await delivery.deliver(await ask(TypedReply(message.content.strip())), ask)

    # --- team rounds ----------------------------------------------------------------------------

    async def open_round(
        self, interaction: discord.Interaction, topic: str | None, expected: int | None, deadline: str | None, anonymous: bool, quorum: int | None
    ) -> None:
        if (topic or "").strip().lower() == "export":  # `/outsource-check team export`, as on Slack
            await self.export_latest(interaction)
        elif interaction.guild_id is None or interaction.channel_id is None:
            await self.command(interaction, OpenRound(name="", surface=""))  # answered below: not in a DM
        else:
            opened = OpenRound(
                name=display_name(interaction.user), surface=f"{interaction.channel_id}:", topic=(topic or "").strip(),
                expected=expected or 0, anonymous=anonymous, deadline_in=deadline or "", quorum=quorum or 0,
            )
            await self.command(interaction, opened)

    async def export_latest(self, interaction: discord.Interaction) -> None:
        """The newest round of yours in this channel (one you started or joined), as Markdown."""
        await self.command(interaction, LatestRound(f"{interaction.channel_id}:", record=True))

    async def close(self, interaction: discord.Interaction, payload: str, reason: str = "") -> None:
        """Close and record the decision; before the quorum with no reason, a modal asks the closer why."""
        round_id, _ = round_of(payload)
        delivery = Delivery.of(interaction)
        async with self.turn(delivery):
            ask = self.asker(interaction.user)
            replies = await ask(CloseRound(round_id, is_admin=is_admin(interaction), reason=reason))
            short = next((r for r in replies if isinstance(r, Notice) and r.kind is NoticeKind.REASON_NEEDED), None)
            if short is not None and not interaction.response.is_done() and interaction.type is discord.InteractionType.component:
                await interaction.response.send_modal(components.close_modal(round_id, short.text))  # the modal is the first response
                return
            await delivery.acknowledge()
            await delivery.deliver(replies, ask)


# acts whose replies go elsewhere (a DM, the thread, only the clicker): "thinking…" first, not an edit in place
PRIVATE = frozenset({"round.take", "round.look", "round.export", "vet", "start"})
