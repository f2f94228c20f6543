"""`/outsource-check` and its subcommands, the same set as on Slack.

Discord cannot run a command that has subcommands without naming one, so the default "check" is
the first subcommand listed (and a plain "hi" in a DM starts it too). Every handler defers first
with an ephemeral "thinking…", which is what the user sees if the store or Discord is slow.
"""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.delivery import Delivery, Place
from adapters.discord.flow import Flow, rendering
from adapters.discord.text import safe
from bot import words
from bot.conversation.events import Forget, MoveTo, Resume, ShowHistory, Start
from bot.conversation.replies import History, Notice, Question, ResultCard
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG


def build_group(flow: Flow) -> app_commands.Group:
    group = app_commands.Group(
        name="outsource-check",
        description="Should you outsource your social media? A short check with a recommendation.",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
    )

    @group.command(name="check", description="Start the check (in our DM)")
    async def check(interaction: discord.Interaction) -> None:
        await start(flow, interaction, Start(MAIN_DIALOG))

    @group.command(name="agency", description="Vet one agency you are looking at")
    @app_commands.describe(name="The agency's name")
    async def agency(interaction: discord.Interaction, name: app_commands.Range[str, 1, 80]) -> None:
        await start(flow, interaction, Start(AGENCY_DIALOG, (("agency_name", name),)))

    @group.command(name="resume", description="Continue your unfinished check")
    async def resume(interaction: discord.Interaction) -> None:
        await resume_check(flow, interaction)

    @group.command(name="history", description=words.YOUR_LAST_RESULTS)
    async def history(interaction: discord.Interaction) -> None:
        delivery = Delivery.of(interaction)
        async with flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            (reply, *_) = await flow.ask(interaction.user, ShowHistory())
            if isinstance(reply, History):
                await delivery.say(embed=render.history(reply))
            else:
                await delivery.say(safe(getattr(reply, "text", ""), 2000) or words.APOLOGY)

    @group.command(name="team", description="Start a team round here: everyone takes the check privately, then compare")
    @app_commands.describe(
        topic="What the team is deciding",
        expected="Reveal on its own once this many have finished",
        deadline="Reveal on its own after this: minutes (30) or 30m, 2h, 1d",
        quorum="Positions needed before closing (closing earlier asks why)",
        anonymous="Leave names out of the results",
    )
    async def team(
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 200] | None = None,
        expected: app_commands.Range[int, 1, 999] | None = None,
        deadline: app_commands.Range[str, 1, 20] | None = None,
        anonymous: bool = False,
        quorum: app_commands.Range[int, 1, 999] | None = None,
    ) -> None:
        await flow.team.command(interaction, topic, expected, deadline, anonymous, quorum)

    @group.command(name="team-export", description="Your latest team round in this channel, as a Markdown decision record")
    async def team_export(interaction: discord.Interaction) -> None:
        delivery = Delivery.of(interaction)
        async with flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            await flow.team.export_latest(interaction, delivery)

    @group.command(name="forget", description="Delete everything stored about you")
    async def forget(interaction: discord.Interaction) -> None:
        delivery = Delivery.of(interaction)
        async with flow.turn(delivery):
            await delivery.acknowledge(thinking=True)
            (reply, *_) = await flow.ask(interaction.user, Forget(confirmed=False))
            await delivery.say(safe(getattr(reply, "text", ""), 2000), view=render.forget_view())

    @group.command(name="help", description="What this bot can do")
    async def help_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(words.HELP, ephemeral=True)

    return group


async def start(flow: Flow, interaction: discord.Interaction, action: Start) -> None:
    delivery = Delivery.of(interaction)
    async with flow.turn(delivery):
        await delivery.acknowledge(thinking=True)
        await flow.start(delivery, action)


async def resume_check(flow: Flow, interaction: discord.Interaction) -> None:
    """Move the running check into a new DM message (so it is at the bottom) and retire the old one."""
    delivery = Delivery.of(interaction)
    async with flow.turn(delivery):
        await delivery.acknowledge(thinking=True)
        (found, *_) = await flow.ask(interaction.user, Resume())
        if not isinstance(found, (Question, ResultCard)):
            text = safe(found.text, 1500) if isinstance(found, Notice) else words.NOT_STARTED
            if isinstance(found, Notice) and found.kind == "nothing_to_resume":
                text += f" Use `{words.COMMAND} check` to start one."
            await delivery.say(text)  # none to resume, or the store is down: "try again"
            return
        try:
            message = await flow.relocate(delivery, found.session_id, content=words.RESUMED)
        except discord.Forbidden:
            replies = await flow.ask(interaction.user, MoveTo(found.session_id, ""))
            rendered = rendering(replies[0], content=words.DMS_CLOSED, in_dm=False)
            await delivery.say(rendered.content, embed=rendered.embed, view=rendered.view)
            return
        if message is None:  # it could not move (the store is down): the user was told
            return
        await delivery.retire(Place.parse(found.surface), words.MOVED_ON)
        await delivery.say(f"Your check is in our DM: {message.jump_url}" if delivery.in_guild else "Your check is below.")
