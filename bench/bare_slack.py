"""The baseline: a bare slack-bolt app whose only listener acknowledges, on bolt's own aiohttp server.

`python -m bench.bare_slack` with PORT, SLACK_SIGNING_SECRET and SLACK_API_URL set. It pays for
what any bolt app pays (signature check, payload parsing, listener matching, the ack) and
nothing of ours, so the ratio against it is the price of our turn.
"""

from __future__ import annotations

import asyncio
import os
import re

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build() -> AsyncApp:
    client = AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.action(re.compile(r"^oc\."))
    async def only_ack(ack) -> None:
        await ack()

    return app


async def serve() -> None:
    runner = web.AppRunner(build().web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    await asyncio.Event().wait()  # until the benchmark terminates this process


if __name__ == "__main__":
    asyncio.run(serve())
