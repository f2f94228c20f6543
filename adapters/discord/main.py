"""`outsource-check discord`: check the settings and the token, sync the commands, then serve.

A missing or rejected token, an unreachable Discord, or a malformed `--shards` / `--shard-ids`
ends start-up with one line and a non-zero exit, never a traceback. SIGTERM (or Ctrl-C) stops
the bot gracefully: the turns in flight finish (a turn that begins meanwhile is told the bot is
restarting); then discord.py's own `close()` shuts the gateway and REST; then the ops server and
the store close.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import aiohttp
import discord
import yarl

from adapters.common.http import stop_on_signals
from adapters.discord.client import OutsourceBot, ShardedOutsourceBot, build_client, shard_plan
from adapters.discord.followups import PLATFORM, follow_up_delivery
from adapters.discord.settings import DiscordSettings, SettingsError, read_settings
from adapters.logs import configure_logging
from adapters.runtime import open_core, serving
from bot.dialogs.catalog import Catalog
from bot.stores import StoreUnavailable

PREFIX = "outsource-check discord"
log = logging.getLogger("outsource_check.discord")


def run(args: argparse.Namespace, catalog: Catalog) -> int:
    try:
        settings = read_settings()
        shards, shard_ids = shard_plan(getattr(args, "shards", None), getattr(args, "shard_ids", None))
    except (SettingsError, ValueError) as exc:
        print(f"{PREFIX}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(settings, catalog, getattr(args, "store", None), shards=shards, shard_ids=shard_ids))


def point_at(settings: DiscordSettings) -> None:
    """discord.py reads both bases from class attributes: set once, before anything connects."""
    discord.http.Route.BASE = settings.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


async def serve(
    settings: DiscordSettings,
    catalog: Catalog,
    store_spec: str | None,
    *,
    shards: int | None = None,
    shard_ids: list[int] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run until the gateway gives up or `stop` is set (by default: on SIGTERM or SIGINT)."""
    point_at(settings)
    try:
        core = await open_core(catalog, store_spec)
    except (ValueError, StoreUnavailable) as exc:
        print(f"{PREFIX}: {exc}", file=sys.stderr)
        return 2
    client = build_client(service=core.service, guild_id=settings.guild_id, shards=shards, shard_ids=shard_ids)
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
        log.info("signed in as %s%s", client.user, _shard_words(shards, shard_ids))
        async with serving(core, PLATFORM, follow_up_delivery(client), "0.0.0.0"):
            await serve_until_stopped(client, stop if stop is not None else stop_on_signals())
    except discord.PrivilegedIntentsRequired:
        print(f"{PREFIX}: Discord refused the gateway intents (this bot needs no privileged ones)", file=sys.stderr)
        return 2
    finally:
        await client.close()  # the turns in flight, then gateway and REST (a no-op when already closed)
        await core.store.close()
    return 0


def _shard_words(shards: int | None, shard_ids: list[int] | None) -> str:
    if shards is None:
        return ""
    return f", running shard(s) {','.join(map(str, shard_ids))} of {shards}" if shard_ids is not None else f", running all {shards} shards"


async def serve_until_stopped(client: OutsourceBot | ShardedOutsourceBot, stop: asyncio.Event) -> None:
    """Hold the gateway connection(s) until `stop`; then close gracefully (see `client.close`)."""
    connection = asyncio.create_task(client.connect(reconnect=True), name="outsource-check: gateway")
    stopping = asyncio.create_task(stop.wait(), name="outsource-check: waiting for SIGTERM")
    done, _ = await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if connection in done:
        stopping.cancel()
        connection.result()  # the gateway gave up: its error ends the run
        return
    log.info("stopping: finishing the turns in flight, then closing the gateway and REST, then the store")
    await client.close()
    if not connection.done():
        connection.cancel()  # e.g. a shard still retrying its first connection: nothing it does matters now
    await asyncio.gather(connection, return_exceptions=True)
