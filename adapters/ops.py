"""Health, readiness and metrics for any adapter process, on their own port.

`/healthz` says the process is alive; `/readyz` also asks the store, so a load balancer stops
sending traffic to a process whose store is gone; `/metrics` is Prometheus' text format.
"""

from __future__ import annotations

import os

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.stores.base import SessionStore, StoreUnavailable


def ops_routes(store: SessionStore) -> list[web.RouteDef]:
    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        try:
            ready = await store.ping()
        except StoreUnavailable:
            ready = False
        return web.Response(status=200 if ready else 503, text="ready" if ready else "store unavailable")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return [web.get("/healthz", healthz), web.get("/readyz", readyz), web.get("/metrics", metrics)]


def ops_port() -> int:
    """`METRICS_PORT` (default 9100); 0 turns the ops server off."""
    return int(os.environ.get("METRICS_PORT", "9100") or 0)


async def start_ops_server(store: SessionStore, *, host: str, port: int) -> web.AppRunner | None:
    if port == 0:
        return None
    app = web.Application()
    app.add_routes(ops_routes(store))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
