"""A local fake of Discord's REST API: records every call's route and JSON body, keeps the
messages as a user would see them, and can be told to fail, hold or rate-limit a route.

It answers only what discord.py 2.x needs for this bot (login, command sync, interaction
callbacks and webhooks, DMs, channel messages, guild members). Responses carry
`Content-Type: application/json` exactly, which discord.py requires to parse them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field

from aiohttp import web

BOT = {"id": "1000", "username": "outsource-check", "discriminator": "0", "avatar": None, "global_name": None, "bot": True}
APP = {
    "id": "2000", "name": "Outsource Check", "description": "", "icon": None, "bot_public": True,
    "bot_require_code_grant": False, "owner": BOT, "verify_key": "x", "flags": 0,
}
EPHEMERAL = 64
_ids = itertools.count(1_200_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def user_payload(user_id: str, name: str = "") -> dict:
    return {"id": user_id, "username": name or f"user{user_id}", "discriminator": "0", "avatar": None, "global_name": name or None}


def jresp(data: object, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: object


@dataclass
class Message:
    """A message as Discord keeps it (what the user sees), with the payload discord.py parses."""

    id: str
    channel: str
    content: str = ""
    embeds: list = field(default_factory=list)
    components: list = field(default_factory=list)
    flags: int = 0
    author: dict = field(default_factory=lambda: BOT)
    files: dict = field(default_factory=dict)  # filename -> bytes, as attached

    def apply(self, body: dict) -> None:
        if "content" in body:
            self.content = body["content"] or ""
        if "embeds" in body:
            self.embeds = body["embeds"] or []
        if "components" in body:
            self.components = body["components"] or []
        if "_files" in body:  # attachments replace the ones before, as `attachments=[...]` does on an edit
            self.files = dict(body["_files"])

    def payload(self) -> dict:
        return {
            "id": self.id, "channel_id": self.channel, "type": 0, "content": self.content, "author": self.author,
            "attachments": [], "embeds": self.embeds, "mentions": [], "mention_roles": [], "pinned": False,
            "mention_everyone": False, "tts": False, "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None,
            "flags": self.flags, "components": self.components,
        }

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.components for c in row.get("components", []) if "custom_id" in c]

    def text(self) -> str:
        """Everything the user can read in it, for assertions."""
        return self.content + "\n" + json.dumps(self.embeds, ensure_ascii=False)


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, Message] = {}
        self.originals: dict[str, str] = {}  # interaction token -> the message its @original names
        self.responses: dict[str, list[str]] = {}  # interaction token -> the message its type 4/5 response made
        self.followups: dict[str, list[str]] = {}  # interaction token -> followup message ids
        self.token_channels: dict[str, str] = {}  # interaction token -> the channel it was used in
        self.dms: dict[str, str] = {}  # user id -> DM channel id
        self.closed_dms: set[str] = set()
        self.expired: set[str] = set()  # interaction tokens Discord no longer accepts
        self.members: dict[tuple[str, str], dict] = {}
        self.threads: dict[str, dict] = {}  # thread id (= the message it was opened on) -> its name and parent
        self.reject_token = False
        self._scripts: list[tuple[str, str, int, dict, dict]] = []
        self._holds: list[tuple[str, asyncio.Event]] = []
        self._heard = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)

    async def start(self, port: int = 0) -> FakeDiscord:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    async def stop(self) -> None:
        await self.runner.cleanup()

    # --- telling it what to do ------------------------------------------------------------------

    def script(self, method: str, path: str, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        """The next call matching (method, path regex) gets this answer instead."""
        self._scripts.append((method, path, status, body or {}, headers or {}))

    def hold(self, method_path: str) -> asyncio.Event:
        """Calls matching "METHOD /path-regex" wait until the returned event is set."""
        gate = asyncio.Event()
        self._holds.append((method_path, gate))
        return gate

    def dm_channel(self, user_id: str) -> str:
        return self.dms.setdefault(user_id, snowflake())

    # --- reading what happened ------------------------------------------------------------------

    async def heard(self, predicate) -> None:
        """Wait (on calls arriving, not on a clock) until `predicate()` holds."""
        async with self._heard:
            await self._heard.wait_for(predicate)

    def named(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(path, c.path)]

    def in_channel(self, channel: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == channel]

    def followup_messages(self, token: str) -> list[Message]:
        return [self.messages[i] for i in self.followups.get(token, [])]

    def replies_to(self, token: str) -> list[Message]:
        """Every message an interaction answered with: its own response message (type 4), then followups."""
        own = [self.messages[i] for i in self.responses.get(token, [])]
        return own + self.followup_messages(token)

    # --- serving --------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        if request.content_type.startswith("multipart/"):  # a message with files: payload_json, then files[n]
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            files = {f.filename: f.file.read() for key, f in form.items() if key != "payload_json" and hasattr(f, "file")}
            (body["data"] if isinstance(body.get("data"), dict) else body)["_files"] = files
        else:
            raw = await request.read() if request.can_read_body else b""
            body = json.loads(raw) if raw and request.content_type == "application/json" else (raw or None)
        self.calls.append(Call(request.method, path, dict(request.query), body))
        async with self._heard:
            self._heard.notify_all()
        for method_path, gate in self._holds:
            method, _, pattern = method_path.partition(" ")
            if method == request.method and re.fullmatch(pattern, path):
                await gate.wait()
        for i, (method, pattern, status, data, headers) in enumerate(self._scripts):
            if method == request.method and re.fullmatch(pattern, path):
                del self._scripts[i]
                return jresp(data, status, headers)
        return self.answer(request.method, path, body if isinstance(body, dict) else {})

    def answer(self, method: str, path: str, body: dict) -> web.Response:
        if path in ("/users/@me", "/oauth2/applications/@me") and method == "GET":
            if self.reject_token:
                return jresp({"message": "401: Unauthorized", "code": 0}, 401)
            return jresp(BOT if path == "/users/@me" else APP)
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            return jresp([{**c, "id": snowflake(), "application_id": APP["id"], "version": "1"} for c in body or []])
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(m[1], m[2], body)
        if m := re.fullmatch(r"/webhooks/\d+/([^/]+)(/messages/@original)?", path):
            return self._webhook(method, m[1], bool(m[2]), body)
        if method == "POST" and path == "/users/@me/channels":
            user = str(body["recipient_id"])
            return jresp({"id": self.dm_channel(user), "type": 1, "last_message_id": None, "recipients": [user_payload(user)]})
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)):
            return self._thread(m[1], m[2], body)
        if m := re.fullmatch(r"/channels/(\d+)/messages(?:/(\d+))?", path):
            return self._channel_message(method, m[1], m[2], body)
        if method == "GET" and (m := re.fullmatch(r"/users/(\d+)", path)):
            return jresp(user_payload(m[1]))
        if method == "GET" and (m := re.fullmatch(r"/guilds/(\d+)/members/(\d+)", path)):
            member = self.members.get((m[1], m[2]))
            return jresp(member) if member else jresp({"message": "Unknown Member", "code": 10007}, 404)
        return jresp({"message": f"no route {method} {path} in the fake", "code": 0}, 404)

    def _new_message(self, channel: str, body: dict, flags: int = 0) -> Message:
        message = Message(snowflake(), channel, flags=flags | int(body.get("flags") or 0))
        message.apply(body)
        self.messages[message.id] = message
        return message

    def _callback(self, interaction_id: str, token: str, body: dict) -> web.Response:
        if token in self.expired:
            return jresp({"message": "Unknown interaction", "code": 10062}, 404)
        kind, data = body.get("type"), body.get("data") or {}
        answer: dict = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 5):
            message = self._new_message(self._channel_of(token), data if kind == 4 else {"content": ""}, int(data.get("flags") or 0))
            self.originals[token] = message.id
            self.responses.setdefault(token, []).append(message.id)
            answer["interaction"].update(
                response_message_id=message.id, response_message_loading=kind == 5,
                response_message_ephemeral=bool(message.flags & EPHEMERAL),
            )
            answer["resource"] = {"type": kind, "message": message.payload()}
        elif kind == 7 and token in self.originals:
            self.messages[self.originals[token]].apply(data)
        return jresp(answer)

    def _webhook(self, method: str, token: str, original: bool, body: dict) -> web.Response:
        if token in self.expired:
            return jresp({"message": "Invalid Webhook Token", "code": 50027}, 401)
        if original:
            message = self.messages.get(self.originals.get(token, ""))
            if message is None:
                return jresp({"message": "Unknown Message", "code": 10008}, 404)
            if method == "PATCH":
                message.apply(body)
            return jresp(message.payload())
        message = self._new_message(self._channel_of(token), body)
        self.followups.setdefault(token, []).append(message.id)
        return jresp(message.payload())

    def _channel_message(self, method: str, channel: str, message_id: str | None, body: dict) -> web.Response:
        if method == "POST" and message_id is None:
            if channel in {self.dms.get(u) for u in self.closed_dms}:
                return jresp({"message": "Cannot send messages to this user", "code": 50007}, 403)
            return jresp(self._new_message(channel, body).payload())
        message = self.messages.get(message_id or "")
        if message is None or message.channel != channel:
            return jresp({"message": "Unknown Message", "code": 10008}, 404)
        if method == "DELETE":
            del self.messages[message.id]
            return web.Response(status=204)
        if method == "PATCH":
            message.apply(body)
        return jresp(message.payload())

    def _thread(self, channel: str, message_id: str, body: dict) -> web.Response:
        """A public thread on a message; like Discord, it takes the message's id."""
        if message_id not in self.messages or self.messages[message_id].channel != channel:
            return jresp({"message": "Unknown Message", "code": 10008}, 404)
        if message_id in self.threads:
            return jresp({"message": "A thread has already been created for this message", "code": 160004}, 400)
        self.threads[message_id] = {"name": body.get("name"), "parent": channel, "auto_archive_duration": body.get("auto_archive_duration")}
        return jresp({
            "id": message_id, "type": 11, "guild_id": "5000", "parent_id": channel, "owner_id": BOT["id"], "name": body.get("name"),
            "last_message_id": None, "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": body.get("auto_archive_duration", 1440),
                                "archive_timestamp": "2024-01-01T00:00:00+00:00", "locked": False},
        })

    def _channel_of(self, token: str) -> str:
        return self.token_channels.get(token, "0")
