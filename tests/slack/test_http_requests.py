"""What reaches /slack/events besides Slack's own requests: every malformed, unsigned, stale or
replayed request is refused or ignored before any of it is parsed, with one log line at most."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from urllib.parse import quote

import aiohttp
import pytest

from adapters.common.replay import SeenRequests
from adapters.slack.app import build_app, make_client
from adapters.slack.server import EVENTS_PATH, serve
from adapters.slack.settings import SlackSettings
from bot.conversation.service import ConversationService
from bot.dialogs.catalog import Catalog
from bot.stores import MemoryStore
from bot.stores.base import StoreUnavailable
from bot.stores.redis import RedisStore
from tests.conftest import DIALOGS, REDIS_URL, drop_redis_keys, redis_store
from tests.slack.conftest import SECRET, Harness
from tests.slack.fake_slack import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
BAD_SIGNATURE = "v0=" + "0" * 64


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's v0 signature over any bytes (slack_sdk's own helper only signs text)."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def headers(content_type: str | None = FORM, timestamp: str | None = "now", signature: str | None = BAD_SIGNATURE) -> dict:
    found = {} if content_type is None else {"Content-Type": content_type}
    if timestamp is not None:
        found["X-Slack-Request-Timestamp"] = str(int(time.time())) if timestamp == "now" else timestamp
    if signature is not None:
        found["X-Slack-Signature"] = signature
    return found


def signed(body: bytes, content_type: str = FORM, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(body, ts)}


async def send(url: str, body: bytes, sent_headers: dict) -> int:
    async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as session:
        async with session.post(url, data=body, headers=sent_headers) as response:
            await response.read()
            return response.status


def command_form(user: str = "U0ANN") -> bytes:
    return f"command=%2Foutsource-check&text=&team_id=T1&user_id={user}&channel_id=C0GENERAL".encode()


def unsigned_cases() -> list[tuple[str, bytes, dict]]:
    """Requests anyone can send: none carries a valid signature."""
    return [
        ("truncated JSON", b'{"type":', headers(JSON)),
        ("truncated JSON, no Slack headers", b'{"type":', headers(JSON, timestamp=None, signature=None)),
        ("truncated JSON, no signature", b'{"type":', headers(JSON, signature=None)),
        ("truncated JSON in a form payload", b"payload=%7B%22type%22%3A", headers(FORM)),
        ("a JSON list", b"[1, 2]", headers(JSON)),
        ("non-UTF-8 form body", b"payload=\xff\xfe\xfd&user_id=\xc3", headers(FORM)),
        ("non-UTF-8 JSON body", b'{"type": "\xff"}', headers(JSON)),
        ("an unknown charset", b'{"type": "url_verification"}', headers(f"{JSON}; charset=x-no-such-charset")),
        ("no content type", b"\x00\x01\x02", headers(None)),
        ("empty body", b"", headers(FORM)),
        ("timestamp abc", command_form(), headers(timestamp="abc")),
        ("timestamp abc, body truncated JSON", b'{"type":', headers(JSON, timestamp="abc")),
        ("empty timestamp", command_form(), headers(timestamp="")),
        ("negative timestamp", command_form(), headers(timestamp="-1")),
        ("fractional timestamp", command_form(), headers(timestamp=f"{time.time():.3f}")),
        ("huge timestamp", command_form(), headers(timestamp="9" * 400)),
        ("timestamp in Arabic-Indic digits", command_form(), headers(timestamp="١٧٠٠٠٠٠٠٠٠")),
        ("signature not v0", command_form(), headers(signature="v1=abc")),
        ("signature with non-ASCII", command_form(), headers(signature="v0=" + "é" * 64)),
        ("signature of another secret", command_form(), {**signed(command_form()), "X-Slack-Signature": sign(command_form(), str(int(time.time())), "other")}),
        ("a signature for another body", command_form("U0BOB"), {**signed(command_form()), "Content-Type": FORM}),
    ]


def signed_but_unreadable() -> list[tuple[str, bytes, dict]]:
    """Signed with the real secret, yet no Slack payload: refused as bad requests, still quietly."""
    cases = [
        ("truncated JSON", b'{"type":', JSON),
        ("a JSON list", b"[1, 2]", JSON),
        ("a JSON string", b'"hello"', JSON),
        ("truncated JSON in a form payload", b"payload=" + quote('{"type":').encode(), FORM),
        ("a form payload that is a JSON number", b"payload=5", FORM),
        ("non-UTF-8 form body", b"payload=\xff\xfe", FORM),
    ]
    return [(name, body, signed(body, content_type)) for name, body, content_type in cases]


def quiet(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records at WARNING or above, each one line; fails on any ERROR and any traceback above DEBUG."""
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in loud if r.levelno >= logging.ERROR], [r.getMessage() for r in loud]
    assert not [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG], "no traceback in the log"
    assert all("\n" not in r.getMessage() for r in loud), [r.getMessage() for r in loud]
    return loud


async def test_unsigned_and_malformed_requests_get_a_4xx_and_one_warning_at_most(slack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name, body, sent in unsigned_cases() + signed_but_unreadable():
        caplog.clear()
        status = await send(slack.url, body, sent)
        assert 400 <= status < 500, f"{name}: {status}"
        loud = quiet(caplog)
        assert len(loud) <= 1, f"{name}: {[r.getMessage() for r in loud]}"
    assert slack.fake.calls == [], "nothing reached a listener"
    assert await slack.service.store.sessions_of("slack:T1:U0ANN") == []


async def raw_http(url: str, request: bytes, *, hang_up: bool = False) -> bytes:
    """Bytes on a socket, for what no HTTP client would send; the status line that came back."""
    host, port = url.split("/")[2].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        if hang_up:
            return b""
        answer = await asyncio.wait_for(reader.read(), 15)  # the server closes the connection after it
        return answer.split(b"\r\n", 1)[0]
    finally:
        writer.close()


def http_cases() -> list[tuple[str, bytes, bytes]]:
    ts = str(int(time.time())).encode()
    slack = b"X-Slack-Request-Timestamp: " + ts + b"\r\nX-Slack-Signature: " + BAD_SIGNATURE.encode() + b"\r\n"
    start = b"POST " + EVENTS_PATH.encode() + b" HTTP/1.1\r\nHost: bot\r\nConnection: close\r\n"
    return [
        ("a header line over 8 KB", start + b"X-Junk: " + b"a" * 20000 + b"\r\n\r\n", b"400"),
        ("broken chunks", start + b"Transfer-Encoding: chunked\r\n" + slack + b"\r\nzz\r\nabc\r\n0\r\n\r\n", b"400"),
        ("a gzip body that is not gzip", start + b"Content-Encoding: gzip\r\nContent-Length: 3\r\n" + slack + b"\r\nabc", b"400"),
        ("bytes that are not UTF-8 in the Slack headers", start + b"Content-Length: 0\r\n"
         b"X-Slack-Request-Timestamp: \xff\xfe\r\nX-Slack-Signature: v0=\xe9\r\n\r\n", b"401"),
        ("a body shorter than its Content-Length", start + b"Content-Length: 5\r\n" + slack + b"\r\nab", b""),
        ("not HTTP at all", b"\xff\xfe\x00 GARBAGE\r\n\r\n", b"400"),
    ]


async def test_malformed_http_gets_a_4xx_and_one_warning_at_most(slack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    for name, request, status in http_cases():
        caplog.clear()
        if status:
            line = await raw_http(slack.url, request)
            assert line.startswith(b"HTTP/1.") and line.split(b" ")[1] == status, f"{name}: {line!r}"
        else:  # the sender hangs up mid-body: nobody to answer, one line in the log
            await raw_http(slack.url, request, hang_up=True)
            await until(lambda: any(r.levelno >= logging.WARNING for r in caplog.records))
        loud = quiet(caplog)
        assert len(loud) <= 1, f"{name}: {[r.getMessage() for r in loud]}"
    assert slack.fake.calls == []


async def until(predicate, timeout: float = 15.0) -> None:
    """Poll until `predicate` holds (a synchronisation point, not a speed limit)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_an_oversized_body_is_refused_before_it_is_read_whole(slack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    status = await send(slack.url, b"x" * (3 * 1024 * 1024), headers(FORM))
    assert status == 413
    assert len(quiet(caplog)) <= 1


async def test_a_stale_or_future_signed_command_is_refused(slack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    body = slack.user("U0ANN").command_body()
    now = int(time.time())
    for timestamp in (now - 301, now + 301, now - 3600, 0):
        caplog.clear()
        status, _ = await slack.post(body, FORM, timestamp=timestamp)
        assert status == 401, timestamp
        assert len(quiet(caplog)) == 1
    # the same command signed now goes through: only the age was refused
    status, _ = await slack.post(body, FORM)
    assert status == 200
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    assert len(dm_posts(slack.fake, "U0ANN")) == 1


async def settle(harness: Harness, user: str) -> None:
    """A synchronisation point: a `help` from `user`, answered after anything sent before it had its turn."""
    fake = harness.fake
    helped = sum(e.get("text") == "Outsource Check help" for e in fake.ephemerals)
    status, _ = await harness.user(user).command("help")
    assert status == 200
    await fake.wait_for(lambda: sum(e.get("text") == "Outsource Check help" for e in fake.ephemerals) > helped)


def dm_posts(fake: FakeSlack, user: str) -> list[dict]:
    return fake.dm_posts(user)


async def test_slacks_own_set_up_requests_are_answered(slack) -> None:
    """When an admin sets the Request URL, Slack sends a signed url_verification challenge, and from
    time to time an ssl_check form: both must pass the gate and its parser and reach bolt, which
    answers them itself."""
    challenge = b'{"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}'
    async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"]) as session:
        async with session.post(slack.url, data=challenge, headers=signed(challenge, JSON)) as response:
            assert response.status == 200
            assert (await response.json(content_type=None))["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        check = b"ssl_check=1&token=legacy"
        async with session.post(slack.url, data=check, headers=signed(check)) as response:
            assert response.status == 200


async def test_a_replayed_slash_command_starts_nothing_new(slack, caplog) -> None:
    ann = slack.user("U0ANN")
    body = ann.command_body()
    timestamp = int(time.time())
    status, _ = await slack.post(body, FORM, timestamp=timestamp)
    assert status == 200
    fake = slack.fake
    await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))  # the check is on screen
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    for _ in range(3):  # the captured request, sent again byte for byte inside the window
        status, text = await slack.post(body, FORM, timestamp=timestamp)
        assert (status, text) == (200, "")
    loud = quiet(caplog)
    assert len(loud) == 3 and all("replayed" in r.getMessage() for r in loud)
    await settle(slack, "U0ANN")
    assert len(dm_posts(fake, "U0ANN")) == 1
    assert sum("sent you a DM" in e.get("text", "") for e in fake.ephemerals) == 1
    assert len(await slack.service.store.sessions_of("slack:T1:U0ANN")) == 1


async def test_slacks_own_retry_of_a_handled_request_is_acknowledged_quietly(slack, caplog) -> None:
    ann = slack.user("U0ANN")
    body = ann.command_body().encode()
    sent = signed(body)
    assert await send(slack.url, body, sent) == 200
    await slack.fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in slack.fake.ephemerals))  # the check is on screen
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    retry = {**sent, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert await send(slack.url, body, retry) == 200
    assert quiet(caplog) == []
    await settle(slack, "U0ANN")
    assert len(dm_posts(slack.fake, "U0ANN")) == 1
    assert len(await slack.service.store.sessions_of("slack:T1:U0ANN")) == 1


async def test_a_replay_sent_to_another_process_on_the_same_redis_starts_nothing(tmp_path) -> None:
    """Two HTTP processes behind one load balancer, one Redis: the replay goes to the other one."""
    fake = await FakeSlack().start()
    first = await redis_store()
    second = RedisStore(REDIS_URL, prefix=first._p)  # the same keys, over its own connections
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, app_token="", api_url=fake.api_url, port=0)
    catalog = Catalog.load(DIALOGS)
    shared = aiohttp.ClientSession()
    runners, harnesses = [], []
    try:
        for store in (first, second):
            service = ConversationService(catalog=catalog, store=store)
            app = build_app(service=service, settings=settings, client=make_client(settings, shared))
            runner = await serve(app, host="127.0.0.1", port=0, signing_secret=SECRET, seen=SeenRequests.for_store(store))
            runners.append(runner)
            host, port = runner.addresses[0][:2]
            harnesses.append(Harness(fake, f"http://{host}:{port}{EVENTS_PATH}", service))
        assert all(h.service is not None for h in harnesses)
        body = harnesses[0].user("U0ANN").command_body().encode()
        sent = signed(body)
        statuses = await asyncio.gather(*(send(h.url, body, sent) for h in harnesses for _ in range(2)))
        assert statuses == [200] * 4
        await fake.wait_for(lambda: any("sent you a DM" in e.get("text", "") for e in fake.ephemerals))  # the check is on screen
        for harness in harnesses:
            await settle(harness, "U0ANN")
        assert len(dm_posts(fake, "U0ANN")) == 1
        assert len(await first.sessions_of("slack:T1:U0ANN")) == 1
        key = f"{first._p}seen:slack:request:{sent['X-Slack-Request-Timestamp']}:{sent['X-Slack-Signature']}"
        assert 0 < await first._redis.ttl(key) <= 301, "kept in Redis while the signature could pass, no longer"
    finally:
        for runner in runners:
            await runner.cleanup()
        await shared.close()
        await fake.stop()
        await second.close()
        await drop_redis_keys(first)


# --- the memory of requests seen, on its own --------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_in_process_memory_forgets_after_the_ttl_and_stays_bounded() -> None:
    clock = Clock()
    seen = SeenRequests(max_entries=3, clock=clock)
    assert not seen.shared
    assert await seen.seen_request("a", 10) is False
    assert await seen.seen_request("a", 10) is True
    clock.now += 10.5
    assert await seen.seen_request("a", 10) is False, "forgotten once its time is up"
    for key, ttl in (("b", 100), ("c", 200), ("d", 300)):  # a is still there: the oldest to expire goes
        assert await seen.seen_request(key, ttl) is False
    assert len(seen) == 3
    assert await seen.seen_request("a", 10) is False, "a made room for d"
    assert await seen.seen_request("d", 300) is True


class Unreachable(MemoryStore):
    async def first_time(self, key: str, ttl: float = 600) -> bool:
        raise StoreUnavailable("down")


class Hanging(MemoryStore):
    async def first_time(self, key: str, ttl: float = 600) -> bool:
        await asyncio.Event().wait()
        return True


@pytest.mark.parametrize("store", [Unreachable(), Hanging()], ids=["unreachable", "hanging"])
async def test_a_shared_store_that_fails_falls_back_to_this_process(store) -> None:
    seen = SeenRequests(store, timeout=0.05)
    assert seen.shared
    assert await seen.seen_request("k", 60) is False
    assert await seen.seen_request("k", 60) is True


async def test_only_a_redis_store_is_shared() -> None:
    assert not SeenRequests.for_store(MemoryStore()).shared
    store = await redis_store()
    try:
        seen = SeenRequests.for_store(store)
        assert seen.shared
        assert await seen.seen_request("x", 5) is False
        assert await SeenRequests.for_store(store).seen_request("x", 5) is True, "another process sees it too"
    finally:
        await drop_redis_keys(store)
