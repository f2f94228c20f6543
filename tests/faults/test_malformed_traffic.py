"""Malformed traffic to /slack/events of a real `outsource-check slack` process, while a user clicks through.

Unsigned, wrongly signed, stale and future requests, bad JSON, bodies that are not UTF-8 and
bodies over the 1 MiB limit, each sent many times and all at once: every one gets its 4xx and at
most one WARNING line (never an ERROR or a traceback), nothing reaches Slack, and the user's clicks
in the middle of it, and the next one after it, are answered.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.stores import SqliteStore
from tests.faults.conftest import (
    HANG,
    answers_of,
    assert_no_traceback_reached_users,
    record_figures,
    sign,
    the_session,
    unique,
)
from tests.faults.test_store_outage import answer, started

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
EACH = 8  # requests of every kind
CLICKS = 3  # the user's clicks while they arrive


def slack_headers(body: bytes, content_type: str = FORM, *, age: int = 0, timestamp: str | None = None,
                  signature: str | None = None) -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()) - age)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(body, ts)}


def malformed(user_id: str) -> list[tuple[str, int, bytes, dict]]:
    """(kind, the status it must get, body, headers): none of them a request Slack would send."""
    command = f"command=%2Foutsource-check&text=&team_id=T1&user_id={user_id}&channel_id=D{user_id}".encode()
    huge = b"payload=" + b"x" * (2 * 1024 * 1024)
    return [
        ("unsigned", 401, command, {"Content-Type": FORM}),
        ("a wrong signature", 401, command, slack_headers(command, signature="v0=" + "0" * 64)),
        ("a timestamp that is not a number", 401, command, slack_headers(command, timestamp="abc")),
        ("signed 10 minutes ago", 401, command, slack_headers(command, age=600)),
        ("signed 10 minutes ahead", 401, command, slack_headers(command, age=-600)),
        ("signed bad JSON", 400, b'{"type":', slack_headers(b'{"type":', JSON)),
        ("signed, not UTF-8", 400, b"payload=\xff\xfe\xfd", slack_headers(b"payload=\xff\xfe\xfd")),
        ("unsigned, not UTF-8", 400, b'{"type": "\xff"}', {"Content-Type": JSON, "X-Slack-Request-Timestamp": str(int(time.time())),
                                                         "X-Slack-Signature": "v0=" + "1" * 64}),
        ("signed, over 1 MiB", 413, huge, slack_headers(huge)),
    ]


async def send(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict) -> int:
    async with session.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status


async def test_malformed_requests_are_refused_quietly_while_a_user_carries_on(fake, bots, tmp_path) -> None:
    spec = str(tmp_path / "data" / "sessions.sqlite3")
    bot = await bots.start(spec)
    user = await started(bot, unique("mal"))
    clicked: list = []
    await answer(user, clicked)
    calls_before = len(fake.calls)
    records_before = len(bot.records())

    cases = [case for case in malformed(user.id) for _ in range(EACH)]

    async def flood() -> list[int]:
        async with aiohttp.ClientSession(skip_auto_headers=["Content-Type"], timeout=aiohttp.ClientTimeout(total=HANG)) as session:
            return await asyncio.gather(*(send(session, bot.url, body, headers) for _, _, body, headers in cases))

    async def clicks() -> None:
        for _ in range(CLICKS):
            await answer(user, clicked)

    statuses, _ = await asyncio.gather(flood(), clicks())
    for (kind, expected, _, _), status in zip(cases, statuses, strict=True):
        assert status == expected, f"{kind}: {status}, not {expected}"
    assert bot.alive()
    await answer(user, clicked)  # the next real click, once it is over

    loud = bot.loud(records_before)
    refusals = [r for r in loud if "refused" in str(r.get("message", ""))]
    assert len(loud) <= len(cases), f"{len(loud)} warnings for {len(cases)} requests"
    assert len(refusals) == len(loud), [r.get("message") for r in loud if r not in refusals]
    assert bot.errors() == []
    assert all(str(r.get("level")).upper() == "WARNING" and "\n" not in str(r.get("message")) for r in loud)
    bot_calls = [c["method"] for c in fake.calls[calls_before:]]
    assert set(bot_calls) <= {"response_url", "chat.update"}, "only the user's own turns reached Slack"
    store = SqliteStore(spec)
    try:
        assert answers_of(await the_session(store, user.id)) == clicked
    finally:
        await store.close()
    assert_no_traceback_reached_users(fake)
    bots.finish()
    by_kind: dict[str, int] = {}
    for kind, expected, _, _ in malformed(user.id):
        by_kind[f"{kind} ({expected})"] = EACH
    record_figures(
        "test_malformed_requests_are_refused_quietly_while_a_user_carries_on",
        malformed_requests=len(cases), kinds=by_kind, refused_4xx=len(statuses), warnings=len(loud), errors=0,
        user_clicks_answered=CLICKS + 2, lost=0, process_exits=0,
    )
