"""Serving the bolt app: HTTP on PORT at /slack/events (behind any load balancer), or Socket Mode.

HTTP mode is stateless apart from the shared store, so several processes can run behind one
load balancer; Socket Mode needs no public URL at all.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from adapters.logs import new_turn
from bot.metrics import ACK_SECONDS

log = logging.getLogger("outsource_check.slack")

EVENTS_PATH = "/slack/events"


def web_app(app: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    async def dispatch(request: web.Request) -> web.Response:
        started = time.perf_counter()
        new_turn()
        response = await app.async_dispatch(await to_bolt_request(request))
        ACK_SECONDS.labels("slack").observe(time.perf_counter() - started)
        return await to_aiohttp_response(response)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    application = web.Application()
    application.router.add_post(path, dispatch)
    application.router.add_get("/healthz", healthz)
    return application


async def serve(app: AsyncApp, *, host: str, port: int, path: str = EVENTS_PATH) -> web.AppRunner:
    """Start listening and return the runner (its `addresses` tell the real port when port is 0)."""
    runner = web.AppRunner(web_app(app, path), access_log=None)  # per-turn logs come from the app, with ids
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_http(app: AsyncApp, *, host: str, port: int) -> None:
    already = asyncio.all_tasks()
    runner = await serve(app, host=host, port=port)
    log.info("listening on http://%s:%s%s", host, port, EVENTS_PATH)
    try:
        await _until_stopped()
    finally:
        await runner.cleanup()  # stop taking new requests
        await finish_turns_in_flight(already)


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    already = asyncio.all_tasks()
    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()
    log.info("connected in Socket Mode")
    try:
        await _until_stopped()
    finally:
        await handler.close_async()
        await finish_turns_in_flight(already)


async def finish_turns_in_flight(already: set[asyncio.Task], timeout: float = 20.0) -> None:
    """Listeners keep working after their ack; let the ones started while serving finish first."""
    pending = [t for t in asyncio.all_tasks() - already if t is not asyncio.current_task() and not t.done()]
    if pending:
        log.info("finishing %d turn(s) in flight", len(pending))
        await asyncio.wait(pending, timeout=timeout)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
