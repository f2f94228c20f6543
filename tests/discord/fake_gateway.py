"""A local fake of Discord's gateway websocket, just enough for discord.py to connect and receive events.

HELLO on connect, READY after IDENTIFY (echoing the shard it asked for), an ACK for every
heartbeat, and `dispatch` to push events. Frames are plain JSON text, which discord.py reads as
it reads Discord's compressed ones. It records each IDENTIFY and how each connection closed.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType, web

from tests.discord.fake_discord import APP, BOT


class FakeGateway:
    def __init__(self) -> None:
        self.identified: list[dict] = []  # each IDENTIFY's "d", in order
        self.close_codes: list[int | None] = []
        self.sockets: list[web.WebSocketResponse] = []
        self.on_close: list = []  # callbacks run when a connection closes (for ordering assertions)
        self._seq = 0
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/", self.connect)
        self.runner = web.AppRunner(app)

    async def start(self) -> FakeGateway:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def until(self, predicate) -> None:
        """Wait (on the gateway's own events, not on a clock) until `predicate()` holds."""
        async with self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def dispatch(self, event: str, data: dict) -> None:
        """An event, to every connected shard (tests connect one)."""
        self._seq += 1
        for ws in list(self.sockets):
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def connect(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}}))
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif payload["op"] == 2:
                identify = payload["d"]
                self._seq += 1
                ready = {"v": 10, "user": BOT, "guilds": [], "session_id": "fake-session", "resume_gateway_url": self.url,
                         "application": {"id": APP["id"], "flags": 0}}
                if "shard" in identify:
                    ready["shard"] = identify["shard"]
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self._seq, "d": ready}))
                self.sockets.append(ws)
                self.identified.append(identify)
                await self._notify()
        if ws in self.sockets:
            self.sockets.remove(ws)
        self.close_codes.append(ws.close_code)
        for callback in self.on_close:
            callback()
        await self._notify()
        return ws
