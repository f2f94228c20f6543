"""The discord.py client: intents, mentions policy, the command tree, and the event hooks.

Intents are the least that work: `guilds` (to know which server channels a result may be shared
to) and `dm_messages` (typed answers in DMs). No privileged intent: Discord delivers the content
of DMs to the bot without `message_content`, and the user's membership for a share is read over
REST instead of through `members`. Mentions are off for every message the bot sends.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.discord import components, ids, words
from adapters.discord.commands import build_group
from adapters.discord.flow import Flow
from bot.service import ConversationService

log = logging.getLogger("outsource_check.discord")


class _NoVoiceWarning(logging.Filter):
    """discord.py warns at every start that PyNaCl (voice) is missing; this bot never speaks."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("PyNaCl is not installed")


_VOICE_FILTER = _NoVoiceWarning()
logging.getLogger("discord.client").addFilter(_VOICE_FILTER)


def intents() -> discord.Intents:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    return wanted


class OutsourceBot(discord.Client):
    def __init__(self, *, service: ConversationService, guild_id: int | None = None, sync_commands: bool = True) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none())
        self.flow = Flow(service=service, client=self)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(build_group(self.flow))
        self.guild_id = guild_id
        self.sync_commands = sync_commands

    async def setup_hook(self) -> None:
        """Runs inside `login()`: register the dynamic items (no views in memory), then sync commands."""
        self.add_dynamic_items(*components.ALL)
        if not self.sync_commands:
            return
        if self.guild_id:
            guild = discord.Object(self.guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %d application command(s) %s", len(synced), f"to server {self.guild_id}" if self.guild_id else "globally")

    async def on_message(self, message: discord.Message) -> None:
        await self.flow.typed(message)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Modal answers, and the forged-id gate: a component no DynamicItem will take is refused here."""
        data = interaction.data or {}
        custom_id = data.get("custom_id")
        if interaction.type is discord.InteractionType.modal_submit:
            match = ids.modal_match(custom_id)
            if match is not None:
                text = _modal_text(data.get("components") or [])
                await self.flow.modal_submitted(interaction, match["session"], int(match["version"]), match["node"], text)
                return
        elif interaction.type is not discord.InteractionType.component:
            return
        elif ids.is_ours(custom_id) and _shown_on(interaction.message, str(custom_id)):
            return  # a DynamicItem handles it
        log.warning("refused a forged custom_id from user %s: %r", interaction.user.id, str(custom_id)[:120])
        if not interaction.response.is_done():
            await interaction.response.send_message(words.FORGED, ephemeral=True)


def _shown_on(message: discord.Message | None, custom_id: str) -> bool:
    """discord.py only dispatches a DynamicItem whose custom_id is on the clicked message."""
    if message is None:
        return False
    stack: list = list(message.components)
    while stack:
        component = stack.pop()
        if getattr(component, "custom_id", None) == custom_id:
            return True
        stack.extend(getattr(component, "children", ()) or ())
    return False


def _modal_text(components: list) -> str:
    """The value of the modal's "answer" field, inside an action row (or a label, in newer layouts)."""
    stack = list(components)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        if item.get("custom_id") == "answer" and isinstance(item.get("value"), str):
            return item["value"]
        stack.extend(item.get("components") or [])
        if isinstance(item.get("component"), dict):
            stack.append(item["component"])
    return ""
