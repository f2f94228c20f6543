"""Expiry runs for every store: the bots purge abandoned checks periodically, the terminal at each start.

The clock is injected and the task's sleep is a queue the test feeds, so nothing waits on wall
time: "an hour passes" is one line, and each purge is observed as it happens.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from adapters import runtime
from adapters.discord import main as discord_main
from adapters.discord.settings import read_settings as discord_settings
from adapters.slack import main as slack_main
from adapters.slack.settings import read_settings as slack_settings
from bot.conversation.session import Session
from bot.dialogs.catalog import Catalog
from bot.dialogs.model import AnswerRecord
from bot.stores import MemoryStore, SqliteStore, StoreUnavailable
from tests.conftest import ROOT, STORE_KINDS, close_store, make_store
from tests.helpers import SMALL, Clock, small_dialog

TTL = 3600.0


def check(session_id: str, *, at: float, finished: bool = False) -> Session:
    return Session(id=session_id, owner="slack:T1:UEXPIRY", dialog_id="small", dialog_hash="abc", node=None if finished else "hours",
                   answers=(AnswerRecord("hours", "two"),), outcome="agency" if finished else None, version=1,
                   started_at=at, updated_at=at)


class Sleeps:
    """Stands in for asyncio.sleep in the purge loop: each call is reported, and returns when the test says."""

    def __init__(self) -> None:
        self.asked: asyncio.Queue[float] = asyncio.Queue()
        self._wake: asyncio.Queue[None] = asyncio.Queue()

    async def __call__(self, seconds: float) -> None:
        await self.asked.put(seconds)
        await self._wake.get()

    async def next_purge_done(self) -> float:
        """Wait until the loop has purged and gone back to sleep; returns how long it asked to sleep."""
        return await asyncio.wait_for(self.asked.get(), 10)

    def wake(self) -> None:
        self._wake.put_nowait(None)


async def stored_ids(store) -> list[str]:
    """Every session the store holds, expired or not (`every_session` does not hide abandoned ones)."""
    return sorted([s.id async for s in store.every_session()])


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_the_purge_task_drops_an_abandoned_check_in_every_store(kind: str, tmp_path: Path) -> None:
    clock = Clock()
    store = await make_store(kind, tmp_path, clock, ttl=TTL)
    sleeps = Sleeps()
    task = asyncio.create_task(runtime.purge_forever(store, 600, sleep=sleeps))
    try:
        await store.save(check("open", at=clock.now), expected_version=0)
        await store.save(check("done", at=clock.now, finished=True), expected_version=0)
        assert await sleeps.next_purge_done() == 600  # the first purge, at start: nothing is old enough yet
        assert await stored_ids(store) == ["done", "open"]

        clock.advance(TTL + 1)  # the unfinished check is abandoned
        sleeps.wake()
        assert await sleeps.next_purge_done() == 600
        assert await stored_ids(store) == ["done"], "the abandoned check is deleted, the finished one kept"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await close_store(kind, store)


class FlakyStore(MemoryStore):
    """Unavailable for its first purge, then broken by a bug, then fine."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.failures: list[BaseException] = [StoreUnavailable("down"), RuntimeError("a bug")]

    async def purge_expired(self) -> int:
        if self.failures:
            raise self.failures.pop(0)
        return await super().purge_expired()


async def test_a_failed_purge_is_logged_and_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    store = FlakyStore(clock=clock, ttl=TTL)
    await store.save(check("open", at=clock.now), expected_version=0)
    clock.advance(TTL + 1)
    sleeps = Sleeps()
    task = asyncio.create_task(runtime.purge_forever(store, 60, sleep=sleeps))
    try:
        with caplog.at_level("INFO", logger="outsource_check.expiry"):
            for _ in range(3):
                assert await sleeps.next_purge_done() == 60
                sleeps.wake()
            assert await sleeps.next_purge_done() == 60
        assert await stored_ids(store) == []
        messages = [r.getMessage() for r in caplog.records if r.name == "outsource_check.expiry"]
        assert messages[0].startswith("expiry skipped, the store is unavailable (down)")
        assert messages[1].startswith("expiry failed")
        assert "dropped 1 unfinished check(s) idle past the TTL" in messages
        assert not task.done(), "the task goes on"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_expiring_stops_its_task_on_the_way_out() -> None:
    store = MemoryStore()
    async with runtime.expiring(store, 3600) as task:
        await asyncio.sleep(0)
        assert not task.done()
    assert task.cancelled()


def test_the_purge_interval_follows_the_ttl_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runtime.purge_every(14 * 24 * 3600) == 3600  # the default TTL: hourly
    assert runtime.purge_every(3600) == 360  # a tenth of the TTL
    assert runtime.purge_every(120) == 60  # never more often than once a minute
    monkeypatch.setenv("OUTSOURCE_CHECK_SESSION_TTL", "7200")
    assert runtime.purge_every() == 720
    monkeypatch.setenv("OUTSOURCE_CHECK_PURGE_EVERY", "5")
    assert runtime.purge_every() == 5
    for bad in ("0", "-1", "soon", "inf", "nan"):
        monkeypatch.setenv("OUTSOURCE_CHECK_PURGE_EVERY", bad)
        with pytest.raises(ValueError, match="OUTSOURCE_CHECK_PURGE_EVERY must be a positive number of seconds"):
            runtime.purge_every()


class PurgeWatchingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.purged = asyncio.Event()
        self.closed = False

    async def purge_expired(self) -> int:
        self.purged.set()
        return await super().purge_expired()

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def bot_start_up(monkeypatch: pytest.MonkeyPatch) -> PurgeWatchingStore:
    """The bots' start-up with a store that notes its purges; no ops port, no GC freeze inside the test process."""
    store = PurgeWatchingStore()
    monkeypatch.setenv("METRICS_PORT", "0")
    monkeypatch.setattr(runtime, "open_store", lambda spec: store)  # adapters/runtime.py opens both bots' store
    monkeypatch.setattr(runtime, "settle_after_start_up", lambda: None)
    return store


async def test_the_slack_bot_purges_while_it_serves(bot_start_up: PurgeWatchingStore, monkeypatch) -> None:
    store = bot_start_up

    class SignedIn:
        async def auth_test(self) -> dict:
            return {"ok": True, "user": "outsource-check", "team": "Acme"}

    async def serving(app, **_) -> None:  # the HTTP server, until the first purge has run beside it
        await asyncio.wait_for(store.purged.wait(), 10)

    monkeypatch.setattr(slack_main, "run_http", serving)
    monkeypatch.setattr(slack_main, "build_app", lambda **_: object())  # bolt wants a real web client; unused here
    settings = slack_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert await slack_main._serve_with(settings, Catalog.of(small_dialog()), None, SignedIn()) == 0
    assert store.purged.is_set() and store.closed
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "outsource-check: expiry"], "stopped with the bot"


async def test_the_discord_bot_purges_while_it_serves(bot_start_up: PurgeWatchingStore, monkeypatch) -> None:
    import discord

    store = bot_start_up

    class Client:
        user = "outsource-check#0001"

        async def login(self, token: str) -> None:
            return None

        async def close(self) -> None:
            return None

    async def serving(client, stop) -> None:  # the gateway, until the first purge has run beside it
        await asyncio.wait_for(store.purged.wait(), 10)

    monkeypatch.setattr(discord_main, "build_client", lambda **_: Client())
    monkeypatch.setattr(discord_main, "serve_until_stopped", serving)
    monkeypatch.setattr(discord_main, "configure_logging", lambda: None)
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    settings = discord_settings({"DISCORD_TOKEN": "t"})
    assert await discord_main.serve(settings, Catalog.of(small_dialog()), None, stop=asyncio.Event()) == 0
    assert store.purged.is_set() and store.closed
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "outsource-check: expiry"], "stopped with the bot"


async def test_the_terminal_purges_at_start(tmp_path: Path) -> None:
    path = tmp_path / "terminal.sqlite3"
    store = SqliteStore(path, ttl=TTL)
    long_ago = time.time() - 2 * TTL
    await store.save(check("abandoned", at=long_ago), expected_version=0)
    await store.save(check("finished", at=long_ago, finished=True), expected_version=0)
    await store.close()
    dialogs = tmp_path / "dialogs"
    dialogs.mkdir()
    (dialogs / "small.yaml").write_text(textwrap.dedent(SMALL))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTSOURCE_CHECK_", "SLACK_", "DISCORD_"))}
    env.update(OUTSOURCE_CHECK_DIALOGS=str(dialogs), OUTSOURCE_CHECK_SESSION_TTL=str(int(TTL)), OUTSOURCE_CHECK_DATA=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "adapters.cli", "chat", "--dialog", "small", "--store", str(path)],
                            cwd=ROOT, env=env, input="q\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as db:
        ids = {row[0] for row in db.execute("SELECT id FROM sessions")}
    assert "abandoned" not in ids and "finished" in ids
