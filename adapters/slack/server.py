"""Serving the bolt app: HTTP on PORT at /slack/events (behind any load balancer), or Socket Mode.

HTTP mode is stateless apart from the shared store, so several processes can run behind one
load balancer; Socket Mode needs no public URL at all.

Every HTTP request passes `RequestGate` before bolt sees it: the signature is checked on the raw
bytes before anything parses them, and a signed request seen before does nothing. Whatever is
refused gets a 4xx and one WARNING line, never a traceback: anyone on the internet can send
anything to this URL. The gate also parses the body (`slack_payload`) and hands bolt the result,
so bolt neither parses nor checks the signature a second time.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import orjson
import yarl
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import Clock, SignatureVerifier

from adapters.common.http import listen, one_line, stop_on_signals
from adapters.common.replay import SeenRequests
from adapters.logs import new_turn
from adapters.slack.delivery import TURNS
from bot.ops.metrics import ACK_SECONDS

log = logging.getLogger("outsource_check.slack")

EVENTS_PATH = "/slack/events"
WINDOW = 5 * 60  # seconds either side of now in which a signature counts, as slack_sdk's SignatureVerifier has it
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # whole seconds since 1970, ASCII digits only
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")  # v0 is the only version Slack signs with


class Refused(Exception):
    """A request that is not Slack's: its status, and the reason for the one log line.

    `logged`: aiohttp itself logs this one (through adapters/common/http.py's HttpLog) once the handler has answered.
    """

    def __init__(self, status: int, reason: str, *, logged: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.logged = logged


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class RequestGate:
    """Turns an HTTP request into bolt's request only if Slack signed it and it is new.

    In this order, each step on what the step before vouched for: the two Slack headers are
    present and well formed; the timestamp is inside the window; the body (read up to aiohttp's
    size limit) is UTF-8 and its signature right; bolt can parse it; and it was not seen before.
    """

    def __init__(self, signing_secret: str, seen: SeenRequests | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self.seen = seen if seen is not None else SeenRequests()
        self.clock = clock

    async def admit(self, request: web.Request) -> AsyncBoltRequest | None:
        """Bolt's request; None for a request already taken (acknowledge it, do nothing); else `Refused`."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if timestamp is None or signature is None:
            raise Refused(401, "no Slack signature")
        if not TIMESTAMP.fullmatch(timestamp):
            raise Refused(401, "a malformed X-Slack-Request-Timestamp")
        if not SIGNATURE.fullmatch(signature):
            raise Refused(401, "a malformed X-Slack-Signature")
        age = self.clock() - int(timestamp)
        if abs(age) > WINDOW:
            when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s ahead"
            raise Refused(401, f"a timestamp {when}, outside the {WINDOW} s window (is this clock right?)")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "a body over the size limit") from None
        except (web.RequestPayloadError, HttpProcessingError) as exc:  # broken chunks or content encoding
            raise Refused(400, f"an unreadable body ({one_line(exc)})", logged=True) from None
        except ConnectionError as exc:  # the sender hung up mid-body
            raise Refused(400, f"an unreadable body ({one_line(exc)})") from None
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "a body that is not UTF-8") from None
        if not self.verifier.is_valid(body, timestamp, signature):
            raise Refused(401, "a wrong signature")
        try:
            payload = slack_payload(body, request.content_type)
        except Exception as exc:  # whatever the parser trips on, the request is refused
            raise Refused(400, f"a signed body that is no Slack payload ({type(exc).__name__})") from None
        if not isinstance(payload, dict):
            raise Refused(400, "a signed body that is no Slack payload")
        if await self.seen.seen_request(f"{timestamp}:{signature}", int(timestamp) + WINDOW - self.clock() + 1):
            return None
        # Handed to bolt already parsed, which bolt takes as a Socket Mode request: its only
        # difference is that bolt does not verify the signature a second time (checked above).
        return AsyncBoltRequest(body=payload, query=request.query_string, headers=request.headers, mode="socket_mode")  # type: ignore[arg-type]


def slack_payload(body: str, content_type: str | None) -> object:
    """The body as bolt's `parse_body` reads it (JSON, a form, or a form's JSON `payload`) at a
    twentieth of its cost: for a click's 4 KB form, 0.22 ms of urllib's pure-Python unquoting was a
    third of a bare bolt app's whole CPU per request (docs/performance.md). yarl's query reading
    (C) gives what `parse_qsl` gives (tests/slack/test_payload_parsing.py); orjson reads the JSON.
    Unlike bolt, a form is a click's only when it has a `payload` field, not when the word
    appears anywhere in it (a slash command's text "payload" is still a command)."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return orjson.loads(body)
    form = dict(yarl.URL.build(query_string=body, encoded=True).query.items())
    if "payload" in form:
        return orjson.loads(form["payload"])
    return form


def web_app(
    app: AsyncApp, *, signing_secret: str, seen: SeenRequests | None = None, path: str = EVENTS_PATH
) -> web.Application:
    """`seen`: where signed requests are remembered (`SeenRequests.for_store(store)`); this process alone if None."""
    gate = RequestGate(signing_secret, seen)
    ack_seconds = ACK_SECONDS.labels("slack")

    async def dispatch(request: web.Request) -> web.Response:
        started = time.perf_counter()
        new_turn()
        try:
            bolt_request = await gate.admit(request)
        except Refused as refused:
            if not refused.logged:
                log.warning("refused a request from %s: %s", request.remote, refused.reason)
            return web.json_response({"error": "invalid request"}, status=refused.status)
        if bolt_request is None:
            retry = request.headers.get("X-Slack-Retry-Num")
            if retry is not None:  # Slack sent it again, thinking the first was lost: acknowledged, as bolt would
                log.info("Slack re-sent a request already taken (retry %s): nothing done twice", retry[:8])
            else:
                log.warning("ignored a replayed request from %s: it was taken before", request.remote)
            return web.Response(status=200, text="")
        response = await app.async_dispatch(bolt_request)
        ack_seconds.observe(time.perf_counter() - started)
        return await to_aiohttp_response(response)

    application = web.Application()
    application.router.add_post(path, dispatch)
    return application


async def serve(
    app: AsyncApp, *, host: str, port: int, signing_secret: str, seen: SeenRequests | None = None, path: str = EVENTS_PATH
) -> web.AppRunner:
    """Start listening and return the runner (its `addresses` tell the real port when port is 0)."""
    return await listen(web_app(app, signing_secret=signing_secret, seen=seen, path=path), host, port)


async def run_http(app: AsyncApp, *, host: str, port: int, signing_secret: str, seen: SeenRequests | None = None) -> None:
    runner = await serve(app, host=host, port=port, signing_secret=signing_secret, seen=seen)
    log.info("listening on http://%s:%s%s", host, port, EVENTS_PATH)
    try:
        await stop_on_signals().wait()
    finally:
        await runner.cleanup()  # stop taking new requests
        await finish_turns_in_flight()


async def run_socket_mode(app: AsyncApp, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token)
    await handler.connect_async()
    log.info("connected in Socket Mode")
    try:
        await stop_on_signals().wait()
    finally:
        await handler.close_async()
        await finish_turns_in_flight()


async def finish_turns_in_flight(timeout: float = 20.0) -> None:
    """Listeners keep working after their ack; let the ones still delivering finish first."""
    await TURNS.finish(timeout=timeout)
