"""Serving a platform's webhooks over aiohttp: one log line for malformed HTTP, a health check, and
the signals that stop a process (any platform that calls us over HTTP, and the chat processes)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError


def one_line(exc: BaseException) -> str:
    """An exception as one short log line: aiohttp's messages span lines and quote what was sent."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:200]


class HttpLog(logging.LoggerAdapter):
    """aiohttp's own log (`aiohttp.server`), for the HTTP it rejects before or after our handler.

    A malformed HTTP message (a header line over 8 KB, broken chunks, a body that is not the gzip
    it claims) is the sender's doing: one WARNING line, no traceback. Anything else, such as an
    exception escaping a handler, stays an ERROR with its traceback.
    """

    def exception(self, msg, *args, exc_info=True, **kwargs) -> None:  # type: ignore[no-untyped-def, override]
        exc = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if isinstance(exc, HttpProcessingError | web.RequestPayloadError):
            sender = f" from {args[0]}" if args and "from %s" in str(msg) else ""
            self.warning("refused malformed HTTP%s: %s", sender, one_line(exc))
        else:
            self.error(msg, *args, exc_info=exc_info, **kwargs)


async def healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok")


async def listen(application: web.Application, host: str, port: int) -> web.AppRunner:
    """Start listening and return the runner (its `addresses` tell the real port when port is 0).
    Per-turn logs come from the app, with ids; malformed HTTP gets one line (HttpLog)."""
    application.router.add_get("/healthz", healthz)
    runner = web.AppRunner(application, access_log=None, logger=HttpLog(logging.getLogger("aiohttp.server")))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM (what container runtimes send) or SIGINT (Ctrl-C)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
