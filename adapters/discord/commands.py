"""`/outsource-check` and its subcommands, the same set as on Slack.

Discord cannot run a command that has subcommands without naming one, so the default "check" is
the first subcommand listed (and a plain "hi" in a DM starts it too). Every handler defers first
with an ephemeral "thinking…", which is what the user sees if the store or Discord is slow.
"""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.flow import Flow
from bot import words
from bot.conversation.events import Forget, Resume, ShowHistory, Start
from bot.dialogs.catalog import AGENCY_DIALOG, MAIN_DIALOG


def build_group(flow: Flow) -> app_commands.Group:
    group = app_commands.Group(
        name="outsource-check",
        description=words.COMMAND_DESCRIPTION,
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
    )

    @group.command(name="check", description=words.CHECK_COMMAND)
    async def check(interaction: discord.Interaction) -> None:
        await flow.command(interaction, Start(MAIN_DIALOG))

    @group.command(name="agency", description=words.AGENCY_COMMAND)
    @app_commands.describe(name=words.AGENCY_NAME_OPTION)
    async def agency(interaction: discord.Interaction, name: app_commands.Range[str, 1, 80]) -> None:
        await flow.command(interaction, Start(AGENCY_DIALOG, (("agency_name", name),)))

    @group.command(name="resume", description=words.RESUME_COMMAND)
    async def resume(interaction: discord.Interaction) -> None:
        await flow.command(interaction, Resume())

    @group.command(name="history", description=words.YOUR_LAST_RESULTS)
    async def history(interaction: discord.Interaction) -> None:
        await flow.command(interaction, ShowHistory())

    @group.command(name="team", description=words.TEAM_COMMAND)
    @app_commands.describe(
        topic=words.TEAM_TOPIC_OPTION,
        expected=words.TEAM_EXPECTED_OPTION,
        deadline=words.TEAM_DEADLINE_OPTION,
        quorum=words.TEAM_QUORUM_OPTION,
        anonymous=words.TEAM_ANONYMOUS_OPTION,
    )
    async def team(
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 200] | None = None,
        expected: app_commands.Range[int, 1, 999] | None = None,
        deadline: app_commands.Range[str, 1, 20] | None = None,
        anonymous: bool = False,
        quorum: app_commands.Range[int, 1, 999] | None = None,
    ) -> None:
        await flow.open_round(interaction, topic, expected, deadline, anonymous, quorum)

    @group.command(name="team-export", description=words.TEAM_EXPORT_COMMAND)
    async def team_export(interaction: discord.Interaction) -> None:
        await flow.export_latest(interaction)

    @group.command(name="forget", description=words.FORGET_COMMAND)
    async def forget(interaction: discord.Interaction) -> None:
        await flow.command(interaction, Forget())

    @group.command(name="help", description=words.HELP_COMMAND)
    async def help_(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(words.HELP, ephemeral=True)

    return group
