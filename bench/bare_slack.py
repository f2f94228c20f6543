"""The baselines: bare slack-bolt apps on bolt's own aiohttp server, with none of our code.

`python -m bench.bare_slack` with PORT, SLACK_SIGNING_SECRET and SLACK_API_URL set runs the
baseline the issue names: one listener that only acknowledges. It pays for what any bolt app
pays (signature check, payload parsing, listener matching, the ack) and nothing of ours, so the
ratio against it is the whole price of our turn, including the in-place update it never sends.

With BARE_UPDATE=1 the listener also does the one thing every useful click handler must: after
the ack it posts a message back to the click's response_url (the blocks the click came with,
replacing the original), over one kept-alive aiohttp session, as ours does. The ratio against
that one is the price of what only we do: the session load, engine step, render and save.
"""

from __future__ import annotations

import asyncio
import json
import os
import re

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def build(http: aiohttp.ClientSession | None = None) -> AsyncApp:
    client = AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    if http is None:
        @app.action(re.compile(r"^oc\."))
        async def only_ack(ack) -> None:
            await ack()
    else:
        @app.action(re.compile(r"^oc\."))
        async def ack_and_update(ack, body: dict) -> None:
            await ack()
            message = {"replace_original": True, "text": "Next question", "blocks": body["message"]["blocks"]}
            data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
            async with http.post(body["response_url"], data=data, headers=JSON_HEADERS) as response:
                await response.read()

    return app


async def serve() -> None:
    async with aiohttp.ClientSession() as http:
        app = build(http if os.environ.get("BARE_UPDATE") == "1" else None)
        runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)  # as ours: no access log
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
        await asyncio.Event().wait()  # until the benchmark terminates this process


if __name__ == "__main__":
    asyncio.run(serve())
