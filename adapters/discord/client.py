"""The discord.py client: intents, mentions policy, the command tree, and the event hooks.

Intents are the least that work: `guilds` (to know which server channels a result may be shared
to) and `dm_messages` (typed answers in DMs). No privileged intent: Discord delivers the content
of DMs to the bot without `message_content`, and the user's membership for a share is read over
REST instead of through `members`. Mentions are off for every message the bot sends.
"""

from __future__ import annotations

import logging
import re
from typing import Any, cast

import discord
from discord import app_commands

from adapters.discord import components
from adapters.discord.commands import build_group
from adapters.discord.flow import Flow
from bot import words
from bot.conversation.service import ConversationService

log = logging.getLogger("outsource_check.discord")
DRAIN_SECONDS = 20.0
MAX_SHARDS = 65536


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


class _OutsourceBotMixin:
    """Everything the bot adds to a discord.py client, shared by the plain and the sharded one."""

    def __init__(
        self, *, service: ConversationService, guild_id: int | None = None, sync_commands: bool = True, **options: Any
    ) -> None:
        super().__init__(intents=intents(), allowed_mentions=discord.AllowedMentions.none(), **options)  # type: ignore[call-arg]
        client = cast(discord.Client, self)
        self.flow = Flow(service=service, client=client)
        self.tree = app_commands.CommandTree(client)
        self.tree.add_command(build_group(self.flow))
        self.guild_id = guild_id
        self.sync_commands = sync_commands
        self.drain_timeout = DRAIN_SECONDS

    async def setup_hook(self) -> None:
        """Runs inside `login()`: sync the commands (clicks need nothing registered: `on_interaction` reads them)."""
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
        """Clicks and modal answers; slash commands are the command tree's. A component whose
        custom_id we could not have written, or that is not on the message clicked, is refused here."""
        data = interaction.data or {}
        custom_id = data.get("custom_id")
        if interaction.type is discord.InteractionType.modal_submit:
            if isinstance(custom_id, str) and await self.flow.form_submitted(interaction, custom_id, _modal_text(data.get("components") or [])):
                return
        elif interaction.type is not discord.InteractionType.component:
            return
        elif (click := components.read(custom_id)) is not None and _shown_on(interaction.message, str(custom_id)):
            picks = tuple(str(value) for value in data.get("values") or ())  # a menu's choices; none for a button
            await self.flow.clicked(interaction, click.act, click.payload, picks)
            return
        log.warning("refused a forged custom_id from user %s: %r", interaction.user.id, str(custom_id)[:120])
        if not interaction.response.is_done():
            await interaction.response.send_message(words.FORGED, ephemeral=True)

    async def close(self) -> None:
        """Graceful, with discord.py's public `close()` alone: no new turns, the turns in flight
        finish (they still need REST for their replies), then gateway and REST close together.

        Turns are the flow's own (`Flow.turn` tracks its task), so nothing here depends on the names
        discord.py gives its tasks or replaces its HTTP client's methods.
        """
        await self.flow.turns.finish(timeout=self.drain_timeout)
        await super().close()  # type: ignore[misc]


class OutsourceBot(_OutsourceBotMixin, discord.Client):
    """One gateway connection: enough below about 2,500 servers."""


class ShardedOutsourceBot(_OutsourceBotMixin, discord.AutoShardedClient):
    """Several shards in one process (`--shards N`, optionally only `--shard-ids`)."""


def build_client(
    *,
    service: ConversationService,
    guild_id: int | None = None,
    shards: int | None = None,
    shard_ids: list[int] | None = None,
    sync_commands: bool = True,
) -> OutsourceBot | ShardedOutsourceBot:
    """The plain client, or with `--shards` the sharded one running `shard_ids` (all shards when None).

    The shard count is always given, so discord.py never asks `GET /gateway/bot` for its own
    recommendation: every process of a large bot must agree on the same total.
    """
    if shards is None:
        return OutsourceBot(service=service, guild_id=guild_id, sync_commands=sync_commands)
    return ShardedOutsourceBot(
        service=service, guild_id=guild_id, sync_commands=sync_commands, shard_count=shards, shard_ids=shard_ids
    )


def shard_plan(shards: int | None, shard_ids: str | None) -> tuple[int | None, list[int] | None]:
    """`--shards N [--shard-ids RANGE]` -> (shard count, the ids this process runs); ValueError says what is wrong."""
    if shards is not None and not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"--shards must be between 1 and {MAX_SHARDS}, not {shards}")
    return shards, parse_shard_ids(shard_ids, shards)


def parse_shard_ids(text: str | None, shards: int | None) -> list[int] | None:
    """"0-3", "0,2,4" or "0-3,8" -> shard ids, checked against the shard count; ValueError says what is wrong."""
    if text is None:
        return None
    if shards is None:
        raise ValueError("--shard-ids needs --shards (the total shard count of the whole bot)")
    found: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?", part)
        if match is None:
            raise ValueError(f"--shard-ids: {part.strip()[:20]!r} is not a shard id or range (use e.g. 0-3 or 0,2,4)")
        low, high = int(match[1]), int(match[2] if match[2] is not None else match[1])
        if low > high:
            raise ValueError(f"--shard-ids: the range {low}-{high} runs backwards")
        if high >= shards:
            raise ValueError(f"--shard-ids: shard {high} does not exist with --shards {shards} (ids run 0 to {shards - 1})")
        for shard in range(low, high + 1):
            if shard in found:
                raise ValueError(f"--shard-ids: shard {shard} is listed twice")
            found.append(shard)
    return found


def _shown_on(message: discord.Message | None, custom_id: str) -> bool:
    """Only a component shown on the clicked message is taken (as discord.py's own view dispatch requires)."""
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
