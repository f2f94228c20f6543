"""Socket Mode: the same app over Slack's websocket protocol (a local fake), no public URL needed."""

from __future__ import annotations

import asyncio
import contextlib
import json

from adapters.slack.app import build_app, make_client
from adapters.slack.server import run_socket_mode
from adapters.slack.settings import SlackSettings
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from tests.conftest import DIALOGS
from tests.slack.fake_slack import FakeSlack


async def test_a_slash_command_over_socket_mode() -> None:
    fake = await FakeSlack().start()
    settings = SlackSettings(bot_token="xoxb-test", signing_secret="", app_token="xapp-test", api_url=fake.api_url, port=0)
    service = ConversationService(catalog=Catalog.load(DIALOGS), store=MemoryStore())
    app = build_app(service=service, settings=settings, client=make_client(settings))
    running = asyncio.ensure_future(run_socket_mode(app, settings.app_token))
    try:
        command = {
            "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0GENERAL", "channel_name": "general",
            "user_id": "U0ANN", "user_name": "ann", "command": "/outsource-check", "text": "", "api_app_id": "A1",
            "is_enterprise_install": "false", "response_url": f"{fake.root}/response_url/C0GENERAL/cmd", "trigger_id": "t.1",
        }
        await fake.envelopes.put(
            {"envelope_id": "env-1", "type": "slash_commands", "payload": command, "accepts_response_payload": True}
        )
        await fake.wait_for(lambda: any(a.get("envelope_id") == "env-1" for a in fake.socket_acks))
        await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))  # the check is on screen
        assert fake.named("apps.connections.open"), "the websocket URL came from apps.connections.open"
        question = fake.latest_in("DU0ANN")
        assert "question 1 of about" in json.dumps(question.blocks)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await fake.stop()
