"""A local fake of Slack's Web API and response_url endpoints, over real HTTP on 127.0.0.1.

It records every call's method and body, keeps the messages as Slack would show them (so a
test can click the buttons a user really sees), and can be told to answer with errors, 429s,
or to hold a method until the test lets it go.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import web

EVERYONE = ["U0LEAD", "U0ANN", "U0BOB", "U0CAT"]


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list = field(default_factory=list)


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[dict] = []
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes uploaded to its upload URL
        self.channel_members: dict[str, list[str]] = {}  # channel -> members (default: everyone in EVERYONE)
        self.admins: set[str] = set()  # users.info says these are workspace admins
        self.envelopes: asyncio.Queue[dict] = asyncio.Queue()  # Socket Mode deliveries to send the bot
        self.socket_acks: list[dict] = []
        self.scripted: dict[str, list[tuple[int, dict, dict]]] = {}
        self.held: dict[str, asyncio.Event] = {}
        self.waiting = 0  # calls waiting at a held method right now
        self.arrived = asyncio.Condition()
        self._ts = itertools.count(1)
        self.runner: web.AppRunner | None = None
        self.root = ""

    # --- test controls ------------------------------------------------------------------

    def script(self, method: str, status: int = 200, body: dict | None = None, headers: dict | None = None) -> None:
        """The next call of `method` gets this answer instead of the usual one."""
        self.scripted.setdefault(method, []).append((status, body or {"ok": True}, headers or {}))

    def hold(self, method: str) -> asyncio.Event:
        """Calls of `method` wait until the returned event is set."""
        self.held[method] = asyncio.Event()
        return self.held[method]

    def named(self, method: str) -> list[dict]:
        return [c for c in self.calls if c["method"] == method]

    async def wait_for(self, predicate, timeout: float = 15.0) -> None:
        """Wait until the recorded traffic satisfies `predicate` (a synchronisation point, not a speed limit)."""

        async def until() -> None:
            async with self.arrived:
                await self.arrived.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    def dm_channel(self, user_id: str) -> str:
        return f"D{user_id}"

    def dm_posts(self, user_id: str) -> list[dict]:
        """The chat.postMessage calls that land in the user's DM: posted to its channel id or to the user's id."""
        return [c for c in self.named("chat.postMessage") if self.channel_of(c["body"]) == self.dm_channel(user_id)]

    def latest_in(self, channel: str) -> Message:
        found = [m for (ch, _), m in self.messages.items() if ch == channel]
        assert found, f"no message in {channel}"
        return max(found, key=lambda m: float(m.ts))

    # --- the server ---------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self.web_api)
        app.router.add_get("/api/{method}", self.web_api)  # slack_sdk reads some lists with GET
        app.router.add_get("/socket", self.socket_mode)
        app.router.add_post("/response_url/{channel}/{ts}", self.response_url)
        app.router.add_post("/upload/{file}", self.upload)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    async def _record(self, method: str, body: dict, request: web.Request) -> tuple[int, dict, dict] | None:
        gate = self.held.get(method)
        if gate is not None:
            self.waiting += 1
            try:
                await gate.wait()
            finally:
                self.waiting -= 1
        call = {"method": method, "body": body, "query": dict(request.query)}
        scripted = self.scripted.get(method)
        answer = scripted.pop(0) if scripted else None
        async with self.arrived:
            self.calls.append(call)
            if answer is None or answer[0] == 200 and answer[1].get("ok", True):
                self._apply(method, body)
            self.arrived.notify_all()
        return answer

    async def web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]  # the path only: bolt adds ?team_id= to some calls
        raw = await request.text()
        body = json.loads(raw) if raw and request.content_type == "application/json" else dict(parse_qsl(raw))
        body.update(request.query)
        answer = await self._record(method, body, request)
        if answer is not None:
            status, payload, headers = answer
            return web.json_response(payload, status=status, headers=headers)
        return web.json_response(self._default(method, body))

    async def socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        """Slack's Socket Mode: say hello, deliver envelopes, collect the bot's acks."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})

        async def deliver() -> None:
            while True:
                await socket.send_json(await self.envelopes.get())

        sender = asyncio.ensure_future(deliver())
        try:
            async for message in socket:
                if message.type == web.WSMsgType.TEXT:
                    async with self.arrived:
                        self.socket_acks.append(json.loads(message.data))
                        self.arrived.notify_all()
        finally:
            sender.cancel()
        return socket

    async def response_url(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text() or "{}")
        body["_message"] = (request.match_info["channel"], request.match_info["ts"])
        answer = await self._record("response_url", body, request)
        if answer is not None and answer[0] == 0:  # scripted status 0: drop the connection unanswered
            request.transport.close()
            return web.Response(status=500)  # never reaches the caller
        if answer is not None:
            return web.Response(status=answer[0], text="error")
        return web.Response(text="ok")

    async def upload(self, request: web.Request) -> web.Response:
        """The upload URL files.getUploadURLExternal hands out: the file's bytes, as Slack takes them."""
        data = await request.read()
        async with self.arrived:
            self.uploads[request.match_info["file"]] = data
            self.calls.append({"method": "upload", "body": {"file": request.match_info["file"], "length": len(data)}, "query": {}})
            self.arrived.notify_all()
        return web.Response(text="OK - " + str(len(data)))

    def _default(self, method: str, body: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "outsource_check",
                    "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self.dm_channel(body.get("users", ""))}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": self.channel_of(body), "ts": body["_ts"], "message": {"text": body.get("text", "")}}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text", "")}
        if method == "chat.delete":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(body["files"]) if isinstance(body.get("files"), str) else body.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws{self.root[4:]}/socket"}
        if method == "users.info":
            user = body.get("user", "")
            return {"ok": True, "user": {"id": user, "name": user.lower(), "is_admin": user in self.admins, "is_owner": False}}
        if method == "conversations.members":
            return {"ok": True, "members": self.channel_members.get(body.get("channel", ""), EVERYONE)}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": "1.1"}
        if method.startswith("views."):
            view = body.get("view")
            return {"ok": True, "view": {"id": "V1", **(json.loads(view) if isinstance(view, str) else view or {})}}
        return {"ok": True}

    def channel_of(self, body: dict) -> str:
        channel = body.get("channel", "")
        return self.dm_channel(channel) if channel.startswith("U") else channel  # posting to a user id lands in the DM

    def _apply(self, method: str, body: dict) -> None:
        """Keep the channel contents the way Slack would show them."""
        blocks = body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if method == "chat.postMessage":
            body["_ts"] = f"1700000000.{next(self._ts):06d}"
            channel = self.channel_of(body)
            self.messages[(channel, body["_ts"])] = Message(channel, body["_ts"], body.get("text", ""), blocks)
        elif method == "chat.update":
            key = (body.get("channel", ""), body.get("ts", ""))
            self.messages[key] = Message(key[0], key[1], body.get("text", ""), blocks)
        elif method == "chat.delete":
            self.messages.pop((body.get("channel", ""), body.get("ts", "")), None)
        elif method == "chat.postEphemeral":
            self.ephemerals.append(body)
        elif method == "response_url":
            key = body["_message"]
            if body.get("replace_original"):
                self.messages[key] = Message(key[0], key[1], body.get("text", ""), blocks)
            elif body.get("response_type") == "ephemeral" or not body.get("delete_original"):
                self.ephemerals.append({**body, "channel": key[0]})
