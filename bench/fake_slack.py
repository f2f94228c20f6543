"""A lean local fake of Slack's Web API and response_url endpoints, for load, not for assertions.

The test suite's fake (tests/slack/fake_slack.py) records every call and wakes every waiter on
each one, which is right for tests and too heavy under a crowd: here each message keeps only its
latest blocks and an update counter, and only the users waiting on that message are woken.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import orjson
from aiohttp import web


@dataclass
class Message:
    channel: str
    ts: str
    blocks: list = field(default_factory=list)
    updates: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    updated_at: float = 0.0  # perf_counter of the last update: when the user saw the turn's result


class LeanFakeSlack:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.messages: dict[tuple[str, str], Message] = {}
        self.latest: dict[str, Message] = {}  # channel -> newest message
        self.ephemerals: Counter[str] = Counter()  # channel -> count
        self._ts = itertools.count(1)
        self.runner: web.AppRunner | None = None
        self.root = ""

    async def start(self) -> LeanFakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self.web_api)
        app.router.add_get("/api/{method}", self.web_api)
        app.router.add_post("/response_url/{channel}/{ts}", self.response_url)
        app.router.add_post("/upload/{file}", self.upload)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024).start()
        host, port = self.runner.addresses[0][:2]
        self.root = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/"

    def message(self, channel: str, ts: str) -> Message:
        key = (channel, ts)
        if key not in self.messages:
            self.messages[key] = Message(channel, ts)
        return self.messages[key]

    def _update(self, channel: str, ts: str, blocks: object) -> None:
        message = self.message(channel, ts)
        message.blocks = json.loads(blocks) if isinstance(blocks, str) else (blocks or [])
        message.updates += 1
        message.updated_at = time.perf_counter()
        message.changed.set()
        message.changed = asyncio.Event()

    async def web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        body = json.loads(raw) if raw and request.content_type == "application/json" else dict(parse_qsl(raw))
        body.update(request.query)
        self.calls[method] += 1
        answer: dict = {"ok": True}
        if method == "auth.test":
            answer.update(url="https://acme.slack.com/", team="Acme", user="bench", team_id="T1", user_id="UBOT", bot_id="BBOT")
        elif method == "conversations.open":
            answer["channel"] = {"id": f"D{body.get('users', '')}"}
        elif method == "chat.postMessage":
            channel = body.get("channel", "")
            channel = f"D{channel}" if channel.startswith("U") else channel
            ts = f"1700000000.{next(self._ts):06d}"
            self.message(channel, ts)
            self.latest[channel] = self.messages[(channel, ts)]
            if body.get("blocks"):  # a message posted with its question already in it: the user sees it as it lands
                self._update(channel, ts, body["blocks"])
            answer.update(channel=channel, ts=ts, message={"text": body.get("text", "")})
        elif method == "chat.update":
            self._update(body.get("channel", ""), body.get("ts", ""), body.get("blocks"))
            answer.update(channel=body.get("channel"), ts=body.get("ts"))
        elif method == "files.getUploadURLExternal":  # a file (the result's picture): where to put its bytes
            file_id = f"F{next(self._ts):09d}"
            answer.update(upload_url=f"{self.root}/upload/{file_id}", file_id=file_id)
        elif method == "files.completeUploadExternal":
            files = body.get("files")
            files = json.loads(files) if isinstance(files, str) else (files or [])
            answer["files"] = [{"id": f.get("id", ""), "title": f.get("title", ""), "name": f.get("title", "")} for f in files]
        elif method == "chat.postEphemeral":
            self.ephemerals[body.get("channel", "")] += 1
            answer["message_ts"] = "1.1"
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def upload(self, request: web.Request) -> web.Response:
        """The bytes of an uploaded file (read and dropped, counted)."""
        self.calls["file bytes"] += 1
        data = await request.read()
        return web.Response(text=f"OK - {len(data)}")

    async def response_url(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read() or b"{}")  # orjson: the generator shares the apps' cores
        channel, ts = request.match_info["channel"], request.match_info["ts"]
        self.calls["response_url"] += 1
        if body.get("replace_original"):
            self._update(channel, ts, body.get("blocks"))
        else:
            self.ephemerals[channel] += 1
        return web.Response(text="ok")
