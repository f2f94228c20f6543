"""`outsource-check slack`: check the settings and the token, then serve."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.common.replay import SeenRequests
from adapters.logs import configure_logging
from adapters.runtime import open_core, serving
from adapters.slack.app import build_app, make_client
from adapters.slack.followups import PLATFORM, follow_up_delivery
from adapters.slack.server import run_http, run_socket_mode
from adapters.slack.settings import SettingsError, read_settings
from bot.dialogs.catalog import Catalog
from bot.stores import StoreUnavailable


def run(args: argparse.Namespace, catalog: Catalog) -> int:
    try:
        settings = read_settings()
    except SettingsError as exc:
        print(f"outsource-check slack: {exc}", file=sys.stderr)
        return 2
    configure_logging()
    return asyncio.run(_serve(settings, catalog, args.store))


async def _serve(settings, catalog: Catalog, store_spec: str | None) -> int:
    async with aiohttp.ClientSession() as session:
        return await _serve_with(settings, catalog, store_spec, make_client(settings, session))


async def _serve_with(settings, catalog: Catalog, store_spec: str | None, client) -> int:
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        print(f"outsource-check slack: Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')})", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"outsource-check slack: cannot reach the Slack Web API at {settings.api_url} ({exc})", file=sys.stderr)
        return 2
    try:
        core = await open_core(catalog, store_spec)
    except (ValueError, StoreUnavailable) as exc:
        print(f"outsource-check slack: {exc}", file=sys.stderr)
        return 2
    app = build_app(service=core.service, settings=settings, client=client)
    logging.getLogger("outsource_check.slack").info("signed in as %s in %s", identity.get("user"), identity.get("team"))
    try:
        async with serving(core, PLATFORM, follow_up_delivery(core.service, client), settings.host):
            if settings.socket_mode:
                await run_socket_mode(app, settings.app_token)
            else:
                seen = SeenRequests.for_store(core.store)  # in Redis when the store is: every process sees every request
                await run_http(app, host=settings.host, port=settings.port, signing_secret=settings.signing_secret, seen=seen)
    finally:
        await core.store.close()
    return 0
