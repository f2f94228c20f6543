"""The Slack app served on 127.0.0.1, driven with Slack's own payloads over signed HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.common.replay import SeenRequests
from adapters.slack.acks import LISTENING
from adapters.slack.app import build_app, make_client
from adapters.slack.server import EVENTS_PATH, finish_turns_in_flight, serve
from adapters.slack.settings import SlackSettings
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import SqliteStore
from bot.stores.base import SessionStore
from tests.conftest import DIALOGS
from tests.slack.fake_slack import FakeSlack, Message

SECRET = "test-signing-secret"
TEAM = "T1"


class Harness:
    def __init__(self, fake: FakeSlack, url: str, service: ConversationService) -> None:
        self.fake = fake
        self.url = url
        self.service = service
        self._trigger = itertools.count(1)

    async def post(self, body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
        }
        before = set(LISTENING)
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=body.encode(), headers=headers) as response:
                answered = response.status, await response.text()
        await self.settled(LISTENING - before)
        return answered

    async def settled(self, listeners: set[asyncio.Task[None]]) -> None:
        """Slack has its answer once a listener acks; the listener goes on (the Web API work). Wait for
        what the request started to end, as a person waits to see the message change, unless a test
        holds a Web API method: then the request's answer is what the test looks at."""
        while listeners := {task for task in listeners if not task.done()}:
            if self.fake.waiting:
                return
            await asyncio.wait(listeners, timeout=0.02)

    async def interaction(self, payload: dict, **kwargs) -> tuple[int, str]:
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kwargs)

    async def event(self, event: dict) -> tuple[int, str]:
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event": event,
            "event_id": f"Ev{next(self._trigger)}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}],
        }
        return await self.post(json.dumps(body), "application/json")

    def user(self, user_id: str) -> SlackUser:
        return SlackUser(self, user_id)


class SlackUser:
    """One person in the workspace, doing what Slack's client would send for them."""

    def __init__(self, harness: Harness, user_id: str) -> None:
        self.h = harness
        self.id = user_id

    @property
    def dm(self) -> str:
        return self.h.fake.dm_channel(self.id)

    def living(self) -> Message:
        return self.h.fake.latest_in(self.dm)

    async def command(self, text: str = "", channel: str = "C0GENERAL") -> tuple[int, str]:
        return await self.h.post(self.command_body(text, channel), "application/x-www-form-urlencoded")

    def command_body(self, text: str = "", channel: str = "C0GENERAL") -> str:
        """The form body Slack posts for `/outsource-check <text>` typed in `channel`."""
        return urlencode(
            {
                "token": "legacy", "team_id": TEAM, "team_domain": "acme", "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general", "user_id": self.id,
                "user_name": self.id.lower(), "command": "/outsource-check", "text": text, "api_app_id": "A1",
                "is_enterprise_install": "false", "response_url": f"{self.h.fake.root}/response_url/{channel}/cmd",
                "trigger_id": f"trig.{next(self.h._trigger)}",
            }
        )

    def find(self, message: Message, label: str) -> tuple[dict, dict]:
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    return block, element
        raise AssertionError(f"no button {label!r} in {[b.get('type') for b in message.blocks]}")

    def labels(self, message: Message | None = None) -> list[str]:
        message = message or self.living()
        return [e["text"]["text"] for b in message.blocks for e in b.get("elements", []) if e.get("type") == "button"]

    def block_actions(self, message: Message, block: dict, element: dict, state: dict | None = None, **overrides) -> dict:
        payload = {
            "type": "block_actions",
            "user": {"id": self.id, "username": self.id.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": False},
            "trigger_id": f"trig.{next(self.h._trigger)}",
            "team": {"id": TEAM, "domain": "acme"},
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks, "bot_id": "BBOT"},
            "state": {"values": state or {}},
            "response_url": f"{self.h.fake.root}/response_url/{message.channel}/{message.ts}",
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block.get("block_id", "b"),
                    "value": element.get("value", ""),
                    "text": element.get("text", {"type": "plain_text", "text": ""}),
                    "action_ts": str(time.time()),
                }
            ],
        }
        payload.update(overrides)
        return payload

    async def click(self, label: str, message: Message | None = None, state: dict | None = None) -> tuple[int, str]:
        message = message or self.living()
        block, element = self.find(message, label)
        return await self.h.interaction(self.block_actions(message, block, element, state))

    async def tick(self, labels: list[str], message: Message | None = None) -> tuple[int, str]:
        """Tick checkboxes, then press Next: Slack sends the ticked options in `state`."""
        message = message or self.living()
        picker = next(e for b in message.blocks if b.get("block_id") == "picks" for e in b["elements"])
        chosen = [o for o in picker["options"] if o["text"]["text"] in labels]
        assert len(chosen) == len(labels), labels
        state = {"picks": {"oc.pick": {"type": picker["type"], "selected_options": chosen}}}
        return await self.click("Next", message, state)

    async def submit_view(self, view: dict, values: dict) -> tuple[int, str]:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": self.id, "username": self.id.lower(), "team_id": TEAM},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": f"trig.{next(self.h._trigger)}",
            "view": {**view, "id": "V1", "team_id": TEAM, "state": {"values": values}, "hash": "1.a", "app_id": "A1"},
            "response_urls": [],
        }
        return await self.h.interaction(payload)

    async def type_in_dm(self, text: str) -> tuple[int, str]:
        return await self.h.event(
            {"type": "message", "channel": self.dm, "user": self.id, "text": text, "ts": str(time.time()), "channel_type": "im"}
        )

    async def until_changed(self, before: Message | None = None) -> Message:
        """Wait for the living message to change (the turn is done), and return it."""
        before = before or self.living()
        fake = self.h.fake
        await fake.wait_for(lambda: (m := fake.messages.get((before.channel, before.ts))) is not None and m != before)
        return fake.messages[(before.channel, before.ts)]


@contextlib.asynccontextmanager
async def serving(store: SessionStore, clock: Callable[[], float] = time.time) -> AsyncIterator[Harness]:
    """The real app over HTTP on `store`, talking to a fresh fake Slack; the store is closed afterwards.
    `clock` is the service's (follow-up tests drive time with it)."""
    fake = await FakeSlack().start()
    service = ConversationService(catalog=Catalog.load(DIALOGS), store=store, clock=clock)
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, app_token="", api_url=fake.api_url, port=0)
    shared = aiohttp.ClientSession()  # one per process, as `outsource-check slack` runs it
    app = build_app(service=service, settings=settings, client=make_client(settings, shared))
    runner = await serve(app, host="127.0.0.1", port=0, signing_secret=SECRET, seen=SeenRequests.for_store(store))
    host, port = runner.addresses[0][:2]
    try:
        harness = Harness(fake, f"http://{host}:{port}{EVENTS_PATH}", service)
        harness.client = app.client  # the bot's Web API client, for what the bot does unasked (follow-ups)
        yield harness
    finally:
        await finish_turns_in_flight()  # as the server does on a shutdown: turns still delivering finish first
        await runner.cleanup()
        await shared.close()
        await fake.stop()
        await store.close()


@pytest.fixture
async def slack(tmp_path):
    async with serving(SqliteStore(tmp_path / "slack.sqlite3")) as harness:
        yield harness
