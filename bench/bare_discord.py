"""The start-up baseline for Discord: a bare discord.py client, with none of our code.

`python -m bench.bare_discord` with DISCORD_TOKEN, DISCORD_API_URL and DISCORD_GATEWAY_URL set
logs in and connects to the gateway exactly as any discord.py bot does (the same intents as ours:
guilds and direct messages, nothing privileged), and answers a direct message with one word. It
pays for what every discord.py bot pays (importing discord.py, login, application info, the
gateway handshake, READY) and nothing of ours, so the start-up ratio against it is the price of
our catalog, store, command tree and command sync.
"""

from __future__ import annotations

import os

import discord
import yarl


def main() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_URL"]  # as adapters.discord.main.point_at does
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    intents = discord.Intents.none()
    intents.guilds = intents.dm_messages = True
    client = discord.Client(intents=intents)

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            await message.channel.send("ready")

    client.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
