"""Start-up through `main.run`: settings, token checks, intents, and command sync, against the fake."""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading

import discord
import pytest

from adapters.discord import main as discord_main
from adapters.discord.client import OutsourceBot, intents
from adapters.discord.settings import SettingsError, read_settings
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from tests.conftest import DIALOGS
from tests.discord.fake_discord import FakeDiscord


class FakeInThread:
    """The fake on its own event loop, for code that runs `asyncio.run` itself (as `main.run` does)."""

    def __enter__(self) -> FakeDiscord:
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.fake = self.loop.run_until_complete(FakeDiscord().start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        started.wait()
        return self.fake

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture
def keep_logging():
    """`main.run` configures the root logger for a real process; put pytest's handlers back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def restore_bases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


def run_main() -> int:
    return discord_main.run(argparse.Namespace(store="memory:"), Catalog.load(DIALOGS))


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_missing_token_stops_start_up_with_one_line(capsys) -> None:
    assert run_main() == 2
    assert one_line(capsys.readouterr().err).startswith("outsource-check discord: DISCORD_TOKEN is not set")


def test_a_rejected_token_stops_start_up_with_one_line(capsys, monkeypatch, keep_logging, restore_bases) -> None:
    with FakeInThread() as fake:
        fake.reject_token = True
        monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
        monkeypatch.setenv("DISCORD_API_URL", fake.base)
        assert run_main() == 2
        assert [c.path for c in fake.calls] == ["/users/@me"]
    assert "Discord rejected DISCORD_TOKEN" in one_line(capsys.readouterr().err)


def test_an_unreachable_api_stops_start_up_with_one_line(capsys, monkeypatch, keep_logging, restore_bases) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:9/api/v10")  # the discard port: nothing listens
    assert run_main() == 2
    assert "cannot reach the Discord API" in one_line(capsys.readouterr().err)


def test_settings_are_read_from_the_environment_only() -> None:
    settings = read_settings({"DISCORD_TOKEN": " abc ", "DISCORD_GUILD_ID": "42", "DISCORD_API_URL": "http://127.0.0.1:1/api/v10/",
                              "DISCORD_GATEWAY_URL": "ws://127.0.0.1:2/"})
    assert (settings.token, settings.guild_id, settings.api_url, settings.gateway_url) == (
        "abc", 42, "http://127.0.0.1:1/api/v10", "ws://127.0.0.1:2/")
    defaults = read_settings({"DISCORD_TOKEN": "abc"})
    assert defaults.api_url == "https://discord.com/api/v10" and defaults.gateway_url == "wss://gateway.discord.gg/"
    for bad in ({"DISCORD_TOKEN": "a", "DISCORD_GUILD_ID": "general"}, {"DISCORD_TOKEN": "a", "DISCORD_API_URL": "discord.com"}):
        with pytest.raises(SettingsError):
            read_settings(bad)


def test_point_at_sends_rest_and_gateway_to_the_configured_urls(restore_bases) -> None:
    discord_main.point_at(read_settings({"DISCORD_TOKEN": "a", "DISCORD_API_URL": "http://127.0.0.1:1/api/v10",
                                         "DISCORD_GATEWAY_URL": "ws://127.0.0.1:2/"}))
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:1/api/v10/users/@me"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:2/"


def test_no_privileged_intents() -> None:
    wanted = intents()
    assert not (wanted.members or wanted.presences or wanted.message_content)
    assert wanted.guilds and wanted.dm_messages and not wanted.guild_messages


@pytest.mark.parametrize("guild_id", [None, 5000])
async def test_commands_are_synced_on_login(discord_env: FakeDiscord, guild_id: int | None) -> None:
    service = ConversationService(catalog=Catalog.load(DIALOGS), store=MemoryStore())
    client = OutsourceBot(service=service, guild_id=guild_id)
    await client.login("fake-token")
    await client.close()
    where = f"/guilds/{guild_id}" if guild_id else ""
    (sync,) = discord_env.named("PUT", rf"/applications/2000{where}/commands")
    (command,) = sync.body
    assert command["name"] == "outsource-check" and command["contexts"] == [0, 1]
    assert [o["name"] for o in command["options"]] == ["check", "agency", "resume", "history", "team", "team-export", "forget", "help"]
    agency = command["options"][1]["options"][0]
    assert (agency["name"], agency["required"], agency["max_length"]) == ("name", True, 80)
    team = {o["name"]: o for o in command["options"][4]["options"]}
    assert [(o["type"], o.get("required", False)) for o in team.values()] == [(3, False), (4, False), (3, False), (5, False), (4, False)]
    assert (team["quorum"]["min_value"], team["quorum"]["max_value"]) == (1, 999)
    assert (team["expected"]["min_value"], team["expected"]["max_value"], team["topic"]["max_length"]) == (1, 999, 200)
