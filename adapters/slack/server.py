"""Serving the bolt app: HTTP on PORT at /slack/events (behind any load balancer), or Socket Mode.

HTTP mode is stateless apart from the shared store, so several processes can run behind one
load balancer; Socket Mode needs no public URL at all.
"""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"


def web_app(app: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    async def dispatch(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    application = web.Application()
    application.router.add_post(path, dispatch)
    application.router.add_get("/healthz", healthz)
    return application


async def serve(app: AsyncApp, *, host: str, port: int, path: str = EVENTS_PATH) -> web.AppRunner:
    """Start listening and return the runner (its `addresses` tell the real port when port is 0)."""
    runner = web.AppRunner(web_app(app, path))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_http(app: AsyncApp, *, host: str, port: int) -> None:
    runner = await serve(app, host=host, port=port)
    print(f"outsource-check slack: listening on http://{host}:{port}{EVENTS_PATH}", flush=True)
    try:
        await _until_stopped()
    finally:
        await runner.cleanup()


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()
    print("outsource-check slack: connected in Socket Mode", flush=True)
    try:
        await _until_stopped()
    finally:
        await handler.close_async()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
