"""Follow-ups on Discord: a due reminder, nudge or review delivered to its recipient, who did not act.

`deliver_to` is the `DeliverTo` of adapters/runtime.py's runner: a `Delivery` for the user with no
interaction behind it (a new message in their DM, a post in the round's thread), asking the core as
that user for whatever a delivery reports. A user whose DMs are closed to the bot cannot be reached
without an interaction: their follow-up is logged and dropped rather than tried again for ever.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord.delivery import Delivery
from adapters.runtime import DeliverTo
from bot.conversation.replies import Reply

PLATFORM = "discord"
log = logging.getLogger("outsource_check.discord")


def discord_user_id(user: str) -> int:
    """"discord:81234" -> 81234 (the key adapters/discord/flow.py's `user_key` writes)."""
    platform, _, rest = user.partition(":")
    if platform != PLATFORM or not rest.isdigit():
        raise ValueError(f"not a Discord user key: {user[:60]!r}")
    return int(rest)


def follow_up_delivery(client: discord.Client) -> DeliverTo:
    """For the bot's client (adapters/discord/client.py's, whose `flow` asks the core as a user)."""

    async def deliver_to(user: str, replies: list[Reply]) -> None:
        flow = client.flow  # type: ignore[attr-defined]  # set by OutsourceBot
        user_id = discord_user_id(user)
        person = client.get_user(user_id) or await client.fetch_user(user_id)
        delivery = Delivery(client=client, user=person)
        try:
            await delivery.deliver(replies, flow.asker(person))
        except discord.Forbidden:
            log.info("a follow-up for user %s was dropped: their DMs are closed to the bot", user_id)

    return deliver_to
