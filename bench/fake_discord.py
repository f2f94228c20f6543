"""A lean local fake of Discord's REST API for benchmark 2, run in its own process on 127.0.0.1.

`python -m bench.fake_discord` (port from $PORT). It answers only what a logged-in bot needs for
a component interaction: login, the interaction callback, and edits of the interaction's
original message (plus followups and DM sends, counted, for turns that go wrong). It keeps no
messages: it only notes when each call for each interaction token arrived (perf_counter, which is
CLOCK_MONOTONIC on Linux and so comparable with the benchmark process's clock). The benchmark
collects and clears those notes with `GET /bench/times` after each block.

The tests' fake (tests/discord/fake_discord.py) keeps every call and message for assertions,
which is right for tests and grows without bound under load. Interaction tokens made by the
benchmark carry the channel and message id (`bench.<channel>.<message>.<n>`) so an edit can be
answered with the message payload Discord would send back, without keeping any state.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter

from aiohttp import web

BOT = {"id": "1000", "username": "outsource-check", "discriminator": "0", "avatar": None, "global_name": None, "bot": True}
APP = {
    "id": "2000", "name": "Outsource Check", "description": "", "icon": None, "bot_public": True,
    "bot_require_code_grant": False, "owner": BOT, "verify_key": "x", "flags": 0,
}
_ids = itertools.count(1_300_000_000_000_000_000)


def jresp(data: object, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})


def message_payload(token: str, body: dict) -> dict:
    _, channel, message, _ = (token.split(".") + ["0", "0", "0"])[:4]
    return {
        "id": message, "channel_id": channel, "type": 0, "content": body.get("content") or "", "author": BOT,
        "attachments": [], "embeds": body.get("embeds") or [], "mentions": [], "mention_roles": [], "pinned": False,
        "mention_everyone": False, "tts": False, "timestamp": "2024-01-01T00:00:00+00:00",
        "edited_timestamp": "2024-01-01T00:00:01+00:00", "flags": 0, "components": body.get("components") or [],
    }


async def payload(request: web.Request) -> dict:
    """The JSON of a call: the body, or a multipart body's `payload_json` part (a message with a file, e.g. a
    picture of the result, comes as multipart; the file's bytes are read and dropped)."""
    if request.content_type.startswith("multipart/"):
        found: dict = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()  # type: ignore[union-attr]
            if getattr(part, "name", None) == "payload_json":
                found = json.loads(data)
        return found
    return await request.json()


class LeanFakeDiscord:
    def __init__(self) -> None:
        self.callbacks: dict[str, tuple[float, int]] = {}  # token -> (arrived, callback type)
        self.edits: dict[str, float] = {}  # token -> when the first edit of @original arrived
        self.calls: Counter[str] = Counter()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        app.router.add_patch("/api/v10/webhooks/{app}/{token}/messages/@original", self.edit)
        app.router.add_post("/api/v10/webhooks/{app}/{token}", self.followup)
        app.router.add_get("/api/v10/users/@me", lambda _: self.login("users/@me", BOT))
        app.router.add_get("/api/v10/oauth2/applications/@me", lambda _: self.login("applications/@me", APP))
        app.router.add_post("/api/v10/users/@me/channels", self.open_dm)
        app.router.add_route("*", "/api/v10/channels/{channel}/messages{rest:.*}", self.channel_message)
        app.router.add_get("/bench/times", self.times)
        return app

    async def login(self, name: str, data: dict) -> web.Response:
        self.calls[name] += 1
        return jresp(data)

    async def callback(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await payload(request)
        kind = int(body.get("type") or 0)
        self.callbacks[request.match_info["token"]] = (arrived, kind)
        self.calls[f"callback type {kind}"] += 1
        return jresp({"interaction": {"id": request.match_info["id"], "type": 3}})

    async def edit(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        token = request.match_info["token"]
        body = await payload(request)
        self.edits.setdefault(token, arrived)
        self.calls["edit @original"] += 1
        return jresp(message_payload(token, body))

    async def followup(self, request: web.Request) -> web.Response:
        body = await payload(request)
        self.calls["followup"] += 1
        return jresp(message_payload(f"bench.0.{next(_ids)}.0", body) | {"flags": int(body.get("flags") or 0)})

    async def open_dm(self, request: web.Request) -> web.Response:
        body = await payload(request)
        self.calls["open DM"] += 1
        user = str(body["recipient_id"])
        return jresp({"id": str(next(_ids)), "type": 1, "last_message_id": None,
                      "recipients": [{"id": user, "username": f"user{user}", "discriminator": "0", "avatar": None}]})

    async def channel_message(self, request: web.Request) -> web.Response:
        body = await payload(request) if request.can_read_body else {}
        self.calls[f"{request.method} channel message"] += 1
        channel = request.match_info["channel"]
        message = request.match_info["rest"].strip("/") or str(next(_ids))
        return jresp(message_payload(f"bench.{channel}.{message}.0", body))

    async def times(self, request: web.Request) -> web.Response:
        """What arrived since the last collection, then forget it (each block starts empty)."""
        data = {"callbacks": self.callbacks, "edits": self.edits, "calls": dict(self.calls)}
        self.callbacks, self.edits, self.calls = {}, {}, Counter()
        return jresp(data)


def main() -> None:
    port = int(os.environ.get("PORT", "0"))
    web.run_app(LeanFakeDiscord().app(), host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()
