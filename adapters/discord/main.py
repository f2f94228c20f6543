"""`outsource-check discord`: check the settings and the token, sync the commands, then serve.

A missing or rejected token, or an unreachable Discord, ends start-up with one line and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import aiohttp
import discord
import yarl

from adapters.discord.client import OutsourceBot
from adapters.discord.settings import DiscordSettings, SettingsError, read_settings
from adapters.logs import configure_logging
from adapters.ops import ops_port, start_ops_server
from bot.catalog import Catalog
from bot.service import ConversationService
from bot.stores import open_store

PREFIX = "outsource-check discord"


def run(args: argparse.Namespace, catalog: Catalog) -> int:
    try:
        settings = read_settings()
    except SettingsError as exc:
        print(f"{PREFIX}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(settings, catalog, getattr(args, "store", None)))


def point_at(settings: DiscordSettings) -> None:
    """discord.py reads both bases from class attributes: set once, before anything connects."""
    discord.http.Route.BASE = settings.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


async def serve(settings: DiscordSettings, catalog: Catalog, store_spec: str | None) -> int:
    point_at(settings)
    try:
        store = open_store(store_spec)
    except ValueError as exc:
        print(f"{PREFIX}: {exc}", file=sys.stderr)
        return 2
    client = OutsourceBot(service=ConversationService(catalog=catalog, store=store), guild_id=settings.guild_id)
    ops = None
    try:
        try:
            await client.login(settings.token)
        except discord.LoginFailure:
            print(f"{PREFIX}: Discord rejected DISCORD_TOKEN (401): reset the token on the Bot page and try again", file=sys.stderr)
            return 2
        except (aiohttp.ClientError, OSError) as exc:
            print(f"{PREFIX}: cannot reach the Discord API at {settings.api_url} ({type(exc).__name__})", file=sys.stderr)
            return 2
        except discord.HTTPException as exc:
            print(f"{PREFIX}: Discord refused start-up ({exc.status}: {exc.text[:100]})", file=sys.stderr)
            return 2
        configure_logging()  # only now: until the token is accepted, a failure is one line on stderr
        logging.getLogger("outsource_check.discord").info("signed in as %s", client.user)
        ops = await start_ops_server(store, host="0.0.0.0", port=ops_port())
        await client.connect(reconnect=True)
    except discord.PrivilegedIntentsRequired:
        print(f"{PREFIX}: Discord refused the gateway intents (this bot needs no privileged ones)", file=sys.stderr)
        return 2
    finally:
        await client.close()
        if ops is not None:
            await ops.cleanup()
        await store.close()
    return 0
