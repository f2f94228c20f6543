"""The Discord bot logged in against a local fake Discord, driven with raw gateway payloads.

discord.py's own code does everything between the payload and the HTTP call: parsing into
`Interaction` / `Message`, the command tree, event dispatch to `on_interaction`, and the REST client. The test
only plays the gateway (`parse_interaction_create`, `parse_message_create`) and the user.
"""

from __future__ import annotations

import asyncio
import logging
import time

import discord
import pytest
import yarl

from adapters.discord.client import OutsourceBot, ShardedOutsourceBot, build_client
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import SqliteStore
from tests.conftest import DIALOGS
from tests.discord.fake_discord import APP, FakeDiscord, Message, snowflake, user_payload

GUILD = "5000"
GENERAL = "5001"
MEMBER = 2248473465835073  # a member's resolved permissions in a channel: View Channel, Send Messages…, no admin
ADMIN = MEMBER | 1 << 5  # … and Manage Server
TASK_PREFIXES = ("discord.py: ", "CommandTree-invoker", "discord-ui-")


async def drain() -> None:
    """Wait until every task discord.py scheduled for the events so far (and their children) is done.

    The timeout is only a guard against a hung test run, never a limit being tested.
    """
    for _ in range(1000):
        await asyncio.sleep(0)
        pending = [
            t for t in asyncio.all_tasks()
            if t is not asyncio.current_task() and t.get_name().startswith(TASK_PREFIXES) and not t.done()
        ]
        if not pending:
            return
        done, still = await asyncio.wait(pending, timeout=60)
        assert not still, f"handlers never finished: {[t.get_name() for t in still]}"
    raise AssertionError("handlers kept scheduling more work")


class Harness:
    def __init__(self, fake: FakeDiscord, store: SqliteStore) -> None:
        self.fake = fake
        self.store = store
        self.catalog = Catalog.load(DIALOGS)
        self.client: OutsourceBot | ShardedOutsourceBot | None = None
        self.errors: list[BaseException] = []
        self.clock = time.time  # the service's clock: follow-up tests drive time with it

    async def boot(self, shards: int | None = None, shard_ids: list[int] | None = None) -> OutsourceBot | ShardedOutsourceBot:
        """A fresh process: a new client and service on the same store, nothing else carried over."""
        if self.client is not None:
            await self.client.close()
        self.service = ConversationService(catalog=self.catalog, store=self.store, clock=self.clock)
        client = build_client(service=self.service, sync_commands=False, shards=shards, shard_ids=shard_ids)

        async def on_error(event: str, *args: object, **kwargs: object) -> None:
            import sys

            self.errors.append(sys.exc_info()[1])

        client.on_error = on_error  # type: ignore[method-assign]
        await client.login("fake-token")
        self.client = client
        return client

    def user(self, user_id: str = "3000", name: str = "alice") -> DiscordUser:
        return DiscordUser(self, user_id, name)

    def add_guild(self, channels: list[dict], members: list[str]) -> None:
        """A server the bot is in (as GUILD_CREATE delivers it) with these channels; `members` may be read over REST."""
        everyone = {"id": GUILD, "name": "@everyone", "permissions": str(1 << 10 | 1 << 11 | 1 << 14 | 1 << 16), "position": 0,
                    "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        bot_member = {"user": {**user_payload("1000", "outsource-check"), "bot": True}, "roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                      "deaf": False, "mute": False, "flags": 0}
        payload = {
            "id": GUILD, "name": "Bakery", "icon": None, "owner_id": "9999", "roles": [everyone], "emojis": [], "stickers": [],
            "features": [], "channels": [{"guild_id": GUILD, **c} for c in channels], "members": [bot_member], "member_count": 3,
            "threads": [], "voice_states": [], "presences": [], "large": False, "unavailable": False,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
            "afk_timeout": 300, "system_channel_flags": 0, "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        }
        assert self.client is not None
        self.client._connection.parse_guild_create(payload)
        for member in members:
            self.fake.members[(GUILD, member)] = {
                "user": user_payload(member), "roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False, "flags": 0,
            }


def text_channel(channel_id: str, name: str, overwrites: list[dict] | None = None) -> dict:
    return {"id": channel_id, "type": 0, "name": name, "position": 0, "permission_overwrites": overwrites or [], "nsfw": False,
            "parent_id": None, "flags": 0, "last_message_id": None, "rate_limit_per_user": 0, "topic": None}


class DiscordUser:
    """One person, doing what Discord's client would send to the bot's gateway for them."""

    def __init__(self, harness: Harness, user_id: str, name: str) -> None:
        self.h = harness
        self.id = user_id
        self.name = name
        self.last_token = ""

    @property
    def dm(self) -> str:
        return self.h.fake.dm_channel(self.id)

    @property
    def state(self):
        assert self.h.client is not None
        return self.h.client._connection

    def living(self) -> Message:
        """The newest message in our DM that still has components or an embed: where the check lives."""
        found = [m for m in self.h.fake.in_channel(self.dm) if m.embeds or m.components]
        assert found, "no bot message with an embed in the DM"
        return found[-1]

    def whispers(self) -> list[Message]:
        """Every ephemeral message and followup sent to this user, oldest first."""
        fake = self.h.fake
        return [m for m in fake.messages.values() if m.flags & 64 or any(m.id in ids for ids in fake.followups.values())]

    async def say(self, text: str) -> None:
        self.state.parse_message_create(
            {**Message(snowflake(), self.dm, content=text, author=user_payload(self.id, self.name)).payload()}
        )
        await drain()

    def _interaction(self, kind: int, data: dict, *, guild: bool = False, channel: str | None = None,
                     message: Message | None = None, late: bool = False, permissions: int = MEMBER,
                     pending: bool = False) -> dict:
        token = "tok-" + snowflake()
        self.last_token = token
        where = channel or (GENERAL if guild else self.dm)
        self.h.fake.token_channels[token] = where
        if message is not None:
            self.h.fake.originals[token] = message.id
        if late:
            self.h.fake.expired.add(token)
        payload = {
            "id": snowflake(), "application_id": APP["id"], "type": kind, "data": data, "token": token, "version": 1,
            "locale": "en-US", "app_permissions": "0", "entitlements": [], "attachment_size_limit": 10485760,
            "channel_id": where,
        }
        if guild:
            payload.update(
                guild_id=GUILD, guild_locale="en-US", context=0, authorizing_integration_owners={"0": GUILD},
                guild={"id": GUILD, "locale": "en-US", "features": []},
                channel=text_channel(where, "general") | {"guild_id": GUILD},
                member={"user": user_payload(self.id, self.name), "roles": [], "joined_at": "2024-01-01T00:00:00+00:00",
                        "deaf": False, "mute": False, "flags": 0, "permissions": str(permissions), "nick": None,
                        "avatar": None, "pending": pending},
            )
        else:
            payload.update(
                user=user_payload(self.id, self.name), context=1, authorizing_integration_owners={"1": self.id},
                channel={"id": where, "type": 1, "last_message_id": None, "flags": 0, "recipients": [user_payload(self.id)]},
            )
        if message is not None:
            payload["message"] = message.payload()
        return payload

    async def slash(self, sub: str, *, guild: bool = False, channel: str | None = None, permissions: int = MEMBER,
                    **options: str | int | bool) -> None:
        """Options typed as Discord would send them: strings 3, integers 4, booleans 5."""
        def kind(value: object) -> int:
            return 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3

        data = {"id": snowflake(), "name": "outsource-check", "type": 1, "options": [
            {"name": sub, "type": 1, "options": [{"name": k, "type": kind(v), "value": v} for k, v in options.items()]}]}
        self.state.parse_interaction_create(self._interaction(2, data, guild=guild, channel=channel, permissions=permissions))
        await drain()

    async def click(self, label: str, message: Message | None = None, *, custom_id: str | None = None, late: bool = False,
                    guild: bool = False, permissions: int = MEMBER, pending: bool = False) -> None:
        """A button press; `guild` for a message in a server channel, with this member's resolved permissions there."""
        message = message or self.living()
        if custom_id is None:
            custom_id = self.button(message, label)["custom_id"]
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction(3, data, channel=message.channel, message=message, late=late, guild=guild,
                                    permissions=permissions, pending=pending)
        self.state.parse_interaction_create(payload)
        await drain()

    async def pick(self, values: list[str], message: Message | None = None, *, custom_id: str | None = None) -> None:
        message = message or self.living()
        if custom_id is None:
            custom_id = next(c["custom_id"] for row in message.components for c in row["components"] if c["type"] == 3)
        data = {"custom_id": custom_id, "component_type": 3, "values": values}
        self.state.parse_interaction_create(self._interaction(3, data, channel=message.channel, message=message))
        await drain()

    async def submit(self, custom_id: str, text: str, message: Message | None = None) -> None:
        message = message or self.living()
        data = {"custom_id": custom_id, "components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": text}]}]}
        self.state.parse_interaction_create(self._interaction(5, data, channel=message.channel, message=message))
        await drain()

    @staticmethod
    def button(message: Message, label: str) -> dict:
        for row in message.components:
            for component in row["components"]:
                if component.get("label") == label:
                    return component
        raise AssertionError(f"no button {label!r} in {labels(message)}")


def labels(message: Message) -> list[str]:
    return [c.get("label") or c.get("placeholder", "") for row in message.components for c in row["components"]]


@pytest.fixture
async def discord_env(monkeypatch: pytest.MonkeyPatch):
    fake = await FakeDiscord().start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/"))
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(discord_env: FakeDiscord, tmp_path, caplog: pytest.LogCaptureFixture) -> Harness:
    """The bot on a SQLite store; afterwards, no handler may have failed (discord.py only logs those)."""
    store = SqliteStore(tmp_path / "discord.sqlite3")
    harness = Harness(discord_env, store)
    await harness.boot()
    yield harness
    await drain()
    if harness.client is not None:
        await harness.client.close()
    await store.close()
    assert not harness.errors, harness.errors
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures]
