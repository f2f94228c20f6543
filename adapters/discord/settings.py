"""Discord settings, read from the environment only (never from files or arguments)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is the one line shown at start-up."""


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    guild_id: int | None  # sync commands to this server only (instant), else globally
    api_url: str
    gateway_url: str


def read_settings(environ: Mapping[str, str] | None = None) -> DiscordSettings:
    env = os.environ if environ is None else environ
    token = env.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise SettingsError("DISCORD_TOKEN is not set: copy the bot token from your application's Bot page (docs/discord.md)")
    guild = env.get("DISCORD_GUILD_ID", "").strip()
    if guild and not guild.isdigit():
        raise SettingsError(f"DISCORD_GUILD_ID must be a server id (digits only), not {guild[:30]!r}")
    api_url = (env.get("DISCORD_API_URL", "").strip() or DEFAULT_API_URL).rstrip("/")
    gateway = env.get("DISCORD_GATEWAY_URL", "").strip() or DEFAULT_GATEWAY_URL
    for name, url, schemes in (("DISCORD_API_URL", api_url, ("http://", "https://")), ("DISCORD_GATEWAY_URL", gateway, ("ws://", "wss://"))):
        if not url.startswith(schemes):
            raise SettingsError(f"{name} must start with {' or '.join(schemes)}")
    return DiscordSettings(token=token, guild_id=int(guild) if guild else None, api_url=api_url, gateway_url=gateway)
