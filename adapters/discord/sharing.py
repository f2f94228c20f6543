"""Share to channel: post a result's summary where the user chooses, but only where they may post.

The picker lists text channels of servers the bot shares with the user, checked against the
user's and the bot's own permissions (the user's membership is read over REST, so no privileged
members intent is needed). The picked id comes back from the client and is checked again before
anything is posted: a menu value is as forgeable as a custom_id.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from adapters.discord import components, render
from adapters.discord.delivery import Delivery
from adapters.discord.text import clip, safe
from bot import words
from bot.conversation.events import Share, Show
from bot.conversation.replies import Notice, ResultCard

if TYPE_CHECKING:
    from adapters.discord.flow import Flow

log = logging.getLogger("outsource_check.discord")
MAX_CHANNELS = 25  # a select menu's limit


async def _member(guild: discord.Guild, user_id: int) -> discord.Member | None:
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except (discord.NotFound, discord.Forbidden):
        return None


def _can_post(channel: discord.TextChannel, member: discord.Member) -> bool:
    mine, theirs = channel.permissions_for(channel.guild.me), channel.permissions_for(member)
    return theirs.view_channel and theirs.send_messages and mine.view_channel and mine.send_messages and mine.embed_links


async def channels_for(client: discord.Client, user_id: int) -> list[discord.TextChannel]:
    found: list[discord.TextChannel] = []
    for guild in client.guilds:
        if guild.me is None:
            continue
        member = await _member(guild, user_id)
        if member is None:
            continue
        found.extend(ch for ch in guild.text_channels if _can_post(ch, member))
        if len(found) >= MAX_CHANNELS:
            break
    return found[:MAX_CHANNELS]


async def _result(flow: Flow, delivery: Delivery, session: str) -> ResultCard | None:
    """The result, if it may be shared now (the core says; a team round's waits for the reveal)."""
    (reply, *_) = await flow.ask(delivery.user, Show(session, share=True))
    if isinstance(reply, ResultCard):
        return reply
    await delivery.say(safe(reply.text, 2000) if isinstance(reply, Notice) else words.NOTHING_TO_SHARE)
    return None


async def offer(flow: Flow, interaction: discord.Interaction, session: str, payload: str) -> None:
    delivery = Delivery.of(interaction)
    async with flow.turn(delivery):
        await delivery.acknowledge(thinking=True)
        if await _result(flow, delivery, session) is None:
            return
        channels = await channels_for(flow.client, interaction.user.id)
        if not channels:
            await delivery.say(words.NO_CHANNELS)
            return
        labelled = tuple((str(ch.id), clip(f"#{ch.name} ({ch.guild.name})", 100), "") for ch in channels)
        view = components.sent([(0, components.menu("share_to", payload, labelled, placeholder=words.PICK_A_CHANNEL))])
        await delivery.say(words.PICK_CHANNEL, view=view)


async def post(flow: Flow, interaction: discord.Interaction, session: str, values: list[str]) -> None:
    delivery = Delivery.of(interaction)
    async with flow.turn(delivery):
        await delivery.acknowledge()
        if len(values) != 1 or not values[0].isdigit():
            log.warning("refused a forged share pick from %s: %r", interaction.user.id, values[:2])
            await delivery.say(words.FORGED)
            return
        allowed = {ch.id: ch for ch in await channels_for(flow.client, interaction.user.id)}
        channel = allowed.get(int(values[0]))
        if channel is None:
            log.warning("refused a share by %s to channel %s", interaction.user.id, values[0])
            await delivery.edit_here(render.Rendered(words.CANNOT_POST, None, None))
            return
        ask = flow.asker(interaction.user)
        await delivery.deliver(await ask(Share(session, f"{channel.id}:")), ask)
