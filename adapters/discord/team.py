"""Team rounds on Discord: `/outsource-check team` in a server channel, private checks, reveal, positions, close.

The round card lives in the channel; each member's check lives in their DM (or, with DMs closed,
in ephemeral replies); the comparison is posted in the channel at the reveal and the discussion
prompts go in a thread opened on it; the decision record goes in that thread.

Who may do what is the core's rule; this module only supplies the Discord facts it needs: a
member of the channel is a server member past membership screening whose resolved permissions
in the channel (sent by Discord with every interaction) include View Channel; an admin has
Manage Server or Administrator there.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord import components, team_render
from adapters.discord.delivery import Delivery, Place
from adapters.discord.flow import Flow, rendering
from bot import words
from bot.conversation.events import (
    CloseRound,
    LatestRound,
    OpenRound,
    RevealRound,
    RoundAction,
    RoundThread,
    SecondLook,
    ShowRound,
    TakePosition,
    TakeRoundCheck,
)
from bot.conversation.replies import DecisionRecord, Notice, NoticeKind, Question, Reply, RoundCard, TeamSummary
from bot.team import comparison as team

log = logging.getLogger("outsource_check.discord")
THREAD_ARCHIVE_MINUTES = 10080  # a week of quiet before Discord archives the discussion
RoundReply = RoundCard | TeamSummary | DecisionRecord


def parse_deadline(text: str | None, now: float) -> float:
    """The core reads deadlines; a wrong one gets this adapter's wording."""
    try:
        return team.parse_deadline(text, now)
    except ValueError:
        raise ValueError(words.BAD_DEADLINE) from None


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


class DiscordTeam:
    """The Discord side of team rounds; `Flow.show` hands it every round reply of any turn."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._shown: dict[tuple[str, str], int] = {}  # (kind, round) -> newest version put on screen here

    @property
    def client(self) -> discord.Client:
        return self.flow.client

    async def ask(self, user: discord.abc.User, action: RoundAction) -> list[Reply]:
        return await self.flow.ask(user, action)

    # --- the command -------------------------------------------------------------------------

    async def command(
        self,
        interaction: discord.Interaction,
        topic: str | None,
        expected: int | None,
        deadline: str | None,
        anonymous: bool,
        quorum: int | None = None,
    ) -> None:
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            if (topic or "").strip().lower() == "export":  # `/outsource-check team export`, as on Slack
                await self.export_latest(interaction, delivery)
                return
            if interaction.guild_id is None or interaction.channel is None:
                await delivery.say(words.TEAM_IN_DM)
                return
            try:
                due = parse_deadline(deadline, self.flow.service.clock())
            except ValueError as exc:
                await delivery.say(str(exc))
                return
            try:
                posted = await interaction.channel.send(words.ROUND_STARTING)  # type: ignore[union-attr]
            except discord.Forbidden:
                await delivery.say(words.CANNOT_POST_ROUND)
                return
            opened = OpenRound(
                name=display_name(interaction.user), surface=Place.of(posted).surface, topic=(topic or "").strip(),
                expected=expected or 0, anonymous=anonymous, deadline=due, quorum=quorum or 0,
            )
            replies = await self.ask(interaction.user, opened)
            if not any(isinstance(r, RoundCard) for r in replies):
                await delivery.delete(posted)
            await self.show(delivery, replies)
            if any(isinstance(r, RoundCard) for r in replies):
                await delivery.say(words.ROUND_STARTED)

    async def export_latest(self, interaction: discord.Interaction, delivery: Delivery) -> None:
        """The newest round of yours in this channel (one you started or joined), as Markdown."""
        replies = await self.ask(interaction.user, LatestRound(f"{interaction.channel_id}:", record=True))
        if any(isinstance(r, Notice) and r.kind == "no_round" for r in replies):
            await delivery.say(words.NO_ROUND_HERE)
            return
        await self._show_record(delivery, replies)

    # --- the buttons -------------------------------------------------------------------------

    async def take(self, interaction: discord.Interaction, round_id: str) -> None:
        """Take (or retake) the round's check privately: in the member's DM, else ephemeral."""
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            action = TakeRoundCheck(round_id, name=display_name(interaction.user), is_member=is_member(interaction))
            replies = await self.ask(interaction.user, action)
            question = next((r for r in replies if isinstance(r, Question)), None)
            if question is not None:
                await self._private_check(delivery, question)
            await self.show(delivery, [r for r in replies if r is not question])

    async def _private_check(self, delivery: Delivery, question: Question, content: str = words.ROUND_CHECK) -> None:
        try:
            message = await self.flow.relocate(delivery, question.session_id, content=content)
        except discord.Forbidden:
            rendered = rendering(question, content=words.DMS_CLOSED, in_dm=False)
            await delivery.say(rendered.content, embed=rendered.embed, view=rendered.view)
            return
        if message is not None:  # None: it could not move into the DM (the store is down), and the user was told
            await delivery.say(words.ROUND_CHECK_SENT.format(link=message.jump_url))

    async def second_look(self, interaction: discord.Interaction, round_id: str) -> None:
        """The split questions again, privately (the DM, else ephemeral); the last answer updates the comparison."""
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            replies = await self.ask(interaction.user, SecondLook(round_id))
            question = next((r for r in replies if isinstance(r, Question)), None)
            if question is not None:
                await self._private_check(delivery, question, content=words.SECOND_LOOK_SENT)
            await self.show(delivery, [r for r in replies if r is not question])

    async def reveal(self, interaction: discord.Interaction, round_id: str) -> None:
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge()
            await self.show(delivery, await self.ask(interaction.user, RevealRound(round_id, is_admin=is_admin(interaction))))

    async def open_position_modal(self, interaction: discord.Interaction, round_id: str, stance: str) -> None:
        """A modal must be the first response, so it opens without asking the core; the position is checked on submit."""
        await interaction.response.send_modal(components.position_modal(round_id, stance))

    async def modal_submitted(self, interaction: discord.Interaction, round_id: str, stance: str | None, text: str) -> None:
        """A position with its (optional) reason, or, with no stance, why the round closes before its quorum."""
        if stance is None:
            await self.close(interaction, round_id, reason=text)
        else:
            await self.take_position(interaction, round_id, stance, text)

    async def take_position(self, interaction: discord.Interaction, round_id: str, stance: str, reason: str) -> None:
        """Agree, abstain or object, changeable until the close: the comparison it came from shows the new counts."""
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge()
            replies = await self.ask(interaction.user, TakePosition(round_id, stance, reason))
            for reply in replies:
                if isinstance(reply, TeamSummary):
                    if self._newer("summary", reply.round_id, reply.version):
                        await delivery.edit_here(team_render.summary(reply))
                    await delivery.say(words.POSITION_TAKEN.format(stance=words.STANCE_SAID.get(stance, stance)))
                else:
                    await self.show(delivery, [reply])

    async def close(self, interaction: discord.Interaction, round_id: str, reason: str = "") -> None:
        """Close and record the decision; before the quorum with no reason, a modal asks the closer why."""
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            replies = await self.ask(interaction.user, CloseRound(round_id, is_admin=is_admin(interaction), reason=reason))
            short = next((r for r in replies if isinstance(r, Notice) and r.kind is NoticeKind.REASON_NEEDED), None)
            if short is not None and not interaction.response.is_done() and interaction.type is discord.InteractionType.component:
                await interaction.response.send_modal(components.close_modal(round_id, short.text))  # the modal is the first response
                return
            await delivery.acknowledge()
            await self.show(delivery, replies)
            if any(isinstance(r, DecisionRecord) for r in replies) and delivery.interaction is not None:
                # the comparison keeps its results but loses its position buttons: the round takes nothing more
                view = team_render.new_view().add_item(components.ExportRound(round_id))
                try:
                    await delivery.interaction.edit_original_response(view=view)
                except discord.HTTPException as exc:  # the record is posted; stale position buttons are refused anyway
                    log.info("could not retire the position buttons of round %s (%s)", round_id, exc.status)

    async def export(self, interaction: discord.Interaction, round_id: str) -> None:
        delivery = Delivery.of(interaction)
        async with self.flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            await self._export(interaction, delivery, round_id)

    async def _export(self, interaction: discord.Interaction, delivery: Delivery, round_id: str) -> None:
        await self._show_record(delivery, await self.ask(interaction.user, ShowRound(round_id, record=True)))

    async def _show_record(self, delivery: Delivery, replies: list[Reply]) -> None:
        """The decision record as Markdown, only for the asker; else what the core said (e.g. try again)."""
        record = next((r for r in replies if isinstance(r, DecisionRecord)), None)
        if record is None:
            await self.show(delivery, replies)
            return
        content, file = team_render.markdown(record)
        await delivery.say(content, file=file)

    # --- showing round replies ---------------------------------------------------------------

    async def show(self, delivery: Delivery, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, (RoundCard, TeamSummary, DecisionRecord)):
                await self.put(delivery, reply)
            else:
                await self.flow.show(delivery, [reply])

    async def put(self, delivery: Delivery, reply: RoundReply) -> None:
        """A round reply goes to the round's channel, whoever's turn (or DM) produced it."""
        if isinstance(reply, RoundCard):
            await self.update_card(reply)
        elif isinstance(reply, TeamSummary):
            await self.post_summary(delivery, reply)
        else:
            await self.post_decision(reply)

    def _newer(self, kind: str, round_id: str, version: int) -> bool:
        """Two turns finishing together may render out of order: never put an older version over a newer one."""
        key = (kind, round_id)
        if version < self._shown.get(key, 0):
            return False
        self._shown[key] = version
        return True

    def channel(self, channel_id: int) -> discord.abc.Messageable:
        """The cached channel (with its server, for threads), else a bare one (another shard's server)."""
        found = self.client.get_channel(channel_id)
        return found if isinstance(found, discord.abc.Messageable) else self.client.get_partial_messageable(channel_id)

    async def update_card(self, card: RoundCard) -> None:
        place = Place.parse(card.surface)
        if place is None or not self._newer("card", card.round_id, card.version):
            return
        message = self.client.get_partial_messageable(place.channel).get_partial_message(place.message)
        try:
            await message.edit(**team_render.round_card(card).as_kwargs())
        except discord.NotFound:
            log.info("the card of round %s is gone; the round goes on without it", card.round_id)

    async def post_summary(self, delivery: Delivery, summary: TeamSummary) -> None:
        """The reveal: the comparison in the channel, a thread on it with the prompts, and the core told where."""
        card = Place.parse(summary.surface)
        if card is None:
            return
        self._newer("summary", summary.round_id, summary.version)
        rendered = team_render.summary(summary)
        posted = Place.parse(summary.thread)
        if posted is not None:  # already posted (a second look): the comparison changes where it is
            message = self.client.get_partial_messageable(card.channel).get_partial_message(posted.message)
            try:
                await message.edit(embed=rendered.embed, view=rendered.view)
                return
            except discord.NotFound:
                log.info("the comparison of round %s is gone; posting it again", summary.round_id)
        message = await self.channel(card.channel).send(embed=rendered.embed, view=rendered.view)  # type: ignore[arg-type]
        thread = await self.open_thread(message, summary)
        await self.ask(delivery.user, RoundThread(summary.round_id, thread.surface))

    async def open_thread(self, message: discord.Message, summary: TeamSummary) -> Place:
        """A public thread on the comparison, holding the discussion prompts; its id is the message's.

        With the server in this process's cache, discord.py's `Message.create_thread`; without it (a
        member's DM turn lands on shard 0, the server may live on another process) the same REST
        call directly. Where no thread can be opened (no Create Public Threads permission, or the
        round runs inside a thread already), the prompts go in the channel instead.
        """
        name = team_render.thread_name(summary)
        try:
            if message.guild is not None:
                thread_id = (await message.create_thread(name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES)).id
            else:
                data = await self.client.http.start_thread_with_message(
                    message.channel.id, message.id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
                thread_id = int(data["id"])
        except discord.HTTPException as exc:
            log.warning("could not open a thread for round %s (%s %s); the prompts go in the channel", summary.round_id, exc.status, exc.code)
            target, place = self.channel(message.channel.id), Place.of(message)
        else:
            target, place = self.client.get_partial_messageable(thread_id), Place(thread_id, message.id)
        for number, disagreement in enumerate(summary.disagreements, 1):
            named = [discord.Object(i) for i in team_render.mentioned(disagreement)]  # only the members it asks
            allowed = discord.AllowedMentions(everyone=False, roles=False, users=named) if named else None
            await target.send(team_render.prompt(number, disagreement), allowed_mentions=allowed)
        return place

    async def post_decision(self, record: DecisionRecord) -> None:
        place = Place.parse(record.thread) or Place.parse(record.surface)
        if place is None:
            return
        rendered = team_render.decision(record)
        await self.channel(place.channel).send(embed=rendered.embed, view=rendered.view)  # type: ignore[arg-type]
