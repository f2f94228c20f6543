"""Shards, graceful shutdown and the ops server, against the fake REST API and a fake gateway."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket

import aiohttp
import discord
import pytest

from adapters import runtime
from adapters.discord import main as discord_main
from adapters.discord.client import OutsourceBot, ShardedOutsourceBot, build_client, parse_shard_ids, shard_plan
from adapters.discord.settings import read_settings
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from tests.conftest import DIALOGS
from tests.discord.conftest import Harness
from tests.discord.fake_discord import FakeDiscord, snowflake, user_payload
from tests.discord.fake_gateway import FakeGateway
from tests.discord.test_startup import keep_logging, one_line, restore_bases  # noqa: F401  (fixtures)

CATALOG = Catalog.load(DIALOGS)


# --- shards ------------------------------------------------------------------------------------


def test_shard_ranges_are_read_and_checked() -> None:
    assert parse_shard_ids("0-3", 16) == [0, 1, 2, 3]
    assert parse_shard_ids("12-15", 16) == [12, 13, 14, 15]
    assert parse_shard_ids("0,2,4", 8) == [0, 2, 4]
    assert parse_shard_ids(" 0-1 , 5 ", 8) == [0, 1, 5]
    assert parse_shard_ids(None, 4) is None and shard_plan(None, None) == (None, None)
    assert shard_plan(4, None) == (4, None)


@pytest.mark.parametrize(
    ("shards", "ids", "says"),
    [
        (4, "2-9", "--shard-ids: shard 9 does not exist with --shards 4 (ids run 0 to 3)"),
        (4, "3-1", "--shard-ids: the range 3-1 runs backwards"),
        (4, "0,1,1", "--shard-ids: shard 1 is listed twice"),
        (4, "0-1-2", "--shard-ids: '0-1-2' is not a shard id or range (use e.g. 0-3 or 0,2,4)"),
        (4, "a", "--shard-ids: 'a' is not a shard id or range (use e.g. 0-3 or 0,2,4)"),
        (4, "", "--shard-ids: '' is not a shard id or range (use e.g. 0-3 or 0,2,4)"),
        (None, "0-3", "--shard-ids needs --shards (the total shard count of the whole bot)"),
        (0, None, "--shards must be between 1 and 65536, not 0"),
        (-2, "0", "--shards must be between 1 and 65536, not -2"),
    ],
)
def test_a_bad_shard_plan_stops_start_up_with_one_line(capsys, monkeypatch, shards, ids, says) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:9/api/v10")  # never reached: the plan is checked first
    args = argparse.Namespace(store="memory:", shards=shards, shard_ids=ids)
    assert discord_main.run(args, CATALOG) == 2
    assert one_line(capsys.readouterr().err) == f"outsource-check discord: {says}"


def test_the_client_class_follows_the_shard_plan() -> None:
    service = ConversationService(catalog=CATALOG, store=MemoryStore())
    plain = build_client(service=service)
    assert type(plain) is OutsourceBot and not isinstance(plain, discord.AutoShardedClient)
    assert plain.shard_count is None and plain.shard_id is None
    everything = build_client(service=service, shards=16)
    assert type(everything) is ShardedOutsourceBot and isinstance(everything, discord.AutoShardedClient)
    assert (everything.shard_count, everything.shard_ids) == (16, None)
    some = build_client(service=service, shards=16, shard_ids=[4, 5, 6, 7])
    assert (some.shard_count, some.shard_ids) == (16, [4, 5, 6, 7])
    for client in (plain, everything, some):
        assert client.allowed_mentions is not None and client.allowed_mentions.to_dict() == {"parse": []}
        assert not client.intents.members and client.intents.guilds and client.intents.dm_messages


async def test_a_sharded_client_runs_the_same_conversation(bot: Harness) -> None:
    await bot.boot(shards=4, shard_ids=[0, 1])
    assert isinstance(bot.client, ShardedOutsourceBot)
    ann = bot.user()
    await ann.say("hi")
    assert "question 1 of about" in ann.living().text()
    await ann.click("", custom_id=next(c for c in ann.living().custom_ids() if c.startswith("oc:a:")))
    assert "question 2 of about" in ann.living().text()


# --- graceful close, without a gateway ---------------------------------------------------------


class Heard(logging.Handler):
    """Sets an event when a log line containing `text` is emitted: a synchronisation point, not a clock."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.parametrize("shards", [None, 2])
async def test_close_waits_for_turns_in_flight_and_closes_rest_last(bot: Harness, shards: int | None) -> None:
    client = await bot.boot(shards=shards)
    ann = bot.user()
    gate = bot.fake.hold(rf"POST /channels/{ann.dm}/messages")
    ann.state.parse_message_create(
        {"id": snowflake(), "channel_id": ann.dm, "type": 0, "content": "hi", "author": user_payload(ann.id, ann.name),
         "attachments": [], "embeds": [], "mentions": [], "mention_roles": [], "pinned": False, "mention_everyone": False,
         "tts": False, "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "flags": 0, "components": []}
    )
    await bot.fake.heard(lambda: bot.fake.named("POST", rf"/channels/{ann.dm}/messages"))  # the turn is mid-call

    heard = Heard("finishing 1 turn(s) in flight")
    logger = logging.getLogger("outsource_check.discord")
    logger.addHandler(heard)
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not `.level =`: only it clears the logger's cached "INFO is off" from earlier tests
    try:
        closing = asyncio.create_task(client.close())
        await asyncio.wait_for(heard.event.wait(), timeout=60)  # a guard against a hung run, not a limit tested
        assert not client.is_closed() and not closing.done(), "close is waiting for the turn, REST still open"
        gate.set()
        await closing
    finally:
        logger.removeHandler(heard)
        logger.setLevel(level)
    # the turn finished after close began: its edit went out before REST closed
    assert "question 1 of about" in ann.living().text()
    assert client.http._HTTPClient__session.closed  # type: ignore[attr-defined]
    bot.client = None


async def test_a_turn_that_starts_while_closing_is_told_the_bot_is_restarting(bot: Harness) -> None:
    client = await bot.boot()
    bob = bot.user("3001", "bob")
    await client.flow.turns.finish(timeout=1)  # nothing in flight: returns at once, and refuses what comes next
    await bob.say("hi")
    assert "restarting" in json.dumps([c.body for c in bot.fake.named("POST", rf"/channels/{bob.dm}/messages")])


async def test_close_waits_only_for_turns_not_for_other_tasks(bot: Harness) -> None:
    client = bot.client
    forever = asyncio.Event()
    older = asyncio.create_task(forever.wait(), name="discord.py: on_something_long_ago")
    client.drain_timeout = 600  # if close waited for a task that is not a turn, this test would hang (the runner's guard)
    await client.close()
    assert not older.done()
    older.cancel()
    bot.client = None


# --- the whole process: gateway, SIGTERM, ops server -------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OrderedStore(MemoryStore):
    """Writes down when it saved and when it was closed, next to the gateway's close."""

    def __init__(self, order: list[str]) -> None:
        super().__init__()
        self.order = order

    async def save(self, session, *, expected_version: int) -> bool:
        self.order.append("session saved")
        return await super().save(session, expected_version=expected_version)

    async def close(self) -> None:
        self.order.append("store closed")
        await super().close()


@pytest.mark.parametrize(("shards", "shard_ids", "identify"), [(None, None, None), (2, [1], [1, 2])])
async def test_sigterm_stops_events_finishes_the_turn_then_closes_the_store(
    discord_env: FakeDiscord, monkeypatch, keep_logging, restore_bases, shards, shard_ids, identify  # noqa: F811
) -> None:
    gateway = await FakeGateway().start()
    order: list[str] = []
    gateway.on_close.append(lambda: order.append("gateway closed"))
    store = OrderedStore(order)
    monkeypatch.setattr(runtime, "open_store", lambda spec: store)  # the bots' store is opened in adapters/runtime.py
    port = free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    settings = read_settings({"DISCORD_TOKEN": "t", "DISCORD_API_URL": discord_env.base, "DISCORD_GATEWAY_URL": gateway.url})
    serving = asyncio.create_task(discord_main.serve(settings, CATALOG, None, shards=shards, shard_ids=shard_ids))
    try:
        await gateway.until(lambda: gateway.identified)
        assert gateway.identified[0].get("shard") == identify
        assert gateway.identified[0]["intents"] == (1 << 0 | 1 << 12)  # guilds and direct messages only

        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/readyz") as ready:
                assert ready.status == 200 and await ready.text() == "ready"

        user, dm = "3000", "7000"
        gate = discord_env.hold(rf"POST /channels/{dm}/messages")
        await gateway.dispatch("MESSAGE_CREATE", {
            "id": snowflake(), "channel_id": dm, "type": 0, "content": "hi", "author": user_payload(user, "ann"),
            "attachments": [], "embeds": [], "mentions": [], "mention_roles": [], "pinned": False, "mention_everyone": False,
            "tts": False, "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "flags": 0, "components": []})
        await discord_env.heard(lambda: discord_env.named("POST", rf"/channels/{dm}/messages"))

        heard = Heard("finishing 1 turn(s) in flight")
        logging.getLogger("outsource_check.discord").addHandler(heard)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(heard.event.wait(), timeout=60)  # a guard against a hung run, not a limit tested
        finally:
            logging.getLogger("outsource_check.discord").removeHandler(heard)
        assert not gateway.close_codes and not serving.done() and "store closed" not in order
        gate.set()  # the turn in flight finishes, with REST still open for its reply …
        assert await serving == 0
    finally:
        if not serving.done():
            serving.cancel()
        await gateway.stop()
    # … then discord.py's own close() shuts the gateway and REST, and only then the store closes
    # (the check is saved, posted, and where it landed saved too)
    assert order == ["session saved", "session saved", "gateway closed", "store closed"]
    (posted,) = discord_env.named("POST", rf"/channels/{dm}/messages")
    assert "question 1 of about" in str(posted.body["embeds"][0]["footer"])
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http:
            await http.get(f"http://127.0.0.1:{port}/healthz")
